package auth_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/acme/progressive-profiling/server/internal/auth"
	"github.com/acme/progressive-profiling/server/internal/auth/authtest"
	"github.com/google/go-cmp/cmp"
)

func TestVerifyReturnsPrincipalOfValidToken(t *testing.T) {
	iss := authtest.NewIssuer(t)
	v := newVerifier(t, config(iss))
	clientID := "abc123"

	tests := []struct {
		name   string
		claims map[string]any
		want   *auth.Principal
	}{
		{
			name:   "end user without scopes",
			claims: map[string]any{"sub": "auth0|alice"},
			want:   auth.NewPrincipal("auth0|alice", false),
		},
		{
			name:   "scope claim is split on spaces",
			claims: map[string]any{"sub": "auth0|alice", "scope": "openid  profile read:profiles"},
			want:   auth.NewPrincipal("auth0|alice", false, "openid", "profile", "read:profiles"),
		},
		{
			name:   "permissions array adds to scope",
			claims: withClaims(authtest.ServiceClaims(clientID), map[string]any{"scope": "read:profiles", "permissions": []string{"write:profiles"}}),
			want:   auth.NewPrincipal(clientID+"@clients", true, "read:profiles", "write:profiles"),
		},
		{
			name:   "permissions alone",
			claims: withClaims(authtest.ServiceClaims(clientID), map[string]any{"permissions": []string{"read:profiles"}}),
			want:   auth.NewPrincipal(clientID+"@clients", true, "read:profiles"),
		},
		{
			name:   "user id ending in @clients is not a service",
			claims: map[string]any{"sub": "samlp|corp|bob@clients"},
			want:   auth.NewPrincipal("samlp|corp|bob@clients", false),
		},
		{
			name:   "audience array containing ours",
			claims: map[string]any{"sub": "auth0|alice", "aud": []string{authtest.Audience, iss.Issuer() + "userinfo"}},
			want:   auth.NewPrincipal("auth0|alice", false),
		},
		{
			name:   "expired within the allowed skew",
			claims: map[string]any{"sub": "auth0|alice", "exp": time.Now().Add(-5 * time.Second)},
			want:   auth.NewPrincipal("auth0|alice", false),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := v.Verify(t.Context(), iss.Token(t, tt.claims))
			if err != nil {
				t.Fatalf("Verify: got error %v, want none", err)
			}
			if diff := cmp.Diff(view(tt.want), view(got)); diff != "" {
				t.Errorf("principal mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestVerifyRejectsInvalidTokens(t *testing.T) {
	iss := authtest.NewIssuer(t)
	v := newVerifier(t, config(iss))
	if _, err := v.Verify(t.Context(), iss.UserToken(t, "auth0|alice")); err != nil {
		t.Fatalf("valid token: got error %v, want none", err)
	}
	cases := append([]authtest.NamedToken{{Name: "no token", Token: ""}}, iss.InvalidTokens(t, "auth0|alice")...)

	mustCover := []string{
		"no token", "malformed", "alg none", "HS256 with the public key PEM as secret",
		"other key reusing the known kid", "expired", "not yet valid", "wrong issuer",
		"wrong audience", "missing sub", "RS384 with the tenant key", "ES256 reusing the known kid",
		"crit header", "exp as a numeric string", "alg twice in the header",
	}
	for _, name := range mustCover {
		if !slices.ContainsFunc(cases, func(c authtest.NamedToken) bool { return c.Name == name }) {
			t.Errorf("invalid token %q is not covered", name)
		}
	}
	for _, c := range cases {
		t.Run(c.Name, func(t *testing.T) {
			p, err := v.Verify(t.Context(), c.Token)
			if !errors.Is(err, auth.ErrUnauthenticated) {
				t.Errorf("Verify: got (%v, %v), want ErrUnauthenticated", p, err)
			}
		})
	}
}

// TestVerifyRejectsInconsistentServiceTokens: a caller is a service only with everything Auth0
// writes in client-credentials tokens (gty, azp, sub = azp + "@clients"); a token that claims
// to be a service without it is refused, not taken for a service nor for a user.
func TestVerifyRejectsInconsistentServiceTokens(t *testing.T) {
	iss := authtest.NewIssuer(t)
	v := newVerifier(t, config(iss))
	if p, err := v.Verify(t.Context(), iss.ServiceToken(t, "svc1", auth.ScopeWrite)); err != nil || !p.Service {
		t.Fatalf("valid service token: got (%+v, %v), want a service", p, err)
	}
	for _, c := range iss.InvalidServiceTokens(t, "svc1", auth.ScopeWrite) {
		t.Run(c.Name, func(t *testing.T) {
			if p, err := v.Verify(t.Context(), c.Token); !errors.Is(err, auth.ErrUnauthenticated) {
				t.Errorf("Verify: got (%+v, %v), want ErrUnauthenticated", p, err)
			}
		})
	}
}

// withClaims returns base with extra merged in.
func withClaims(base, extra map[string]any) map[string]any {
	for k, v := range extra {
		base[k] = v
	}
	return base
}

func TestVerifyReturnsACopyOfCachedPrincipal(t *testing.T) {
	iss := authtest.NewIssuer(t)
	v := newVerifier(t, config(iss))
	tok := iss.Token(t, map[string]any{"sub": "auth0|alice", "scope": "read:profiles"})

	first, err := v.Verify(t.Context(), tok)
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	first.Subject = "auth0|mallory"
	first.Service = true
	second, err := v.Verify(t.Context(), tok)
	if err != nil {
		t.Fatalf("Verify again: %v", err)
	}
	want := auth.NewPrincipal("auth0|alice", false, "read:profiles")
	if diff := cmp.Diff(view(want), view(second)); diff != "" {
		t.Errorf("second principal (-want +got):\n%s", diff)
	}
}

func TestVerifyRejectsCachedTokenOnceExpired(t *testing.T) {
	iss := authtest.NewIssuer(t)
	clock := newFakeClock()
	v := newVerifier(t, config(iss, withClock(clock)))
	tok := iss.Token(t, map[string]any{"sub": "auth0|alice", "exp": clock.Now().Add(time.Minute)})

	if _, err := v.Verify(t.Context(), tok); err != nil {
		t.Fatalf("Verify before expiry: %v", err)
	}
	clock.Advance(time.Minute + auth.DefaultSkew + time.Second)
	if _, err := v.Verify(t.Context(), tok); !errors.Is(err, auth.ErrUnauthenticated) {
		t.Errorf("Verify after expiry: got %v, want ErrUnauthenticated", err)
	}
}

func TestVerifyHonoursCanceledContextWhileKeysLoad(t *testing.T) {
	iss := authtest.NewIssuer(t)
	iss.SetDown(true)
	v := newVerifier(t, config(iss))
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := v.Verify(ctx, iss.UserToken(t, "auth0|alice")); !errors.Is(err, auth.ErrUnauthenticated) {
		t.Errorf("Verify: got %v, want ErrUnauthenticated", err)
	}
}

func TestNewVerifierRejectsBadConfig(t *testing.T) {
	tests := []struct {
		name string
		cfg  auth.Config
	}{
		{"missing issuer", auth.Config{Audience: "api"}},
		{"missing audience", auth.Config{Issuer: "https://acme.eu.auth0.com/"}},
		{"plain http to a remote host", auth.Config{Issuer: "http://acme.eu.auth0.com/", Audience: "api"}},
		{"relative JWKS URL", auth.Config{Issuer: "https://acme.eu.auth0.com/", Audience: "api", JWKSURL: "/jwks.json"}},
		{"negative skew", auth.Config{Issuer: "https://acme.eu.auth0.com/", Audience: "api", Skew: -time.Second}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if v, err := auth.NewVerifier(t.Context(), tt.cfg); err == nil {
				t.Errorf("NewVerifier: got %v, want an error", v)
			}
		})
	}
}
