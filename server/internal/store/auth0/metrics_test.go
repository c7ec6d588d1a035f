package auth0

import (
	"net/http"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/acme/progressive-profiling/server/internal/store"
)

// TestMetricsCountRequestsByOperationAndStatus: every Management API request is counted under
// its operation and the HTTP status Auth0 answered, or "error" when no answer came; token
// renewals are reported too.
func TestMetricsCountRequestsByOperationAndStatus(t *testing.T) {
	srv := newDouble(t)
	srv.AddUser("auth0|a", map[string]any{"given_name": "Ada"})
	srv.AddUser("auth0|b", map[string]any{"given_name": "Bob"})
	srv.AddUser("auth0|c", map[string]any{"given_name": "Cy"})
	s := newTestStore(t, srv)

	if _, err := s.Get(t.Context(), "auth0|a"); err != nil { // get_user 200
		t.Fatal(err)
	}
	if _, err := s.Get(t.Context(), "auth0|nobody"); store.KindOf(err) != store.KindNotFound { // get_user 404
		t.Fatalf("Get of an unknown user: %v, want not found", err)
	}
	if _, err := s.Update(t.Context(), "auth0|a", setMetadata(map[string]any{"title": "CTO"})); err != nil { // patch_user 200
		t.Fatal(err)
	}
	srv.FailNext(1, http.StatusServiceUnavailable)
	if _, err := s.Get(withTimeout(t, 5*time.Second), "auth0|b"); err != nil { // get_user 503, then 200
		t.Fatal(err)
	}
	srv.RevokeTokens()
	if _, err := s.Get(withTimeout(t, 5*time.Second), "auth0|c"); err != nil { // get_user 401, then 200
		t.Fatal(err)
	}
	srv.Close()                                                                // no answer any more
	if _, err := s.Get(withTimeout(t, 2*time.Second), "auth0|d"); err == nil { // get_user error, retried
		t.Fatal("Get with the Management API gone: got no error")
	}

	// Gets and updates read through the cache: auth0|a's update reads it there.
	m := s.Metrics()
	want := []store.UpstreamCalls{
		{Operation: "get_user", Status: "200", Count: 3},
		{Operation: "get_user", Status: "401", Count: 1},
		{Operation: "get_user", Status: "404", Count: 1},
		{Operation: "get_user", Status: "503", Count: 1},
		{Operation: "get_user", Status: "error", Count: maxAttempts},
		{Operation: "patch_user", Status: "200", Count: 1},
	}
	if diff := cmp.Diff(want, m.Upstream); diff != "" {
		t.Errorf("Upstream (-want +got):\n%s", diff)
	}
	st := s.Stats()
	var total uint64
	for _, u := range m.Upstream {
		total += u.Count
	}
	if total != uint64(st.Gets+st.Patches) {
		t.Errorf("requests counted by status: %d, want Gets+Patches = %d", total, st.Gets+st.Patches)
	}
	if m.TokenRenewals != 1 || m.Retries != uint64(st.Retries) || m.Retries == 0 {
		t.Errorf("TokenRenewals = %d, Retries = %d; want 1 and Stats().Retries = %d (not 0)", m.TokenRenewals, m.Retries, st.Retries)
	}
	if s.Backend() != "auth0" {
		t.Errorf("Backend() = %q, want auth0", s.Backend())
	}
}
