package main

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/lestrrat-go/jwx/v3/jwa"
	"github.com/lestrrat-go/jwx/v3/jwk"
	"github.com/lestrrat-go/jwx/v3/jwt"
)

// benchAudience is the API identifier of the benchmark's tokens.
const benchAudience = "https://profiles.bench.test/api"

// issuer is a loopback stand-in for an Auth0 tenant's token side: it serves a JWKS and signs
// RS256 access tokens with a key generated at start.
type issuer struct {
	srv  *httptest.Server
	priv jwk.Key
}

// newIssuer generates a 2048-bit RSA key and serves its public half at /.well-known/jwks.json.
func newIssuer() (*issuer, error) {
	raw, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, fmt.Errorf("generate RSA key: %w", err)
	}
	priv, err := jwk.Import(raw)
	if err != nil {
		return nil, err
	}
	if err := priv.Set(jwk.KeyIDKey, "bench-1"); err != nil {
		return nil, err
	}
	if err := priv.Set(jwk.AlgorithmKey, jwa.RS256()); err != nil {
		return nil, err
	}
	pub, err := priv.PublicKey()
	if err != nil {
		return nil, err
	}
	if err := pub.Set(jwk.KeyUsageKey, "sig"); err != nil {
		return nil, err
	}
	set := jwk.NewSet()
	if err := set.AddKey(pub); err != nil {
		return nil, err
	}
	body, err := json.Marshal(set)
	if err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/jwks.json", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(body)
	})
	return &issuer{srv: httptest.NewServer(mux), priv: priv}, nil
}

// domain is the tenant's base URL, http://127.0.0.1:PORT (an AUTH0_DOMAIN for loopback hosts).
func (i *issuer) domain() string { return i.srv.URL }

// iss is the tokens' issuer, the domain with a trailing slash as Auth0 writes it.
func (i *issuer) iss() string { return i.srv.URL + "/" }

// close stops the JWKS server.
func (i *issuer) close() { i.srv.Close() }

// userToken signs an end-user access token for sub, valid for ttl.
func (i *issuer) userToken(sub string, ttl time.Duration) (string, error) {
	return i.sign(sub, "", "", ttl)
}

// serviceToken signs a machine-to-machine access token of client clientID with the given scope,
// valid for ttl, carrying what Auth0 writes in client-credentials tokens: sub "{id}@clients",
// azp the client id and gty "client-credentials".
func (i *issuer) serviceToken(clientID, scope string, ttl time.Duration) (string, error) {
	return i.sign(clientID+"@clients", clientID, scope, ttl)
}

// sign signs an RS256 access token for sub with the bench audience, and scope when not empty;
// a client id makes it a client-credentials token of that client.
func (i *issuer) sign(sub, clientID, scope string, ttl time.Duration) (string, error) {
	now := time.Now()
	b := jwt.NewBuilder().
		Issuer(i.iss()).
		Subject(sub).
		Audience([]string{benchAudience}).
		IssuedAt(now).
		Expiration(now.Add(ttl))
	if scope != "" {
		b = b.Claim("scope", scope)
	}
	if clientID != "" {
		b = b.Claim("azp", clientID).Claim("gty", "client-credentials")
	}
	tok, err := b.Build()
	if err != nil {
		return "", err
	}
	signed, err := jwt.Sign(tok, jwt.WithKey(jwa.RS256(), i.priv))
	if err != nil {
		return "", fmt.Errorf("sign token: %w", err)
	}
	return string(signed), nil
}

// bearers signs "Bearer <token>" for users 0 to n-1 and one for a backend service allowed to
// read every profile (read:profiles).
func (i *issuer) bearers(n int) (users []string, service string, err error) {
	users = make([]string, n)
	for u := range users {
		tok, err := i.userToken(userID(u), time.Hour)
		if err != nil {
			return nil, "", err
		}
		users[u] = "Bearer " + tok
	}
	tok, err := i.serviceToken("bench-backend", "read:profiles", time.Hour)
	return users, "Bearer " + tok, err
}

// authEnv is the server configuration that turns caller auth on against this issuer.
func (i *issuer) authEnv() map[string]string {
	return map[string]string{
		"AUTH0_DOMAIN":   i.domain(),
		"AUTH0_ISSUER":   i.iss(),
		"AUTH0_AUDIENCE": benchAudience,
	}
}
