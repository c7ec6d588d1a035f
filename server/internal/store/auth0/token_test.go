package auth0

import (
	"net/http"
	"testing"
	"time"

	"github.com/acme/progressive-profiling/server/internal/store"
)

func TestRevokedTokenIsReplacedAndTheCallSucceeds(t *testing.T) {
	srv := newDouble(t)
	srv.AddUser("auth0|a", map[string]any{"given_name": "Ada"})
	srv.AddUser("auth0|b", map[string]any{"given_name": "Bob"})
	s := newTestStore(t, srv)
	if _, err := s.Get(t.Context(), "auth0|a"); err != nil {
		t.Fatalf("first Get: %v", err)
	}
	srv.RevokeTokens()

	p, err := s.Get(withTimeout(t, 5*time.Second), "auth0|b")
	if err != nil {
		t.Fatalf("Get after the token was revoked: %v", err)
	}
	if p.Attributes["given_name"] != "Bob" {
		t.Errorf("given_name = %v, want Bob", p.Attributes["given_name"])
	}
	if got := srv.Calls().Token; got != 2 {
		t.Errorf("token requests = %d, want 2 (the first token, then one replacing the revoked one)", got)
	}
	if got := s.Stats().TokenRenewals; got != 1 {
		t.Errorf("TokenRenewals = %d, want 1", got)
	}
	// Writes go out with the new token too.
	if _, err := s.Update(t.Context(), "auth0|b", setMetadata(map[string]any{"title": "CTO"})); err != nil {
		t.Fatalf("Update with the new token: %v", err)
	}
}

func TestRefusedTokensAreRenewedAtMostOncePerInterval(t *testing.T) {
	srv := newDouble(t)
	srv.AddUser("auth0|a", map[string]any{"given_name": "Ada"})
	s := newTestStore(t, srv)
	srv.FailNext(100, http.StatusUnauthorized) // Auth0 refuses every token, new ones included

	for i := range 3 {
		_, err := s.Get(withTimeout(t, 5*time.Second), "auth0|a")
		if store.KindOf(err) != store.KindUnavailable {
			t.Fatalf("Get %d: error = %v, want KindUnavailable", i, err)
		}
	}
	if got := s.Stats().TokenRenewals; got != 1 {
		t.Errorf("TokenRenewals = %d after three refused calls, want 1 (at most one per %s)", got, minRenewInterval)
	}
	if got := srv.Calls().Token; got > 2 {
		t.Errorf("token requests = %d, want at most 2", got)
	}
}
