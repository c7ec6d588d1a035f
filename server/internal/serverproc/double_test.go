package serverproc_test

import (
	"net/http"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/acme/progressive-profiling/server/internal/serverproc"
)

// TestDoubleRunsAsItsOwnProcess builds and starts the double's command, fills and steers it
// through its control API, and reads back what it counted.
func TestDoubleRunsAsItsOwnProcess(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and starts a command; skipped in -short mode")
	}
	dir := t.TempDir()
	bin, err := serverproc.BuildDouble(t.Context(), dir)
	if err != nil {
		t.Fatal(err)
	}
	d, err := serverproc.StartDouble(t.Context(), bin, filepath.Join(dir, "double.log"))
	if err != nil {
		t.Fatal(err)
	}
	defer d.Stop()
	if d.Domain == "" || d.ClientID == "" || d.ClientSecret == "" {
		t.Fatalf("double config = %+v, want a domain and client credentials", d)
	}
	if env := d.StoreEnv(); env["PROFILE_STORE"] != "auth0" || env["AUTH0_DOMAIN"] != d.Domain {
		t.Errorf("StoreEnv() = %v, want the Auth0 store on the double", env)
	}
	ctx := t.Context()
	if err := d.AddUsers(ctx, []map[string]any{{"user_id": "auth0|a"}}); err != nil {
		t.Errorf("AddUsers: %v", err)
	}
	if err := d.AddUsers(ctx, []map[string]any{{"email": "no-id@example.com"}}); err == nil {
		t.Error("AddUsers of a user without user_id: no error")
	}
	if err := d.SetLatency(ctx, 5*time.Millisecond); err != nil {
		t.Errorf("SetLatency: %v", err)
	}
	if err := d.SetRateLimit(ctx, 10, 5); err != nil {
		t.Errorf("SetRateLimit: %v", err)
	}
	resp, err := http.Get(d.Domain + "/api/v2/users/auth0%7Ca")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("GET user without a token: %s, want 401", resp.Status)
	}
	got, err := d.Calls(ctx)
	if err != nil {
		t.Fatalf("Calls: %v", err)
	}
	if diff := cmp.Diff(serverproc.DoubleCalls{Get: 1}, got); diff != "" {
		t.Errorf("calls after one GET (-want +got):\n%s", diff)
	}
}
