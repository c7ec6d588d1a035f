package store

import "testing"

func TestCheckKeysFollowsAuth0sRule(t *testing.T) {
	tests := []struct {
		name  string
		patch Patch
		ok    bool
	}{
		{"plain keys", Patch{UserMetadata: map[string]any{"title": "x", "subscribed": map[string]any{"weekly-digest": map[string]any{"since": "t"}}}}, true},
		{"deletions", Patch{UserMetadata: map[string]any{"title": nil}}, true},
		{"a dot at the top", Patch{UserMetadata: map[string]any{"a.b": 1.0}}, false},
		{"a dollar nested", Patch{AppMetadata: map[string]any{"o": map[string]any{"$set": 1.0}}}, false},
		{"an empty key in a list", Patch{UserMetadata: map[string]any{"l": []any{map[string]any{"": 1.0}}}}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckKeys(tt.patch)
			if (err == nil) != tt.ok || (err != nil && KindOf(err) != KindInvalid) {
				t.Errorf("CheckKeys = %v, want ok=%v (else kind invalid)", err, tt.ok)
			}
		})
	}
}
