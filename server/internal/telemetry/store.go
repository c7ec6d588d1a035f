package telemetry

import (
	"fmt"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/acme/progressive-profiling/server/internal/store"
)

// storeDescs describes the store series; every one carries the backend as a constant label.
type storeDescs struct {
	upstream, rateLimited, retries, tokenRenewals, cacheHits, cacheMisses, limiterWaits, writes, commits, redis *prometheus.Desc
}

func newStoreDescs(backend string) storeDescs {
	labels := prometheus.Labels{"backend": backend}
	desc := func(name, help string, variable ...string) *prometheus.Desc {
		return prometheus.NewDesc("profile_store_"+name, help, variable, labels)
	}
	return storeDescs{
		upstream:      desc("upstream_requests_total", "Requests sent to the upstream API, by operation and status.", "operation", "status"),
		rateLimited:   desc("upstream_rate_limited_total", "Upstream responses with HTTP 429 Too Many Requests."),
		retries:       desc("upstream_retries_total", "Upstream requests repeated after a failure."),
		tokenRenewals: desc("upstream_token_renewals_total", "Times a token the upstream API refused was replaced by a new one."),
		cacheHits:     desc("cache_hits_total", "Profile look-ups answered from the cache."),
		cacheMisses:   desc("cache_misses_total", "Profile look-ups not answered from the cache."),
		limiterWaits:  desc("limiter_waits_total", "Upstream requests delayed by the client-side rate limiter."),
		writes:        desc("writes_total", "Profile records written."),
		commits:       desc("commits_total", "Durable transactions committed."),
		redis:         desc("redis_round_trips_total", "Calls made to the Redis that replicas share."),
	}
}

// storeCollector reads a store's counters when the registry is scraped, so that counting
// costs the store nothing beyond its own atomic increments.
type storeCollector struct {
	descs storeDescs
	store store.Metered
}

// Describe sends the descriptors of every store series.
func (c *storeCollector) Describe(ch chan<- *prometheus.Desc) {
	d := c.descs
	for _, desc := range []*prometheus.Desc{d.upstream, d.rateLimited, d.retries, d.tokenRenewals, d.cacheHits, d.cacheMisses, d.limiterWaits, d.writes, d.commits, d.redis} {
		ch <- desc
	}
}

// Collect reads one snapshot of the store's counters and sends it as counters.
func (c *storeCollector) Collect(ch chan<- prometheus.Metric) {
	s := c.store.Metrics()
	d := c.descs
	counter := func(desc *prometheus.Desc, v uint64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(desc, prometheus.CounterValue, float64(v), labels...)
	}
	for _, u := range s.Upstream {
		counter(d.upstream, u.Count, u.Operation, u.Status)
	}
	counter(d.rateLimited, s.RateLimited)
	counter(d.retries, s.Retries)
	counter(d.tokenRenewals, s.TokenRenewals)
	counter(d.cacheHits, s.CacheHits)
	counter(d.cacheMisses, s.CacheMisses)
	counter(d.limiterWaits, s.LimiterWaits)
	counter(d.writes, s.Writes)
	counter(d.commits, s.Commits)
	counter(d.redis, s.RedisRoundTrips)
}

// RegisterStore exposes a store's counters as profile_store_* series labelled with its backend
// (e.g. "auth0" or "embedded"), read at each scrape. Registering one backend twice is an error.
func (m *Metrics) RegisterStore(st store.Metered) error {
	backend := st.Backend()
	if err := m.registry.Register(&storeCollector{descs: newStoreDescs(backend), store: st}); err != nil {
		return fmt.Errorf("telemetry: register store metrics for %q: %w", backend, err)
	}
	return nil
}
