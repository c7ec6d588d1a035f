package telemetry

import (
	"strings"
	"sync/atomic"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestStoreStatsAreReadAtEachScrape(t *testing.T) {
	m := NewMetrics()
	var gets atomic.Uint64
	auth0 := func() StoreStats {
		return StoreStats{
			Upstream: []UpstreamCalls{
				{Operation: "get_user", Status: "200", Count: gets.Load()},
				{Operation: "patch_user", Status: "429", Count: 2},
			},
			RateLimited: 2, Retries: 3, CacheHits: 10, CacheMisses: 4, LimiterWaits: 1, RedisRoundTrips: 9,
		}
	}
	embedded := func() StoreStats { return StoreStats{Writes: 7, Commits: 5} }
	for backend, stats := range map[string]func() StoreStats{"auth0": auth0, "embedded": embedded} {
		if err := m.RegisterStoreStats(backend, stats); err != nil {
			t.Fatalf("RegisterStoreStats(%q): %v", backend, err)
		}
	}

	gets.Store(41)
	_ = scrape(t, m.Handler())
	gets.Store(42)
	got := storeLines(scrape(t, m.Handler()))

	want := []string{
		`profile_store_cache_hits_total{backend="auth0"} 10`,
		`profile_store_cache_hits_total{backend="embedded"} 0`,
		`profile_store_cache_misses_total{backend="auth0"} 4`,
		`profile_store_cache_misses_total{backend="embedded"} 0`,
		`profile_store_commits_total{backend="auth0"} 0`,
		`profile_store_commits_total{backend="embedded"} 5`,
		`profile_store_limiter_waits_total{backend="auth0"} 1`,
		`profile_store_limiter_waits_total{backend="embedded"} 0`,
		`profile_store_redis_round_trips_total{backend="auth0"} 9`,
		`profile_store_redis_round_trips_total{backend="embedded"} 0`,
		`profile_store_upstream_rate_limited_total{backend="auth0"} 2`,
		`profile_store_upstream_rate_limited_total{backend="embedded"} 0`,
		`profile_store_upstream_requests_total{backend="auth0",operation="get_user",status="200"} 42`,
		`profile_store_upstream_requests_total{backend="auth0",operation="patch_user",status="429"} 2`,
		`profile_store_upstream_retries_total{backend="auth0"} 3`,
		`profile_store_upstream_retries_total{backend="embedded"} 0`,
		`profile_store_writes_total{backend="auth0"} 0`,
		`profile_store_writes_total{backend="embedded"} 7`,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("store series (-want +got):\n%s", diff)
	}
}

func TestRegisterStoreStatsRejectsABackendTwice(t *testing.T) {
	m := NewMetrics()
	stats := func() StoreStats { return StoreStats{} }
	if err := m.RegisterStoreStats("embedded", stats); err != nil {
		t.Fatalf("first RegisterStoreStats: %v", err)
	}
	if err := m.RegisterStoreStats("embedded", stats); err == nil {
		t.Errorf("second RegisterStoreStats of one backend: got nil error, want one")
	}
}

func storeLines(lines []string) []string {
	var out []string
	for _, l := range lines {
		if strings.HasPrefix(l, "profile_store_") {
			out = append(out, l)
		}
	}
	return out
}
