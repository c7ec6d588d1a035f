package auth0

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/auth0/go-auth0/management"

	"github.com/acme/progressive-profiling/server/internal/replicas"
	"github.com/acme/progressive-profiling/server/internal/sleep"
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
		if err := sleep.For(ctx, wait); err != nil {
			return nil, err
		}
	}
}

// request makes one upstream request: it honours a known throttling window, waits for its grant
// of the Management API budget (reserving one when g is nil), then calls the Management API with
// a per-attempt timeout under the caller's deadline, and reports the response's rate-limit
// headers to the budget. When unanswered is not nil, it is set if the request went out and no
// response came back.
func (s *Store) request(ctx context.Context, kind replicas.Kind, method, userID string, body map[string]any, g *replicas.Grant, unanswered *bool) (*store.Profile, error) {
	if until := time.Unix(0, s.throttledUntil[kind].Load()); time.Now().Before(until) {
		return nil, &failure{kind: store.KindRateLimited, retryable: true, retryAfter: time.Until(until),
			msg: "Auth0 rate limit reached", cause: errors.New("waiting for the rate limit to reset")}
	}
	if g == nil {
		grants, err := s.reserve(ctx, b2i(kind == replicas.Read), b2i(kind == replicas.Write))
		if err != nil {
			return nil, err
		}
		g = &append(grants.Reads, grants.Writes...)[0]
	}
	if wait := time.Until(g.NotBefore); wait > 0 {
		s.stats.limiterWaits.Add(1)
		if err := sleep.For(ctx, wait); err != nil {
			return nil, err
		}
	}
	if method == http.MethodGet {
		s.stats.gets.Add(1)
	} else {
		s.stats.patches.Add(1)
	}
	actx, cancel := context.WithTimeout(ctx, s.cfg.AttemptTimeout)
	defer cancel()
	info := &rateInfo{}
	ex := &exchange{body: body}
	api := s.api.Load()
	err := api.Request(withRateInfo(actx, info), method, api.URI("users", userID), ex)
	s.stats.upstream.add(method, upstreamStatus(err, info))
	if info.seen {
		s.coord.Observe(*g, info.observation(g.Seq))
	}
	if err == nil && ex.response == nil {
		err = errors.New("empty response body")
	}
	if err != nil && unanswered != nil && info.at.IsZero() && !isTokenError(err) {
		*unanswered = true
	}
	if err != nil {
		if isStatus(err, http.StatusUnauthorized) && ctx.Err() == nil && s.renewAPI(ctx, api) {
			// Auth0 no longer accepts the cached token (revoked, signing key rotated): the next
			// attempt goes out with a client that fetches a new one.
			return nil, &failure{kind: store.KindUnavailable, msg: "Auth0 refused the service's token", retryable: true,
				retryAfter: renewedRetryWait, cause: err}
		}
		return nil, s.classify(ctx, actx, kind, info, err)
	}
	return toProfile(userID, ex.response), nil
}

// reserve takes reads and writes from the Management API budget, waiting at most as long as the
// caller's deadline allows; beyond that the caller gets a retryable KindRateLimited failure.
func (s *Store) reserve(ctx context.Context, reads, writes int) (replicas.Grants, error) {
	g, err := s.coord.Reserve(ctx, reads, writes, maxWait(ctx))
	var ex *replicas.ExhaustedError
	switch {
	case errors.As(err, &ex):
		return g, &failure{kind: store.KindRateLimited, retryAfter: ex.RetryAfter, msg: budgetExhausted, cause: err}
	case err != nil && ctx.Err() != nil:
		return g, ctx.Err()
	}
	return g, err
}

// budgetExhausted tells callers that the service holds back to stay within Auth0's limits.
const budgetExhausted = "Auth0 request budget of this service exhausted"

// final turns the failure of an attempt made without retries into the error callers see.
func final(err error) error {
	var f *failure
	if errors.As(err, &f) {
		return f.storeError(0)
	}
	return err
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// answerMargin is the time a request needs after its budget wait to be answered: a wait that
// leaves less of the caller's deadline is refused, so that the caller hears when to retry
// rather than running out of time.
const answerMargin = 100 * time.Millisecond

// maxWait is how long a request may wait for its budget: until answerMargin before the caller's
// deadline.
func maxWait(ctx context.Context) time.Duration {
	deadline, ok := ctx.Deadline()
	if !ok {
		return maxWaitWithoutDeadline
	}
	return max(time.Until(deadline)-answerMargin, 0)
}

// lockError turns a failure to take a user's write lock into the error callers see.
func lockError(err error) error {
	var u *replicas.UnavailableError
	if errors.As(err, &u) {
		return &store.Error{Kind: store.KindUnavailable, Message: "the replicas' shared lock is unavailable; retry later",
			RetryAfter: u.RetryAfter, Err: err}
	}
	return err
}

// fits reports whether waiting d leaves the caller's deadline ahead.
func fits(ctx context.Context, d time.Duration) bool {
	deadline, ok := ctx.Deadline()
	if !ok {
		return d <= maxWaitWithoutDeadline
	}
	return time.Now().Add(d).Before(deadline)
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
