package authtest

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/lestrrat-go/jwx/v3/jwa"
	"github.com/lestrrat-go/jwx/v3/jwk"
)

// Audience is the API identifier tokens carry unless a claim overrides "aud".
const Audience = "https://profiles.example.test/api"

// JWKSPath is where the issuer serves its key set, as Auth0 does.
const JWKSPath = "/.well-known/jwks.json"

// keyBits is the RSA modulus size of generated keys (the smallest the verifier accepts).
const keyBits = 2048

// Issuer is a fake Auth0 tenant. It is safe for concurrent use.
type Issuer struct {
	srv     *httptest.Server
	fetches atomic.Int64
	down    atomic.Bool

	mu        sync.Mutex
	published []signingKey // served in the JWKS
	current   signingKey   // signs tokens
	rogue     *rsa.PrivateKey
}

type signingKey struct {
	kid  string
	priv *rsa.PrivateKey
}

// New starts an issuer with one published signing key. Close it when done.
func New() (*Issuer, error) {
	i := &Issuer{}
	if _, err := i.Rotate(); err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+JWKSPath, i.serveJWKS)
	i.srv = httptest.NewServer(mux)
	return i, nil
}

// NewIssuer is New for tests: it fails tb on error and closes the issuer at cleanup.
func NewIssuer(tb testing.TB) *Issuer {
	tb.Helper()
	i, err := New()
	if err != nil {
		tb.Fatalf("authtest.New: %v", err)
	}
	tb.Cleanup(i.Close)
	return i
}

// Close stops the JWKS server.
func (i *Issuer) Close() { i.srv.Close() }

// URL returns the base URL of the tenant, without a trailing slash (an AUTH0_DOMAIN-style value
// for loopback test servers).
func (i *Issuer) URL() string { return i.srv.URL }

// Issuer returns the "iss" of its tokens: URL() + "/", as Auth0 writes it.
func (i *Issuer) Issuer() string { return i.srv.URL + "/" }

// JWKSURL returns where the key set is served (Issuer() + ".well-known/jwks.json").
func (i *Issuer) JWKSURL() string { return i.srv.URL + JWKSPath }

// KeyID returns the kid of the key that currently signs tokens.
func (i *Issuer) KeyID() string {
	i.mu.Lock()
	defer i.mu.Unlock()
	return i.current.kid
}

// PublicKey returns the public half of the current signing key.
func (i *Issuer) PublicKey() *rsa.PublicKey {
	i.mu.Lock()
	defer i.mu.Unlock()
	return &i.current.priv.PublicKey
}

// Rotate generates a new key, publishes it next to the old ones (as Auth0 does during a
// rotation) and makes it sign from now on. It returns the new kid.
func (i *Issuer) Rotate() (string, error) {
	priv, err := rsa.GenerateKey(rand.Reader, keyBits)
	if err != nil {
		return "", fmt.Errorf("generate RSA key: %w", err)
	}
	k := signingKey{kid: randomKID(), priv: priv}
	i.mu.Lock()
	defer i.mu.Unlock()
	i.published = append(i.published, k)
	i.current = k
	return k.kid, nil
}

// Revoke stops publishing the key kid (as when a tenant revokes a signing key). Tokens it
// already signed stay signed; revoking the current key leaves Sign using it anyway.
func (i *Issuer) Revoke(kid string) {
	i.mu.Lock()
	defer i.mu.Unlock()
	i.published = slices.DeleteFunc(i.published, func(k signingKey) bool { return k.kid == kid })
}

// SetDown makes the JWKS endpoint answer 503 (down) or serve the keys again.
func (i *Issuer) SetDown(down bool) { i.down.Store(down) }

// Fetches returns how many times the JWKS was requested.
func (i *Issuer) Fetches() int { return int(i.fetches.Load()) }

func (i *Issuer) serveJWKS(w http.ResponseWriter, _ *http.Request) {
	i.fetches.Add(1)
	if i.down.Load() {
		http.Error(w, "unavailable", http.StatusServiceUnavailable)
		return
	}
	body, err := i.jwks()
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(body)
}

// jwks renders the published public keys as a JWKS document.
func (i *Issuer) jwks() ([]byte, error) {
	i.mu.Lock()
	keys := append([]signingKey(nil), i.published...)
	i.mu.Unlock()
	set := jwk.NewSet()
	for _, k := range keys {
		pub, err := jwk.Import(&k.priv.PublicKey)
		if err != nil {
			return nil, err
		}
		for name, v := range map[string]any{jwk.KeyIDKey: k.kid, jwk.AlgorithmKey: jwa.RS256(), jwk.KeyUsageKey: "sig"} {
			if err := pub.Set(name, v); err != nil {
				return nil, err
			}
		}
		if err := set.AddKey(pub); err != nil {
			return nil, err
		}
	}
	return json.Marshal(set)
}

func randomKID() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
