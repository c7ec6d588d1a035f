package auth0

import (
	"encoding/json"
	"maps"

	"github.com/acme/progressive-profiling/server/internal/store"
)

const (
	userMetadataKey = "user_metadata"
	appMetadataKey  = "app_metadata"
)

// exchange is the payload handed to the SDK's Request: it marshals the request body and
// unmarshals the response into a fresh map. The SDK decodes responses into whatever it was
// given, so handing it the body map itself would merge the response into the request (and leave
// deleted keys behind as nulls).
type exchange struct {
	body     map[string]any
	response map[string]any
}

// MarshalJSON encodes the request body.
func (e *exchange) MarshalJSON() ([]byte, error) { return json.Marshal(e.body) }

// UnmarshalJSON decodes the response into a new map.
func (e *exchange) UnmarshalJSON(b []byte) error {
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		return err
	}
	e.response = m
	return nil
}

// toProfile converts an Auth0 user object into a Profile. Empty metadata reads as nil, like a
// user without any.
func toProfile(userID string, user map[string]any) *store.Profile {
	p := &store.Profile{UserID: userID}
	for k, v := range user {
		switch k {
		case "user_id":
		case userMetadataKey:
			p.UserMetadata = nonEmptyObject(v)
		case appMetadataKey:
			p.AppMetadata = nonEmptyObject(v)
		default:
			if p.Attributes == nil {
				p.Attributes = make(map[string]any, len(user))
			}
			p.Attributes[k] = v
		}
	}
	return p
}

func nonEmptyObject(v any) map[string]any {
	m, _ := v.(map[string]any)
	if len(m) == 0 {
		return nil
	}
	return m
}

// patchBody builds a fresh PATCH body holding only the patch's keys. A metadata object is sent
// only when its part of the patch has keys: an empty object would wipe the stored metadata.
// Nil values stay in and encode as JSON null, which deletes the key upstream.
func patchBody(p store.Patch) map[string]any {
	body := make(map[string]any, 2)
	if len(p.UserMetadata) > 0 {
		body[userMetadataKey] = maps.Clone(p.UserMetadata)
	}
	if len(p.AppMetadata) > 0 {
		body[appMetadataKey] = maps.Clone(p.AppMetadata)
	}
	return body
}
