package store

// Metered is implemented by a store that counts its own work. The server asks its store for it
// and exposes the counts as metrics labelled with the store's backend.
type Metered interface {
	// Backend names the store in metrics, e.g. "auth0" or "embedded".
	Backend() string
	// Metrics returns a snapshot of the store's cumulative counters. It is called at each
	// scrape, concurrently with the store's work.
	Metrics() Metrics
}

// Metrics is a snapshot of a store's cumulative counters. Counters a backend does not have stay
// zero.
type Metrics struct {
	// Upstream counts requests sent to the upstream API (Auth0's Management API), by operation
	// and status; each (operation, status) pair appears once.
	Upstream []UpstreamCalls
	// RateLimited counts upstream responses that said "too many requests" (HTTP 429).
	RateLimited uint64
	// Retries counts upstream requests repeated after a failure.
	Retries uint64
	// TokenRenewals counts the times a token the upstream API refused was replaced by a new one.
	TokenRenewals uint64
	// CacheHits and CacheMisses count profile look-ups answered, or not, by a local cache.
	CacheHits, CacheMisses uint64
	// LimiterWaits counts requests delayed by the client-side rate limiter.
	LimiterWaits uint64
	// Writes counts profile records written; Commits counts the durable transactions holding
	// them.
	Writes, Commits uint64
	// RedisRoundTrips counts the calls made to the Redis that replicas share.
	RedisRoundTrips uint64
}

// UpstreamCalls is the number of upstream requests of one operation that ended with one status.
type UpstreamCalls struct {
	// Operation names the request, e.g. "get_user" or "patch_user".
	Operation string
	// Status is the outcome: the HTTP status code of the response, such as "200" or "429", or
	// "error" when no response came (a transport failure, a timeout, or no token to send).
	Status string
	// Count is the cumulative number of such requests.
	Count uint64
}
