package auth0

import (
	"context"
	"errors"
	"math/rand/v2"
	"net/http"
	"strconv"
	"time"

	"github.com/auth0/go-auth0/management"
	"golang.org/x/oauth2"

	"github.com/acme/progressive-profiling/server/internal/replicas"
	"github.com/acme/progressive-profiling/server/internal/store"
)

// failure is one failed upstream attempt, classified.
type failure struct {
	kind       store.Kind
	msg        string        // safe for callers
	retryable  bool          // another attempt may succeed
	retryAfter time.Duration // known wait before another attempt, 0 when unknown
	cause      error         // for logs only
}

func (f *failure) Error() string { return f.msg + ": " + f.cause.Error() }

func (f *failure) Unwrap() error { return f.cause }

// wait is how long to wait before attempt n+1.
func (f *failure) wait(n int) time.Duration {
	if f.retryAfter > 0 {
		return f.retryAfter
	}
	backoff := baseBackoff << (n - 1)
	return backoff + rand.N(baseBackoff/2)
}

// storeError turns the failure into the error callers see.
func (f *failure) storeError(wait time.Duration) *store.Error {
	e := &store.Error{Kind: f.kind, Message: f.msg, Err: f.cause}
	if f.kind == store.KindRateLimited || f.kind == store.KindUnavailable {
		e.RetryAfter = f.retryAfter
		if f.kind == store.KindRateLimited && e.RetryAfter <= 0 {
			e.RetryAfter = wait
		}
	}
	return e
}

// classify maps an error of one attempt to a failure, or to the caller's context error when the
// caller's context (ctx) ended. actx is the attempt's context.
func (s *Store) classify(ctx, actx context.Context, kind replicas.Kind, info *rateInfo, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	var (
		apiErr   management.Error
		tokenErr *oauth2.RetrieveError
	)
	switch {
	case errors.As(err, &tokenErr):
		retryable := tokenErr.Response != nil && tokenErr.Response.StatusCode >= http.StatusInternalServerError
		return &failure{kind: store.KindUnavailable, msg: "could not authenticate to Auth0", retryable: retryable, cause: err}
	case errors.As(err, &apiErr):
		return s.classifyStatus(apiErr, kind, info)
	case actx.Err() != nil:
		return &failure{kind: store.KindUnavailable, msg: "Auth0 did not answer in time", retryable: true, cause: err}
	default:
		return &failure{kind: store.KindUnavailable, msg: "could not reach Auth0", retryable: true, cause: err}
	}
}

// classifyStatus maps an error response of the Management API.
func (s *Store) classifyStatus(err management.Error, kind replicas.Kind, info *rateInfo) *failure {
	status := err.Status()
	switch {
	case status == http.StatusNotFound:
		return &failure{kind: store.KindNotFound, msg: "user not found", cause: err}
	case status == http.StatusTooManyRequests:
		s.stats.throttled.Add(1)
		wait := minRetryWait
		if d := time.Until(info.reset); d > wait {
			wait = d
		}
		s.throttle(kind, time.Now().Add(wait))
		return &failure{kind: store.KindRateLimited, msg: "Auth0 rate limit reached", retryable: true, retryAfter: wait, cause: err}
	case status == http.StatusUnauthorized:
		return &failure{kind: store.KindUnavailable, msg: "Auth0 refused the service's credentials", cause: err}
	case status == http.StatusForbidden:
		// The Management API client lacks a scope (read:users, update:users,
		// update:users_app_metadata): not something a retry fixes.
		return &failure{kind: store.KindMisconfigured, msg: "Auth0 refused the service's access to users", cause: err}
	case status >= http.StatusInternalServerError:
		return &failure{kind: store.KindUnavailable, msg: "Auth0 failed", retryable: status != http.StatusNotImplemented, cause: err}
	default:
		// Auth0's own text stays in the logs (through cause): callers get no upstream body.
		return &failure{kind: store.KindInvalid, msg: "Auth0 rejected the change as invalid (for example metadata it does not accept, or too large)", cause: err}
	}
}

// throttle remembers that Auth0 throttles requests of kind k until t, so that none is sent
// before then.
func (s *Store) throttle(k replicas.Kind, t time.Time) {
	for {
		cur := s.throttledUntil[k].Load()
		if t.UnixNano() <= cur || s.throttledUntil[k].CompareAndSwap(cur, t.UnixNano()) {
			return
		}
	}
}

// isTokenError reports whether err is the failure of the client-credentials token request:
// then the Management API request itself was never sent.
func isTokenError(err error) bool {
	var tokenErr *oauth2.RetrieveError
	return errors.As(err, &tokenErr)
}

// isStatus reports whether err is a Management API error response with the given status.
func isStatus(err error, status int) bool {
	var apiErr management.Error
	return errors.As(err, &apiErr) && apiErr.Status() == status
}

// upstreamStatus is the status of a Management API request in metrics: the HTTP status code of
// its response, or "error" when none came (a transport failure, a timeout, or a failed token
// request, after which the request itself is never sent).
func upstreamStatus(err error, info *rateInfo) string {
	var apiErr management.Error
	switch {
	case isTokenError(err):
		return "error"
	case errors.As(err, &apiErr):
		return strconv.Itoa(apiErr.Status())
	case info.status != 0:
		return strconv.Itoa(info.status)
	}
	return "error"
}
