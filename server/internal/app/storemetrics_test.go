package app

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"

	profilev1 "github.com/acme/progressive-profiling/gen/profile/v1"
)

// TestAuth0StoreMetrics: the Auth0 store reports its own series on /metrics: requests by
// operation and the status Auth0 answered, and the renewals of a token Auth0 refused.
func TestAuth0StoreMetrics(t *testing.T) {
	ts, mgmt := auth0Server(t)
	mgmt.AddUser("auth0|a", map[string]any{"given_name": "Ada"})
	mgmt.AddUser("auth0|b", map[string]any{"given_name": "Bob"})
	c := transports[0].client(ts, "")
	get := func(user string) {
		t.Helper()
		if _, err := c.GetMissingFields(context.Background(), &profilev1.GetMissingFieldsRequest{UserId: user}); err != nil {
			t.Fatalf("GetMissingFields(%s): %v", user, err)
		}
	}
	get("auth0|a")
	mgmt.RevokeTokens()
	get("auth0|b")

	resp, err := http.Get(ts.httpURL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{
		`profile_store_upstream_requests_total{backend="auth0",operation="get_user",status="200"} 2`,
		`profile_store_upstream_requests_total{backend="auth0",operation="get_user",status="401"} 1`,
		`profile_store_upstream_token_renewals_total{backend="auth0"} 1`,
	} {
		if !strings.Contains(string(body), want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
}
