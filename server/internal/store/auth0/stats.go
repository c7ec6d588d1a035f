package auth0

import (
	"cmp"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/acme/progressive-profiling/server/internal/store"
)

// Stats counts the store's upstream traffic and cache use since New.
type Stats struct {
	// Gets and Patches count requests sent to the Management API (retries included).
	Gets, Patches int64
	// Throttled counts 429 responses; Retries counts attempts repeated after a failure.
	Throttled, Retries int64
	// CacheHits and CacheMisses count profile look-ups in the cache.
	CacheHits, CacheMisses int64
	// LimiterWaits counts requests delayed by the client-side rate limiter.
	LimiterWaits int64
	// TokenRenewals counts the times a token Auth0 refused (401) was replaced by a new one.
	TokenRenewals int64
	// SharedRoundTrips counts the calls made to the state replicas share (Redis).
	SharedRoundTrips int64
}

type counters struct {
	gets, patches, throttled, retries, cacheHits, cacheMisses, limiterWaits, tokenRenewals atomic.Int64
	// upstream counts the Management API requests by operation and status.
	upstream upstreamCounts
}

// Stats returns a snapshot of the counters.
func (s *Store) Stats() Stats {
	c := &s.stats
	return Stats{
		Gets: c.gets.Load(), Patches: c.patches.Load(),
		Throttled: c.throttled.Load(), Retries: c.retries.Load(),
		CacheHits: c.cacheHits.Load(), CacheMisses: c.cacheMisses.Load(),
		LimiterWaits: c.limiterWaits.Load(), TokenRenewals: c.tokenRenewals.Load(),
		SharedRoundTrips: s.coord.RoundTrips(),
	}
}

var _ store.Metered = (*Store)(nil)

// Backend names the store in metrics.
func (s *Store) Backend() string { return "auth0" }

// Metrics reports the store's counters, its Management API requests by operation and status.
func (s *Store) Metrics() store.Metrics {
	x := s.Stats()
	return store.Metrics{
		Upstream:    s.stats.upstream.snapshot(),
		RateLimited: uint64(x.Throttled), Retries: uint64(x.Retries), TokenRenewals: uint64(x.TokenRenewals),
		CacheHits: uint64(x.CacheHits), CacheMisses: uint64(x.CacheMisses), LimiterWaits: uint64(x.LimiterWaits),
		RedisRoundTrips: uint64(x.SharedRoundTrips),
	}
}

// upstreamCounts counts Management API requests by operation and status. Statuses are HTTP
// status codes or "error", so the counts stay few.
type upstreamCounts struct {
	mu sync.Mutex
	n  map[upstreamKey]uint64
}

type upstreamKey struct{ operation, status string }

// add counts one request of method (GET or PATCH) that ended with status.
func (u *upstreamCounts) add(method, status string) {
	op := "patch_user"
	if method == http.MethodGet {
		op = "get_user"
	}
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.n == nil {
		u.n = make(map[upstreamKey]uint64)
	}
	u.n[upstreamKey{op, status}]++
}

// snapshot returns the counts, sorted by operation and status.
func (u *upstreamCounts) snapshot() []store.UpstreamCalls {
	u.mu.Lock()
	out := make([]store.UpstreamCalls, 0, len(u.n))
	for k, n := range u.n {
		out = append(out, store.UpstreamCalls{Operation: k.operation, Status: k.status, Count: n})
	}
	u.mu.Unlock()
	slices.SortFunc(out, func(a, b store.UpstreamCalls) int {
		return cmp.Or(cmp.Compare(a.Operation, b.Operation), cmp.Compare(a.Status, b.Status))
	})
	return out
}
