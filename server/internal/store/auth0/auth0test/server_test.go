package auth0test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// client talks to a double with plain HTTP.
type client struct {
	t     *testing.T
	srv   *Server
	http  *http.Client
	token string
}

func newClient(t *testing.T) *client {
	t.Helper()
	srv := NewServer()
	t.Cleanup(srv.Close)
	c := &client{t: t, srv: srv, http: srv.srv.Client()}
	resp, body := c.tokenRequest(url.Values{"grant_type": {"client_credentials"}, "client_id": {ClientID},
		"client_secret": {ClientSecret}, "audience": {srv.URL() + "/api/v2/"}}, false)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("token status = %d, want 200: %s", resp.StatusCode, body)
	}
	var tok struct {
		AccessToken string `json:"access_token"`
		ExpiresIn   int    `json:"expires_in"`
		TokenType   string `json:"token_type"`
	}
	if err := json.Unmarshal(body, &tok); err != nil || tok.AccessToken == "" || tok.ExpiresIn <= 0 || tok.TokenType != "Bearer" {
		t.Fatalf("token response %s is not a bearer token (%v)", body, err)
	}
	c.token = tok.AccessToken
	return c
}

func (c *client) tokenRequest(form url.Values, basic bool) (*http.Response, []byte) {
	c.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, c.srv.URL()+"/oauth/token", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if basic {
		req.SetBasicAuth(url.QueryEscape(ClientID), url.QueryEscape(ClientSecret))
	}
	return c.do(req)
}

// user sends method to /api/v2/users/{escaped id}.
func (c *client) user(method, id string, body string) (*http.Response, map[string]any) {
	c.t.Helper()
	escaped := strings.ReplaceAll(url.PathEscape(id), "/", "%2F")
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, _ := http.NewRequest(method, c.srv.URL()+"/api/v2/users/"+escaped, rd)
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, raw := c.do(req)
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		c.t.Fatalf("%s response %q is not a JSON object: %v", method, raw, err)
	}
	return resp, m
}

func (c *client) do(req *http.Request) (*http.Response, []byte) {
	c.t.Helper()
	resp, err := c.http.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, b
}

func TestTokenEndpoint(t *testing.T) {
	c := newClient(t)
	aud := c.srv.URL() + "/api/v2/"
	tests := []struct {
		name  string
		form  url.Values
		basic bool
		want  int
	}{
		{"credentials in Basic auth", url.Values{"grant_type": {"client_credentials"}, "audience": {aud}}, true, http.StatusOK},
		{"credentials in the form", url.Values{"grant_type": {"client_credentials"}, "audience": {aud}, "client_id": {ClientID}, "client_secret": {ClientSecret}}, false, http.StatusOK},
		{"a wrong secret", url.Values{"grant_type": {"client_credentials"}, "audience": {aud}, "client_id": {ClientID}, "client_secret": {"nope"}}, false, http.StatusUnauthorized},
		{"another audience", url.Values{"grant_type": {"client_credentials"}, "audience": {"https://other/"}}, true, http.StatusForbidden},
		{"another grant", url.Values{"grant_type": {"password"}, "audience": {aud}}, true, http.StatusBadRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := c.tokenRequest(tt.form, tt.basic)
			if resp.StatusCode != tt.want {
				t.Errorf("status = %d, want %d: %s", resp.StatusCode, tt.want, body)
			}
		})
	}
	c.srv.SetTokenFailure(true)
	if resp, _ := c.tokenRequest(url.Values{"grant_type": {"client_credentials"}, "audience": {aud}}, true); resp.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("status with token failure on = %d, want 503", resp.StatusCode)
	}
}

func TestRequestsNeedAnIssuedBearerToken(t *testing.T) {
	c := newClient(t)
	c.srv.AddUser("auth0|a", nil)
	for _, tok := range []string{"", "forged"} {
		c.token = tok
		if resp, _ := c.user(http.MethodGet, "auth0|a", ""); resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("GET with token %q: status = %d, want 401", tok, resp.StatusCode)
		}
	}
}

func TestUnknownUserIsAuth0s404(t *testing.T) {
	c := newClient(t)
	resp, body := c.user(http.MethodGet, "auth0|nobody", "")
	want := map[string]any{"statusCode": float64(404), "error": "Not Found", "message": "The user does not exist.", "errorCode": "inexistent_user"}
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("status = %d, want 404", resp.StatusCode)
	}
	if diff := cmp.Diff(want, body); diff != "" {
		t.Errorf("body mismatch (-want +got):\n%s", diff)
	}
}

func TestIDsWithSlashesAreRoutedOnTheEscapedPath(t *testing.T) {
	c := newClient(t)
	const id = "samlp|conn/x|a@b.c"
	c.srv.AddUser(id, map[string]any{"email": "a@b.c"})
	resp, body := c.user(http.MethodGet, id, "")
	if resp.StatusCode != http.StatusOK || body["user_id"] != id {
		t.Errorf("GET %q = %d %v, want 200 with user_id %q", id, resp.StatusCode, body, id)
	}
}

// TestPatchFollowsAuth0 checks PATCH semantics from a user holding both metadata objects.
func TestPatchFollowsAuth0(t *testing.T) {
	seed := map[string]any{
		"given_name":    "Ada",
		"user_metadata": map[string]any{"a": "1", "nested": map[string]any{"x": "1", "y": "2"}},
		"app_metadata":  map[string]any{"plan": "free"},
	}
	tests := []struct {
		name       string
		body       string
		wantStatus int
		wantUser   map[string]any // user_metadata afterwards
		wantApp    map[string]any // app_metadata afterwards
	}{
		{"keys merge at the first level", `{"user_metadata":{"b":"2"}}`, 200,
			map[string]any{"a": "1", "b": "2", "nested": map[string]any{"x": "1", "y": "2"}}, map[string]any{"plan": "free"}},
		{"a nested object replaces its key whole", `{"user_metadata":{"nested":{"z":"3"}}}`, 200,
			map[string]any{"a": "1", "nested": map[string]any{"z": "3"}}, map[string]any{"plan": "free"}},
		{"null deletes a key", `{"user_metadata":{"a":null},"app_metadata":{"plan":null}}`, 200,
			map[string]any{"nested": map[string]any{"x": "1", "y": "2"}}, map[string]any{}},
		{"an empty object wipes the metadata", `{"user_metadata":{}}`, 200, nil, map[string]any{"plan": "free"}},
		{"null metadata is refused", `{"user_metadata":null}`, 400,
			map[string]any{"a": "1", "nested": map[string]any{"x": "1", "y": "2"}}, map[string]any{"plan": "free"}},
		{"a key with a dot is refused", `{"user_metadata":{"a.b":"1"}}`, 400,
			map[string]any{"a": "1", "nested": map[string]any{"x": "1", "y": "2"}}, map[string]any{"plan": "free"}},
		{"a nested key with a dollar is refused", `{"user_metadata":{"ok":"1","n":{"$x":"1"}}}`, 400,
			map[string]any{"a": "1", "nested": map[string]any{"x": "1", "y": "2"}}, map[string]any{"plan": "free"}},
		{"a reserved app_metadata key is refused", `{"app_metadata":{"blocked":true}}`, 400,
			map[string]any{"a": "1", "nested": map[string]any{"x": "1", "y": "2"}}, map[string]any{"plan": "free"}},
		{"an unknown root property is refused", `{"logins_count":9}`, 400,
			map[string]any{"a": "1", "nested": map[string]any{"x": "1", "y": "2"}}, map[string]any{"plan": "free"}},
		{"an empty body is refused", `{}`, 400,
			map[string]any{"a": "1", "nested": map[string]any{"x": "1", "y": "2"}}, map[string]any{"plan": "free"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newClient(t)
			c.srv.AddUser("auth0|a", seed)
			resp, body := c.user(http.MethodPatch, "auth0|a", tt.body)
			if resp.StatusCode != tt.wantStatus {
				t.Fatalf("status = %d, want %d: %v", resp.StatusCode, tt.wantStatus, body)
			}
			if tt.wantStatus == http.StatusBadRequest && (body["statusCode"] != float64(400) || body["errorCode"] != "invalid_body") {
				t.Errorf("400 body = %v, want Auth0's error body", body)
			}
			u, _ := c.srv.User("auth0|a")
			if diff := cmp.Diff(tt.wantUser, u["user_metadata"]); tt.wantUser != nil && diff != "" {
				t.Errorf("user_metadata mismatch (-want +got):\n%s", diff)
			}
			if _, ok := u["user_metadata"]; tt.wantUser == nil && ok {
				t.Errorf("user_metadata = %v, want it wiped", u["user_metadata"])
			}
			if diff := cmp.Diff(tt.wantApp, u["app_metadata"]); diff != "" {
				t.Errorf("app_metadata mismatch (-want +got):\n%s", diff)
			}
			if tt.wantStatus == http.StatusOK && body["given_name"] != "Ada" {
				t.Errorf("PATCH response %v is not the full user", body)
			}
		})
	}
}

func TestFaultsAndRateLimitHeaders(t *testing.T) {
	c := newClient(t)
	c.srv.AddUser("auth0|a", nil)
	reset := time.Now().Add(time.Hour).Truncate(time.Second)

	c.srv.Throttle(1, reset)
	resp, body := c.user(http.MethodGet, "auth0|a", "")
	want := map[string]any{"statusCode": float64(429), "error": "Too Many Requests", "message": "Global limit has been reached", "errorCode": "too_many_requests"}
	if diff := cmp.Diff(want, body); resp.StatusCode != http.StatusTooManyRequests || diff != "" {
		t.Errorf("throttled: status %d, body mismatch (-want +got):\n%s", resp.StatusCode, diff)
	}
	if got := resp.Header.Get("X-RateLimit-Reset"); got != strconv.FormatInt(reset.Unix(), 10) {
		t.Errorf("x-ratelimit-reset = %q, want %d", got, reset.Unix())
	}
	if got := resp.Header.Get("X-RateLimit-Remaining"); got != "0" {
		t.Errorf("x-ratelimit-remaining = %q, want 0", got)
	}

	c.srv.FailNext(1, http.StatusServiceUnavailable)
	if resp, _ := c.user(http.MethodPatch, "auth0|a", `{"user_metadata":{"a":"1"}}`); resp.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("failing: status = %d, want 503", resp.StatusCode)
	}
	if u, _ := c.srv.User("auth0|a"); u["user_metadata"] != nil {
		t.Errorf("a failed PATCH changed the user: %v", u)
	}

	resp, _ = c.user(http.MethodGet, "auth0|a", "")
	if resp.StatusCode != http.StatusOK {
		t.Errorf("after the faults: status = %d, want 200", resp.StatusCode)
	}
	for _, h := range []string{"X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset"} {
		if resp.Header.Get(h) == "" {
			t.Errorf("header %s missing", h)
		}
	}
	if diff := cmp.Diff(Counts{Token: 1, Get: 2, Patch: 1}, c.srv.Calls()); diff != "" {
		t.Errorf("calls mismatch (-want +got):\n%s", diff)
	}
}

func TestUserIsACopy(t *testing.T) {
	srv := NewServer()
	defer srv.Close()
	attrs := map[string]any{"user_metadata": map[string]any{"a": "1"}}
	srv.AddUser("auth0|a", attrs)
	attrs["user_metadata"].(map[string]any)["a"] = "changed"
	u, _ := srv.User("auth0|a")
	u["user_metadata"].(map[string]any)["a"] = "changed too"
	again, _ := srv.User("auth0|a")
	if got := again["user_metadata"].(map[string]any)["a"]; got != "1" {
		t.Errorf("user_metadata.a = %v, want 1 (the double must not alias callers' maps)", got)
	}
}
