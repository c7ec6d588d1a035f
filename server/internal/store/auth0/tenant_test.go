package auth0

import (
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/acme/progressive-profiling/server/internal/store"
	"github.com/acme/progressive-profiling/server/internal/store/auth0/auth0test"
)

// TestBudgetFollowsTheTenant offers three times a tenant's rate limit to a store configured far
// above it: Auth0's x-ratelimit-* headers slow the store down before Auth0 answers 429, callers
// who can wait are served, and callers who cannot get a rate-limited error with a retry delay
// from the store itself.
func TestBudgetFollowsTheTenant(t *testing.T) {
	for _, separate := range []bool{false, true} {
		// Not in parallel: each case times its requests against a bucket refilled every 100 ms,
		// and a second case running beside it only adds scheduling delay.
		t.Run(fmt.Sprintf("separate read and write buckets: %v", separate), func(t *testing.T) {
			srv := newDouble(t)
			tenant := auth0test.RateLimit{Burst: 4, PerSecond: 10, Separate: separate}
			srv.SetRateLimit(tenant)
			s := newTestStore(t, srv) // configured at 1000 requests a second

			const users = 60 // offered in 2 s: three times what the tenant allows
			var (
				wg                sync.WaitGroup
				served, refused   atomic.Int64
				retryAfterMissing atomic.Int64
				unexpected        = make(chan error, users)
			)
			start := time.Now()
			for i := range users {
				id := fmt.Sprintf("auth0|%03d", i)
				srv.AddUser(id, map[string]any{"given_name": "U"})
				wg.Go(func() {
					time.Sleep(time.Duration(i) * 2 * time.Second / users)
					// Half the callers give the store 10 s, half 300 ms.
					timeout := 10 * time.Second
					if i%2 == 1 {
						timeout = 300 * time.Millisecond
					}
					var err error
					if i%3 == 0 {
						_, err = s.Update(withTimeout(t, timeout), id, setMetadata(map[string]any{"n": fmt.Sprint(i)}))
					} else {
						_, err = s.Get(withTimeout(t, timeout), id)
					}
					var se *store.Error
					switch {
					case err == nil:
						served.Add(1)
					case asStoreError(err, &se) && se.Kind == store.KindRateLimited:
						refused.Add(1)
						if se.RetryAfter <= 0 {
							retryAfterMissing.Add(1)
						}
					default:
						unexpected <- fmt.Errorf("caller %d: %v", i, err)
					}
				})
			}
			wg.Wait()
			close(unexpected)
			for err := range unexpected {
				t.Error(err)
			}
			if got := srv.Calls().Throttled; got != 0 {
				t.Errorf("Auth0 answered 429 %d times, want 0", got)
			}
			// Whatever the estimate of Auth0's refill, the store must use a fair part of what
			// the tenant allows over the run, not refuse everyone.
			elapsed := time.Since(start).Seconds()
			capacity := float64(tenant.Burst) + tenant.PerSecond*elapsed
			if sent := float64(srv.Calls().Get + srv.Calls().Patch); sent < capacity/4 {
				t.Errorf("sent %.0f requests in %.1f s, under a quarter of the %.0f the tenant allows", sent, elapsed, capacity)
			}
			if refused.Load() == 0 {
				t.Error("no caller was refused, yet callers with 300 ms could not all be served")
			}
			if n := retryAfterMissing.Load(); n > 0 {
				t.Errorf("%d refusals carry no retry delay", n)
			}
			t.Logf("served %d, refused %d in %v; upstream %+v", served.Load(), refused.Load(), time.Since(start).Round(time.Millisecond), srv.Calls())
		})
	}
}
