package auth

import (
	"context"
	"maps"
	"strings"
)

// Principal is an authenticated caller, built from a verified access token.
type Principal struct {
	// Subject is the token's "sub": an Auth0 user id, or "{client_id}@clients" for a service.
	Subject string
	// Service is true for machine-to-machine tokens (client-credentials grants).
	Service bool
	// Scopes holds the granted scopes, from "scope" (space-separated) and "permissions" (array).
	Scopes map[string]bool
}

// Has reports whether the principal was granted scope. A nil principal has no scopes.
func (p *Principal) Has(scope string) bool {
	return p != nil && p.Scopes[scope]
}

// clone returns a deep copy, so that callers cannot alter a cached principal.
func (p *Principal) clone() *Principal {
	c := *p
	c.Scopes = maps.Clone(p.Scopes)
	return &c
}

// isServiceSubject reports whether sub names an Auth0 machine-to-machine client. Auth0 writes
// such subjects as "{client_id}@clients"; user ids always carry a "provider|" prefix, so a user
// whose id merely ends in "@clients" (a SAML or email-based id) is not taken for a service.
func isServiceSubject(sub string) bool {
	return strings.HasSuffix(sub, "@clients") && !strings.Contains(sub, "|")
}

// newPrincipal builds a principal from a subject and the raw "scope" and "permissions" claims.
func newPrincipal(sub string, scope, permissions any) *Principal {
	p := &Principal{Subject: sub, Service: isServiceSubject(sub), Scopes: map[string]bool{}}
	if s, ok := scope.(string); ok {
		for _, f := range strings.Fields(s) {
			p.Scopes[f] = true
		}
	}
	switch list := permissions.(type) {
	case []any:
		for _, v := range list {
			if s, ok := v.(string); ok && s != "" {
				p.Scopes[s] = true
			}
		}
	case []string:
		for _, s := range list {
			if s != "" {
				p.Scopes[s] = true
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
