package auth0

import (
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/acme/progressive-profiling/server/internal/store"
	"github.com/acme/progressive-profiling/server/internal/store/auth0/auth0test"
	"github.com/acme/progressive-profiling/server/internal/testlog"
)

// TestSecretsNeverReachLogsOrErrors drives the store through failures that get logged and
// checks that neither logs nor errors carry the client secret or an access token.
func TestSecretsNeverReachLogsOrErrors(t *testing.T) {
	const wrongSecret = "wrong-secret-must-not-leak"
	tests := []struct {
		name   string
		secret string
		inject func(*auth0test.Server)
	}{
		{"refused credentials", wrongSecret, func(*auth0test.Server) {}},
		{"token endpoint down", auth0test.ClientSecret, func(s *auth0test.Server) { s.SetTokenFailure(true) }},
		{"503s", auth0test.ClientSecret, func(s *auth0test.Server) { s.FailNext(100, http.StatusServiceUnavailable) }},
		{"throttled", auth0test.ClientSecret, func(s *auth0test.Server) { s.Throttle(100, time.Now().Add(time.Hour)) }},
		{"unknown user", auth0test.ClientSecret, func(*auth0test.Server) {}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newDouble(t)
			var logs testlog.Buffer
			logger := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
			s := newTestStore(t, srv, func(c *Config) { c.ClientSecret, c.Logger = tt.secret, logger })
			tt.inject(srv)

			_, err := s.Get(withTimeout(t, 5*time.Second), journeyUser)
			if err == nil {
				t.Fatal("Get succeeded, want a failure")
			}
			var se *store.Error
			if asStoreError(err, &se) && se.Kind != store.KindNotFound && !strings.Contains(logs.String(), "auth0 get user failed") {
				t.Errorf("logs %q do not report the failure", logs.String())
			}
			for _, secret := range []string{tt.secret, "auth0test-token-", "Bearer"} {
				if strings.Contains(logs.String(), secret) {
					t.Errorf("logs reveal %q:\n%s", secret, logs.String())
				}
				if strings.Contains(err.Error(), secret) {
					t.Errorf("error %q reveals %q", err, secret)
				}
			}
		})
	}
}

// TestRefusedCredentialsAreUnavailable checks that a token request Auth0 refuses is reported as
// unavailable and not retried.
func TestRefusedCredentialsAreUnavailable(t *testing.T) {
	srv := newDouble(t)
	srv.AddUser(journeyUser, nil)
	s := newTestStore(t, srv, func(c *Config) { c.ClientSecret = "wrong" })
	_, err := s.Get(t.Context(), journeyUser)
	if k := store.KindOf(err); k != store.KindUnavailable {
		t.Fatalf("Get error = %v, want kind %v", err, store.KindUnavailable)
	}
	if got := s.Stats().Retries; got != 0 {
		t.Errorf("Stats().Retries = %d, want 0", got)
	}
}
