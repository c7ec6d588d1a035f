package auth

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/lestrrat-go/jwx/v3/jwa"
	"github.com/lestrrat-go/jwx/v3/jws"
	"github.com/lestrrat-go/jwx/v3/jwt"
)

// ErrUnauthenticated is returned (wrapped with an internal reason meant for logs only) for a
// missing, malformed, unverifiable or invalid token. Callers must only be told the generic fact.
var ErrUnauthenticated = errors.New("unauthenticated")

// maxTokenBytes bounds the size of a token we are willing to parse.
const maxTokenBytes = 16 << 10

// Verifier checks Auth0 RS256 access tokens against the tenant's JWKS. It is safe for
// concurrent use.
type Verifier struct {
	cfg   Config
	keys  *keySet
	cache *tokenCache
}

// NewVerifier returns a Verifier for cfg. It starts fetching the JWKS in the background but does
// not wait for it: an unreachable tenant at start-up is retried when tokens arrive, at most
// once per cfg.MinRefreshInterval. ctx bounds those background fetches; cancel it on shutdown.
func NewVerifier(ctx context.Context, cfg Config) (*Verifier, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	v := &Verifier{cfg: cfg, keys: newKeySet(ctx, cfg), cache: newTokenCache()}
	v.keys.prefetch()
	return v, nil
}

// Verify checks rawToken and returns its principal. Any failure returns an error wrapping
// ErrUnauthenticated; the reason is logged at debug level, without the token.
func (v *Verifier) Verify(ctx context.Context, rawToken string) (*Principal, error) {
	p, err := v.verify(ctx, rawToken)
	if err != nil {
		v.cfg.Logger.DebugContext(ctx, "auth: access token rejected", "reason", err.Error())
		return nil, fmt.Errorf("%w: %w", ErrUnauthenticated, err)
	}
	// The cached principal is shared by every call with this token: hand out a copy.
	return p.clone(), nil
}

func (v *Verifier) verify(ctx context.Context, raw string) (*Principal, error) {
	switch {
	case raw == "":
		return nil, errors.New("no token")
	case len(raw) > maxTokenBytes:
		return nil, errors.New("token too large")
	}
	now := v.cfg.Now()
	if p, ok := v.cache.get(raw, now); ok {
		return p, nil
	}
	tok, err := v.parse(ctx, raw)
	if err != nil {
		return nil, err
	}
	p, err := principalOf(tok)
	if err != nil {
		return nil, err
	}
	exp, _ := tok.Expiration()
	v.cache.add(raw, p, earliest(exp.Add(v.cfg.Skew), now.Add(tokenCacheMaxAge)))
	return p, nil
}

// parse verifies the signature of a compact JWS and validates its claims. Before jwx reads
// anything, the header and the claims are checked for what jwx would let through: a member
// given twice (two "alg": jwx keeps the last), and exp, nbf or iat that are not JSON numbers.
// jwx itself refuses a "crit" header (WithCritValidation, with no extension understood).
func (v *Verifier) parse(ctx context.Context, raw string) (jwt.Token, error) {
	header, err := protectedHeader(raw)
	if err != nil {
		return nil, err
	}
	if err := checkJSONObject(header, nil); errors.Is(err, errNotJSON) {
		return nil, err
	} else if err != nil {
		return nil, fmt.Errorf("header: %w", err)
	}
	kp := &keyProvider{keys: v.keys}
	payload, err := jws.Verify([]byte(raw),
		jws.WithCompact(),
		jws.WithContext(ctx),
		jws.WithKeyProvider(kp),
		jws.WithCritValidation(true),
	)
	if err != nil {
		if bytes.Contains(header, []byte(`"crit"`)) {
			return nil, errors.New(`"crit" header (no extension is understood)`)
		}
		return nil, rejection(err, kp.err)
	}
	if err := checkJSONObject(payload, numericClaims); errors.Is(err, errNotJSON) {
		return nil, err
	} else if err != nil {
		return nil, fmt.Errorf("claims: %w", err)
	}
	tok := jwt.New()
	if err := json.Unmarshal(payload, tok); err != nil {
		return nil, errors.New("malformed claims")
	}
	err = jwt.Validate(tok,
		jwt.WithContext(ctx),
		jwt.WithClock(jwt.ClockFunc(v.cfg.Now)),
		jwt.WithAcceptableSkew(v.cfg.Skew),
		jwt.WithIssuer(v.cfg.Issuer),
		jwt.WithAudience(v.cfg.Audience),
		jwt.WithRequiredClaim(jwt.ExpirationKey),
		jwt.WithRequiredClaim(jwt.SubjectKey),
	)
	if err != nil {
		return nil, rejection(err, nil)
	}
	return tok, nil
}

// protectedHeader returns the decoded protected header of a compact JWS (three base64url
// segments separated by dots).
func protectedHeader(raw string) ([]byte, error) {
	if strings.Count(raw, ".") != 2 {
		return nil, errors.New("malformed token")
	}
	seg, _, _ := strings.Cut(raw, ".")
	header, err := base64.RawURLEncoding.DecodeString(seg)
	if err != nil {
		return nil, errors.New("malformed token")
	}
	return header, nil
}

// principalOf reads the subject, kind and scopes of a verified token.
func principalOf(tok jwt.Token) (*Principal, error) {
	sub, _ := tok.Subject()
	if sub == "" {
		return nil, errors.New("empty sub claim")
	}
	var gty, azp string
	_ = tok.Get("gty", &gty)
	_ = tok.Get("azp", &azp)
	service, err := isService(sub, gty, azp)
	if err != nil {
		return nil, err
	}
	var scope, permissions any
	_ = tok.Get("scope", &scope)
	_ = tok.Get("permissions", &permissions)
	return principalFromClaims(sub, service, scope, permissions), nil
}

// rejection turns a jwx error into a short, fixed reason safe to log: jwx messages may quote
// header or claim values, and nothing from the token goes to the logs.
func rejection(err, keyErr error) error {
	if keyErr != nil {
		return keyErr
	}
	for _, r := range []struct {
		target error
		reason string
	}{
		{jwt.TokenExpiredError(), "token expired"},
		{jwt.TokenNotYetValidError(), "token not yet valid"},
		{jwt.InvalidIssuedAtError(), "token issued in the future"},
		{jwt.InvalidIssuerError(), "wrong issuer"},
		{jwt.InvalidAudienceError(), "wrong audience"},
		{jwt.MissingRequiredClaimError(), "missing required claim"},
		{jwt.ValidateError(), "invalid claims"},
		{jws.VerificationError(), "bad signature"},
		{context.Canceled, "request canceled"},
		{context.DeadlineExceeded, "request deadline exceeded"},
	} {
		if errors.Is(err, r.target) {
			return errors.New(r.reason)
		}
	}
	return errors.New("malformed token")
}

func earliest(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

// keyProvider hands jwx the tenant key named by the token's kid, for RS256 only. Whatever alg
// the header claims, verification runs as RS256 with an RSA public key, and any other alg is
// refused before that.
type keyProvider struct {
	keys *keySet
	err  error // first reason a key was refused, for logs
}

func (kp *keyProvider) FetchKeys(ctx context.Context, sink jws.KeySink, sig *jws.Signature, _ *jws.Message) error {
	if err := kp.fetch(ctx, sink, sig); err != nil {
		if kp.err == nil {
			kp.err = err
		}
		return err
	}
	return nil
}

func (kp *keyProvider) fetch(ctx context.Context, sink jws.KeySink, sig *jws.Signature) error {
	hdr := sig.ProtectedHeaders()
	if hdr == nil {
		return errors.New("no protected header")
	}
	if alg, ok := hdr.Algorithm(); !ok || alg.String() != jwa.RS256().String() {
		return errors.New("signing algorithm not allowed")
	}
	kid, ok := hdr.KeyID()
	if !ok || kid == "" {
		return errors.New("missing kid")
	}
	key, err := kp.keys.key(ctx, kid)
	if err != nil {
		return err
	}
	sink.Key(jwa.RS256(), key)
	return nil
}
