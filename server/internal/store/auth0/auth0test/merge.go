package auth0test

import (
	"fmt"
	"sort"
	"strings"
)

// updatableRoot lists the root attributes PATCH /api/v2/users/{id} accepts besides metadata.
var updatableRoot = map[string]bool{
	"blocked": true, "email": true, "email_verified": true, "phone_number": true, "phone_verified": true,
	"given_name": true, "family_name": true, "name": true, "nickname": true, "picture": true,
	"verify_email": true, "verify_phone_number": true, "password": true, "connection": true,
	"client_id": true, "username": true,
}

// reservedAppMetadata lists app_metadata keys Auth0 refuses.
var reservedAppMetadata = map[string]bool{
	"blocked": true, "clientID": true, "created_at": true, "email": true, "email_verified": true,
	"global_client_id": true, "globalClientID": true, "identities": true, "lastIP": true,
	"lastLogin": true, "loginsCount": true, "metadata": true, "multifactor": true,
	"updated_at": true, "user_id": true,
}

// validatePatch returns Auth0's 400 message for a body it refuses, or "".
func validatePatch(body map[string]any) string {
	if len(body) == 0 {
		return "Payload validation error: 'Too few properties defined (0), minimum 1'."
	}
	for _, k := range sortedKeys(body) {
		v := body[k]
		switch {
		case k == "user_metadata" || k == "app_metadata":
			if msg := validateMetadata(k, v); msg != "" {
				return msg
			}
		case !updatableRoot[k]:
			return fmt.Sprintf("Payload validation error: 'Additional properties not allowed: %s'.", k)
		}
	}
	return ""
}

func validateMetadata(prop string, v any) string {
	m, ok := v.(map[string]any)
	if !ok {
		found := "null"
		if v != nil {
			found = fmt.Sprintf("%T", v)
		}
		return fmt.Sprintf("Payload validation error: 'Expected type object but found type %s' on property %s.", found, prop)
	}
	if bad := badKey(m); bad != "" {
		return fmt.Sprintf("Payload validation error: 'Invalid property name %q: names must not contain \".\" or \"$\"' on property %s.", bad, prop)
	}
	if prop == "app_metadata" {
		for k := range m {
			if reservedAppMetadata[k] {
				return fmt.Sprintf("Payload validation error: '%s is a reserved property name' on property app_metadata.", k)
			}
		}
	}
	return ""
}

// badKey returns the first key, at any depth, that is empty or holds '.' or '$'.
func badKey(v any) string {
	switch t := v.(type) {
	case map[string]any:
		for _, k := range sortedKeys(t) {
			if k == "" || strings.ContainsAny(k, ".$") {
				return k
			}
			if bad := badKey(t[k]); bad != "" {
				return bad
			}
		}
	case []any:
		for _, e := range t {
			if bad := badKey(e); bad != "" {
				return bad
			}
		}
	}
	return ""
}

// applyPatch applies a validated body to u with Auth0's semantics: metadata is merged at the
// first level, a null value deletes its key, an empty object wipes the metadata; root attributes
// are replaced.
func applyPatch(u, body map[string]any) {
	for k, v := range body {
		if k != "user_metadata" && k != "app_metadata" {
			u[k] = v
			continue
		}
		patch := v.(map[string]any)
		if len(patch) == 0 {
			delete(u, k)
			continue
		}
		merged, _ := u[k].(map[string]any)
		if merged == nil {
			merged = map[string]any{}
		}
		for mk, mv := range patch {
			if mv == nil {
				delete(merged, mk)
			} else {
				merged[mk] = mv
			}
		}
		u[k] = merged
	}
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
