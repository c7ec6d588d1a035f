package app

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	profilev1 "github.com/acme/progressive-profiling/gen/profile/v1"
	"github.com/acme/progressive-profiling/server/internal/auth/authtest"
	"github.com/acme/progressive-profiling/server/internal/config"
	"github.com/acme/progressive-profiling/server/internal/loginclaims"
	"github.com/acme/progressive-profiling/server/internal/loginstep"
	"github.com/acme/progressive-profiling/server/internal/loginstep/steptest"
	"github.com/acme/progressive-profiling/server/internal/replicas"
	"github.com/acme/progressive-profiling/server/internal/replicas/redistest"
	"github.com/acme/progressive-profiling/server/internal/store/auth0/auth0test"
)

// TestLoginStepCostsNoManagementAPICall plays a whole login step against the server on the
// Auth0 store: the Action's GetLoginPrompt (REST, as the Action calls it), the form, a
// submission. The Management API double counts every call it gets: none, since the verdict
// and the form come from the profile the Action sends, and the Action (not the service)
// applies the answers.
func TestLoginStepCostsNoManagementAPICall(t *testing.T) {
	iss := authtest.NewIssuer(t)
	mgmt := auth0test.NewServer()
	t.Cleanup(mgmt.Close)
	const user = "google-oauth2|ada"
	mgmt.AddUser(user, map[string]any{"given_name": "Ada", "logins_count": 2.0})
	ts := startServer(t, serverOptions{cfg: func(c *config.Config) {
		c.Store = config.StoreAuth0
		c.Auth0Domain = mgmt.URL()
		c.Auth0ClientID, c.Auth0ClientSecret = auth0test.ClientID, auth0test.ClientSecret
		c.Auth0ReadsPerSecond, c.Auth0ReadBurst, c.Auth0WritesPerSecond, c.Auth0WriteBurst = 100, 100, 100, 100
		c.Auth0Issuer = iss.Issuer()
		c.Auth0Audience = authtest.Audience
		c.LoginStep, c.LoginSecret = true, testLoginSecret
		c.LoginDomain = "acme.eu.auth0.com"
	}})
	before := mgmt.Calls()

	// 1. The Action asks, with the profile Auth0 handed it.
	two := int32(2)
	// 2. It signs the claims (api.redirect.encodeToken) and redirects; the browser loads the form.
	c := (&restClient{base: ts.httpURL, token: iss.ServiceToken(t, "login-action", "read:profiles")})
	browser, tok, page, binding := beginStep(t, c, &profilev1.GetLoginPromptRequest{
		UserId: user, Locale: "en",
		Profile: &profilev1.LoginProfile{Attributes: mustStruct(t, map[string]any{"given_name": "Ada"}), LoginsCount: &two},
	})
	if !strings.Contains(page, `name="f:last_name"`) {
		t.Fatalf("form page without the last name field:\n%s", page)
	}
	// 3. She answers; the page posts the changes back to the tenant's /continue.
	done := fetch(t, browser, http.MethodPost, ts.httpURL+loginstep.Path, url.Values{
		"session_token": {tok}, "state": {"st-1"}, "binding": {binding}, "action": {"save"},
		"f:last_name": {"Lovelace"}, "f:title": {"Engineer"}, "t:weekly-digest": {"yes"},
	})
	back := regexp.MustCompile(`action="https://acme.eu.auth0.com/continue"[\s\S]*name="session_token" value="([^"]+)"`).FindStringSubmatch(done)
	if back == nil {
		t.Fatalf("no return to /continue:\n%s", done)
	}
	claims, err := steptest.ValidateToken([]byte(testLoginSecret), back[1], "st-1", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := json.Marshal(claims[loginclaims.ChangesClaim])
	if !strings.Contains(string(raw), `"Lovelace"`) || !strings.Contains(string(raw), `"weekly-digest"`) {
		t.Errorf("changes = %s, want the last name and the subscription", raw)
	}

	calls := mgmt.Calls()
	gets, patches, tokens := calls.Get-before.Get, calls.Patch-before.Patch, calls.Token-before.Token
	t.Logf("Management API calls for one completed login step: %d GET, %d PATCH, %d token requests", gets, patches, tokens)
	if gets != 0 || patches != 0 || tokens != 0 {
		t.Errorf("a completed login step cost %d GET, %d PATCH and %d token requests, want none", gets, patches, tokens)
	}
	if u, _ := mgmt.User(user); u["user_metadata"] != nil {
		t.Errorf("the service wrote to Auth0 itself: %v; the Action applies the answers", u)
	}
}

// beginStep plays the Action (GetLoginPrompt through c, then encodeToken with state "st-1")
// and a browser loading the form from c's server. It returns the browser, the token, the page
// and the form's browser binding.
func beginStep(t *testing.T, c *restClient, req *profilev1.GetLoginPromptRequest) (browser *http.Client, tok, page, binding string) {
	t.Helper()
	resp, err := c.GetLoginPrompt(context.Background(), req)
	if err != nil || !resp.GetDue() {
		t.Fatalf("GetLoginPrompt = %v, %v; want due", resp, err)
	}
	tok, err = steptest.EncodeToken([]byte(testLoginSecret), "acme.eu.auth0.com", req.GetUserId(), resp.GetSessionTokenClaims().AsMap(), time.Now(), 10*time.Minute, nil)
	if err != nil {
		t.Fatal(err)
	}
	jar, _ := cookiejar.New(nil)
	browser = &http.Client{Jar: jar}
	page = fetch(t, browser, http.MethodGet, c.base+loginstep.Path+"?"+url.Values{"session_token": {tok}, "state": {"st-1"}}.Encode(), nil)
	m := regexp.MustCompile(`name="binding" value="([^"]+)"`).FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("form page without the browser binding:\n%s", page)
	}
	return browser, tok, page, m[1]
}

func fetch(t *testing.T, c *http.Client, method, u string, form url.Values) string {
	t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, _ := http.NewRequest(method, u, body)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("%s %s: %d\n%s", method, u, resp.StatusCode, data)
	}
	return string(data)
}

// TestLoginStepTokenWorksOnceAcrossReplicas completes a step on one replica and replays it on
// another that shares the same Redis: the second replica refuses it as already used.
func TestLoginStepTokenWorksOnceAcrossReplicas(t *testing.T) {
	_, prefix := redistest.Client(t)
	mgmt := auth0test.NewServer()
	t.Cleanup(mgmt.Close)
	replica := func() *testServer {
		return startServer(t, serverOptions{cfg: func(c *config.Config) {
			c.Store = config.StoreAuth0
			c.Auth0Domain = mgmt.URL()
			c.Auth0ClientID, c.Auth0ClientSecret = auth0test.ClientID, auth0test.ClientSecret
			c.RedisURL, c.RedisPrefix, c.RedisLockLease = redistest.URL(), prefix, replicas.MinLease
			c.LoginStep, c.LoginSecret = true, testLoginSecret
			c.LoginDomain = "acme.eu.auth0.com"
		}})
	}
	a, b := replica(), replica()
	const user = "google-oauth2|ada"
	browser, tok, _, binding := beginStep(t, &restClient{base: a.httpURL}, &profilev1.GetLoginPromptRequest{
		UserId: user, Locale: "en", Profile: &profilev1.LoginProfile{Attributes: mustStruct(t, map[string]any{"given_name": "Ada"})},
	})
	form := url.Values{"session_token": {tok}, "state": {"st-1"}, "binding": {binding}, "action": {"save"}, "f:last_name": {"Lovelace"}}
	fetch(t, browser, http.MethodPost, a.httpURL+loginstep.Path, form)

	for _, replay := range []struct{ method, url string }{
		{http.MethodPost, b.httpURL + loginstep.Path},
		{http.MethodGet, b.httpURL + loginstep.Path + "?" + url.Values{"session_token": {tok}, "state": {"st-1"}}.Encode()},
	} {
		var body io.Reader
		if replay.method == http.MethodPost {
			body = strings.NewReader(form.Encode())
		}
		req, _ := http.NewRequest(replay.method, replay.url, body)
		if body != nil {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
		r, err := browser.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		data, _ := io.ReadAll(r.Body)
		r.Body.Close()
		if r.StatusCode != http.StatusConflict || strings.Contains(string(data), "/continue\"") && strings.Contains(string(data), `name="session_token"`) {
			t.Errorf("%s of the used token on the other replica: %d, want 409 and no return token\n%s", replay.method, r.StatusCode, data)
		}
	}
}
