package loginstep

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"html/template"
	"log/slog"
	"net/http"
	"net/url"
	"time"

	"github.com/acme/progressive-profiling/server/internal/engine"
	"github.com/acme/progressive-profiling/server/internal/loginclaims"
	"github.com/acme/progressive-profiling/server/internal/store"
)

// Path is where the step is served, on the service's HTTP port.
const Path = "/login/profile"

// DefaultTokenTTL is the lifetime of the token sent back to /continue when Config sets none.
const DefaultTokenTTL = 2 * time.Minute

// maxFormBytes bounds a POST body: the token, the state and a few answers.
const maxFormBytes = 64 << 10

// Config configures the step.
type Config struct {
	// Secret is shared with the Auth0 Action: it checks the Action's tokens and signs the ones
	// sent back. At least 32 bytes.
	Secret []byte
	// Tenant is the base URL of the domain users log in on (https://acme.eu.auth0.com): its
	// host is the iss of the Action's tokens, and Tenant/continue the only place the step sends
	// browsers to.
	Tenant *url.URL
	// OtherIssuers lists more host names accepted as iss, such as the tenant's canonical domain
	// when users log in on a custom domain.
	OtherIssuers []string
	// TokenTTL is the lifetime of the token sent back to /continue; 0 means DefaultTokenTTL.
	TokenTTL time.Duration
	// Engine asks and validates, with the catalog's rules.
	Engine *engine.Engine
	// Once makes each token work once; nil means NewMemoryOnce (one replica).
	Once Once
	// Logger receives why requests were refused (never a token); nil discards.
	Logger *slog.Logger
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Handler serves GET and POST on Path.
type Handler struct {
	secret, csrfKey []byte
	issuers         map[string]bool
	continueURL     string
	ttl             time.Duration
	engine          *engine.Engine
	once            Once
	logger          *slog.Logger
	now             func() time.Time
	branding        engine.Branding
}

// New returns the step's handler.
func New(cfg Config) (*Handler, error) {
	if len(cfg.Secret) < 32 {
		return nil, errors.New("loginstep: the secret must be at least 32 bytes")
	}
	if cfg.Tenant == nil || cfg.Tenant.Host == "" || cfg.Engine == nil {
		return nil, errors.New("loginstep: Tenant and Engine are required")
	}
	h := &Handler{
		secret: cfg.Secret, csrfKey: csrfKey(cfg.Secret),
		issuers:     acceptedIssuers(append([]string{cfg.Tenant.Host}, cfg.OtherIssuers...)),
		continueURL: cfg.Tenant.Scheme + "://" + cfg.Tenant.Host + "/continue",
		ttl:         cfg.TokenTTL, engine: cfg.Engine, once: cfg.Once, logger: cfg.Logger, now: cfg.Now,
		branding: cfg.Engine.Catalog().Branding,
	}
	if h.ttl <= 0 {
		h.ttl = DefaultTokenTTL
	}
	if h.now == nil {
		h.now = time.Now
	}
	if h.once == nil {
		h.once = NewMemoryOnce(h.now)
	}
	if h.logger == nil {
		h.logger = slog.New(slog.DiscardHandler)
	}
	return h, nil
}

// acceptedIssuers returns the iss values of the tenant's hosts: Auth0 documents the host name
// ("acme.eu.auth0.com"); its URL form ("https://acme.eu.auth0.com/"), as in access tokens, names
// the same tenant and is accepted too.
func acceptedIssuers(hosts []string) map[string]bool {
	out := map[string]bool{}
	for _, h := range hosts {
		if h != "" {
			out[h] = true
			out["https://"+h+"/"] = true
		}
	}
	return out
}

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch r.Method {
	case http.MethodGet, http.MethodHead:
		h.get(w, r)
	case http.MethodPost:
		h.post(w, r)
	default:
		w.Header().Set("Allow", "GET, HEAD, POST")
		h.fail(w, r, http.StatusMethodNotAllowed, "", browserLocale(r.Header.Get("Accept-Language")), problemMissing, false)
	}
}

// get shows the form for the Action's token.
func (h *Handler) get(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	raw, state := q.Get(formToken), q.Get(formState)
	tok, ok := h.accept(w, r, raw, state)
	if !ok {
		return
	}
	prompt, locale, ok := h.prompt(w, r, tok, state)
	if !ok {
		return
	}
	if len(prompt.Fields) == 0 && len(prompt.Topics) == 0 {
		// Nothing left to ask (the profile changed since the Action looked): go on at once. A
		// HEAD (a link checker, a prefetch) gets the headers only and never uses the token up.
		if r.Method == http.MethodHead {
			h.render(w, r, http.StatusOK, "continue", &page{T: textsFor(locale), ContinueURL: h.continueURL}, true)
			return
		}
		h.finish(w, r, tok, state, tok.ticket.Profile)
		return
	}
	nonce := browserNonce(w, r)
	h.renderForm(w, r, http.StatusOK, tok, raw, state, h.binding(nonce, tok.id), prompt, locale, answers{}, nil, nil)
}

// post validates the answers (or records "Not now"), then returns to /continue.
func (h *Handler) post(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		h.fail(w, r, http.StatusBadRequest, "unreadable form", browserLocale(r.Header.Get("Accept-Language")), problemExpired, false)
		return
	}
	raw, state := r.PostForm.Get(formToken), r.PostForm.Get(formState)
	tok, ok := h.accept(w, r, raw, state)
	if !ok {
		return
	}
	if !h.checkBinding(r, tok.id, r.PostForm.Get(formBinding)) {
		h.fail(w, r, http.StatusForbidden, "form not bound to this browser and token", h.locale(r, tok), problemForged, false)
		return
	}
	prompt, locale, ok := h.prompt(w, r, tok, state)
	if !ok {
		return
	}
	given := readAnswers(r, prompt)
	sub, subscribe := submission(prompt, given, r.PostForm.Get(formAction) == actionSkip)
	final, err := h.apply(tok.ticket.Profile, sub, subscribe)
	var verr *engine.ValidationError
	if errors.As(err, &verr) {
		byKey, general := fieldErrors(verr, prompt)
		h.renderForm(w, r, http.StatusUnprocessableEntity, tok, raw, state, r.PostForm.Get(formBinding), prompt, locale, given, byKey, general)
		return
	}
	if err != nil {
		h.logger.ErrorContext(r.Context(), "login step: applying the answers failed", "error", err)
		h.fail(w, r, http.StatusInternalServerError, "", locale, problemExpired, state != "")
		return
	}
	h.finish(w, r, tok, state, final)
}

// accept checks the request's token and state; on failure it answers with an error page.
func (h *Handler) accept(w http.ResponseWriter, r *http.Request, raw, state string) (*stepToken, bool) {
	browser := browserLocale(r.Header.Get("Accept-Language"))
	if raw == "" && state == "" {
		h.fail(w, r, http.StatusBadRequest, "no token nor state", browser, problemMissing, false)
		return nil, false
	}
	validState := state != "" && len(state) <= maxStateBytes && store.CheckText(state) == ""
	tok, err := h.verify(raw)
	if err != nil {
		h.fail(w, r, http.StatusBadRequest, err.Error(), browser, problemExpired, validState)
		return nil, false
	}
	if !validState {
		h.fail(w, r, http.StatusBadRequest, "missing or malformed state", h.locale(r, tok), problemExpired, false)
		return nil, false
	}
	return tok, true
}

func (h *Handler) refuseUsed(w http.ResponseWriter, r *http.Request, tok *stepToken, err error) {
	if err != nil {
		h.logger.WarnContext(r.Context(), "login step: one-time check failed", "error", err)
		h.fail(w, r, http.StatusServiceUnavailable, "", h.locale(r, tok), problemExpired, false)
		return
	}
	h.fail(w, r, http.StatusConflict, "token already used", h.locale(r, tok), problemUsed, false)
}

// locale is the ticket's locale, else the browser's.
func (h *Handler) locale(r *http.Request, tok *stepToken) string {
	if tok != nil && tok.ticket.Locale != "" {
		return tok.ticket.Locale
	}
	return browserLocale(r.Header.Get("Accept-Language"))
}

// prompt computes what to ask from the ticket, with the engine. A token already used gets the
// error page instead, whatever the request holds: a form posted with invalid answers must not
// show again for a step that is over.
func (h *Handler) prompt(w http.ResponseWriter, r *http.Request, tok *stepToken, state string) (*engine.Prompt, string, bool) {
	if used, err := h.once.Used(r.Context(), tok.id); err != nil || used {
		h.refuseUsed(w, r, tok, err)
		return nil, "", false
	}
	locale := h.locale(r, tok)
	p, err := h.engine.Prompt(tok.ticket.Profile, engine.PromptRequest{Context: tok.ticket.Context, MaxFields: tok.ticket.MaxFields})
	if err != nil {
		h.fail(w, r, http.StatusBadRequest, "ticket asks for an invalid prompt", locale, problemExpired, true)
		return nil, "", false
	}
	return p, locale, true
}

// apply validates the submission with the engine and returns the profile after it and the
// subscriptions, as Auth0 will hold it once the Action has applied the changes.
func (h *Handler) apply(p *store.Profile, sub engine.Submission, subscribe []string) (*store.Profile, error) {
	patch, err := h.engine.Submit(p, sub)
	if err != nil {
		return nil, err
	}
	out := store.Apply(p, patch)
	for _, topic := range subscribe {
		patch, err := h.engine.Subscribe(out, engine.SubscriptionChange{Topic: topic, Subscribe: true, Source: sourceLogin})
		if err != nil {
			return nil, err
		}
		out = store.Apply(out, patch)
	}
	return out, nil
}

// finish uses the token up, then renders the page that posts the state and the signed changes
// to /continue.
func (h *Handler) finish(w http.ResponseWriter, r *http.Request, tok *stepToken, state string, final *store.Profile) {
	first, err := h.once.Use(r.Context(), tok.id, tok.expires.Sub(h.now())+clockSkew)
	if err != nil || !first {
		h.refuseUsed(w, r, tok, err)
		return
	}
	ops := loginclaims.Changes(tok.ticket.Profile, final)
	signed, err := h.sign(tok.sub, state, ops)
	if err != nil {
		h.logger.ErrorContext(r.Context(), "login step: signing the return token failed", "error", err)
		h.fail(w, r, http.StatusInternalServerError, "", h.locale(r, tok), problemExpired, true)
		return
	}
	t := textsFor(h.locale(r, tok))
	h.render(w, r, http.StatusOK, "continue", &page{T: t, Title: t.Done, State: state, ContinueURL: h.continueURL, ReturnToken: signed}, true)
}

func (h *Handler) renderForm(w http.ResponseWriter, r *http.Request, code int, tok *stepToken, raw, state, binding string, p *engine.Prompt, locale string, given answers, errs map[string]string, general []string) {
	t := textsFor(locale)
	fields, summary := formFields(p, locale, given, errs)
	for _, g := range general {
		summary = append(summary, summaryItem{Text: g})
	}
	title := h.branding.LocalizedTitle(locale)
	if title == "" {
		title = t.Title
	}
	pg := &page{
		T: t, Title: title, Action: Path, Token: raw, State: state, Binding: binding,
		Fields: fields, Topics: formTopics(p, locale, given), Summary: summary, Invalid: len(summary) > 0,
	}
	h.render(w, r, code, "form", pg, false)
}

// fail answers with an error page, logging why (never a token). With canContinue the page
// offers to go back to /continue with the state alone: the Action then applies nothing and the
// login goes on, so a broken step never locks a user out.
func (h *Handler) fail(w http.ResponseWriter, r *http.Request, code int, why, locale string, kind problem, canContinue bool) {
	if why != "" {
		h.logger.InfoContext(r.Context(), "login step refused a request", "status", code, "reason", why)
	}
	t := textsFor(locale)
	pg := &page{T: t, Title: t.CannotUse, Message: t.explain(kind)}
	if canContinue {
		pg.ContinueURL, pg.State = h.continueURL, r.FormValue(formState)
	}
	h.render(w, r, code, "error", pg, false)
}

// render writes a page with the step's security headers. Only the continue page runs a script
// (the automatic submit), allowed by the page's nonce; every page works without it.
func (h *Handler) render(w http.ResponseWriter, r *http.Request, code int, name string, pg *page, script bool) {
	pg.Nonce = newNonce()
	pg.Logo = h.branding.Logo
	pg.Accent = template.CSS(h.branding.Color) // checked against a hex pattern at catalog load
	if pg.Accent == "" {
		pg.Accent = defaultAccent
	}
	hdr := w.Header()
	hdr.Set("Content-Type", "text/html; charset=utf-8")
	hdr.Set("Content-Security-Policy", h.csp(pg, script))
	hdr.Set("Referrer-Policy", "no-referrer")
	hdr.Set("X-Content-Type-Options", "nosniff")
	hdr.Set("X-Frame-Options", "DENY")
	hdr.Set("Cache-Control", "no-store")
	hdr.Set("Cross-Origin-Opener-Policy", "same-origin")
	w.WriteHeader(code)
	if r.Method == http.MethodHead {
		return
	}
	if err := pages.ExecuteTemplate(w, name, pg); err != nil {
		h.logger.ErrorContext(r.Context(), "login step: rendering failed", "page", name, "error", err)
	}
}

const defaultAccent = template.CSS("#1f5fbf")

// csp returns the Content-Security-Policy of pg: nothing but the page's own nonce'd style (and,
// on the continue page, script), the logo's origin for images, and no framing. Forms: the form
// page posts only here; a page without a form posts nowhere. A page posting to the tenant's
// /continue sets no form-action: Auth0 answers that POST with redirects that end at the
// application's callback, whose origin the step cannot know, and Chrome and Safari check every
// redirect of a form submission against form-action, so any list would break the login.
func (h *Handler) csp(pg *page, script bool) string {
	img := "'none'"
	if u, err := url.Parse(h.branding.Logo); err == nil && h.branding.Logo != "" {
		img = u.Scheme + "://" + u.Host
	}
	scripts := "'none'"
	if script {
		scripts = "'nonce-" + pg.Nonce + "'"
	}
	forms := "form-action 'none'; "
	switch {
	case pg.ContinueURL != "":
		forms = ""
	case pg.Action != "":
		forms = "form-action 'self'; "
	}
	return fmt.Sprintf("default-src 'none'; style-src 'nonce-%s'; script-src %s; img-src %s; %sframe-ancestors 'none'; base-uri 'none'",
		pg.Nonce, scripts, img, forms)
}

func newNonce() string {
	b := make([]byte, 18)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}
