package auth0

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/acme/progressive-profiling/server/internal/store"
	"github.com/acme/progressive-profiling/server/internal/store/auth0/auth0test"
)

// patchMetadata sets new first-level values, a patch the store sends without reading the
// profile again first: faults injected after a warm read meet its PATCH.
var (
	seedMetadata     = map[string]any{"keep": "yes"}
	patchMetadata    = map[string]any{"a": "1", "b": []any{"c", "2"}}
	completeMetadata = map[string]any{"keep": "yes", "a": "1", "b": []any{"c", "2"}}
)

// TestFaultsGiveTheRightErrorAndNeverAPartialWrite injects upstream faults into reads and
// writes and checks the error callers get and what Auth0 holds afterwards.
func TestFaultsGiveTheRightErrorAndNeverAPartialWrite(t *testing.T) {
	tests := []struct {
		name    string
		inject  func(*auth0test.Server)
		mod     func(*Config)
		timeout time.Duration
		// warm reads the user before the fault, so that an update meets it on its PATCH.
		warm           bool
		wantKind       store.Kind // 0: success, unless wantCtxErr
		wantCtxErr     error
		wantRetryAfter time.Duration // minimum RetryAfter
	}{
		{name: "throttled beyond the deadline", warm: true, timeout: 2 * time.Second,
			inject:   func(s *auth0test.Server) { s.Throttle(100, time.Now().Add(time.Hour)) },
			wantKind: store.KindRateLimited, wantRetryAfter: 30 * time.Minute},
		{name: "throttled within the deadline is retried", warm: true, timeout: 10 * time.Second,
			inject: func(s *auth0test.Server) { s.Throttle(1, time.Now().Add(time.Second)) }},
		{name: "503s", warm: true, timeout: 10 * time.Second,
			inject:   func(s *auth0test.Server) { s.FailNext(100, http.StatusServiceUnavailable) },
			wantKind: store.KindUnavailable},
		{name: "one 503 is retried", warm: true, timeout: 10 * time.Second,
			inject: func(s *auth0test.Server) { s.FailNext(1, http.StatusServiceUnavailable) }},
		{name: "slower than the attempt timeout", warm: true, timeout: 10 * time.Second,
			mod:      func(c *Config) { c.AttemptTimeout = 100 * time.Millisecond },
			inject:   func(s *auth0test.Server) { s.SetLatency(time.Minute) },
			wantKind: store.KindUnavailable},
		{name: "slower than the caller's deadline", warm: true, timeout: 150 * time.Millisecond,
			inject:     func(s *auth0test.Server) { s.SetLatency(time.Minute) },
			wantCtxErr: context.DeadlineExceeded},
		{name: "token endpoint down", timeout: 10 * time.Second,
			inject:   func(s *auth0test.Server) { s.SetTokenFailure(true) },
			wantKind: store.KindUnavailable},
	}
	ops := []struct {
		name string
		run  func(ctx context.Context, s *Store) error
	}{
		{"get", func(ctx context.Context, s *Store) error { _, err := s.Get(ctx, journeyUser); return err }},
		{"update", func(ctx context.Context, s *Store) error {
			_, err := s.Update(ctx, journeyUser, setMetadata(patchMetadata))
			return err
		}},
	}
	for _, tt := range tests {
		for _, op := range ops {
			t.Run(tt.name+"/"+op.name, func(t *testing.T) {
				t.Parallel()
				srv := newDouble(t)
				srv.AddUser(journeyUser, map[string]any{"given_name": "Ada", "user_metadata": seedMetadata})
				var mods []func(*Config)
				if tt.mod != nil {
					mods = append(mods, tt.mod)
				}
				s := newTestStore(t, srv, mods...)
				if tt.warm && op.name == "update" {
					if _, err := s.Get(t.Context(), journeyUser); err != nil {
						t.Fatalf("warming Get: %v", err)
					}
				}
				tt.inject(srv)

				err := op.run(withTimeout(t, tt.timeout), s)
				checkFaultError(t, err, tt.wantKind, tt.wantCtxErr, tt.wantRetryAfter)
				checkUnchangedOrComplete(t, srv)
			})
		}
	}
}

func checkFaultError(t *testing.T, err error, wantKind store.Kind, wantCtxErr error, wantRetryAfter time.Duration) {
	t.Helper()
	switch {
	case wantCtxErr != nil:
		if !errors.Is(err, wantCtxErr) || store.KindOf(err) != 0 {
			t.Fatalf("error = %v, want the caller's %v", err, wantCtxErr)
		}
	case wantKind == 0:
		if err != nil {
			t.Fatalf("error = %v, want success", err)
		}
	default:
		var se *store.Error
		if !asStoreError(err, &se) || se.Kind != wantKind {
			t.Fatalf("error = %v, want kind %v", err, wantKind)
		}
		if se.RetryAfter < wantRetryAfter {
			t.Errorf("RetryAfter = %v, want at least %v", se.RetryAfter, wantRetryAfter)
		}
	}
}

// checkUnchangedOrComplete checks that Auth0 holds the seeded metadata or all of the patch.
func checkUnchangedOrComplete(t *testing.T, srv *auth0test.Server) {
	t.Helper()
	u, _ := srv.User(journeyUser)
	got := u["user_metadata"]
	if cmp.Diff(seedMetadata, got) != "" && cmp.Diff(completeMetadata, got) != "" {
		t.Errorf("Auth0 holds user_metadata %v, want %v (unchanged) or %v (complete)", got, seedMetadata, completeMetadata)
	}
	if u["given_name"] != "Ada" {
		t.Errorf("Auth0 holds given_name %v, want Ada", u["given_name"])
	}
}

// TestFailedPatchInvalidatesTheCache checks that the read after a failed write fetches again.
func TestFailedPatchInvalidatesTheCache(t *testing.T) {
	srv := newDouble(t)
	srv.AddUser(journeyUser, map[string]any{"user_metadata": seedMetadata})
	s := newTestStore(t, srv)
	if _, err := s.Get(t.Context(), journeyUser); err != nil {
		t.Fatalf("Get: %v", err)
	}
	srv.FailNext(maxAttempts, http.StatusBadGateway)
	if _, err := s.Update(t.Context(), journeyUser, setMetadata(patchMetadata)); store.KindOf(err) != store.KindUnavailable {
		t.Fatalf("Update error = %v, want kind %v", err, store.KindUnavailable)
	}
	p, err := s.Get(t.Context(), journeyUser)
	if err != nil {
		t.Fatalf("Get after the failed update: %v", err)
	}
	if got := srv.Calls().Get; got != 2 {
		t.Errorf("upstream GETs = %d, want 2 (the failed write must drop the cached profile)", got)
	}
	if diff := cmp.Diff(seedMetadata, p.UserMetadata); diff != "" {
		t.Errorf("user_metadata after the failed update mismatch (-want +got):\n%s", diff)
	}
}

// TestThrottlingHoldsBackOtherRequests checks that once Auth0 announced a throttling window,
// no request is sent before it ends.
func TestThrottlingHoldsBackOtherRequests(t *testing.T) {
	srv := newDouble(t)
	srv.AddUser("auth0|one", nil)
	srv.AddUser("auth0|two", nil)
	s := newTestStore(t, srv)
	srv.Throttle(1, time.Now().Add(time.Hour))
	for _, id := range []string{"auth0|one", "auth0|two"} {
		_, err := s.Get(withTimeout(t, time.Second), id)
		if k := store.KindOf(err); k != store.KindRateLimited {
			t.Fatalf("Get(%q) error = %v, want kind %v", id, err, store.KindRateLimited)
		}
	}
	if got := srv.Calls().Get; got != 1 {
		t.Errorf("upstream GETs = %d, want 1", got)
	}
	if got := s.Stats().Throttled; got != 1 {
		t.Errorf("Stats().Throttled = %d, want 1", got)
	}
}

// TestClientSideLimiter checks the limiter: a wait that fits is waited, one that does not is
// reported as rate limited without a request.
func TestClientSideLimiter(t *testing.T) {
	tests := []struct {
		name        string
		perSecond   float64
		wantKind    store.Kind
		wantGets    int
		wantWaits   int64
		wantAtLeast time.Duration
	}{
		{name: "a short wait is waited", perSecond: 20, wantGets: 2, wantWaits: 1},
		{name: "a long wait is refused", perSecond: 0.01, wantKind: store.KindRateLimited, wantGets: 1, wantAtLeast: time.Minute},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newDouble(t)
			srv.AddUser("auth0|one", nil)
			srv.AddUser("auth0|two", nil)
			s := newTestStore(t, srv, func(c *Config) { c.ReadsPerSecond, c.ReadBurst = tt.perSecond, 1 })
			if _, err := s.Get(t.Context(), "auth0|one"); err != nil {
				t.Fatalf("first Get: %v", err)
			}
			_, err := s.Get(withTimeout(t, 5*time.Second), "auth0|two")
			checkFaultError(t, err, tt.wantKind, nil, tt.wantAtLeast)
			if got := srv.Calls().Get; got != tt.wantGets {
				t.Errorf("upstream GETs = %d, want %d", got, tt.wantGets)
			}
			if got := s.Stats().LimiterWaits; got != tt.wantWaits {
				t.Errorf("Stats().LimiterWaits = %d, want %d", got, tt.wantWaits)
			}
		})
	}
}

// TestClosedStoreIsUnavailable checks calls after Close.
func TestClosedStoreIsUnavailable(t *testing.T) {
	srv := newDouble(t)
	srv.AddUser(journeyUser, nil)
	s := newTestStore(t, srv)
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if _, err := s.Get(t.Context(), journeyUser); store.KindOf(err) != store.KindUnavailable {
		t.Errorf("Get after Close error = %v, want kind %v", err, store.KindUnavailable)
	}
	if _, err := s.Update(t.Context(), journeyUser, setMetadata(patchMetadata)); store.KindOf(err) != store.KindUnavailable {
		t.Errorf("Update after Close error = %v, want kind %v", err, store.KindUnavailable)
	}
}

// TestThrottledReadsDoNotHoldBackWrites: Auth0 limits reads and writes of users separately, so
// a 429 on a GET holds back reads only.
func TestThrottledReadsDoNotHoldBackWrites(t *testing.T) {
	srv := newDouble(t)
	srv.AddUser("auth0|one", nil)
	srv.AddUser("auth0|two", nil)
	s := newTestStore(t, srv)
	if _, err := s.Get(t.Context(), "auth0|two"); err != nil {
		t.Fatal(err)
	}
	srv.Throttle(1, time.Now().Add(time.Hour))
	if _, err := s.Get(withTimeout(t, time.Second), "auth0|one"); store.KindOf(err) != store.KindRateLimited {
		t.Fatalf("throttled Get error = %v, want kind %v", err, store.KindRateLimited)
	}
	if _, err := s.Update(t.Context(), "auth0|two", setMetadata(map[string]any{"a": "1"})); err != nil {
		t.Errorf("a write after a throttled read: %v, want it sent", err)
	}
	if got := srv.Calls().Patch; got != 1 {
		t.Errorf("PATCH requests = %d, want 1", got)
	}
}
