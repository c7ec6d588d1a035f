package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
)

// catalogYAML is the benchmark's field catalog: 10 fields of varied types and one topic.
const catalogYAML = `# Field catalog of the benchmark: 10 fields, one topic.
default_max_fields: 2
restrict_topics: false
fields:
  - {key: first_name, label: First name, type: text, required: true, max_length: 100, known_from: [given_name], priority: 100}
  - {key: last_name, label: Last name, type: text, required: true, max_length: 100, known_from: [family_name], priority: 90}
  - {key: title, label: Job title, type: text, max_length: 100, min_logins: 2, priority: 80}
  - {key: company, label: Company, type: text, max_length: 100, min_logins: 2, priority: 70}
  - {key: website, label: Website, type: url, priority: 60}
  - {key: birthday, label: Birthday, type: date, priority: 50}
  - {key: team_size, label: Team size, type: integer, min_value: 1, max_value: 100000, priority: 40}
  - {key: industry, label: Industry, type: choice, priority: 30, options: [{value: software, label: Software}, {value: finance, label: Finance}, {value: retail, label: Retail}]}
  - {key: interests, label: Interests, type: multi_choice, priority: 20, options: [{value: go, label: Go}, {value: grpc, label: gRPC}, {value: auth, label: Identity}]}
  - {key: newsletter_ok, label: Newsletter, type: boolean, priority: 10}
topics:
  - {key: weekly-digest, label: Weekly digest, contexts: [article]}
`

// catalogFieldCount is the number of fields in catalogYAML.
const catalogFieldCount = 10

// benchTopic is the topic MarkSubscribed toggles.
const benchTopic = "weekly-digest"

// userID returns the id of the i-th pre-filled user.
func userID(i int) string { return fmt.Sprintf("auth0|bench%06d", i) }

// prefilledMetadata is the user_metadata of pre-filled users: 6 of the 8 fields not known from
// root attributes are answered, so prompts still hold 2 fields.
func prefilledMetadata(i int) map[string]any {
	return map[string]any{
		"title":     "Engineer",
		"company":   fmt.Sprintf("Company %d", i%97),
		"website":   "https://example.com/u/" + fmt.Sprint(i),
		"birthday":  "1990-01-15",
		"team_size": float64(10 + i%50),
		"industry":  "software",
	}
}

// memoryMetadata answers all 10 fields in user_metadata (collected names included), the
// largest profile a 10-field catalog produces.
func memoryMetadata(i int) map[string]any {
	m := prefilledMetadata(i)
	m["interests"] = []any{"go", "grpc"}
	m["newsletter_ok"] = true
	m["first_name"] = "Given"
	m["last_name"] = fmt.Sprintf("Family%d", i)
	return m
}

// rootAttributes are the root attributes of user i, as Auth0 would hold them for a database user.
func rootAttributes(i int) map[string]any {
	return map[string]any{
		"given_name":   "Given",
		"family_name":  fmt.Sprintf("Family%d", i),
		"name":         fmt.Sprintf("Given Family%d", i),
		"nickname":     fmt.Sprintf("user%d", i),
		"email":        fmt.Sprintf("user%d@example.com", i),
		"picture":      "https://s.gravatar.com/avatar/0?s=480&r=pg&d=mp",
		"logins_count": float64(3),
		"identities": []any{map[string]any{
			"provider": "auth0", "user_id": fmt.Sprintf("bench%06d", i),
			"connection": "Username-Password-Authentication", "isSocial": false,
		}},
	}
}

// userObject is user i as an Auth0 user object with the given metadata.
func userObject(i int, metadata map[string]any) map[string]any {
	u := rootAttributes(i)
	u["user_id"] = userID(i)
	u["user_metadata"] = metadata
	return u
}

// catalogFile is the catalog's file name in the benchmark's temporary folder.
const catalogFile = "catalog.yaml"

// writeFixtures writes the catalog and the users to import into dir and returns their paths.
func writeFixtures(dir string, users int) (catalog, usersFile string, err error) {
	catalog = filepath.Join(dir, catalogFile)
	if err := os.WriteFile(catalog, []byte(catalogYAML), 0o600); err != nil {
		return "", "", err
	}
	all := make([]map[string]any, users)
	for i := range all {
		all[i] = userObject(i, prefilledMetadata(i))
	}
	data, err := json.Marshal(all)
	if err != nil {
		return "", "", err
	}
	usersFile = filepath.Join(dir, "users.json")
	return catalog, usersFile, os.WriteFile(usersFile, data, 0o600)
}
