package embedded

import (
	stdjson "encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/acme/progressive-profiling/server/internal/store"
)

// TestCanonicalMatchesARoundTrip: whether or not the decoding is skipped, a written profile
// equals what reading its record back gives.
func TestCanonicalMatchesARoundTrip(t *testing.T) {
	tests := []struct {
		name     string
		p        *store.Profile
		fastPath bool
	}{
		{"JSON-shaped values", &store.Profile{UserID: "u", UserMetadata: map[string]any{"a": "x", "n": 2.0, "b": true, "l": []any{"x", 1.0}, "o": map[string]any{"k": nil}}}, true},
		{"nil maps", &store.Profile{UserID: "u"}, true},
		{"an int", &store.Profile{UserID: "u", UserMetadata: map[string]any{"n": 2}}, false},
		{"an empty top-level map", &store.Profile{UserID: "u", AppMetadata: map[string]any{}}, false},
		{"a typed slice", &store.Profile{UserID: "u", Attributes: map[string]any{"s": []string{"a"}}}, false},
		{"a nil slice", &store.Profile{UserID: "u", UserMetadata: map[string]any{"s": []any(nil)}}, false},
		{"a nested int", &store.Profile{UserID: "u", UserMetadata: map[string]any{"o": map[string]any{"n": int64(3)}}}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, data, err := canonical(tt.p)
			if err != nil {
				t.Fatal(err)
			}
			want, err := decodeProfile(tt.p.UserID, data)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("canonical profile differs from its record read back (-read +canonical):\n%s", diff)
			}
			if fast := got == tt.p; fast != tt.fastPath {
				t.Errorf("decoding skipped = %v, want %v", fast, tt.fastPath)
			}
		})
	}
}

// TestRecordsMatchEncodingJSON: records read and write the JSON encoding/json would, so files
// stay readable by any JSON tool and values come back as Auth0's JSON gives them.
func TestRecordsMatchEncodingJSON(t *testing.T) {
	p := &store.Profile{UserID: "auth0|1",
		Attributes:   map[string]any{"given_name": "Ada <&>", "logins_count": 12.0, "identities": []any{map[string]any{"provider": "auth0", "isSocial": false}}},
		UserMetadata: map[string]any{"n": 1e21, "f": 0.1, "big": 9007199254740993.0, "neg": -0.5, "s": "é\u2028\"", "l": []any{true, nil, "x"}},
	}
	data, err := encodeProfile(p)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := stdjson.Marshal(record{UserID: p.UserID, Attributes: p.Attributes, UserMetadata: p.UserMetadata})
	var got, wantV any
	if err := stdjson.Unmarshal(data, &got); err != nil {
		t.Fatalf("record is not JSON for encoding/json: %v", err)
	}
	_ = stdjson.Unmarshal(want, &wantV)
	if diff := cmp.Diff(wantV, got); diff != "" {
		t.Errorf("record (-encoding/json +ours):\n%s", diff)
	}
	back, err := decodeProfile(p.UserID, want)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(p, back); diff != "" {
		t.Errorf("decoding encoding/json's record (-want +got):\n%s", diff)
	}
}
