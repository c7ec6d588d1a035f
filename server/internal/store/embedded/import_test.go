package embedded

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/acme/progressive-profiling/server/internal/store"
)

func TestParseImportAcceptsAuth0Users(t *testing.T) {
	ada := UserAttributes{
		UserID: "google-oauth2|1",
		Attributes: map[string]any{
			"given_name":   "Ada",
			"logins_count": float64(3),
			"identities":   []any{map[string]any{"provider": "google-oauth2", "user_id": "1"}},
			"custom_root":  "kept",
		},
		UserMetadata: map[string]any{"company": "Analytical"},
		AppMetadata:  map[string]any{"plan": "free"},
	}
	grace := UserAttributes{UserID: "samlp|conn|g@h.i", Attributes: map[string]any{"email": "g@h.i"}}
	const adaJSON = `{"user_id":"google-oauth2|1","given_name":"Ada","logins_count":3,
		"identities":[{"provider":"google-oauth2","user_id":"1"}],"custom_root":"kept",
		"user_metadata":{"company":"Analytical"},"app_metadata":{"plan":"free"}}`
	const graceJSON = `{"user_id":"samlp|conn|g@h.i","email":"g@h.i","user_metadata":null}`
	tests := []struct {
		name, input string
		want        []UserAttributes
	}{
		{"JSON array", "[" + adaJSON + "," + graceJSON + "]", []UserAttributes{ada, grace}},
		{"array after white space", "\n\t [" + graceJSON + "]\n", []UserAttributes{grace}},
		{"one object per line, as a bulk export writes", adaJSON + "\n" + graceJSON + "\n", []UserAttributes{ada, grace}},
		{"empty array", "[]", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseImport(strings.NewReader(tt.input))
			if err != nil {
				t.Fatalf("ParseImport: %v", err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("ParseImport (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseImportErrorsNameTheUser(t *testing.T) {
	tests := []struct {
		name, input, want string
	}{
		{"empty input", "  \n", "input is empty"},
		{"not JSON", "{not json", "user 0"},
		{"missing user_id", `[{"given_name":"Ada"}]`, "user 0: missing user_id"},
		{"a metadata key Auth0 refuses", `[{"user_id":"auth0|1","user_metadata":{"a.b":1}}]`, `user 0: user_metadata key "a.b" is not allowed`},
		{"missing user_id on the second user", `[{"user_id":"auth0|1"},{"name":"B"}]`, "user 1: missing user_id"},
		{"missing user_id on a later line", "{\"user_id\":\"auth0|1\"}\n{\"name\":\"B\"}\n", "user 1: missing user_id"},
		{"user_id not a string", `[{"user_id":5}]`, "user 0: user_id is not a string"},
		{"empty user_id", `[{"user_id":""}]`, "user 0: store: invalid: user id must not be empty"},
		{"user not an object", `[{"user_id":"auth0|1"}, 7]`, "user 1: not a JSON object"},
		{"null user", `[null]`, "user 0: not a JSON object"},
		{"metadata not an object", `[{"user_id":"auth0|1","user_metadata":"x"}]`, "user 0: user_metadata is not an object"},
		{"bad JSON inside the array", `[{"user_id":"auth0|1"},{"user_id":}]`, "user 1"},
		{"unclosed array", `[{"user_id":"auth0|1"}`, "not closed with ']'"},
		{"data after the array", `[{"user_id":"auth0|1"}] {}`, "unexpected data after the array"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseImport(strings.NewReader(tt.input))
			if err == nil {
				t.Fatalf("ParseImport = %+v, want an error containing %q", got, tt.want)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not contain %q", err, tt.want)
			}
		})
	}
}

func TestImportUsers(t *testing.T) {
	const id = "auth0|ada"
	tests := []struct {
		name       string
		before     store.Patch // written by Update before the imports
		imports    [][]UserAttributes
		wantCount  int
		wantErr    string
		wantResult *store.Profile
	}{
		{
			name:       "creates an unknown user",
			imports:    [][]UserAttributes{{{UserID: id, Attributes: map[string]any{"given_name": "Ada", "logins_count": 2}}}},
			wantCount:  1,
			wantResult: &store.Profile{UserID: id, Attributes: map[string]any{"given_name": "Ada", "logins_count": float64(2)}},
		},
		{
			name:      "keeps the stored metadata",
			before:    store.Patch{UserMetadata: map[string]any{"company": "A"}, AppMetadata: map[string]any{"x": "1"}},
			imports:   [][]UserAttributes{{{UserID: id, Attributes: map[string]any{"given_name": "Ada"}}}},
			wantCount: 1,
			wantResult: &store.Profile{UserID: id, Attributes: map[string]any{"given_name": "Ada"},
				UserMetadata: map[string]any{"company": "A"}, AppMetadata: map[string]any{"x": "1"}},
		},
		{
			name: "replaces the attributes whole",
			imports: [][]UserAttributes{
				{{UserID: id, Attributes: map[string]any{"given_name": "Ada", "email": "a@b.c"}}},
				{{UserID: id, Attributes: map[string]any{"family_name": "Lovelace"}}},
			},
			wantCount:  1,
			wantResult: &store.Profile{UserID: id, Attributes: map[string]any{"family_name": "Lovelace"}},
		},
		{
			name:   "merges imported metadata at the first level",
			before: store.Patch{UserMetadata: map[string]any{"a": "1", "b": "2", "c": "3"}},
			imports: [][]UserAttributes{{{UserID: id, UserMetadata: map[string]any{"b": "new", "c": nil, "d": "4"},
				AppMetadata: map[string]any{"plan": "free"}}}},
			wantCount: 1,
			wantResult: &store.Profile{UserID: id, UserMetadata: map[string]any{"a": "1", "b": "new", "d": "4"},
				AppMetadata: map[string]any{"plan": "free"}},
		},
		{
			name: "a later entry for the same user wins",
			imports: [][]UserAttributes{{
				{UserID: id, Attributes: map[string]any{"given_name": "First"}},
				{UserID: id, Attributes: map[string]any{"given_name": "Second"}},
			}},
			wantCount:  2,
			wantResult: &store.Profile{UserID: id, Attributes: map[string]any{"given_name": "Second"}},
		},
		{
			name: "an invalid user id imports nobody",
			imports: [][]UserAttributes{{
				{UserID: id, Attributes: map[string]any{"given_name": "Ada"}},
				{UserID: "", Attributes: map[string]any{"given_name": "Nobody"}},
			}},
			wantErr:    "user 1",
			wantResult: &store.Profile{UserID: id},
		},
		{
			name: "an oversized user imports nobody",
			imports: [][]UserAttributes{{
				{UserID: id, Attributes: map[string]any{"given_name": "Ada"}},
				{UserID: "auth0|big", Attributes: map[string]any{"picture": strings.Repeat("x", maxRecordBytes)}},
			}},
			wantErr:    "auth0|big",
			wantResult: &store.Profile{UserID: id},
		},
		{
			name:       "metadata keys are not root attributes",
			imports:    [][]UserAttributes{{{UserID: id, Attributes: map[string]any{"user_metadata": map[string]any{}}}}},
			wantErr:    "user 0",
			wantResult: &store.Profile{UserID: id},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newTestStore(t)
			if !tt.before.Empty() {
				if _, err := s.Update(t.Context(), id, func(*store.Profile) (store.Patch, error) { return tt.before, nil }); err != nil {
					t.Fatalf("Update: %v", err)
				}
			}
			var n int
			var err error
			for _, users := range tt.imports {
				if n, err = s.ImportUsers(t.Context(), users); err != nil {
					break
				}
			}
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("ImportUsers: %v", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Fatalf("ImportUsers error = %v, want one containing %q", err, tt.wantErr)
			case tt.wantErr == "" && n != tt.wantCount:
				t.Errorf("ImportUsers = %d, want %d", n, tt.wantCount)
			}
			got, err := s.Get(t.Context(), id)
			if err != nil {
				t.Fatalf("Get: %v", err)
			}
			if diff := cmp.Diff(tt.wantResult, got); diff != "" {
				t.Errorf("profile after import (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParsedImportFeedsImportUsers(t *testing.T) {
	s := newTestStore(t)
	users, err := ParseImport(strings.NewReader(`[
		{"user_id":"google-oauth2|1","given_name":"Ada","family_name":"Lovelace","logins_count":3},
		{"user_id":"auth0|2","email":"grace@example.com","user_metadata":{"title":"Rear Admiral"}}
	]`))
	if err != nil {
		t.Fatalf("ParseImport: %v", err)
	}
	if n, err := s.ImportUsers(t.Context(), users); err != nil || n != 2 {
		t.Fatalf("ImportUsers = %d, %v; want 2, nil", n, err)
	}
	got, err := s.Get(t.Context(), "auth0|2")
	if err != nil {
		t.Fatalf("Get: %v", err)
	}
	want := &store.Profile{UserID: "auth0|2", Attributes: map[string]any{"email": "grace@example.com"},
		UserMetadata: map[string]any{"title": "Rear Admiral"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("imported profile (-want +got):\n%s", diff)
	}
}
