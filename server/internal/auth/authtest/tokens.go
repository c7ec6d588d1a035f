package authtest

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/v3/jwa"
	"github.com/lestrrat-go/jwx/v3/jws"
)

// Claims returns the default claims of a token from i: iss, aud (Audience), iat (now) and exp
// (in an hour). Sign and Token start from these.
func (i *Issuer) Claims() map[string]any {
	now := time.Now()
	return map[string]any{
		"iss": i.Issuer(),
		"aud": Audience,
		"iat": now.Unix(),
		"exp": now.Add(time.Hour).Unix(),
	}
}

// Sign returns an RS256 token signed by the current key, with the default claims (see Claims)
// overridden by claims. A nil value removes a claim; time.Time values become Unix seconds.
func (i *Issuer) Sign(claims map[string]any) (string, error) {
	i.mu.Lock()
	k := i.current
	i.mu.Unlock()
	return signJWS(jwa.RS256(), k.priv, k.kid, i.merge(claims))
}

// Token is Sign for tests and benchmarks: it fails tb on error.
func (i *Issuer) Token(tb testing.TB, claims map[string]any) string {
	tb.Helper()
	tok, err := i.Sign(claims)
	if err != nil {
		tb.Fatalf("authtest: sign token: %v", err)
	}
	return tok
}

// ForeignToken returns an RS256 token with the given kid in its header but signed by a key the
// tenant never published (as an attacker would forge one); claims are merged as in Sign.
func (i *Issuer) ForeignToken(tb testing.TB, kid string, claims map[string]any) string {
	tb.Helper()
	rogue, err := i.rogueKey()
	if err != nil {
		tb.Fatalf("authtest: rogue key: %v", err)
	}
	tok, err := signJWS(jwa.RS256(), rogue, kid, i.merge(claims))
	if err != nil {
		tb.Fatalf("authtest: sign token: %v", err)
	}
	return tok
}

// UserToken returns a valid end-user token for sub.
func (i *Issuer) UserToken(tb testing.TB, sub string) string {
	tb.Helper()
	return i.Token(tb, map[string]any{"sub": sub})
}

// ServiceToken returns a valid machine-to-machine token of the application clientID, granted
// scopes, with the claims Auth0 puts in client-credentials tokens: "gty" client-credentials,
// "sub" "{clientID}@clients" and "azp" clientID.
func (i *Issuer) ServiceToken(tb testing.TB, clientID string, scopes ...string) string {
	tb.Helper()
	return i.Token(tb, ServiceClaims(clientID, scopes...))
}

// ServiceClaims returns the claims, beyond the defaults, of a client-credentials token of the
// application clientID granted scopes, as Auth0 issues them.
func ServiceClaims(clientID string, scopes ...string) map[string]any {
	return map[string]any{
		"sub":   clientID + "@clients",
		"azp":   clientID,
		"gty":   "client-credentials",
		"scope": strings.Join(scopes, " "),
	}
}

// merge returns the default claims overridden by claims.
func (i *Issuer) merge(claims map[string]any) map[string]any {
	out := i.Claims()
	for k, v := range claims {
		switch v := v.(type) {
		case nil:
			delete(out, k)
		case time.Time:
			out[k] = v.Unix()
		default:
			out[k] = v
		}
	}
	return out
}

// signJWS signs claims as a compact JWS with alg and key, with kid in the protected header.
func signJWS(alg jwa.SignatureAlgorithm, key any, kid string, claims map[string]any) (string, error) {
	payload, err := json.Marshal(claims)
	if err != nil {
		return "", fmt.Errorf("marshal claims: %w", err)
	}
	hdr := jws.NewHeaders()
	if kid != "" {
		if err := hdr.Set(jws.KeyIDKey, kid); err != nil {
			return "", err
		}
	}
	if err := hdr.Set(jws.TypeKey, "JWT"); err != nil {
		return "", err
	}
	tok, err := jws.Sign(payload, jws.WithKey(alg, key, jws.WithProtectedHeaders(hdr)))
	if err != nil {
		return "", fmt.Errorf("sign: %w", err)
	}
	return string(tok), nil
}

// NamedToken is a token with a name saying what is wrong with it.
type NamedToken struct {
	Name  string
	Token string
}

// InvalidTokens returns tokens for sub that a verifier configured for i (issuer i.Issuer(),
// audience Audience) must reject, each named after its flaw: malformed, alg none, HS256 signed
// with the public key as secret, another alg, another key reusing the known kid, an unknown
// kid, a tampered payload, expired, not yet valid, wrong or inexact issuer, wrong or missing
// audience, missing sub or exp, exp/nbf/iat as strings, a crit header, a header or claims
// member given twice. The request without any token is left to the caller.
func (i *Issuer) InvalidTokens(tb testing.TB, sub string) []NamedToken {
	tb.Helper()
	toks, err := i.invalidTokens(sub)
	if err != nil {
		tb.Fatalf("authtest: invalid tokens: %v", err)
	}
	return toks
}

func (i *Issuer) invalidTokens(sub string) ([]NamedToken, error) {
	now := time.Now()
	claims := i.merge(map[string]any{"sub": sub})
	with := func(k string, v any) map[string]any { return i.merge(map[string]any{"sub": sub, k: v}) }
	kid := i.KeyID()
	i.mu.Lock()
	priv := i.current.priv
	i.mu.Unlock()
	rogue, err := i.rogueKey()
	if err != nil {
		return nil, err
	}
	ec, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	pubDER, err := x509.MarshalPKIXPublicKey(&priv.PublicKey)
	if err != nil {
		return nil, err
	}
	pubPEM := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDER})

	// signed and good build token makers: good uses the tenant's own key and kid.
	signed := func(alg jwa.SignatureAlgorithm, key any, kid string) func() (string, error) {
		return func() (string, error) { return signJWS(alg, key, kid, claims) }
	}
	good := func(k string, v any) func() (string, error) {
		return func() (string, error) { return signJWS(jwa.RS256(), priv, kid, with(k, v)) }
	}
	specs := []struct {
		name string
		make func() (string, error)
	}{
		{"malformed", constant("not-a-jwt")},
		{"malformed segments", constant("abc.def.ghi")},
		{"raw JSON claims", func() (string, error) { b, err := json.Marshal(claims); return string(b), err }},
		{"JSON-serialized JWS", func() (string, error) { return jsonJWS(priv, kid, claims) }},
		{"alg none", func() (string, error) { return unsigned(kid, claims) }},
		{"HS256 with the public key PEM as secret", signed(jwa.HS256(), pubPEM, kid)},
		{"HS256 with the public key DER as secret", signed(jwa.HS256(), pubDER, kid)},
		{"RS384 with the tenant key", signed(jwa.RS384(), priv, kid)},
		{"PS256 with the tenant key", signed(jwa.PS256(), priv, kid)},
		{"ES256 reusing the known kid", signed(jwa.ES256(), ec, kid)},
		{"other key reusing the known kid", signed(jwa.RS256(), rogue, kid)},
		{"unknown kid", signed(jwa.RS256(), rogue, randomKID())},
		{"missing kid", signed(jwa.RS256(), priv, "")},
		{"tampered payload", func() (string, error) { return tampered(priv, kid, claims) }},
		{"expired", good("exp", now.Add(-time.Hour).Unix())},
		{"not yet valid", good("nbf", now.Add(time.Hour).Unix())},
		{"issued in the future", good("iat", now.Add(time.Hour).Unix())},
		{"wrong issuer", good("iss", "https://evil.example.com/")},
		{"issuer without trailing slash", good("iss", strings.TrimSuffix(i.Issuer(), "/"))},
		{"wrong audience", good("aud", "https://other.example.com/api")},
		{"audience array without ours", good("aud", []string{"https://other.example.com/api", i.Issuer() + "userinfo"})},
		{"missing audience", good("aud", nil)},
		{"missing sub", good("sub", nil)},
		{"empty sub", good("sub", "")},
		{"missing exp", good("exp", nil)},
		{"exp as a numeric string", good("exp", strconv.FormatInt(now.Add(time.Hour).Unix(), 10))},
		{"nbf as a numeric string", good("nbf", strconv.FormatInt(now.Add(-time.Minute).Unix(), 10))},
		{"iat as a numeric string", good("iat", strconv.FormatInt(now.Unix(), 10))},
		{"exp as an RFC 3339 time", good("exp", now.Add(time.Hour).UTC().Format(time.RFC3339))},
		{"crit header", func() (string, error) {
			return signRaw(priv, fmt.Sprintf(`{"alg":"RS256","typ":"JWT","kid":%q,"crit":["urn:example:ext"],"urn:example:ext":true}`, kid), claims)
		}},
		{"alg twice in the header", func() (string, error) {
			return signRaw(priv, fmt.Sprintf(`{"alg":"HS256","typ":"JWT","kid":%q,"alg":"RS256"}`, kid), claims)
		}},
		{"kid twice in the header", func() (string, error) {
			return signRaw(priv, fmt.Sprintf(`{"alg":"RS256","typ":"JWT","kid":"other","kid":%q}`, kid), claims)
		}},
		{"sub twice in the claims", func() (string, error) {
			return signRawPayload(priv, fmt.Sprintf(`{"alg":"RS256","typ":"JWT","kid":%q}`, kid),
				fmt.Sprintf(`{"iss":%q,"aud":%q,"exp":%d,"sub":"auth0|someone-else","sub":%q}`, i.Issuer(), Audience, now.Add(time.Hour).Unix(), sub))
		}},
	}
	out := make([]NamedToken, 0, len(specs))
	for _, s := range specs {
		tok, err := s.make()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", s.name, err)
		}
		out = append(out, NamedToken{Name: s.name, Token: tok})
	}
	return out, nil
}

// InvalidServiceTokens returns tokens, properly signed by i, that claim to come from a service
// (an Auth0 machine-to-machine application) without carrying what Auth0 writes in every
// client-credentials token (see ServiceClaims); a verifier must reject each one. scopes are
// granted to each, so that only the service claims are at fault.
func (i *Issuer) InvalidServiceTokens(tb testing.TB, clientID string, scopes ...string) []NamedToken {
	tb.Helper()
	scope := strings.Join(scopes, " ")
	edit := func(name string, edits map[string]any) NamedToken {
		claims := ServiceClaims(clientID)
		claims["scope"] = scope
		for k, v := range edits {
			claims[k] = v
		}
		return NamedToken{Name: name, Token: i.Token(tb, claims)}
	}
	return []NamedToken{
		edit("client sub without gty", map[string]any{"gty": nil}),
		edit("client sub with another gty", map[string]any{"gty": "password"}),
		edit("client sub without azp", map[string]any{"azp": nil}),
		edit("azp of another client", map[string]any{"azp": clientID + "-other"}),
		edit("bare @clients", map[string]any{"sub": "@clients", "azp": ""}),
		edit("client-credentials for a user sub", map[string]any{"sub": "auth0|alice"}),
	}
}

// signRaw signs claims as a compact RS256 JWS under a protected header given as raw JSON, for
// headers no JOSE library writes (a member given twice).
func signRaw(priv *rsa.PrivateKey, header string, claims map[string]any) (string, error) {
	payload, err := json.Marshal(claims)
	if err != nil {
		return "", err
	}
	return signRawPayload(priv, header, string(payload))
}

// signRawPayload is signRaw with the claims given as raw JSON too.
func signRawPayload(priv *rsa.PrivateKey, header, payload string) (string, error) {
	enc := base64.RawURLEncoding
	input := enc.EncodeToString([]byte(header)) + "." + enc.EncodeToString([]byte(payload))
	digest := sha256.Sum256([]byte(input))
	sig, err := rsa.SignPKCS1v15(rand.Reader, priv, crypto.SHA256, digest[:])
	if err != nil {
		return "", err
	}
	return input + "." + enc.EncodeToString(sig), nil
}

// rogueKey returns a key the tenant never published, generated once per issuer.
func (i *Issuer) rogueKey() (*rsa.PrivateKey, error) {
	i.mu.Lock()
	defer i.mu.Unlock()
	if i.rogue == nil {
		k, err := rsa.GenerateKey(rand.Reader, keyBits)
		if err != nil {
			return nil, err
		}
		i.rogue = k
	}
	return i.rogue, nil
}

func constant(s string) func() (string, error) { return func() (string, error) { return s, nil } }

// jsonJWS signs claims properly but in the JWS JSON serialization instead of the compact one.
func jsonJWS(priv *rsa.PrivateKey, kid string, claims map[string]any) (string, error) {
	payload, err := json.Marshal(claims)
	if err != nil {
		return "", err
	}
	hdr := jws.NewHeaders()
	if err := hdr.Set(jws.KeyIDKey, kid); err != nil {
		return "", err
	}
	tok, err := jws.Sign(payload, jws.WithJSON(), jws.WithKey(jwa.RS256(), priv, jws.WithProtectedHeaders(hdr)))
	return string(tok), err
}

// unsigned builds an "alg":"none" token; no library signs those, so it is assembled here.
func unsigned(kid string, claims map[string]any) (string, error) {
	hdr, err := json.Marshal(map[string]any{"alg": "none", "typ": "JWT", "kid": kid})
	if err != nil {
		return "", err
	}
	payload, err := json.Marshal(claims)
	if err != nil {
		return "", err
	}
	enc := base64.RawURLEncoding
	return enc.EncodeToString(hdr) + "." + enc.EncodeToString(payload) + ".", nil
}

// tampered signs claims properly, then swaps in a payload naming another subject.
func tampered(priv *rsa.PrivateKey, kid string, claims map[string]any) (string, error) {
	tok, err := signJWS(jwa.RS256(), priv, kid, claims)
	if err != nil {
		return "", err
	}
	forged := map[string]any{}
	for k, v := range claims {
		forged[k] = v
	}
	forged["sub"] = "auth0|someone-else"
	payload, err := json.Marshal(forged)
	if err != nil {
		return "", err
	}
	parts := strings.Split(tok, ".")
	parts[1] = base64.RawURLEncoding.EncodeToString(payload)
	return strings.Join(parts, "."), nil
}
