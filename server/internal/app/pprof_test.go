package app

import (
	"net/http"
	"testing"
)

// TestPublicHTTPAddressServesNoProfiles: net/http/pprof (linked in through telemetry) registers
// its handlers on http.DefaultServeMux; the public HTTP address must never fall back to that mux.
// Profiles are only on PROFILE_DEBUG_ADDR.
func TestPublicHTTPAddressServesNoProfiles(t *testing.T) {
	ts := startServer(t, serverOptions{})
	for _, path := range []string{"/debug/pprof/", "/debug/pprof/heap", "/debug/pprof/cmdline"} {
		resp, err := http.Get(ts.httpURL + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusNotFound {
			t.Errorf("GET %s on the public address: status %d, want 404", path, resp.StatusCode)
		}
	}
}
