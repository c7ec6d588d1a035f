package auth0

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"

	"github.com/acme/progressive-profiling/server/internal/replicas"
	"github.com/acme/progressive-profiling/server/internal/replicas/redistest"
	"github.com/acme/progressive-profiling/server/internal/store"
	"github.com/acme/progressive-profiling/server/internal/store/auth0/auth0test"
)

// newReplica returns a store for srv sharing rdb (under prefix) with the other replicas.
func newReplica(t *testing.T, srv *auth0test.Server, rdb *redis.Client, prefix string, mods ...func(*Config)) *Store {
	t.Helper()
	cfg := testConfig(srv, mods...)
	coord, err := replicas.NewRedis(t.Context(), replicas.RedisConfig{Client: rdb, Prefix: prefix, CopyTTL: DefaultCacheTTL,
		Reads: cfg.readRate(), Writes: cfg.writeRate()})
	if err != nil {
		t.Fatalf("NewRedis: %v", err)
	}
	return newTestStore(t, srv, append(mods, func(c *Config) { c.Coordinator = coord })...)
}

func TestReplicasLoseNoConcurrentWrite(t *testing.T) {
	rdb, prefix := redistest.Client(t)
	srv := newDouble(t)
	srv.AddUser(journeyUser, nil)
	stores := []*Store{newReplica(t, srv, rdb, prefix), newReplica(t, srv, rdb, prefix), newReplica(t, srv, rdb, prefix)}
	for _, s := range stores { // every replica caches the user first
		if _, err := s.Get(t.Context(), journeyUser); err != nil {
			t.Fatal(err)
		}
	}
	const writes = 90
	var wg sync.WaitGroup
	for i := range writes {
		s := stores[i%len(stores)]
		wg.Go(func() {
			var fn store.UpdateFunc
			switch i % 3 {
			case 0:
				fn = subscribe(fmt.Sprintf("topic-%02d", i))
			case 1:
				fn = decline(fmt.Sprintf("field-%02d", i))
			default:
				fn = setMetadata(map[string]any{fmt.Sprintf("answer-%02d", i): "x"})
			}
			if _, err := s.Update(withTimeout(t, 30*time.Second), journeyUser, fn); err != nil {
				t.Errorf("write %d: %v", i, err)
			}
		})
	}
	wg.Wait()
	u, _ := srv.User(journeyUser)
	um, am := metadataOf(u, "user_metadata"), metadataOf(u, "app_metadata")
	topics, _ := um["subscribed"].(map[string]any)
	declines, _ := am["profiling_declines"].(map[string]any)
	lost := 0
	for i := range writes {
		var got any
		switch i % 3 {
		case 0:
			got = topics[fmt.Sprintf("topic-%02d", i)]
		case 1:
			got = declines[fmt.Sprintf("field-%02d", i)]
		default:
			got = um[fmt.Sprintf("answer-%02d", i)]
		}
		if got == nil {
			lost++
		}
	}
	if lost > 0 {
		t.Errorf("%d of %d acknowledged writes are missing in Auth0", lost, writes)
	}
}

func TestReplicasSeeEachOthersWrites(t *testing.T) {
	rdb, prefix := redistest.Client(t)
	srv := newDouble(t)
	srv.AddUser(journeyUser, map[string]any{"user_metadata": map[string]any{"title": "old"}})
	a, b := newReplica(t, srv, rdb, prefix), newReplica(t, srv, rdb, prefix)
	if _, err := a.Get(t.Context(), journeyUser); err != nil {
		t.Fatal(err)
	}
	if got := srv.Calls().Get; got != 1 {
		t.Fatalf("GETs = %d", got)
	}
	if _, err := b.Get(t.Context(), journeyUser); err != nil { // from a's shared copy
		t.Fatal(err)
	}
	if got := srv.Calls().Get; got != 1 {
		t.Errorf("GETs after the second replica's cold read = %d, want 1: it reads the copy the first shared", got)
	}
	if _, err := b.Update(t.Context(), journeyUser, setMetadata(map[string]any{"title": "new"})); err != nil {
		t.Fatal(err)
	}
	// The invalidation travels through Redis's pub/sub: a's next read after it arrives (well
	// under a millisecond here) sees b's write, from the copy b shared.
	deadline := time.Now().Add(time.Second)
	for {
		p, err := a.Get(t.Context(), journeyUser)
		if err != nil {
			t.Fatal(err)
		}
		if p.UserMetadata["title"] == "new" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("replica a still serves title %v a second after replica b wrote", p.UserMetadata["title"])
		}
		time.Sleep(time.Millisecond)
	}
	if got := srv.Calls().Get; got != 1 {
		t.Errorf("GETs = %d, want 1: the write's shared copy serves the other replica", got)
	}
}

func TestReplicasShareOneBudget(t *testing.T) {
	rdb, prefix := redistest.Client(t)
	srv := newDouble(t)
	// A burst of 6, then one read every 2 s.
	limit := func(c *Config) { c.ReadsPerSecond, c.ReadBurst = 0.5, 6 }
	stores := []*Store{newReplica(t, srv, rdb, prefix, limit), newReplica(t, srv, rdb, prefix, limit), newReplica(t, srv, rdb, prefix, limit)}
	// One read tells the replicas Auth0's bucket size (large), in the background.
	srv.AddUser("auth0|first", nil)
	if _, err := stores[0].Get(t.Context(), "auth0|first"); err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond)
	// Each replica asks for 5 reads at once: the 5 the budget holds are granted, the others
	// would wait longer than their callers' 1.5 s and are refused, whichever replica asks.
	var wg sync.WaitGroup
	var mu sync.Mutex
	served := 0
	for i := range 15 {
		id := fmt.Sprintf("auth0|%02d", i)
		srv.AddUser(id, nil)
		wg.Go(func() {
			if _, err := stores[i%3].Get(withTimeout(t, 1500*time.Millisecond), id); err == nil {
				mu.Lock()
				served++
				mu.Unlock()
			} else if store.KindOf(err) != store.KindRateLimited {
				t.Errorf("Get %s: %v, want success or rate limited", id, err)
			}
		})
	}
	wg.Wait()
	if served < 5 || served > 6 { // what the burst holds, and one refilled if this ran slowly
		t.Errorf("served %d reads across 3 replicas, want the 5 left of the shared burst (or 6)", served)
	}
}

func TestWithoutRedisWritesFailFastAndReadsGoToAuth0(t *testing.T) {
	mr := miniredis.RunT(t)
	rdb, err := replicas.NewClient("redis://" + mr.Addr())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = rdb.Close() })
	srv := newDouble(t)
	srv.AddUser(journeyUser, map[string]any{"given_name": "Ada"})
	s := newReplica(t, srv, rdb, "t:")
	if _, err := s.Get(t.Context(), journeyUser); err != nil {
		t.Fatal(err)
	}
	mr.Close()

	start := time.Now()
	_, err = s.Update(withTimeout(t, 10*time.Second), journeyUser, setMetadata(map[string]any{"title": "CTO"}))
	var se *store.Error
	if !asStoreError(err, &se) || se.Kind != store.KindUnavailable || se.RetryAfter <= 0 {
		t.Fatalf("Update without Redis = %v, want unavailable with a retry delay", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("the refused write took %v, want a fast failure", d)
	}
	if srv.Calls().Patch != 0 {
		t.Error("a write went to Auth0 without the lock")
	}
	// The replica's subscription notices that Redis is gone (at once when the connection
	// drops, within a few heartbeats when it goes silent); from then on it may miss
	// invalidations.
	for deadline := time.Now().Add(10 * time.Second); s.coord.Coherent(); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the replica still trusts its cache 10 s after Redis went away")
		}
	}
	gets := srv.Calls().Get
	for range 2 {
		p, err := s.Get(t.Context(), journeyUser)
		if err != nil || p.Attributes["given_name"] != "Ada" {
			t.Fatalf("Get without Redis = %v, %v", p, err)
		}
	}
	if got := srv.Calls().Get - gets; got != 2 {
		t.Errorf("reads without Redis made %d GETs, want 2: a replica that may miss invalidations does not trust its cache", got)
	}
}

// TestJourneyAcrossReplicasCostsWhatItCostsOnOne runs the seed journey with each step on the
// next replica: Auth0 sees what one replica costs (2 GET, 2 PATCH), a cached read costs no
// Redis round trip and a write at most 3 (lock with the shared copy, budget, release).
func TestJourneyAcrossReplicasCostsWhatItCostsOnOne(t *testing.T) {
	rdb, prefix := redistest.Client(t)
	srv := newDouble(t)
	srv.AddUser(journeyUser, map[string]any{"given_name": "Ada", "logins_count": 2})
	r := []*Store{newReplica(t, srv, rdb, prefix), newReplica(t, srv, rdb, prefix), newReplica(t, srv, rdb, prefix)}
	ctx := t.Context()
	trips := func() int64 {
		return r[0].Stats().SharedRoundTrips + r[1].Stats().SharedRoundTrips + r[2].Stats().SharedRoundTrips
	}
	// Warm up: each replica learns the size of Auth0's buckets from its first answers (which it
	// sends to Redis at once, outside any call's path).
	for i, s := range r {
		id := fmt.Sprintf("auth0|warm-%d", i)
		srv.AddUser(id, nil)
		if _, err := s.Update(ctx, id, setMetadata(map[string]any{"warm": "yes"})); err != nil {
			t.Fatal(err)
		}
	}
	time.Sleep(100 * time.Millisecond)
	upstream := srv.Calls()
	type step struct {
		name     string
		do       func() error
		maxTrips int64
	}
	steps := []step{
		// A cold read: the shared copy (missing), the budget, then sharing what Auth0 sent.
		{"read on replica 0", func() error { _, err := r[0].Get(ctx, journeyUser); return err }, 3},
		{"answers on replica 1", func() error {
			_, err := r[1].Update(ctx, journeyUser, setMetadata(map[string]any{"title": "Countess", "company": "Analytical"}))
			return err
		}, 3},
		{"read on replica 2", func() error { _, err := r[2].Get(ctx, journeyUser); return err }, 1},
		{"subscription on replica 0", func() error { _, err := r[0].Update(ctx, journeyUser, subscribe("weekly-digest")); return err }, 3},
		{"read on replica 0, cached", func() error { _, err := r[0].Get(ctx, journeyUser); return err }, 0},
	}
	for _, st := range steps {
		before := trips()
		if err := st.do(); err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		if got := trips() - before; got > st.maxTrips {
			t.Errorf("%s: %d Redis round trips, want at most %d", st.name, got, st.maxTrips)
		}
	}
	if got := srv.Calls(); got.Get-upstream.Get != 2 || got.Patch-upstream.Patch != 2 {
		t.Errorf("Auth0 calls across replicas = %d GET, %d PATCH; want 2 and 2, as on one replica", got.Get-upstream.Get, got.Patch-upstream.Patch)
	}
}

// slowLoads delays every MGET (the shared copy's load) of a Redis client.
type slowLoads struct{ delay time.Duration }

func (slowLoads) DialHook(next redis.DialHook) redis.DialHook { return next }
func (h slowLoads) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		if cmd.Name() == "mget" {
			time.Sleep(h.delay)
		}
		return next(ctx, cmd)
	}
}
func (slowLoads) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return next
}

// TestCallerOfASharedReadBeyondTheBudgetIsToldInTime checks that a caller whose read of an
// uncached user must wait for the Management API budget past the caller's deadline is told so,
// with a retry delay, as soon as the wait is known: not at its deadline, when the answer could
// no longer reach it.
func TestCallerOfASharedReadBeyondTheBudgetIsToldInTime(t *testing.T) {
	mr := miniredis.RunT(t)
	if err := mr.Set("t:locks-since", "0"); err != nil {
		t.Fatal(err)
	}
	rdb, err := replicas.NewClient("redis://" + mr.Addr())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = rdb.Close() })
	// The read starts to wait for the budget only after the caller joined it.
	rdb.AddHook(slowLoads{delay: 300 * time.Millisecond})
	srv := newDouble(t)
	srv.AddUser("auth0|first", nil)
	srv.AddUser("auth0|second", nil)
	// One read, then one every 5 s; an attempt may wait that long.
	s := newReplica(t, srv, rdb, "t:", func(c *Config) { c.ReadsPerSecond, c.ReadBurst, c.AttemptTimeout = 0.2, 1, 10*time.Second })
	if _, err := s.Get(t.Context(), "auth0|first"); err != nil {
		t.Fatal(err)
	}

	ctx := withTimeout(t, 2*time.Second)
	_, err = s.Get(ctx, "auth0|second")
	if ctx.Err() != nil {
		t.Fatalf("Get returned %v at the caller's deadline, want the refusal as soon as the budget wait was known", err)
	}
	var se *store.Error
	if !asStoreError(err, &se) || se.Kind != store.KindRateLimited || se.RetryAfter <= 0 {
		t.Fatalf("Get = %v, want rate limited with a retry delay", err)
	}
}
