package auth

import (
	"context"
	"errors"
	"strings"
)

// Principal is an authenticated caller, built from a verified access token. Its scopes are
// read with Has and cannot be changed once it is built.
type Principal struct {
	// Subject is the token's "sub": an Auth0 user id, or "{client_id}@clients" for a service.
	Subject string
	// Service is true for machine-to-machine tokens (client-credentials grants; see isService).
	Service bool
	// scopes holds the granted scopes, from "scope" (space-separated) and "permissions" (array).
	// It is never written after the principal is built, so copies of a principal share it.
	scopes map[string]bool
}

// NewPrincipal returns a principal for subject with the scopes given, as the verifier would
// build it from a token; tests and trusted callers use it to put a principal in a context.
func NewPrincipal(subject string, service bool, scopes ...string) *Principal {
	p := &Principal{Subject: subject, Service: service, scopes: make(map[string]bool, len(scopes))}
	for _, s := range scopes {
		if s != "" {
			p.scopes[s] = true
		}
	}
	return p
}

// Has reports whether the principal was granted scope. A nil principal has no scopes.
func (p *Principal) Has(scope string) bool {
	return p != nil && p.scopes[scope]
}

// clone returns a copy of p that shares its read-only scopes, so that a caller changing Subject
// or Service cannot alter a cached principal.
func (p *Principal) clone() *Principal {
	c := *p
	return &c
}

// Claims Auth0 writes in access tokens of the client-credentials grant (machine-to-machine
// applications), in its default access token profile.
const (
	// clientCredentialsGrant is the "gty" of such tokens.
	clientCredentialsGrant = "client-credentials"
	// clientSuffix ends their "sub", which is "{client_id}@clients".
	clientSuffix = "@clients"
)

// isService decides, from a verified token's "sub", "gty" and "azp" claims, whether its caller
// is a service (an Auth0 machine-to-machine client). It is the one place that rule lives. A
// service token carries all of what Auth0 puts in client-credentials tokens: gty
// "client-credentials", a non-empty client id in azp and sub equal to that id followed by
// "@clients". Any other token is an end user's; but a token whose sub looks like a client's
// ("...@clients" without the "provider|" prefix every user id has) without being a consistent
// client-credentials token, or a client-credentials token whose sub and azp disagree, is
// refused rather than guessed at.
func isService(sub, gty, azp string) (bool, error) {
	looksLikeClient := strings.HasSuffix(sub, clientSuffix) && !strings.Contains(sub, "|")
	if gty != clientCredentialsGrant {
		if looksLikeClient {
			return false, errors.New(`sub names a client but gty is not "client-credentials"`)
		}
		return false, nil
	}
	if azp == "" || sub != azp+clientSuffix {
		return false, errors.New(`client-credentials token whose sub is not its azp followed by "@clients"`)
	}
	return true, nil
}

// principalFromClaims builds a principal from a subject, whether it is a service, and the raw
// "scope" and "permissions" claims.
func principalFromClaims(sub string, service bool, scope, permissions any) *Principal {
	p := &Principal{Subject: sub, Service: service, scopes: map[string]bool{}}
	if s, ok := scope.(string); ok {
		for _, f := range strings.Fields(s) {
			p.scopes[f] = true
		}
	}
	switch list := permissions.(type) {
	case []any:
		for _, v := range list {
			if s, ok := v.(string); ok && s != "" {
				p.scopes[s] = true
			}
		}
	case []string:
		for _, s := range list {
			if s != "" {
				p.scopes[s] = true
			}
		}
	}
	return p
}

type principalKey struct{}

// NewContext returns a copy of ctx carrying p; the interceptors use it, and tests may too.
func NewContext(ctx context.Context, p *Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// PrincipalFrom returns the principal the interceptor stored in ctx. It returns false when the
// request was not authenticated (auth is off, or the method was skipped).
func PrincipalFrom(ctx context.Context) (*Principal, bool) {
	p, ok := ctx.Value(principalKey{}).(*Principal)
	return p, ok && p != nil
}
