package auth_test

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/acme/progressive-profiling/server/internal/auth"
	"github.com/acme/progressive-profiling/server/internal/auth/authtest"
)

const testRefreshInterval = 5 * time.Second

func TestVerifyPicksUpKeyPublishedAfterStart(t *testing.T) {
	iss := authtest.NewIssuer(t)
	clock := newFakeClock()
	v := newVerifier(t, config(iss, withClock(clock)))
	if _, err := v.Verify(t.Context(), iss.UserToken(t, "auth0|alice")); err != nil {
		t.Fatalf("token of the first key: %v", err)
	}

	if _, err := iss.Rotate(); err != nil {
		t.Fatalf("Rotate: %v", err)
	}
	clock.Advance(testRefreshInterval)
	if _, err := v.Verify(t.Context(), iss.UserToken(t, "auth0|bob")); err != nil {
		t.Errorf("token of the rotated key: got error %v, want none", err)
	}
	if got, want := iss.Fetches(), 2; got != want {
		t.Errorf("JWKS fetches: got %d, want %d", got, want)
	}
}

func TestVerifyKeepsAcceptingOldKeyAfterRotation(t *testing.T) {
	iss := authtest.NewIssuer(t)
	clock := newFakeClock()
	v := newVerifier(t, config(iss, withClock(clock)))
	old := iss.UserToken(t, "auth0|alice")
	if _, err := iss.Rotate(); err != nil {
		t.Fatalf("Rotate: %v", err)
	}
	clock.Advance(auth.DefaultMinRefreshInterval)
	if _, err := v.Verify(t.Context(), iss.UserToken(t, "auth0|bob")); err != nil {
		t.Fatalf("token of the new key: %v", err)
	}
	if _, err := v.Verify(t.Context(), old); err != nil {
		t.Errorf("token of the old, still published key: got error %v, want none", err)
	}
}

func TestUnknownKidFloodFetchesAtMostOncePerInterval(t *testing.T) {
	iss := authtest.NewIssuer(t)
	clock := newFakeClock()
	v := newVerifier(t, config(iss, withClock(clock), func(c *auth.Config) { c.MinRefreshInterval = testRefreshInterval }))
	if _, err := v.Verify(t.Context(), iss.UserToken(t, "auth0|alice")); err != nil {
		t.Fatalf("valid token: %v", err)
	}

	flood := func(round int) {
		t.Helper()
		var wg sync.WaitGroup
		for n := range 50 {
			kid := fmt.Sprintf("forged-%d-%d", round, n)
			tok := iss.ForeignToken(t, kid, map[string]any{"sub": "auth0|mallory"})
			wg.Go(func() {
				if _, err := v.Verify(t.Context(), tok); !errors.Is(err, auth.ErrUnauthenticated) {
					t.Errorf("forged token with kid %s: got %v, want ErrUnauthenticated", kid, err)
				}
			})
		}
		wg.Wait()
	}
	steps := []struct {
		name        string
		advance     time.Duration
		wantFetches int
	}{
		{"within the interval of the first fetch", 0, 1},
		{"just before the interval ends", testRefreshInterval - time.Millisecond, 1},
		{"once the interval has passed", time.Millisecond, 2},
		{"again within the interval", testRefreshInterval / 2, 2},
		{"another interval later", testRefreshInterval, 3},
	}
	for round, s := range steps {
		clock.Advance(s.advance)
		flood(round)
		if got := iss.Fetches(); got != s.wantFetches {
			t.Errorf("%s: JWKS fetches: got %d, want %d", s.name, got, s.wantFetches)
		}
	}
}

func TestVerifierStartsWhileJWKSIsDown(t *testing.T) {
	iss := authtest.NewIssuer(t)
	iss.SetDown(true)
	clock := newFakeClock()
	v := newVerifier(t, config(iss, withClock(clock)))
	tok := iss.UserToken(t, "auth0|alice")

	if _, err := v.Verify(t.Context(), tok); !errors.Is(err, auth.ErrUnauthenticated) {
		t.Errorf("while the JWKS is down: got %v, want ErrUnauthenticated", err)
	}
	iss.SetDown(false)
	clock.Advance(auth.DefaultMinRefreshInterval)
	if _, err := v.Verify(t.Context(), tok); err != nil {
		t.Errorf("once the JWKS is back: got error %v, want none", err)
	}
	if got, want := iss.Fetches(), 2; got != want {
		t.Errorf("JWKS fetches: got %d, want %d", got, want)
	}
}

func TestRevokedKeyStopsWorkingOnceKeysAreStale(t *testing.T) {
	iss := authtest.NewIssuer(t)
	clock := newFakeClock()
	v := newVerifier(t, config(iss, withClock(clock)))
	oldKID := iss.KeyID()
	if _, err := v.Verify(t.Context(), iss.UserToken(t, "auth0|alice")); err != nil {
		t.Fatalf("token of the first key: %v", err)
	}
	// Sign two more tokens with the first key before rotating it away.
	staleUse, afterRefresh := iss.UserToken(t, "auth0|bob"), iss.UserToken(t, "auth0|carol")
	if _, err := iss.Rotate(); err != nil {
		t.Fatalf("Rotate: %v", err)
	}
	iss.Revoke(oldKID)
	clock.Advance(time.Hour)

	if _, err := v.Verify(t.Context(), staleUse); err != nil {
		t.Fatalf("first use after the keys went stale: got %v, want it accepted while keys refresh", err)
	}
	// A token of the new key waits for (or finds the result of) the refresh just started.
	if _, err := v.Verify(t.Context(), iss.UserToken(t, "auth0|dave")); err != nil {
		t.Fatalf("token of the new key: %v", err)
	}
	if _, err := v.Verify(t.Context(), afterRefresh); !errors.Is(err, auth.ErrUnauthenticated) {
		t.Errorf("token of the revoked key after the refresh: got %v, want ErrUnauthenticated", err)
	}
	if got, want := iss.Fetches(), 2; got != want {
		t.Errorf("JWKS fetches: got %d, want %d", got, want)
	}
}
