package auth0

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/auth0/go-auth0/management"
	"golang.org/x/time/rate"

	"github.com/acme/progressive-profiling/server/internal/store"
)

const (
	// maxAttempts bounds the upstream requests spent on one Get or Update step.
	maxAttempts = 3
	// maxWaitWithoutDeadline bounds a wait for a caller that set no deadline.
	maxWaitWithoutDeadline = 10 * time.Second
	// minRetryWait keeps retries after a 429 whose reset has already passed from spinning.
	minRetryWait = 100 * time.Millisecond
	// baseBackoff is the first wait after a 5xx or a transport failure.
	baseBackoff = 200 * time.Millisecond
)

// attemptFunc makes one upstream attempt.
type attemptFunc func(ctx context.Context) (*store.Profile, error)

// withRetries runs attempt until it succeeds, fails for good, or the next wait does not fit the
// caller's deadline. Errors are *store.Error, or ctx.Err() when the caller's context ended.
func (s *Store) withRetries(ctx context.Context, attempt attemptFunc) (*store.Profile, error) {
	for n := 1; ; n++ {
		p, err := attempt(ctx)
		if err == nil {
			return p, nil
		}
		var f *failure
		if !errors.As(err, &f) {
			return nil, err
		}
		wait := f.wait(n)
		if !f.retryable || n >= maxAttempts || !fits(ctx, wait) {
			return nil, f.storeError(wait)
		}
		s.stats.retries.Add(1)
		if err := sleep(ctx, wait); err != nil {
			return nil, err
		}
	}
}

// request makes one upstream request: it honours a known throttling window and the client-side
// limiter, then calls the Management API with a per-attempt timeout under the caller's deadline.
func (s *Store) request(ctx context.Context, lim *rate.Limiter, method, userID string, body map[string]any) (*store.Profile, error) {
	b := readBucket
	if lim == s.writes {
		b = writeBucket
	}
	if until := time.Unix(0, s.throttledUntil[b].Load()); time.Now().Before(until) {
		return nil, &failure{kind: store.KindRateLimited, retryable: true, retryAfter: time.Until(until),
			msg: "Auth0 rate limit reached", cause: errors.New("waiting for the rate limit to reset")}
	}
	if err := s.waitLimiter(ctx, lim); err != nil {
		return nil, err
	}
	if method == http.MethodGet {
		s.stats.gets.Add(1)
	} else {
		s.stats.patches.Add(1)
	}
	actx, cancel := context.WithTimeout(ctx, s.cfg.AttemptTimeout)
	defer cancel()
	info := &rateInfo{bucket: b}
	ex := &exchange{body: body}
	api := s.api.Load()
	err := api.Request(withRateInfo(actx, info), method, api.URI("users", userID), ex)
	if err == nil && ex.response == nil {
		err = errors.New("empty response body")
	}
	if err != nil {
		if isStatus(err, http.StatusUnauthorized) && ctx.Err() == nil && s.renewAPI(ctx, api) {
			// Auth0 no longer accepts the cached token (revoked, signing key rotated): the next
			// attempt goes out with a client that fetches a new one.
			return nil, &failure{kind: store.KindUnavailable, msg: "Auth0 refused the service's token", retryable: true,
				retryAfter: renewedRetryWait, cause: err}
		}
		return nil, s.classify(ctx, actx, info, err)
	}
	return toProfile(userID, ex.response), nil
}

// waitLimiter waits for the client-side limiter when the wait fits the deadline.
func (s *Store) waitLimiter(ctx context.Context, lim *rate.Limiter) error {
	r := lim.Reserve()
	d := r.Delay()
	if d <= 0 {
		return nil
	}
	if !fits(ctx, d) {
		r.Cancel()
		return &failure{kind: store.KindRateLimited, retryAfter: d, msg: "Auth0 request budget of this service exhausted",
			cause: errors.New("client-side rate limiter")}
	}
	s.stats.limiterWaits.Add(1)
	if err := sleep(ctx, d); err != nil {
		r.Cancel()
		return err
	}
	return nil
}

// fits reports whether waiting d leaves the caller's deadline ahead.
func fits(ctx context.Context, d time.Duration) bool {
	deadline, ok := ctx.Deadline()
	if !ok {
		return d <= maxWaitWithoutDeadline
	}
	return time.Now().Add(d).Before(deadline)
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

const (
	// minRenewInterval bounds how often a refused token makes the store fetch a new one, so
	// that credentials Auth0 keeps refusing do not turn every call into a token request.
	minRenewInterval = 10 * time.Second
	// renewedRetryWait is the pause before retrying with a renewed client.
	renewedRetryWait = 10 * time.Millisecond
)

// renewAPI replaces old, the client whose token Auth0 refused, by a fresh client that fetches a
// new token on its first request. It reports whether a retry may use a client other than old:
// true when this call or a concurrent one renewed it, false when the last renewal is too recent.
func (s *Store) renewAPI(ctx context.Context, old *management.Management) bool {
	s.renewMu.Lock()
	defer s.renewMu.Unlock()
	if s.api.Load() != old {
		return true
	}
	if !s.renewedAt.IsZero() && time.Since(s.renewedAt) < minRenewInterval {
		return false
	}
	api, err := s.newAPI()
	if err != nil {
		s.cfg.Logger.ErrorContext(ctx, "auth0 store: renewing the Management API client failed", "err", err)
		return false
	}
	s.api.Store(api)
	s.renewedAt = time.Now()
	s.stats.tokenRenewals.Add(1)
	s.cfg.Logger.WarnContext(ctx, "auth0 store: Auth0 refused the Management API token; fetching a new one")
	return true
}

// isStatus reports whether err is a Management API error response with the given status.
func isStatus(err error, status int) bool {
	var apiErr management.Error
	return errors.As(err, &apiErr) && apiErr.Status() == status
}
