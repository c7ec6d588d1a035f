package loginstep

import (
	"context"
	"errors"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/net/html"

	"github.com/acme/progressive-profiling/server/internal/engine"
	"github.com/acme/progressive-profiling/server/internal/loginclaims"
	"github.com/acme/progressive-profiling/server/internal/store"
)

// TestFormAsksThePromptInTheUserLocale: the form holds the prompt's fields (not those already
// known, nor app_metadata ones), each with the input of its type, labelled, in French, plus the
// topics offered at login; the page has strict security headers and no script.
func TestFormAsksThePromptInTheUserLocale(t *testing.T) {
	s := newStep(t, testCatalog)
	tok := actionToken(t, testSecret, ticketClaims(t, adaProfile(), "fr-CA"), nil)
	r := s.get(s.client, tok, testState)
	if r.code != http.StatusOK {
		t.Fatalf("GET: %d\n%s", r.code, r.body)
	}
	want := map[string]string{
		"field-0": "text", // last_name (first_name is known from given_name)
		"field-1": "date", "field-2": "number", "field-3-0": "radio", "field-4": "select",
		"field-5-0": "checkbox", "field-6": "tel", "topic-0": "checkbox",
	}
	for id, typ := range want {
		n := r.byID(id)
		if n == nil {
			t.Errorf("no element %s", id)
			continue
		}
		if got := attr(n, "type"); n.Data != "select" && got != typ {
			t.Errorf("%s: type %q, want %q", id, got, typ)
		}
	}
	labels := map[string]string{}
	for _, l := range r.elements(func(n *html.Node) bool { return n.Data == "label" }) {
		labels[attr(l, "for")] = r.text(l)
	}
	if labels["field-0"] != "Nom" || labels["topic-0"] != "Résumé hebdomadaire" || labels["field-4"] != "Role (facultatif)" {
		t.Errorf("labels = %v, want French labels tied to their inputs", labels)
	}
	if n := r.byID("field-4"); attr(n, "aria-describedby") != "field-4-help" || r.text(r.byID("field-4-help")) != "What you do" {
		t.Errorf("help of the select is not tied to it: %v", n.Attr)
	}
	if n := r.byID("field-0"); !hasAttr(n, "required") || attr(n, "maxlength") != "20" || attr(n, "autocomplete") != "family-name" {
		t.Errorf("last_name input attributes = %v, want required, maxlength 20, autocomplete family-name", n.Attr)
	}
	if r.body == "" || strings.Contains(r.body, "plan") || strings.Contains(r.body, "Offers") {
		t.Errorf("the form shows an app_metadata field or a topic not offered at login")
	}
	if got := r.elements(func(n *html.Node) bool { return n.Data == "html" }); attr(got[0], "lang") != "fr" {
		t.Errorf("html lang = %q, want fr", attr(got[0], "lang"))
	}
	if h1 := r.elements(func(n *html.Node) bool { return n.Data == "h1" }); r.text(h1[0]) != "Parlez-nous de vous" {
		t.Errorf("title = %q, want the catalog's French title", r.text(h1[0]))
	}
	if len(r.elements(func(n *html.Node) bool { return n.Data == "script" })) != 0 {
		t.Error("the form page has a script; it must work without JavaScript")
	}
	checkSecurityHeaders(t, r, false, "form-action 'self'")
	if !strings.Contains(r.body, "--accent: #0b5fff") || attr(r.elements(func(n *html.Node) bool { return n.Data == "img" })[0], "src") != "https://cdn.example.com/logo.svg" {
		t.Error("the catalog's colour and logo are not on the page")
	}
	action, form := r.form()
	if action != Path || form.Get("session_token") != tok || form.Get("state") != testState || form.Get("binding") == "" {
		t.Errorf("form posts to %q with %v; want %s with the token, the state and the binding", action, form, Path)
	}
}

// checkSecurityHeaders checks the headers of every page; forms is the page's CSP form-action
// directive, "" for none at all.
func checkSecurityHeaders(t *testing.T, r response, script bool, forms string) {
	t.Helper()
	csp := r.header.Get("Content-Security-Policy")
	for _, want := range []string{"default-src 'none'", "frame-ancestors 'none'", "base-uri 'none'", "img-src https://cdn.example.com"} {
		if !strings.Contains(csp, want) {
			t.Errorf("CSP %q lacks %q", csp, want)
		}
	}
	directives := strings.Split(csp, "; ")
	got := ""
	for _, d := range directives {
		if strings.HasPrefix(d, "form-action") {
			got = d
		}
	}
	if got != forms {
		t.Errorf("CSP %q: form-action directive %q, want %q", csp, got, forms)
	}
	if strings.Contains(csp, "unsafe-inline") || strings.Contains(csp, "unsafe-eval") {
		t.Errorf("CSP allows inline code: %q", csp)
	}
	if hasScript := !strings.Contains(csp, "script-src 'none'"); hasScript != script {
		t.Errorf("CSP %q: scripts allowed %v, want %v", csp, hasScript, script)
	}
	for k, want := range map[string]string{"Referrer-Policy": "no-referrer", "X-Content-Type-Options": "nosniff", "Cache-Control": "no-store", "X-Frame-Options": "DENY"} {
		if got := r.header.Get(k); got != want {
			t.Errorf("%s = %q, want %q", k, got, want)
		}
	}
}

// TestValidationErrorsShowNextToTheirFields: the engine's errors appear by their fields, linked
// with aria-describedby and from a summary, focus goes to the first, entered values are kept,
// and the token still works for the corrected form.
func TestValidationErrorsShowNextToTheirFields(t *testing.T) {
	s := newStep(t, testCatalog)
	tok := actionToken(t, testSecret, ticketClaims(t, adaProfile(), "en"), nil)
	_, form := s.get(s.client, tok, testState).form()
	form.Set("f:last_name", "")                // required
	form.Set("f:age", "forty")                 // not a number
	form.Set("f:birthday", "2026-02-30")       // not a real date
	form.Set("f:phone", "+33 1 23 45 67 89")   // fine
	form.Set("f:role", "<b>root</b>")          // not an option
	form.Set(topicPrefix+"weekly-digest", "y") // ticked
	form.Set("action", actionSave)
	r := s.post(s.client, form)
	if r.code != http.StatusUnprocessableEntity {
		t.Fatalf("POST invalid: %d, want 422\n%s", r.code, r.body)
	}
	for id, want := range map[string]string{
		"field-0-error": "Last name is required",
		"field-1-error": "Birthday is not a real date",
		"field-2-error": "Age must be an integer",
		"field-4-error": `Role "<b>root</b>" is not one of the options: "dev", "ops"`,
	} {
		n := r.byID(id)
		if n == nil || r.text(n) != want {
			t.Errorf("%s = %q, want %q", id, textOrNil(r, n), want)
		}
		input := r.byID(strings.TrimSuffix(id, "-error"))
		if !strings.Contains(attr(input, "aria-describedby"), id) || attr(input, "aria-invalid") != "true" {
			t.Errorf("input of %s: %v, want aria-describedby naming the error and aria-invalid", id, input.Attr)
		}
	}
	if !hasAttr(r.byID("field-0"), "autofocus") || len(r.elements(func(n *html.Node) bool { return hasAttr(n, "autofocus") })) != 1 {
		t.Error("focus is not on the first field in error, alone")
	}
	links := r.elements(func(n *html.Node) bool { return n.Data == "a" })
	if len(links) != 4 || attr(links[0], "href") != "#field-0" {
		t.Errorf("error summary links = %d, first %q; want 4, the first to #field-0", len(links), attr(links[0], "href"))
	}
	if title := r.text(r.elements(func(n *html.Node) bool { return n.Data == "title" })[0]); !strings.HasPrefix(title, "Error:") {
		t.Errorf("title %q does not say there is an error", title)
	}
	_, kept := r.form()
	for _, k := range []string{"f:age", "f:birthday", "f:phone", topicPrefix + "weekly-digest"} {
		if kept.Get(k) == "" || (k != topicPrefix+"weekly-digest" && kept.Get(k) != form.Get(k)) {
			t.Errorf("value of %s not kept: %q, entered %q", k, kept.Get(k), form.Get(k))
		}
	}
	if strings.Contains(r.body, "<b>root</b>") {
		t.Error("a submitted value is echoed unescaped")
	}
	// Corrected, with the same token.
	kept.Set("f:last_name", "Lovelace")
	kept.Set("f:age", "36")
	kept.Set("f:birthday", "1815-12-10")
	kept.Set("f:role", "dev")
	kept.Set("action", actionSave)
	ok := s.post(s.client, kept)
	if ok.code != http.StatusOK {
		t.Fatalf("corrected POST: %d\n%s", ok.code, ok.body)
	}
	// The continue page sets no form-action: Auth0 answers the POST to /continue with redirects
	// to the application's callback, which browsers check against form-action.
	checkSecurityHeaders(t, ok, true, "")
	claims, ops := returned(t, ok, t0)
	if claims["sub"] != ada || claims["state"] != testState {
		t.Errorf("return token sub %v, state %v; want %s, %s", claims["sub"], claims["state"], ada, testState)
	}
	exp, _ := claims["exp"].(float64)
	if time.Unix(int64(exp), 0).Sub(t0) != DefaultTokenTTL {
		t.Errorf("return token exp in %v, want %v", time.Unix(int64(exp), 0).Sub(t0), DefaultTokenTTL)
	}
	declinedAt := t0.Format(time.RFC3339) // also the subscription time
	want := []loginclaims.Op{
		{Op: "set", In: "user_metadata", Path: []string{"age"}, Value: 36.0},
		{Op: "set", In: "user_metadata", Path: []string{"birthday"}, Value: "1815-12-10"},
		{Op: "set", In: "user_metadata", Path: []string{"last_name"}, Value: "Lovelace"},
		{Op: "set", In: "user_metadata", Path: []string{"phone"}, Value: "+33123456789"},
		{Op: "set", In: "user_metadata", Path: []string{"role"}, Value: "dev"},
		{Op: "set", In: "user_metadata", Path: []string{"subscribed", "weekly-digest", "since"}, Value: declinedAt},
		{Op: "set", In: "user_metadata", Path: []string{"subscribed", "weekly-digest", "source"}, Value: "login"},
		// Optional fields left empty are declined, so that the next login does not ask again.
		{Op: "set", In: "app_metadata", Path: []string{"profiling_declines", "fields", "langs"}, Value: declinedAt},
		{Op: "set", In: "app_metadata", Path: []string{"profiling_declines", "fields", "newsletter_html"}, Value: declinedAt},
	}
	if diff := cmp.Diff(want, ops); diff != "" {
		t.Errorf("ops (-want +got):\n%s", diff)
	}
}

func textOrNil(r response, n *html.Node) string {
	if n == nil {
		return "<missing>"
	}
	return r.text(n)
}

// TestNotNowDeclinesWhatWasShown: "Not now" records a decline of every field and topic shown
// (with the time, kept in app_metadata) and nothing else, even with values typed in.
func TestNotNowDeclinesWhatWasShown(t *testing.T) {
	s := newStep(t, testCatalog)
	p := adaProfile()
	p.AppMetadata = map[string]any{"profiling_declines": map[string]any{"fields": map[string]any{"role": "2026-11-20T00:00:00Z"}}}
	tok := actionToken(t, testSecret, ticketClaims(t, p, ""), nil)
	_, form := s.get(s.client, tok, testState).form()
	form.Set("f:last_name", "Lovelace")
	form.Set("action", actionSkip)
	r := s.post(s.client, form)
	if r.code != http.StatusOK {
		t.Fatalf("POST skip: %d\n%s", r.code, r.body)
	}
	_, ops := returned(t, r, t0)
	now := t0.Format(time.RFC3339)
	want := []loginclaims.Op{
		{Op: "set", In: "app_metadata", Path: []string{"profiling_declines", "fields", "age"}, Value: now},
		{Op: "set", In: "app_metadata", Path: []string{"profiling_declines", "fields", "birthday"}, Value: now},
		{Op: "set", In: "app_metadata", Path: []string{"profiling_declines", "fields", "langs"}, Value: now},
		{Op: "set", In: "app_metadata", Path: []string{"profiling_declines", "fields", "last_name"}, Value: now},
		{Op: "set", In: "app_metadata", Path: []string{"profiling_declines", "fields", "newsletter_html"}, Value: now},
		{Op: "set", In: "app_metadata", Path: []string{"profiling_declines", "fields", "phone"}, Value: now},
		{Op: "set", In: "app_metadata", Path: []string{"profiling_declines", "topics", "weekly-digest"}, Value: now},
	}
	if diff := cmp.Diff(want, ops); diff != "" {
		t.Errorf("ops (-want +got):\n%s", diff)
	}
}

// TestEachTokenWorksOnce: after a completed step, the same token shows an error page on GET and
// on a second POST, and no second return token is issued.
func TestEachTokenWorksOnce(t *testing.T) {
	s, tok, form := completedStep(t)
	again := s.post(s.client, form)
	invalid := maps.Clone(form)
	invalid.Set("action", actionSave)
	invalid.Set("f:last_name", "") // required: would show the form with an error
	againInvalid := s.post(s.client, invalid)
	reload := s.get(s.client, tok, testState)
	for name, r := range map[string]response{"second POST": again, "second POST with invalid answers": againInvalid, "GET after use": reload} {
		if r.code != http.StatusConflict || strings.Contains(r.body, "/continue") || !strings.Contains(r.body, "already completed") {
			t.Errorf("%s: %d, want 409 with an error page and no way to /continue\n%s", name, r.code, r.body)
		}
		checkSecurityHeaders(t, r, false, "form-action 'none'")
	}
}

// TestARespelledTokenIsTheSameToken: the spellings of one token that still verify (spaces
// around it, another last character or padding in its base64url signature) are that token:
// once it is used, each of them gets the error page, never the form or a return token.
func TestARespelledTokenIsTheSameToken(t *testing.T) {
	s, tok, form := completedStep(t)
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	// An HS256 signature is 32 bytes: 43 characters, whose last holds 2 unused bits.
	last := strings.IndexByte(alphabet, tok[len(tok)-1])
	respelled := map[string]string{
		"unused bits set": tok[:len(tok)-1] + string(alphabet[last^1]),
		"padding":         tok + "=",
		"spaces around":   " " + tok + " ",
	}
	verified := 0
	for name, alt := range respelled {
		if alt == tok {
			t.Fatalf("%s: not a respelling", name)
		}
		if _, err := s.h.verify(alt); err != nil {
			continue // refused outright: fine too
		}
		verified++
		if r := s.get(s.client, alt, testState); r.code != http.StatusConflict || r.byID("field-0") != nil {
			t.Errorf("GET with the used token, %s: %d, want 409 without the form", name, r.code)
		}
		again := maps.Clone(form)
		again.Set("session_token", alt)
		if r := s.post(s.client, again); r.code == http.StatusOK || strings.Contains(r.body, "/continue") {
			t.Errorf("POST with the used token, %s: %d, want no return token\n%s", name, r.code, r.body)
		}
	}
	if verified == 0 {
		t.Fatal("no respelling verifies: the test no longer tries what it is about")
	}
}

// completedStep is a step whose token was used by a completed POST ("Not now"): the step, the
// token and the form that completed it.
func completedStep(t *testing.T) (*step, string, url.Values) {
	t.Helper()
	s := newStep(t, testCatalog)
	tok := actionToken(t, testSecret, ticketClaims(t, adaProfile(), ""), nil)
	_, form := s.get(s.client, tok, testState).form()
	form.Set("action", actionSkip)
	if r := s.post(s.client, form); r.code != http.StatusOK {
		t.Fatalf("first POST: %d", r.code)
	}
	return s, tok, form
}

// TestFormIsBoundToTheBrowserAndToken: a POST without the browser's cookie (another site, or
// another browser), with another token, or a forged binding is refused and issues nothing.
func TestFormIsBoundToTheBrowserAndToken(t *testing.T) {
	s := newStep(t, testCatalog)
	adaTok := actionToken(t, testSecret, ticketClaims(t, adaProfile(), ""), nil)
	_, adaForm := s.get(s.client, adaTok, testState).form()
	adaForm.Set("action", actionSkip)
	// Eve loads her own step in her own browser.
	eve := s.browser()
	eveTok := actionToken(t, testSecret, ticketClaims(t, adaProfile(), ""), map[string]any{"sub": "auth0|eve"})
	_, eveForm := s.get(eve, eveTok, "eve-state").form()

	swapped := url.Values{}
	for k, v := range adaForm {
		swapped[k] = v
	}
	swapped.Set("session_token", eveTok) // Ada's form and binding with Eve's token
	forged := url.Values{}
	for k, v := range eveForm {
		forged[k] = v
	}
	forged.Set("session_token", adaTok) // Eve's browser and binding with Ada's token
	forged.Set("action", actionSkip)
	noBinding := url.Values{}
	for k, v := range adaForm {
		noBinding[k] = v
	}
	noBinding.Del("binding")
	for _, tt := range []struct {
		name   string
		client *http.Client
		form   url.Values
	}{
		{"another browser (no cookie)", s.browser(), adaForm},
		{"the binding of another token", s.client, swapped},
		{"someone else's token in one's own browser", eve, forged},
		{"no binding", s.client, noBinding},
	} {
		r := s.post(tt.client, tt.form)
		if r.code != http.StatusForbidden || strings.Contains(r.body, "session_token") {
			t.Errorf("%s: %d, want 403 and no token\n%s", tt.name, r.code, r.body)
		}
	}
	// Ada's own form still works afterwards: the refusals used nothing up.
	if r := s.post(s.client, adaForm); r.code != http.StatusOK {
		t.Errorf("Ada's own POST after the refusals: %d", r.code)
	}
}

// TestBadTokensAreRefused: anything but an HS256 token signed with the secret, unexpired,
// issued by the login domain, naming a user and carrying a valid ticket gets an error page,
// which offers to go back to /continue with the state alone (the login goes on, nothing is
// applied) and never shows the form.
func TestBadTokensAreRefused(t *testing.T) {
	s := newStep(t, testCatalog)
	claims := ticketClaims(t, adaProfile(), "")
	valid := actionToken(t, testSecret, claims, nil)
	parts := strings.Split(valid, ".")
	tokens := map[string]string{
		"no token":             "",
		"wrong secret":         actionToken(t, "another-secret-of-enough-length-000000", claims, nil),
		"expired":              actionToken(t, testSecret, claims, map[string]any{"exp": t0.Add(-time.Minute).Unix()}),
		"not yet valid":        actionToken(t, testSecret, claims, map[string]any{"nbf": t0.Add(time.Hour).Unix()}),
		"issued in future":     actionToken(t, testSecret, claims, map[string]any{"iat": t0.Add(time.Hour).Unix()}),
		"no exp":               actionToken(t, testSecret, claims, map[string]any{"exp": nil}),
		"wrong iss":            actionToken(t, testSecret, claims, map[string]any{"iss": "evil.example.com"}),
		"iss of another URL":   actionToken(t, testSecret, claims, map[string]any{"iss": "https://" + tenantHost + ".evil.example/"}),
		"iss as http URL":      actionToken(t, testSecret, claims, map[string]any{"iss": "http://" + tenantHost + "/"}),
		"no iss":               actionToken(t, testSecret, claims, map[string]any{"iss": nil}),
		"no sub":               actionToken(t, testSecret, claims, map[string]any{"sub": nil}),
		"empty sub":            actionToken(t, testSecret, claims, map[string]any{"sub": ""}),
		"no ticket":            actionToken(t, testSecret, nil, nil),
		"ticket of v2":         actionToken(t, testSecret, map[string]any{loginclaims.TicketClaim: map[string]any{"v": 2, "context": "login"}}, nil),
		"alg none":             unsignedToken(parts[1]),
		"HS512":                hs512(t, claims),
		"tampered payload":     parts[0] + "." + tamper(parts[1]) + "." + parts[2],
		"oversized":            strings.Repeat("a", maxTokenBytes+1),
		"garbage":              "not.a.jwt",
		"JSON serialization":   `{"payload":"` + parts[1] + `","signatures":[]}`,
		"valid token, bad sig": parts[0] + "." + parts[1] + "." + strings.Repeat("A", len(parts[2])),
	}
	for name, tok := range tokens {
		r := s.get(s.client, tok, testState)
		if r.code != http.StatusBadRequest || r.byID("field-0") != nil {
			t.Errorf("%s: %d, want 400 without the form", name, r.code)
			continue
		}
		action, form := r.form()
		if action != "https://"+tenantHost+"/continue" || form.Get("state") != testState || form.Has("session_token") {
			t.Errorf("%s: error page form posts %v to %q, want the state alone to the tenant's /continue", name, form, action)
		}
		checkSecurityHeaders(t, r, false, "")
	}
	if r := s.get(s.client, valid, ""); r.code != http.StatusBadRequest || r.byID("field-0") != nil {
		t.Errorf("valid token without state: %d, want 400", r.code)
	}
	if r := s.get(s.client, "", ""); r.code != http.StatusBadRequest || strings.Contains(r.body, "/continue") {
		t.Errorf("no token nor state: %d, want 400 without a way to /continue", r.code)
	}
}

func unsignedToken(payload string) string {
	return "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0." + payload + "."
}

func tamper(payload string) string {
	b := []byte(payload)
	if b[10] == 'A' {
		b[10] = 'B'
	} else {
		b[10] = 'A'
	}
	return string(b)
}

// TestIssuerForms: the tenant's host name (Auth0's documented iss), its https URL, and the other
// hosts configured (a canonical domain behind a custom one) are accepted.
func TestIssuerForms(t *testing.T) {
	c, _ := engine.ParseCatalog("test.yaml", []byte(testCatalog))
	clock := func() time.Time { return t0 }
	h, err := New(Config{Secret: []byte(testSecret), Tenant: &url.URL{Scheme: "https", Host: "login.acme.com"}, OtherIssuers: []string{tenantHost}, Engine: engine.New(c, clock), Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	claims := ticketClaims(t, adaProfile(), "")
	for iss, ok := range map[string]bool{
		"login.acme.com": true, "https://login.acme.com/": true, tenantHost: true, "https://" + tenantHost + "/": true,
		"other.auth0.com": false, "https://login.acme.com": false, "": false,
	} {
		_, err := h.verify(actionToken(t, testSecret, claims, map[string]any{"iss": iss}))
		if (err == nil) != ok {
			t.Errorf("iss %q: error %v, want accepted %v", iss, err, ok)
		}
	}
}

// TestTheOnlyRedirectTargetIsTheTenant: neither the token (a continue_uri claim, as Auth0's
// example adds), nor the Host header, nor the query changes where the browser is sent or what
// the returned token says.
func TestTheOnlyRedirectTargetIsTheTenant(t *testing.T) {
	s := newStep(t, testCatalog)
	claims := ticketClaims(t, adaProfile(), "")
	claims["continue_uri"] = "https://evil.example.com/continue"
	tok := actionToken(t, testSecret, claims, nil)
	withHost := func(host, method, target string, form url.Values) response {
		var body io.Reader
		if form != nil {
			body = strings.NewReader(form.Encode())
		}
		req, _ := http.NewRequest(method, target, body)
		if form != nil {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
		req.Host = host
		return s.send(s.client, req)
	}
	query := url.Values{"session_token": {tok}, "state": {testState}, "redirect_uri": {"https://evil.example.com/"}}.Encode()
	evil := withHost("evil.example.com", http.MethodGet, s.srv.URL+Path+"?"+query, nil)
	if action, _ := evil.form(); evil.code != http.StatusOK || action != Path {
		t.Errorf("GET with another Host: %d, form posts to %q; want 200 and %s", evil.code, action, Path)
	}
	// The whole step under another (loopback, so that the test's plain-HTTP cookie works) Host.
	const other = "localhost:9"
	_, form := withHost(other, http.MethodGet, s.srv.URL+Path+"?"+query, nil).form()
	form.Set("action", actionSkip)
	r := withHost(other, http.MethodPost, s.srv.URL+Path, form)
	got, _ := returned(t, r, t0) // fails unless the form posts to https://acme.eu.auth0.com/continue
	if got["iss"] != ReturnIssuer {
		t.Errorf("returned token iss = %v, want %s whatever the Host header", got["iss"], ReturnIssuer)
	}
	for _, p := range []response{evil, r} {
		if strings.Contains(p.body, "evil.example.com") || strings.Contains(p.body, other) || strings.Contains(p.header.Get("Content-Security-Policy"), "evil") {
			t.Errorf("a page names another host:\n%s", p.body)
		}
	}
}

// TestNothingLeftToAskGoesOnAtOnce: when the ticket's profile needs nothing (it changed since
// the Action looked), the step returns to /continue with no changes.
func TestNothingLeftToAskGoesOnAtOnce(t *testing.T) {
	s := newStep(t, `
fields:
  - {key: first_name, type: text, known_from: [given_name]}
`)
	tok := actionToken(t, testSecret, ticketClaims(t, &store.Profile{Attributes: map[string]any{"given_name": "Ada"}}, ""), nil)
	// A HEAD first (a link checker): headers only, and the token stays unused.
	head := s.do(s.client, http.MethodHead, s.srv.URL+Path+"?"+url.Values{"session_token": {tok}, "state": {testState}}.Encode(), nil)
	if head.code != http.StatusOK || head.body != "" {
		t.Errorf("HEAD: %d with %d bytes, want 200 and no body", head.code, len(head.body))
	}
	r := s.get(s.client, tok, testState)
	if r.code != http.StatusOK {
		t.Fatalf("GET: %d", r.code)
	}
	if _, ops := returned(t, r, t0); len(ops) != 0 {
		t.Errorf("ops = %v, want none", ops)
	}
	if again := s.get(s.client, tok, testState); again.code != http.StatusConflict {
		t.Errorf("the same token again: %d, want 409 (it works once)", again.code)
	}
}

// TestOtherMethodsAreRefused: the step answers GET, HEAD and POST only.
func TestOtherMethodsAreRefused(t *testing.T) {
	s := newStep(t, testCatalog)
	r := s.do(s.client, http.MethodPut, s.srv.URL+Path, url.Values{})
	if r.code != http.StatusMethodNotAllowed || r.header.Get("Allow") == "" {
		t.Errorf("PUT: %d, Allow %q; want 405 with Allow", r.code, r.header.Get("Allow"))
	}
	head := s.do(s.client, http.MethodHead, s.srv.URL+Path, nil)
	if head.code != http.StatusBadRequest || head.body != "" {
		t.Errorf("HEAD without a token: %d with %d bytes, want 400 and no body", head.code, len(head.body))
	}
}

// TestTamperedFormsChangeOnlyWhatWasAsked: fields and topics not in the prompt are ignored, an
// app_metadata field cannot be written through the form.
func TestTamperedFormsChangeOnlyWhatWasAsked(t *testing.T) {
	s := newStep(t, testCatalog)
	tok := actionToken(t, testSecret, ticketClaims(t, adaProfile(), ""), nil)
	_, form := s.get(s.client, tok, testState).form()
	form.Set("f:last_name", "Lovelace")
	form.Set("f:plan", "pro")        // app_metadata: never asked of users
	form.Set("f:first_name", "Eve")  // known, so not asked
	form.Set("t:offers", "yes")      // not offered at login
	form.Set("f:unknown_field", "x") // not in the catalog
	form.Set("action", actionSave)
	r := s.post(s.client, form)
	if r.code != http.StatusOK {
		t.Fatalf("POST: %d\n%s", r.code, r.body)
	}
	_, ops := returned(t, r, t0)
	for _, op := range ops {
		p := strings.Join(op.Path, ".")
		if strings.Contains(p, "plan") || strings.Contains(p, "first_name") || strings.Contains(p, "offers") || strings.Contains(p, "unknown") {
			t.Errorf("op %+v changes something that was not asked", op)
		}
	}
}

// TestConcurrentSubmitsGetOneReturnToken: two submissions of one form at once (a double click,
// two tabs) give one return token between them.
func TestConcurrentSubmitsGetOneReturnToken(t *testing.T) {
	s := newStep(t, testCatalog)
	tok := actionToken(t, testSecret, ticketClaims(t, adaProfile(), ""), nil)
	_, form := s.get(s.client, tok, testState).form()
	form.Set("action", actionSkip)
	codes := make(chan int, 8)
	for range cap(codes) {
		go func() { codes <- s.post(s.client, form).code }()
	}
	ok := 0
	for range cap(codes) {
		switch c := <-codes; c {
		case http.StatusOK:
			ok++
		case http.StatusConflict:
		default:
			t.Errorf("concurrent POST: %d", c)
		}
	}
	if ok != 1 {
		t.Errorf("%d concurrent submissions succeeded, want exactly 1", ok)
	}
}

// failingOnce stands for a shared record that cannot be reached.
type failingOnce struct{}

func (failingOnce) Use(context.Context, string, time.Duration) (bool, error) {
	return false, errors.New("record unreachable")
}
func (failingOnce) Used(context.Context, string) (bool, error) { return false, nil }

// TestUnreachableOnceRecordIssuesNothing: when the record of used tokens fails, no return token
// is issued (it could not be made single-use) and the user is told to try again.
func TestUnreachableOnceRecordIssuesNothing(t *testing.T) {
	s := newStep(t, testCatalog)
	c, _ := engine.ParseCatalog("test.yaml", []byte(testCatalog))
	h, err := New(Config{Secret: []byte(testSecret), Tenant: &url.URL{Scheme: "https", Host: tenantHost}, Engine: engine.New(c, func() time.Time { return t0 }), Now: func() time.Time { return t0 }, Once: failingOnce{}})
	if err != nil {
		t.Fatal(err)
	}
	s.srv.Config.Handler = h
	tok := actionToken(t, testSecret, ticketClaims(t, adaProfile(), ""), nil)
	_, form := s.get(s.client, tok, testState).form()
	form.Set("action", actionSkip)
	if r := s.post(s.client, form); r.code != http.StatusServiceUnavailable || strings.Contains(r.body, "/continue") {
		t.Errorf("POST with the record unreachable: %d, want 503 and no return token\n%s", r.code, r.body)
	}
}

// TestTheBrowserCookieIsSecure: the form's nonce cookie is __Host- prefixed, Secure, HttpOnly
// and SameSite=Strict, but on plain HTTP to a loopback host (a local demo), where a browser would
// drop a Secure cookie.
func TestTheBrowserCookieIsSecure(t *testing.T) {
	s := newStep(t, testCatalog)
	tok := actionToken(t, testSecret, ticketClaims(t, adaProfile(), ""), nil)
	target := Path + "?" + url.Values{"session_token": {tok}, "state": {testState}}.Encode()
	for host, secure := range map[string]bool{
		"profiles.example.com": true, "profiles.example.com:8443": true, "": true,
		"127.0.0.1:8080": false, "localhost": false, "[::1]": false, "[::1]:8080": false,
	} {
		req := httptest.NewRequest(http.MethodGet, target, nil)
		req.Host = host
		rec := httptest.NewRecorder()
		s.h.ServeHTTP(rec, req)
		cookies := rec.Result().Cookies()
		if rec.Code != http.StatusOK || len(cookies) != 1 {
			t.Fatalf("Host %q: %d with %d cookies, want 200 and one", host, rec.Code, len(cookies))
		}
		c := cookies[0]
		wantName := cookieName
		if secure {
			wantName = secureCookieName
		}
		if c.Name != wantName || c.Secure != secure || !c.HttpOnly || c.SameSite != http.SameSiteStrictMode || c.Path != "/" || c.Domain != "" {
			t.Errorf("Host %q: cookie %s (Secure %v, HttpOnly %v, SameSite %v, Path %q, Domain %q); want %s, Secure %v, HttpOnly, Strict, Path /, no Domain",
				host, c.Name, c.Secure, c.HttpOnly, c.SameSite, c.Path, c.Domain, wantName, secure)
		}
	}
}
