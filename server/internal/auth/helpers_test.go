package auth_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/acme/progressive-profiling/server/internal/auth"
	"github.com/acme/progressive-profiling/server/internal/auth/authtest"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// fakeClock is a settable clock shared by a verifier and its test.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func newFakeClock() *fakeClock { return &fakeClock{now: time.Now()} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// config returns a verifier configuration for iss; edit modifies it before use.
func config(iss *authtest.Issuer, edits ...func(*auth.Config)) auth.Config {
	cfg := auth.Config{Issuer: iss.Issuer(), Audience: authtest.Audience}
	for _, e := range edits {
		e(&cfg)
	}
	return cfg
}

func withClock(c *fakeClock) func(*auth.Config) {
	return func(cfg *auth.Config) { cfg.Now = c.Now }
}

// newVerifier builds a verifier whose background work ends with the test.
func newVerifier(t *testing.T, cfg auth.Config) *auth.Verifier {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	v, err := auth.NewVerifier(ctx, cfg)
	if err != nil {
		t.Fatalf("NewVerifier: %v", err)
	}
	return v
}

// invalidToken returns the invalid token of iss named name.
func invalidToken(t *testing.T, iss *authtest.Issuer, name string) string {
	t.Helper()
	for _, c := range iss.InvalidTokens(t, "auth0|alice") {
		if c.Name == name {
			return c.Token
		}
	}
	t.Fatalf("no invalid token named %q", name)
	return ""
}

func newBenchVerifier(b *testing.B, cfg auth.Config) (*auth.Verifier, error) {
	ctx, cancel := context.WithCancel(context.Background())
	b.Cleanup(cancel)
	return auth.NewVerifier(ctx, cfg)
}

// principalView is what a principal shows its users, in a form cmp.Diff can compare.
type principalView struct {
	Subject string
	Service bool
	Scopes  []string
}

func view(p *auth.Principal) *principalView {
	if p == nil {
		return nil
	}
	return &principalView{Subject: p.Subject, Service: p.Service, Scopes: auth.ScopesOf(p)}
}
