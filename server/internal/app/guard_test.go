package app

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"

	profilev1 "github.com/acme/progressive-profiling/gen/profile/v1"
)

// post sends body to path with the given headers (Host included) and returns the status.
func post(t *testing.T, base, path, body string, headers map[string]string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, base+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range headers {
		if k == "Host" {
			req.Host = v
			continue
		}
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestCrossSiteWritesAreRefused: a page on another origin can POST text/plain (or a form
// encoding) without a CORS preflight; the API refuses any body not declared as JSON with 415
// and writes nothing (issue 12: in local mode such a POST wrote any user's profile).
func TestCrossSiteWritesAreRefused(t *testing.T) {
	ts := startServer(t, serverOptions{})
	const path = "/v1/users/auth0%7Cvictim/fields"
	body := `{"values":{"first_name":"Mallory"}}`
	for _, ct := range []string{"", "text/plain", "text/plain;charset=UTF-8", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "application/json; charset=latin1", "application/jsonx"} {
		t.Run("Content-Type "+ct, func(t *testing.T) {
			h := map[string]string{"Origin": "https://evil.example"}
			if ct != "" {
				h["Content-Type"] = ct
			}
			if code, resp := post(t, ts.httpURL, path, body, h); code != http.StatusUnsupportedMediaType || !strings.Contains(resp, "application/json") {
				t.Errorf("got %d %s, want 415 naming application/json", code, resp)
			}
		})
	}
	p, err := profilev1.NewProfileServiceClient(ts.conn).GetProfile(context.Background(), &profilev1.GetProfileRequest{UserId: "auth0|victim"})
	if err != nil || len(p.GetValues()) != 0 {
		t.Fatalf("profile after refused writes: %v, %v; want empty", p, err)
	}
	for _, ct := range []string{"application/json", "application/json; charset=utf-8", "Application/JSON;Charset=UTF-8"} {
		if code, resp := post(t, ts.httpURL, path, body, map[string]string{"Content-Type": ct}); code != http.StatusOK {
			t.Errorf("Content-Type %q: got %d %s, want 200", ct, code, resp)
		}
	}
}

// TestLoopbackServerWithoutAuthAnswersLoopbackHostsOnly: a server trusting every caller
// (loopback, no caller auth) refuses requests addressed to another host name, as a page using
// DNS rebinding would send them (issue 12).
func TestLoopbackServerWithoutAuthAnswersLoopbackHostsOnly(t *testing.T) {
	ts := startServer(t, serverOptions{})
	port := ts.httpURL[strings.LastIndex(ts.httpURL, ":"):]
	for _, host := range []string{"evil.example" + port, "evil.example", "127.0.0.1.evil.example" + port, "localhost.evil.example", "10.0.0.1" + port} {
		h := map[string]string{"Content-Type": "application/json", "Host": host}
		if code, resp := post(t, ts.httpURL, "/v1/users/auth0%7C1/fields", `{}`, h); code != http.StatusForbidden || !strings.Contains(resp, "loopback") {
			t.Errorf("Host %q: got %d %s, want 403 naming loopback", host, code, resp)
		}
	}
	for _, host := range []string{"127.0.0.1" + port, "localhost" + port, "LOCALHOST", "[::1]" + port, "[::1]", "127.0.0.1"} {
		h := map[string]string{"Content-Type": "application/json", "Host": host}
		if code, resp := post(t, ts.httpURL, "/v1/users/auth0%7C1/fields", `{}`, h); code != http.StatusOK {
			t.Errorf("Host %q: got %d %s, want 200", host, code, resp)
		}
	}
}

// TestServerWithAuthAnswersAnyHost: with caller auth on, tokens guard the API and the Host is
// not restricted (a deployment is reached under its own names).
func TestServerWithAuthAnswersAnyHost(t *testing.T) {
	ts, iss := authServer(t)
	h := map[string]string{"Content-Type": "application/json", "Host": "profiles.example.com", "Authorization": "Bearer " + iss.UserToken(t, "auth0|alice")}
	if code, resp := post(t, ts.httpURL, "/v1/users/me/fields", `{}`, h); code != http.StatusOK {
		t.Errorf("got %d %s, want 200", code, resp)
	}
}
