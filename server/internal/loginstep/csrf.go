package loginstep

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"net/http"

	"github.com/acme/progressive-profiling/server/internal/netaddr"
)

// The browser binding: GET gives the browser a random nonce in a cookie it alone holds
// (HttpOnly, SameSite=Strict, Secure but on plain-HTTP loopback) and puts
// HMAC(nonce, token id) in the form; POST needs both to match, so a form cannot be submitted
// from another site nor by another browser, and a form is bound to the token it was shown for.
const (
	cookieName       = "profile_step"
	secureCookieName = "__Host-profile_step"
	nonceBytes       = 32
)

// csrfKey derives the binding key from the shared secret, so that a binding is no token
// signature.
func csrfKey(secret []byte) []byte {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte("progressive-profiling login step: browser binding"))
	return m.Sum(nil)
}

// binding returns the form's proof for nonce and token id.
func (h *Handler) binding(nonce, tokenID string) string {
	m := hmac.New(sha256.New, h.csrfKey)
	m.Write([]byte(nonce))
	m.Write([]byte{0})
	m.Write([]byte(tokenID))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// secureRequest reports whether cookies must be Secure: always, but for plain HTTP to a
// loopback host (a local demo), since a TLS proxy in front of the service hides the scheme.
func secureRequest(r *http.Request) bool {
	return r.TLS != nil || !netaddr.IsLoopbackHostHeader(r.Host)
}

func nonceCookieName(r *http.Request) string {
	if secureRequest(r) {
		return secureCookieName
	}
	return cookieName
}

// browserNonce returns the nonce the browser holds, setting a new one when it holds none.
func browserNonce(w http.ResponseWriter, r *http.Request) string {
	name := nonceCookieName(r)
	if c, err := r.Cookie(name); err == nil && len(c.Value) == base64.RawURLEncoding.EncodedLen(nonceBytes) {
		return c.Value
	}
	b := make([]byte, nonceBytes)
	_, _ = rand.Read(b)
	nonce := base64.RawURLEncoding.EncodeToString(b)
	http.SetCookie(w, &http.Cookie{
		Name: name, Value: nonce, Path: "/",
		HttpOnly: true, Secure: secureRequest(r), SameSite: http.SameSiteStrictMode,
	})
	return nonce
}

// checkBinding reports whether the POST comes from the browser the form was shown to, for
// this token.
func (h *Handler) checkBinding(r *http.Request, tokenID, proof string) bool {
	c, err := r.Cookie(nonceCookieName(r))
	if err != nil || c.Value == "" || proof == "" {
		return false
	}
	return hmac.Equal([]byte(h.binding(c.Value, tokenID)), []byte(proof))
}
