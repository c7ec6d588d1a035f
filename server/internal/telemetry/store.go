package telemetry

import (
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
)

// StoreStats is a snapshot of a store's cumulative counters, read at each scrape. Counters a
// backend does not have stay zero.
type StoreStats struct {
	// Upstream counts requests sent to the upstream API (Auth0's Management API), by
	// operation and outcome.
	Upstream []UpstreamCalls
	// RateLimited counts upstream responses that said "too many requests" (HTTP 429).
	RateLimited uint64
	// Retries counts upstream requests repeated after a failure.
	Retries uint64
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
	// Status is the outcome, e.g. an HTTP status code such as "200" or "429", "error" for a
	// transport failure, or "" when the backend does not tell.
	Status string
	// Count is the cumulative number of such requests.
	Count uint64
}

// storeDescs describes the store series; every one carries the backend as a constant label.
type storeDescs struct {
	upstream, rateLimited, retries, cacheHits, cacheMisses, limiterWaits, writes, commits, redis *prometheus.Desc
}

func newStoreDescs(backend string) storeDescs {
	labels := prometheus.Labels{"backend": backend}
	desc := func(name, help string, variable ...string) *prometheus.Desc {
		return prometheus.NewDesc("profile_store_"+name, help, variable, labels)
	}
	return storeDescs{
		upstream:     desc("upstream_requests_total", "Requests sent to the upstream API, by operation and status.", "operation", "status"),
		rateLimited:  desc("upstream_rate_limited_total", "Upstream responses with HTTP 429 Too Many Requests."),
		retries:      desc("upstream_retries_total", "Upstream requests repeated after a failure."),
		cacheHits:    desc("cache_hits_total", "Profile look-ups answered from the cache."),
		cacheMisses:  desc("cache_misses_total", "Profile look-ups not answered from the cache."),
		limiterWaits: desc("limiter_waits_total", "Upstream requests delayed by the client-side rate limiter."),
		writes:       desc("writes_total", "Profile records written."),
		commits:      desc("commits_total", "Durable transactions committed."),
		redis:        desc("redis_round_trips_total", "Calls made to the Redis that replicas share."),
	}
}

// storeCollector reads a store's counters when the registry is scraped, so that counting
// costs the store nothing beyond its own atomic increments.
type storeCollector struct {
	descs storeDescs
	stats func() StoreStats
}

// Describe sends the descriptors of every store series.
func (c *storeCollector) Describe(ch chan<- *prometheus.Desc) {
	d := c.descs
	for _, desc := range []*prometheus.Desc{d.upstream, d.rateLimited, d.retries, d.cacheHits, d.cacheMisses, d.limiterWaits, d.writes, d.commits, d.redis} {
		ch <- desc
	}
}

// Collect reads one snapshot of the stats and sends it as counters.
func (c *storeCollector) Collect(ch chan<- prometheus.Metric) {
	s := c.stats()
	d := c.descs
	counter := func(desc *prometheus.Desc, v uint64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(desc, prometheus.CounterValue, float64(v), labels...)
	}
	for _, u := range s.Upstream {
		counter(d.upstream, u.Count, u.Operation, u.Status)
	}
	counter(d.rateLimited, s.RateLimited)
	counter(d.retries, s.Retries)
	counter(d.cacheHits, s.CacheHits)
	counter(d.cacheMisses, s.CacheMisses)
	counter(d.limiterWaits, s.LimiterWaits)
	counter(d.writes, s.Writes)
	counter(d.commits, s.Commits)
	counter(d.redis, s.RedisRoundTrips)
}

// RegisterStoreStats exposes a store's counters as profile_store_* series labelled with
// backend (e.g. "auth0" or "embedded"). stats is called at each scrape, from the scraping
// goroutine, and must be safe for concurrent use; it must not return the same (operation,
// status) pair twice. Registering one backend name twice is an error.
func (m *Metrics) RegisterStoreStats(backend string, stats func() StoreStats) error {
	if err := m.registry.Register(&storeCollector{descs: newStoreDescs(backend), stats: stats}); err != nil {
		return fmt.Errorf("telemetry: register store stats for %q: %w", backend, err)
	}
	return nil
}
