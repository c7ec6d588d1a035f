package servertest_test

import (
	"net/http"
	"testing"

	"github.com/acme/progressive-profiling/server/servertest"
)

// TestStartServesUntilClose: the in-process service answers on both ports, and Close stops it.
func TestStartServesUntilClose(t *testing.T) {
	srv, err := servertest.Start("", servertest.User{ID: "auth0|1", Attributes: map[string]any{"given_name": "Ada"}})
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.Get(srv.HTTPURL + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || srv.GRPCAddr == "" {
		t.Errorf("readyz = %d, grpc %q; want 200 and an address", resp.StatusCode, srv.GRPCAddr)
	}
	if err := srv.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if _, err := http.Get(srv.HTTPURL + "/readyz"); err == nil {
		t.Error("the server still answers after Close")
	}
}
