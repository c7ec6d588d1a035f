package telemetry

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestServeProfilesServesPprofUntilCancelled(t *testing.T) {
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- ServeProfiles(ctx, lis) }()

	base := "http://" + lis.Addr().String()
	tests := []struct{ path, want string }{
		{"/debug/pprof/", "goroutine"},
		{"/debug/pprof/heap?debug=1", "heap profile"},
		{"/debug/pprof/cmdline", ""},
	}
	for _, tt := range tests {
		resp, err := http.Get(base + tt.path)
		if err != nil {
			t.Fatalf("GET %s: %v", tt.path, err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), tt.want) {
			t.Errorf("GET %s: status %d, body without %q", tt.path, resp.StatusCode, tt.want)
		}
	}
	if resp, err := http.Get(base + "/metrics"); err == nil {
		resp.Body.Close()
		if resp.StatusCode != http.StatusNotFound {
			t.Errorf("GET /metrics on the profiling address: status %d, want 404 (profiles only)", resp.StatusCode)
		}
	}

	cancel()
	if err := <-done; err != nil {
		t.Errorf("ServeProfiles after cancel: %v", err)
	}
}

// TestProfilesRefuseForeignHosts: the profiles answer requests addressed to a loopback host
// only, so that a page rebinding its own host name to 127.0.0.1 cannot read them, nor the
// command line that may hold secrets given as flags (issue 12 review: the pprof address had no
// Host check).
func TestProfilesRefuseForeignHosts(t *testing.T) {
	h := ProfilingHandler()
	for host, want := range map[string]int{
		"127.0.0.1:6060": http.StatusOK, "localhost:6060": http.StatusOK, "[::1]:6060": http.StatusOK,
		"attacker.example:6060": http.StatusForbidden, "attacker.example": http.StatusForbidden, "": http.StatusForbidden,
	} {
		for _, path := range []string{"/debug/pprof/cmdline", "/debug/pprof/heap"} {
			req := httptest.NewRequest(http.MethodGet, path, nil)
			req.Host = host
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != want {
				t.Errorf("GET %s with Host %q: status %d, want %d", path, host, rec.Code, want)
			}
		}
	}
}
