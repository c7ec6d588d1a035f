package auth

import (
	"context"
	"crypto/sha256"
	"strings"
	"testing"
	"time"

	"github.com/acme/progressive-profiling/server/internal/auth/authtest"
)

func TestVerifiedTokenIsCachedUntilExpiryOrMaxAge(t *testing.T) {
	iss := authtest.NewIssuer(t)
	now := time.Now()
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	v, err := NewVerifier(ctx, Config{Issuer: iss.Issuer(), Audience: authtest.Audience, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatalf("NewVerifier: %v", err)
	}
	shortExp := now.Add(time.Minute).Truncate(time.Second)
	tests := []struct {
		name      string
		exp       time.Time
		wantUntil time.Time
	}{
		{"short-lived token: until exp plus skew", shortExp, shortExp.Add(DefaultSkew)},
		{"long-lived token: until the cache's max age", now.Add(24 * time.Hour), now.Add(tokenCacheMaxAge)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tok := iss.Token(t, map[string]any{"sub": "auth0|alice", "exp": tt.exp})
			for range 3 {
				if _, err := v.Verify(t.Context(), tok); err != nil {
					t.Fatalf("Verify: %v", err)
				}
			}
			if _, ok := v.cache.get(tok, now); !ok {
				t.Fatalf("token is not cached after verification")
			}
			if _, ok := v.cache.get(tok, tt.wantUntil.Add(-time.Nanosecond)); !ok {
				t.Errorf("token left the cache before %v", tt.wantUntil)
			}
			if _, ok := v.cache.get(tok, tt.wantUntil); ok {
				t.Errorf("token still cached at %v", tt.wantUntil)
			}
		})
	}
}

func TestRejectedTokensAreNotCached(t *testing.T) {
	iss := authtest.NewIssuer(t)
	v, err := NewVerifier(t.Context(), Config{Issuer: iss.Issuer(), Audience: authtest.Audience})
	if err != nil {
		t.Fatalf("NewVerifier: %v", err)
	}
	for _, c := range iss.InvalidTokens(t, "auth0|alice") {
		_, _ = v.Verify(t.Context(), c.Token)
	}
	if got := v.cache.lru.Len(); got != 0 {
		t.Errorf("cache entries: got %d, want 0", got)
	}
}

func TestTokenKeyIsTheSHA256OfTheToken(t *testing.T) {
	for _, n := range []int{0, 1, 255, 256, 257, 512, 800, 16 << 10} {
		raw := strings.Repeat("eyJhbGciOiJSUzI1NiJ9.", n/21+1)[:n]
		if got, want := tokenKey(raw), sha256.Sum256([]byte(raw)); got != want {
			t.Errorf("tokenKey of %d bytes: got %x, want %x", n, got, want)
		}
	}
}
