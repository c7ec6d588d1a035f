package auth0

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/acme/progressive-profiling/server/internal/store"
)

// TestPatchBodyCarriesOnlyThePatchKeys checks the PATCH bodies sent to Auth0: only the patch's
// keys, nulls for deletions, never an empty metadata object, never root attributes.
func TestPatchBodyCarriesOnlyThePatchKeys(t *testing.T) {
	tests := []struct {
		name  string
		patch store.Patch
		want  string // JSON body sent
	}{
		{"user metadata only", store.Patch{UserMetadata: map[string]any{"a": "1"}}, `{"user_metadata":{"a":"1"}}`},
		{"an empty app part is left out", store.Patch{UserMetadata: map[string]any{"a": "1"}, AppMetadata: map[string]any{}}, `{"user_metadata":{"a":"1"}}`},
		{"an empty user part is left out", store.Patch{UserMetadata: map[string]any{}, AppMetadata: map[string]any{"x": "1"}}, `{"app_metadata":{"x":"1"}}`},
		{"a deletion is sent as null", store.Patch{AppMetadata: map[string]any{"x": nil}}, `{"app_metadata":{"x":null}}`},
		{"a nested object is sent whole", store.Patch{UserMetadata: map[string]any{"subscribed": map[string]any{"t": map[string]any{"source": "s"}}, "gone": nil}},
			`{"user_metadata":{"subscribed":{"t":{"source":"s"}},"gone":null}}`},
		{"keys that already hold their value are left out", store.Patch{UserMetadata: map[string]any{"a": "1", "keep": "yes", "never": nil}},
			`{"user_metadata":{"a":"1"}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newDouble(t)
			attrs := map[string]any{"given_name": "Ada", "email": "ada@example.com",
				"user_metadata": map[string]any{"keep": "yes", "gone": "old"}, "app_metadata": map[string]any{"x": "old"}}
			srv.AddUser(journeyUser, attrs)
			rec := newRecorder(t)
			s := newTestStore(t, srv, func(c *Config) { c.HTTPClient = &http.Client{Transport: rec} })

			if _, err := s.Update(t.Context(), journeyUser, func(*store.Profile) (store.Patch, error) { return tt.patch, nil }); err != nil {
				t.Fatalf("Update: %v", err)
			}
			bodies := rec.bodies()
			if len(bodies) != 1 {
				t.Fatalf("PATCH requests = %d, want 1", len(bodies))
			}
			var got, want any
			if err := json.Unmarshal(bodies[0], &got); err != nil {
				t.Fatalf("PATCH body %q is not JSON: %v", bodies[0], err)
			}
			_ = json.Unmarshal([]byte(tt.want), &want)
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("PATCH body mismatch (-want +got):\n%s", diff)
			}
			if strings.Contains(string(bodies[0]), "{}") {
				t.Errorf("PATCH body %s holds an empty object", bodies[0])
			}
			u, _ := srv.User(journeyUser)
			for _, k := range []string{"given_name", "email"} {
				if u[k] != attrs[k] {
					t.Errorf("root attribute %s = %v upstream, want %v", k, u[k], attrs[k])
				}
			}
			if um, _ := u["user_metadata"].(map[string]any); um["keep"] != "yes" {
				t.Errorf("user_metadata.keep = %v upstream, want it kept", um["keep"])
			}
		})
	}
}

// TestBadKeysAreRejectedWithoutARequest checks that keys Auth0 refuses are reported precisely
// before any PATCH is spent.
func TestBadKeysAreRejectedWithoutARequest(t *testing.T) {
	tests := []struct {
		name    string
		patch   store.Patch
		wantMsg string
	}{
		{"a dot", store.Patch{UserMetadata: map[string]any{"a.b": "1"}}, `user_metadata key "a.b"`},
		{"a dollar in app_metadata", store.Patch{AppMetadata: map[string]any{"$set": "1"}}, `app_metadata key "$set"`},
		{"a nested dot", store.Patch{UserMetadata: map[string]any{"address": map[string]any{"zip.code": "1"}}}, `user_metadata key "address/zip.code"`},
		{"an empty key", store.Patch{UserMetadata: map[string]any{"": "1"}}, `user_metadata key ""`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newDouble(t)
			srv.AddUser(journeyUser, nil)
			s := newTestStore(t, srv)
			_, err := s.Update(t.Context(), journeyUser, func(*store.Profile) (store.Patch, error) { return tt.patch, nil })
			var se *store.Error
			if !asStoreError(err, &se) || se.Kind != store.KindInvalid || !strings.Contains(se.Message, tt.wantMsg) {
				t.Fatalf("Update error = %v, want kind %v with a message naming %s", err, store.KindInvalid, tt.wantMsg)
			}
			if got := srv.Calls().Patch; got != 0 {
				t.Errorf("PATCH requests = %d, want 0", got)
			}
		})
	}
}

// TestUpstreamBadRequestIsInvalid checks that a 400 from Auth0 is a KindInvalid error, not
// retried, whose caller-facing message holds none of Auth0's text (kept in the cause, for logs).
func TestUpstreamBadRequestIsInvalid(t *testing.T) {
	srv := newDouble(t)
	srv.AddUser(journeyUser, map[string]any{"user_metadata": map[string]any{"keep": "yes"}})
	s := newTestStore(t, srv)
	if _, err := s.Get(t.Context(), journeyUser); err != nil {
		t.Fatalf("Get: %v", err)
	}
	srv.FailNext(1, http.StatusBadRequest)
	_, err := s.Update(t.Context(), journeyUser, setMetadata(map[string]any{"a": "1"}))
	var se *store.Error
	if !asStoreError(err, &se) || se.Kind != store.KindInvalid || !strings.HasPrefix(se.Message, "Auth0 rejected the change") {
		t.Fatalf("Update error = %v, want kind %v starting %q", err, store.KindInvalid, "Auth0 rejected the change")
	}
	if strings.Contains(se.Message, "Bad Request") || se.Err == nil || !strings.Contains(se.Err.Error(), "Bad Request") {
		t.Errorf("message %q / cause %v: want Auth0's text in the cause only", se.Message, se.Err)
	}
	if got := srv.Calls().Patch; got != 1 {
		t.Errorf("PATCH requests = %d, want 1 (a 400 is not retried)", got)
	}
}

// TestUpstreamForbiddenIsMisconfigured: a 403 (the Management API client lacks a scope) is
// neither retried nor reported as something a caller could retry.
func TestUpstreamForbiddenIsMisconfigured(t *testing.T) {
	srv := newDouble(t)
	srv.AddUser(journeyUser, nil)
	s := newTestStore(t, srv)
	srv.FailNext(1, http.StatusForbidden)
	_, err := s.Get(t.Context(), journeyUser)
	var se *store.Error
	if !asStoreError(err, &se) || se.Kind != store.KindMisconfigured || se.RetryAfter != 0 {
		t.Fatalf("Get error = %v, want kind %v without RetryAfter", err, store.KindMisconfigured)
	}
	if got := srv.Calls().Get; got != 1 {
		t.Errorf("GET requests = %d, want 1 (a 403 is not retried)", got)
	}
}
