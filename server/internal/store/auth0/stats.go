package auth0

import "sync/atomic"

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
