// Package steptest plays the Auth0 side of the login step in Go tests and benchmarks: it signs
// tokens as api.redirect.encodeToken does and checks returned ones as api.redirect.validateToken
// does, both as Auth0's documentation describes them. It must never be used by production code.
package steptest

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/lestrrat-go/jwx/v3/jwa"
	"github.com/lestrrat-go/jwx/v3/jwt"
)

// DefaultExpiry is encodeToken's default lifetime (900 s, per Auth0's documentation).
const DefaultExpiry = 900 * time.Second

// EncodeToken returns what api.redirect.encodeToken returns: an HS256 JWT signed with secret
// whose claims are payload plus iss (the tenant's host name), sub (the user id), iat and exp
// (now + expiresIn, DefaultExpiry when 0) and the ip of the login. Claims in override replace
// those, and a nil value removes one (to build invalid tokens).
func EncodeToken(secret []byte, issuer, sub string, payload map[string]any, now time.Time, expiresIn time.Duration, override map[string]any) (string, error) {
	if expiresIn == 0 {
		expiresIn = DefaultExpiry
	}
	claims := map[string]any{"iss": issuer, "sub": sub, "iat": now.Unix(), "exp": now.Add(expiresIn).Unix(), "ip": "203.0.113.7"}
	for k, v := range payload {
		claims[k] = v
	}
	for k, v := range override {
		if v == nil {
			delete(claims, k)
		} else {
			claims[k] = v
		}
	}
	b := jwt.NewBuilder()
	for k, v := range claims {
		b = b.Claim(k, v)
	}
	tok, err := b.Build()
	if err != nil {
		return "", err
	}
	signed, err := jwt.Sign(tok, jwt.WithKey(jwa.HS256(), secret))
	if err != nil {
		return "", err
	}
	return string(signed), nil
}

// ValidateToken checks a token posted to /continue as api.redirect.validateToken does (a valid
// HS256 signature with secret, not expired at now, a state claim equal to the state posted) and
// returns its claims.
func ValidateToken(secret []byte, token, state string, now time.Time) (map[string]any, error) {
	tok, err := jwt.ParseString(token, jwt.WithKey(jwa.HS256(), secret), jwt.WithValidate(true),
		jwt.WithClock(jwt.ClockFunc(func() time.Time { return now })), jwt.WithRequiredClaim(jwt.ExpirationKey))
	if err != nil {
		return nil, fmt.Errorf("invalid session token: %w", err)
	}
	raw, err := json.Marshal(tok)
	if err != nil {
		return nil, err
	}
	var claims map[string]any
	if err := json.Unmarshal(raw, &claims); err != nil {
		return nil, err
	}
	if s, _ := claims["state"].(string); s == "" || s != state {
		return nil, errors.New("the state in the token does not match the /continue state")
	}
	return claims, nil
}
