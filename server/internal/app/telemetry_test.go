package app

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	profilev1 "github.com/acme/progressive-profiling/gen/profile/v1"
	"github.com/acme/progressive-profiling/server/internal/auth/authtest"
	"github.com/acme/progressive-profiling/server/internal/config"
	"github.com/acme/progressive-profiling/server/internal/testlog"
)

// TestMetricsAndLogsAfterTraffic: /metrics exposes RPC and store series after traffic over
// both transports, every RPC logs one line with its request id, and no log line holds a
// profile value or a token.
func TestMetricsAndLogsAfterTraffic(t *testing.T) {
	logs := &testlog.Buffer{}
	iss := authtest.NewIssuer(t)
	ts := startServer(t, serverOptions{logs: logs, cfg: func(c *config.Config) {
		c.Auth0Domain = iss.URL()
		c.Auth0Issuer = iss.Issuer()
		c.Auth0Audience = authtest.Audience
	}})
	token := iss.UserToken(t, alice)
	const secretValue = "Top-Secret-Job-Title"
	for _, tr := range transports {
		c := tr.client(ts, token)
		if _, err := c.SubmitFields(context.Background(), &profilev1.SubmitFieldsRequest{UserId: "me", Values: mustStruct(t, map[string]any{"title": secretValue + tr.name})}); err != nil {
			t.Fatalf("%s SubmitFields: %v", tr.name, err)
		}
		if _, err := c.SubmitFields(context.Background(), &profilev1.SubmitFieldsRequest{UserId: "me", Values: mustStruct(t, map[string]any{"title": 42.0})}); err == nil {
			t.Fatalf("%s: a bad value was accepted", tr.name)
		}
		if _, err := tr.client(ts, "").GetMissingFields(context.Background(), &profilev1.GetMissingFieldsRequest{UserId: alice}); err == nil {
			t.Fatalf("%s: a call without a token was accepted", tr.name)
		}
	}

	// REST answers carry the request id the caller sent.
	req, _ := http.NewRequest(http.MethodGet, ts.httpURL+"/v1/users/me/missing-fields", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("X-Request-Id", "req-12345")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if got := resp.Header.Get("X-Request-Id"); got != "req-12345" {
		t.Errorf("X-Request-Id = %q, want the caller's req-12345", got)
	}

	resp, err = http.Get(ts.httpURL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{
		`grpc_server_handled_total{grpc_code="OK",grpc_method="SubmitFields",grpc_service="profile.v1.ProfileService",grpc_type="unary"} 2`,
		`grpc_server_handled_total{grpc_code="InvalidArgument",grpc_method="SubmitFields",grpc_service="profile.v1.ProfileService",grpc_type="unary"} 2`,
		`grpc_server_handled_total{grpc_code="Unauthenticated",grpc_method="GetMissingFields",grpc_service="profile.v1.ProfileService",grpc_type="unary"} 2`,
		`grpc_server_handling_seconds_count{grpc_method="SubmitFields",grpc_service="profile.v1.ProfileService",grpc_type="unary"} 4`,
		`profile_store_writes_total{backend="embedded"} 2`,
		`profile_store_commits_total{backend="embedded"}`,
	} {
		if !strings.Contains(string(body), want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}

	out := logs.String()
	for _, secret := range []string{secretValue, token, strings.Split(token, ".")[2]} {
		if strings.Contains(out, secret) {
			t.Errorf("the logs contain a profile value or token: %q", secret)
		}
	}
	rpcLines := 0
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("log line is not JSON: %q", line)
		}
		if rec["msg"] == "rpc" {
			rpcLines++
			if rec["method"] == nil || rec["code"] == nil || rec["duration_ms"] == nil || rec["request_id"] == "" {
				t.Errorf("rpc log line lacks method, code, duration or request id: %v", rec)
			}
		}
	}
	if rpcLines != 7 {
		t.Errorf("%d rpc log lines, want one per RPC (7)", rpcLines)
	}
}
