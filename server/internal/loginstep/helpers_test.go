package loginstep

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"

	"github.com/acme/progressive-profiling/server/internal/engine"
	"github.com/acme/progressive-profiling/server/internal/loginclaims"
	"github.com/acme/progressive-profiling/server/internal/loginstep/steptest"
	"github.com/acme/progressive-profiling/server/internal/store"
)

const (
	testSecret = "shared-secret-of-the-login-step-0123456789"
	tenantHost = "acme.eu.auth0.com"
	ada        = "google-oauth2|ada"
	testState  = "hKFo2SBaWnhWQnhWVm5faHAwNEh5dnBVdjkyRFFfNWc3a3Q5"
)

// t0 is the tests' "now".
var t0 = time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)

const testCatalog = `
branding: {title: Tell us about you, titles: {fr: Parlez-nous de vous}, logo: "https://cdn.example.com/logo.svg", color: "#0b5fff"}
default_max_fields: 10
fields:
  - {key: first_name, label: First name, labels: {fr: Prénom}, type: text, required: true, max_length: 20, known_from: [given_name], priority: 9}
  - {key: last_name, label: Last name, labels: {fr: Nom}, type: text, required: true, max_length: 20, known_from: [family_name], priority: 8}
  - {key: birthday, label: Birthday, type: date, priority: 7}
  - {key: age, label: Age, type: integer, min_value: 0, max_value: 150, priority: 6}
  - {key: newsletter_html, label: HTML emails, type: boolean, priority: 5}
  - {key: role, label: Role, help: What you do, type: choice, options: [{value: dev, label: Developer, labels: {fr: Développeuse}}, {value: ops, label: Operations}], priority: 4}
  - {key: langs, label: Languages, type: multi_choice, options: [{value: go}, {value: js}, {value: sql}], priority: 3}
  - {key: phone, label: Phone, type: phone, priority: 2}
  - {key: plan, type: choice, store: app_metadata, options: [{value: free}, {value: pro}]}
topics:
  - {key: weekly-digest, label: Weekly digest, labels: {fr: Résumé hebdomadaire}, help: Every Monday, contexts: [login]}
  - {key: offers, label: Offers, contexts: [article]}
`

// step is the handler on a test server, with a browser-like client (cookies, no redirects).
type step struct {
	t      *testing.T
	h      *Handler
	srv    *httptest.Server
	client *http.Client
	now    time.Time
}

func newStep(t *testing.T, catalog string) *step {
	t.Helper()
	c, err := engine.ParseCatalog("test.yaml", []byte(catalog))
	if err != nil {
		t.Fatal(err)
	}
	s := &step{t: t, now: t0}
	clock := func() time.Time { return s.now }
	h, err := New(Config{
		Secret: []byte(testSecret), Tenant: &url.URL{Scheme: "https", Host: tenantHost},
		Engine: engine.New(c, clock), Now: clock,
	})
	if err != nil {
		t.Fatal(err)
	}
	s.h = h
	s.srv = httptest.NewServer(h)
	t.Cleanup(s.srv.Close)
	s.client = s.browser()
	return s
}

// browser returns a fresh browser: its own cookie jar.
func (s *step) browser() *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// actionToken signs a token as the Action's api.redirect.encodeToken does, valid 10 minutes
// from t0, with extra overriding or (nil) removing claims.
func actionToken(t *testing.T, secret string, payload map[string]any, extra map[string]any) string {
	t.Helper()
	tok, err := steptest.EncodeToken([]byte(secret), tenantHost, ada, payload, t0, 10*time.Minute, extra)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// ticketClaims are the claims GetLoginPrompt returns for a profile.
func ticketClaims(t testing.TB, p *store.Profile, locale string) map[string]any {
	t.Helper()
	c, err := loginclaims.Ticket{Context: "login", Locale: locale, Profile: p}.Claims()
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// adaProfile: Google gave her first name; she declined nothing and subscribed to nothing.
func adaProfile() *store.Profile {
	return &store.Profile{Attributes: map[string]any{"given_name": "Ada", "logins_count": 2.0}}
}

// response is a page as a browser got it.
type response struct {
	code   int
	header http.Header
	body   string
	doc    *html.Node
}

func (s *step) get(c *http.Client, token, state string) response {
	s.t.Helper()
	q := url.Values{}
	if token != "" {
		q.Set("session_token", token)
	}
	if state != "" {
		q.Set("state", state)
	}
	return s.do(c, http.MethodGet, s.srv.URL+Path+"?"+q.Encode(), nil)
}

func (s *step) post(c *http.Client, form url.Values) response {
	s.t.Helper()
	return s.do(c, http.MethodPost, s.srv.URL+Path, form)
}

func (s *step) do(c *http.Client, method, u string, form url.Values) response {
	s.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, u, body)
	if err != nil {
		s.t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	return s.send(c, req)
}

// send sends req with the browser c and reads the page.
func (s *step) send(c *http.Client, req *http.Request) response {
	s.t.Helper()
	resp, err := c.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	doc, err := html.Parse(strings.NewReader(string(data)))
	if err != nil {
		s.t.Fatal(err)
	}
	return response{code: resp.StatusCode, header: resp.Header, body: string(data), doc: doc}
}

// form returns the values a browser would submit from the page's first form, as shown
// (hidden inputs, text values, checked boxes, selected options), and the form's action.
func (r response) form() (string, url.Values) {
	var action string
	vals := url.Values{}
	var walk func(n *html.Node, inForm bool)
	found := false
	walk = func(n *html.Node, inForm bool) {
		if n.Type == html.ElementNode {
			switch n.Data {
			case "form":
				if found {
					return
				}
				found, inForm, action = true, true, attr(n, "action")
			case "input":
				if inForm && attr(n, "name") != "" {
					switch attr(n, "type") {
					case "checkbox", "radio":
						if hasAttr(n, "checked") {
							vals.Add(attr(n, "name"), attr(n, "value"))
						}
					default:
						vals.Add(attr(n, "name"), attr(n, "value"))
					}
				}
			case "select":
				if inForm {
					for o := n.FirstChild; o != nil; o = o.NextSibling {
						if o.Type == html.ElementNode && o.Data == "option" && hasAttr(o, "selected") {
							vals.Add(attr(n, "name"), attr(o, "value"))
						}
					}
				}
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c, inForm)
		}
	}
	walk(r.doc, false)
	return action, vals
}

// elements returns the elements matching pred, in document order.
func (r response) elements(pred func(*html.Node) bool) []*html.Node {
	var out []*html.Node
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode && pred(n) {
			out = append(out, n)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(r.doc)
	return out
}

// byID returns the element with the id, or nil.
func (r response) byID(id string) *html.Node {
	els := r.elements(func(n *html.Node) bool { return attr(n, "id") == id })
	if len(els) == 0 {
		return nil
	}
	return els[0]
}

// text returns the text inside n, spaces collapsed.
func (r response) text(n *html.Node) string {
	var b strings.Builder
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.TextNode {
			b.WriteString(n.Data)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(n)
	return strings.Join(strings.Fields(b.String()), " ")
}

func attr(n *html.Node, name string) string {
	for _, a := range n.Attr {
		if a.Key == name {
			return a.Val
		}
	}
	return ""
}

func hasAttr(n *html.Node, name string) bool {
	for _, a := range n.Attr {
		if a.Key == name {
			return true
		}
	}
	return false
}

// returned verifies the token a continue page carries, as Auth0's validateToken would, and
// returns its claims and ops.
func returned(t *testing.T, r response, now time.Time) (map[string]any, []loginclaims.Op) {
	t.Helper()
	action, form := r.form()
	if action != "https://"+tenantHost+"/continue" {
		t.Fatalf("continue form posts to %q, want the tenant's /continue (page:\n%s)", action, r.body)
	}
	claims, err := steptest.ValidateToken([]byte(testSecret), form.Get("session_token"), form.Get("state"), now)
	if err != nil {
		t.Fatalf("returned token: %v", err)
	}
	raw, _ := json.Marshal(claims[loginclaims.ChangesClaim].(map[string]any)["ops"])
	var ops []loginclaims.Op
	if err := json.Unmarshal(raw, &ops); err != nil {
		t.Fatal(err)
	}
	return claims, ops
}

// encodeNow signs an Action token valid from now, made unique by seq (a jti claim).
func encodeNow(payload map[string]any, seq int) (string, error) {
	extra := map[string]any{"jti": strconv.Itoa(seq)}
	return steptest.EncodeToken([]byte(testSecret), tenantHost, ada, payload, time.Now(), 10*time.Minute, extra)
}
