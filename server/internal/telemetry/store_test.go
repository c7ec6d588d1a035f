package telemetry

import (
	"strings"
	"sync/atomic"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/acme/progressive-profiling/server/internal/store"
)

// fakeStore reports the metrics its function returns.
type fakeStore struct {
	backend string
	metrics func() store.Metrics
}

func (f fakeStore) Backend() string        { return f.backend }
func (f fakeStore) Metrics() store.Metrics { return f.metrics() }

func TestStoreMetricsAreReadAtEachScrape(t *testing.T) {
	m := NewMetrics()
	var gets atomic.Uint64
	auth0 := fakeStore{"auth0", func() store.Metrics {
		return store.Metrics{
			Upstream: []store.UpstreamCalls{
				{Operation: "get_user", Status: "200", Count: gets.Load()},
				{Operation: "patch_user", Status: "429", Count: 2},
			},
			RateLimited: 2, Retries: 3, TokenRenewals: 1, CacheHits: 10, CacheMisses: 4, LimiterWaits: 1, RedisRoundTrips: 9,
		}
	}}
	embedded := fakeStore{"embedded", func() store.Metrics { return store.Metrics{Writes: 7, Commits: 5} }}
	for _, st := range []fakeStore{auth0, embedded} {
		if err := m.RegisterStore(st); err != nil {
			t.Fatalf("RegisterStore(%q): %v", st.backend, err)
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
		`profile_store_upstream_token_renewals_total{backend="auth0"} 1`,
		`profile_store_upstream_token_renewals_total{backend="embedded"} 0`,
		`profile_store_writes_total{backend="auth0"} 0`,
		`profile_store_writes_total{backend="embedded"} 7`,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("store series (-want +got):\n%s", diff)
	}
}

func TestRegisterStoreRejectsABackendTwice(t *testing.T) {
	m := NewMetrics()
	st := fakeStore{"embedded", func() store.Metrics { return store.Metrics{} }}
	if err := m.RegisterStore(st); err != nil {
		t.Fatalf("first RegisterStore: %v", err)
	}
	if err := m.RegisterStore(st); err == nil {
		t.Errorf("second RegisterStore of one backend: got nil error, want one")
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
