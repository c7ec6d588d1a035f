package replicas

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/google/go-cmp/cmp"
	"github.com/redis/go-redis/v9"
	"go.uber.org/goleak"

	"github.com/acme/progressive-profiling/server/internal/replicas/redistest"
	"github.com/acme/progressive-profiling/server/internal/store"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// events records what a coordinator's Watch callbacks saw.
type events struct {
	mu      sync.Mutex
	changed []string
	resets  int
}

func (e *events) onChange(id string) { e.mu.Lock(); e.changed = append(e.changed, id); e.mu.Unlock() }
func (e *events) onReset()           { e.mu.Lock(); e.resets++; e.mu.Unlock() }
func (e *events) snapshot() ([]string, int) {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]string(nil), e.changed...), e.resets
}

// replica starts a coordinator on rdb, closed at the end of the test.
func replica(t *testing.T, rdb *redis.Client, prefix string, lease time.Duration) (*Redis, *events) {
	t.Helper()
	r, err := NewRedis(t.Context(), RedisConfig{Client: rdb, Prefix: prefix, Lease: lease, CopyTTL: time.Minute,
		Reads: Rate{100, 10}, Writes: Rate{100, 10}})
	if err != nil {
		t.Fatalf("NewRedis: %v", err)
	}
	ev := &events{}
	r.Watch(ev.onChange, ev.onReset)
	t.Cleanup(func() { _ = r.Close() })
	return r, ev
}

// miniRedis starts an in-process Redis whose clock and life the test controls. It reports no
// uptime, so its first lock would start a quiet period: the marker says that period is over.
func miniRedis(t *testing.T) (*miniredis.Miniredis, *redis.Client) {
	mr := miniredis.RunT(t)
	if err := mr.Set("t:locks-since", "0"); err != nil {
		t.Fatal(err)
	}
	rdb, err := NewClient("redis://" + mr.Addr())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = rdb.Close() })
	return mr, rdb
}

func eventually(t *testing.T, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %v", what, within)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestLockExcludesOtherReplicasUntilReleased(t *testing.T) {
	rdb, prefix := redistest.Client(t)
	a, _ := replica(t, rdb, prefix, DefaultLease)
	b, _ := replica(t, rdb, prefix, DefaultLease)
	b.poll = time.Hour // only the release message can wake b's waiter

	la, err := a.Lock(t.Context(), "auth0|1")
	if err != nil {
		t.Fatal(err)
	}
	if la.Until.IsZero() || time.Until(la.Until) > DefaultLease-leaseMargin {
		t.Errorf("lease ends %v from now, want at most %v (the lease less its margin)", time.Until(la.Until), DefaultLease-leaseMargin)
	}
	got := make(chan time.Time, 1)
	go func() {
		lb, err := b.Lock(context.Background(), "auth0|1")
		if err != nil {
			t.Error(err)
			close(got)
			return
		}
		got <- time.Now()
		lb.Release(nil, false)
	}()
	select {
	case <-got:
		t.Fatal("the second replica took a lock the first holds")
	case <-time.After(300 * time.Millisecond):
	}
	la.Release(&store.Profile{UserID: "auth0|1"}, true)
	select {
	case <-got:
	case <-time.After(10 * time.Second):
		t.Fatal("the waiter did not take the lock after its release: it was not woken by the release message")
	}
	// Another user's lock is independent.
	lc, err := b.Lock(withTimeout(t, time.Second), "auth0|2")
	if err != nil {
		t.Fatalf("lock of another user: %v", err)
	}
	lc.Release(nil, false)
}

func TestLockOfADeadHolderEndsWithItsLease(t *testing.T) {
	mr, rdb := miniRedis(t)
	a, _ := replica(t, rdb, "t:", 5*time.Second)
	b, _ := replica(t, rdb, "t:", 5*time.Second)
	if _, err := a.Lock(t.Context(), "auth0|1"); err != nil { // never released: the holder died
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		lb, err := b.Lock(withTimeout(t, 10*time.Second), "auth0|1")
		if err == nil {
			lb.Release(nil, false)
		}
		done <- err
	}()
	time.Sleep(200 * time.Millisecond)
	mr.FastForward(5 * time.Second)
	if err := <-done; err != nil {
		t.Fatalf("lock after the lease ended: %v", err)
	}
}

// lostLease has replica a lock auth0|1 and lose its lease, and replica b take the lock after it.
func lostLease(t *testing.T) (mr *miniredis.Miniredis, a, b *Redis, la, lb *Lease) {
	t.Helper()
	mr, rdb := miniRedis(t)
	a, _ = replica(t, rdb, "t:", 5*time.Second)
	b, _ = replica(t, rdb, "t:", 5*time.Second)
	la, err := a.Lock(t.Context(), "auth0|1")
	if err != nil {
		t.Fatal(err)
	}
	mr.FastForward(6 * time.Second)
	if lb, err = b.Lock(withTimeout(t, time.Second), "auth0|1"); err != nil {
		t.Fatal(err)
	}
	return mr, a, b, la, lb
}

func TestReleaseAfterALostLeaseSparesTheNewHolder(t *testing.T) {
	mr, a, _, la, lb := lostLease(t)
	newer := &store.Profile{UserID: "auth0|1", UserMetadata: map[string]any{"v": "b"}}
	la.Release(&store.Profile{UserID: "auth0|1", UserMetadata: map[string]any{"v": "a"}}, true)
	if v, _ := mr.Get("t:lock:auth0|1"); v == "" {
		t.Fatal("the late release of the first holder removed the second holder's lock")
	}
	lb.Release(newer, true)
	p, _, _, ok := a.Load(t.Context(), "auth0|1")
	if !ok || p.UserMetadata["v"] != "b" {
		t.Errorf("shared copy = %v (%v), want the second holder's", p, ok)
	}
}

func TestReleaseAfterALostLeaseDropsTheSharedCopy(t *testing.T) {
	_, _, b, la, lb := lostLease(t)
	lb.Release(&store.Profile{UserID: "auth0|1", UserMetadata: map[string]any{"v": "b"}}, true)
	// The first holder's write may have landed before or after the second's: neither copy is
	// known to be what Auth0 holds.
	la.Release(&store.Profile{UserID: "auth0|1", UserMetadata: map[string]any{"v": "a"}}, true)
	if p, _, _, ok := b.Load(t.Context(), "auth0|1"); ok {
		t.Errorf("shared copy = %v after a late release, want none", p)
	}
}

func TestWritesReachTheOtherReplicas(t *testing.T) {
	rdb, prefix := redistest.Client(t)
	a, aEvents := replica(t, rdb, prefix, DefaultLease)
	b, bEvents := replica(t, rdb, prefix, DefaultLease)

	l, err := a.Lock(t.Context(), "samlp|conn|a b@c")
	if err != nil {
		t.Fatal(err)
	}
	l.Release(&store.Profile{UserID: "samlp|conn|a b@c"}, true)
	eventually(t, 2*time.Second, "the other replica hears of the change", func() bool {
		changed, _ := bEvents.snapshot()
		return len(changed) == 1
	})
	if changed, _ := bEvents.snapshot(); changed[0] != "samlp|conn|a b@c" {
		t.Errorf("changed = %q", changed)
	}
	l, err = b.Lock(t.Context(), "auth0|quiet")
	if err != nil {
		t.Fatal(err)
	}
	l.Release(nil, false) // wrote nothing: nobody's cache is touched
	time.Sleep(200 * time.Millisecond)
	if changed, _ := aEvents.snapshot(); len(changed) != 0 {
		t.Errorf("replica a was told of changes %q; its own write and a lock that wrote nothing are no news", changed)
	}
	if !a.Coherent() || !b.Coherent() {
		t.Error("replicas with a live subscription are not coherent")
	}
}

func TestSharedCopiesFollowWrites(t *testing.T) {
	rdb, prefix := redistest.Client(t)
	a, _ := replica(t, rdb, prefix, DefaultLease)
	b, _ := replica(t, rdb, prefix, DefaultLease)
	ctx := t.Context()
	read := &store.Profile{UserID: "auth0|1", Attributes: map[string]any{"given_name": "Ada"}, UserMetadata: map[string]any{"title": "old"}}

	_, _, v, ok := a.Load(ctx, "auth0|1")
	if ok {
		t.Fatal("a copy before anyone shared one")
	}
	readAt := time.Now()
	a.Share(ctx, "auth0|1", v, read, readAt)
	p, at, _, ok := b.Load(ctx, "auth0|1")
	if !ok || !cmp.Equal(read, p) || !at.Equal(readAt.Round(0)) && at.Sub(readAt).Abs() > time.Millisecond {
		t.Fatalf("b loads %v read at %v (%v), want a's copy read at %v", p, at, ok, readAt)
	}

	// A read that began before a write must not share its older answer after it.
	_, _, v, _ = a.Load(ctx, "auth0|1")
	l, err := b.Lock(ctx, "auth0|1")
	if err != nil {
		t.Fatal(err)
	}
	written := &store.Profile{UserID: "auth0|1", UserMetadata: map[string]any{"title": "new"}}
	l.Release(written, true)
	a.Share(ctx, "auth0|1", v, read, time.Now())
	if p, _, _, _ := a.Load(ctx, "auth0|1"); p == nil || p.UserMetadata["title"] != "new" {
		t.Errorf("copy after the write = %v, want the written profile", p)
	}

	// A failed write drops the copy: the next reader goes to Auth0.
	l, err = a.Lock(ctx, "auth0|1")
	if err != nil {
		t.Fatal(err)
	}
	l.Release(nil, true)
	if _, _, _, ok := b.Load(ctx, "auth0|1"); ok {
		t.Error("a copy survived a write whose outcome is unknown")
	}
}

func TestWithoutRedisWritesFailFastAndReadsGoOn(t *testing.T) {
	mr, rdb := miniRedis(t)
	r, ev := replica(t, rdb, "t:", DefaultLease)
	mr.Close()

	start := time.Now()
	_, err := r.Lock(withTimeout(t, 10*time.Second), "auth0|1")
	var u *UnavailableError
	if !errors.As(err, &u) || !errors.Is(err, ErrUnavailable) || u.RetryAfter <= 0 {
		t.Fatalf("Lock error = %v, want UnavailableError with a retry delay", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("the refused lock took %v, want a fast failure", d)
	}
	trips := r.RoundTrips()
	if _, err := r.Lock(withTimeout(t, 10*time.Second), "auth0|2"); !errors.As(err, &u) {
		t.Fatalf("second Lock error = %v, want UnavailableError", err)
	}
	if n := r.RoundTrips() - trips; n != 0 {
		t.Errorf("a lock while Redis is known down tried Redis %d times, want an immediate refusal", n)
	}
	if g, err := r.Reserve(t.Context(), 1, 0, time.Second); err != nil || len(g.Reads) != 1 {
		t.Errorf("Reserve = %v, %v; want a grant from this replica's own budget", g, err)
	}
	if _, _, _, ok := r.Load(t.Context(), "auth0|1"); ok {
		t.Error("Load found a copy without Redis")
	}
	eventually(t, 2*staleAfter, "the replica stops trusting its cache", func() bool { return !r.Coherent() })

	_, resetsBefore := ev.snapshot()
	if err := mr.Restart(); err != nil {
		t.Fatal(err)
	}
	eventually(t, 10*time.Second, "the replica subscribes again and trusts its emptied cache", func() bool {
		_, resets := ev.snapshot()
		return r.Coherent() && resets > resetsBefore
	})
}

func withTimeout(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), d)
	t.Cleanup(cancel)
	return ctx
}

func TestOnceIsSharedByReplicas(t *testing.T) {
	rdb, prefix := redistest.Client(t)
	a, b := NewOnce(rdb, prefix+"used:"), NewOnce(rdb, prefix+"used:")
	ctx := t.Context()
	if first, err := a.Use(ctx, "tok-1", time.Minute); err != nil || !first {
		t.Fatalf("first use = %v, %v; want true", first, err)
	}
	if first, err := b.Use(ctx, "tok-1", time.Minute); err != nil || first {
		t.Errorf("use on another replica = %v, %v; want false (already used)", first, err)
	}
	if used, err := b.Used(ctx, "tok-1"); err != nil || !used {
		t.Errorf("Used = %v, %v; want true", used, err)
	}
	if used, err := b.Used(ctx, "tok-2"); err != nil || used {
		t.Errorf("Used of a fresh id = %v, %v; want false", used, err)
	}
}

func TestNoLockForALeaseAfterRedisLostItsLocks(t *testing.T) {
	mr, rdb := miniRedis(t)
	a, _ := replica(t, rdb, "t:", 4*time.Second)
	b, _ := replica(t, rdb, "t:", 4*time.Second)
	if _, err := a.Lock(t.Context(), "auth0|1"); err != nil { // still working when Redis restarts
		t.Fatal(err)
	}
	mr.FlushAll() // a restart of a Redis that keeps nothing on disk

	// A caller who cannot wait out the quiet period is told when to retry.
	_, err := b.Lock(withTimeout(t, time.Second), "auth0|1")
	var u *UnavailableError
	if !errors.As(err, &u) || u.RetryAfter <= 3*time.Second {
		t.Fatalf("lock right after the loss = %v, want unavailable for about a lease", err)
	}
	// One who can wait gets the lock once the lease of any lock taken before has run out.
	start := time.Now()
	lb, err := b.Lock(withTimeout(t, 10*time.Second), "auth0|1")
	if err != nil {
		t.Fatal(err)
	}
	lb.Release(nil, false)
	if waited := time.Since(start); waited < 2*time.Second {
		t.Errorf("lock granted %v after the loss, want no lock before the quiet period ends", waited)
	}
}

func TestANewRedisGrantsLocksAtOnce(t *testing.T) {
	rdb, prefix := redistest.Client(t)
	if err := rdb.Del(t.Context(), prefix+redistest.QuietMarker).Err(); err != nil { // a prefix never used
		t.Fatal(err)
	}
	const lease = 3 * time.Second
	// A Redis up for longer than the lease (the test Redis may have just started).
	eventually(t, lease+2*time.Second, "Redis has been up for longer than a lease", func() bool {
		info, err := rdb.Info(t.Context(), "server").Result()
		if err != nil {
			t.Fatal(err)
		}
		for line := range strings.Lines(info) {
			if v, ok := strings.CutPrefix(strings.TrimSpace(line), "uptime_in_seconds:"); ok {
				secs, err := strconv.Atoi(v)
				return err == nil && time.Duration(secs)*time.Second > lease
			}
		}
		t.Fatal("INFO shows no uptime")
		return false
	})
	a, _ := replica(t, rdb, prefix, lease)
	start := time.Now()
	l, err := a.Lock(withTimeout(t, 5*time.Second), "auth0|1")
	if err != nil {
		t.Fatal(err)
	}
	l.Release(nil, false)
	if d := time.Since(start); d > time.Second {
		t.Errorf("the first lock of a new deployment took %v, want no quiet period (Redis has been up longer than a lease)", d)
	}
}

// failOnce fails the first run of a script on a Redis client, as a reply lost to a timeout
// would.
type failOnce struct {
	sha    string
	failed atomic.Bool
}

func (*failOnce) DialHook(next redis.DialHook) redis.DialHook { return next }
func (h *failOnce) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		if args := cmd.Args(); cmd.Name() == "evalsha" && len(args) > 1 && args[1] == h.sha && h.failed.CompareAndSwap(false, true) {
			err := errors.New("i/o timeout (injected)")
			cmd.SetErr(err)
			return err
		}
		return next(ctx, cmd)
	}
}
func (*failOnce) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return next
}

// TestAFailedReleaseIsRetried checks that a release whose call to Redis failed is made again:
// the lock does not stay taken until its lease ends, and the other replicas hear of the write.
func TestAFailedReleaseIsRetried(t *testing.T) {
	for _, tt := range []struct {
		name   string
		script *redis.Script
		wrote  bool
	}{
		{"after a write", releaseScript, true},
		{"after no write", unlockScript, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			mr, rdbB := miniRedis(t)
			rdbA, err := NewClient("redis://" + mr.Addr())
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = rdbA.Close() })
			rdbA.AddHook(&failOnce{sha: tt.script.Hash()})
			a, _ := replica(t, rdbA, "t:", DefaultLease)
			b, bEvents := replica(t, rdbB, "t:", DefaultLease)

			l, err := a.Lock(t.Context(), "auth0|1")
			if err != nil {
				t.Fatal(err)
			}
			l.Release(&store.Profile{UserID: "auth0|1"}, tt.wrote)
			lb, err := b.Lock(withTimeout(t, 5*time.Second), "auth0|1")
			if err != nil {
				t.Fatalf("lock on the other replica: %v; want it once the release is retried, well before the lease (%v) ends", err, DefaultLease)
			}
			lb.Release(nil, false)
			if tt.wrote {
				eventually(t, 2*time.Second, "the other replica hears of the write", func() bool {
					changed, _ := bEvents.snapshot()
					return len(changed) == 1
				})
			}
		})
	}
}

func TestALockKeptAfterReleaseHoldsBackOtherWriters(t *testing.T) {
	mr, rdb := miniRedis(t)
	a, _ := replica(t, rdb, "t:", 5*time.Second)
	b, _ := replica(t, rdb, "t:", 5*time.Second)
	l, err := a.Lock(t.Context(), "auth0|1")
	if err != nil {
		t.Fatal(err)
	}
	l.KeepFor(2 * time.Second) // a write whose PATCH went unanswered
	l.Release(nil, true)
	if _, err := b.Lock(withTimeout(t, 300*time.Millisecond), "auth0|1"); err == nil {
		t.Fatal("another replica took a lock kept after a write of unknown outcome")
	}
	mr.FastForward(2 * time.Second)
	lb, err := b.Lock(withTimeout(t, 2*time.Second), "auth0|1")
	if err != nil {
		t.Fatalf("lock once the kept time is over: %v", err)
	}
	lb.Release(nil, false)
}

func TestALocalLockKeptAfterReleaseHoldsBackOtherWriters(t *testing.T) {
	l := NewLocal(Rate{10, 10}, Rate{10, 10})
	lease, err := l.Lock(t.Context(), "auth0|1")
	if err != nil {
		t.Fatal(err)
	}
	lease.KeepFor(300 * time.Millisecond)
	lease.Release(nil, true)
	if _, err := l.Lock(withTimeout(t, 100*time.Millisecond), "auth0|1"); err == nil {
		t.Fatal("a writer took a lock kept after a write of unknown outcome")
	}
	next, err := l.Lock(withTimeout(t, 2*time.Second), "auth0|1")
	if err != nil {
		t.Fatalf("lock once the kept time is over: %v", err)
	}
	next.Release(nil, false)
}
