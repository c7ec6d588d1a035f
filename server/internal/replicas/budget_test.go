package replicas

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"
)

// budgetUnderTest is a budget whose clock the test moves.
type budgetUnderTest struct {
	reserve func(reads, writes int, maxWait time.Duration) (Grants, error)
	observe func(Grant, Observation)
	advance func(time.Duration)
	now     func() time.Time
}

// budgets returns the two implementations of the budget: in-process, and budget.lua in a Redis
// (miniredis, whose clock the test sets).
func budgets(t *testing.T, reads, writes Rate) map[string]func() budgetUnderTest {
	return map[string]func() budgetUnderTest{
		"local": func() budgetUnderTest {
			b := newLocalBudget(reads, writes)
			clock := time.Unix(1_800_000_000, 0)
			b.now = func() time.Time { return clock }
			return budgetUnderTest{
				reserve: b.reserve,
				observe: b.observe,
				advance: func(d time.Duration) { clock = clock.Add(d) },
				now:     func() time.Time { return clock },
			}
		},
		"redis": func() budgetUnderTest {
			mr := miniredis.RunT(t)
			clock := time.Unix(1_800_000_000, 0)
			mr.SetTime(clock)
			rdb := redis.NewClient(&redis.Options{Addr: mr.Addr()})
			t.Cleanup(func() { _ = rdb.Close() })
			// No background sender: observations go with the next reservation.
			r := &Redis{cfg: RedisConfig{Prefix: "t:", Reads: reads, Writes: writes}, rdb: rdb,
				local: newLocalBudget(reads, writes),
				flush: make(chan struct{}, 1), now: func() time.Time { return clock }}
			return budgetUnderTest{
				reserve: func(reads, writes int, maxWait time.Duration) (Grants, error) {
					return r.Reserve(context.Background(), reads, writes, maxWait)
				},
				observe: r.Observe,
				advance: func(d time.Duration) { clock = clock.Add(d); mr.SetTime(clock) },
				now:     func() time.Time { return clock },
			}
		},
	}
}

func waits(g []Grant) []time.Duration {
	out := make([]time.Duration, len(g))
	for i, x := range g {
		out[i] = x.Wait
	}
	return out
}

func TestBudget(t *testing.T) {
	ms := time.Millisecond
	tests := []struct {
		name          string
		reads, writes Rate
		run           func(t *testing.T, b budgetUnderTest)
	}{
		{"until Auth0 answers, its smallest bucket is assumed", Rate{10, 100}, Rate{10, 100}, func(t *testing.T, b budgetUnderTest) {
			g := mustReserve(t, b, 4, 0, 5*time.Second)
			if got, want := waits(g.Reads), []time.Duration{0, 0, 100 * ms, 200 * ms}; !equal(got, want) {
				t.Errorf("waits = %v, want %v: a bucket of 2, refilled at the configured rate", got, want)
			}
		}},
		{"until Auth0 answers, reads and writes share that bucket", Rate{10, 100}, Rate{10, 100}, func(t *testing.T, b budgetUnderTest) {
			g := mustReserve(t, b, 1, 2, 5*time.Second)
			if got, want := append(waits(g.Reads), waits(g.Writes)...), []time.Duration{0, 0, 100 * ms}; !equal(got, want) {
				t.Errorf("waits = %v, want %v: one bucket of 2 for reads and writes (a plan may count both in one)", got, want)
			}
		}},
		{"a kind whose bucket size is unknown counts against the other kind's", Rate{1000, 100}, Rate{1000, 100}, func(t *testing.T, b budgetUnderTest) {
			g := mustReserve(t, b, 1, 0, time.Second)
			// A free tenant: one bucket of 2 for every call, empty, refilled in 1 s.
			b.observe(g.Reads[0], Observation{Limit: 2, Remaining: 0, ResetIn: time.Second, At: b.now(), Seq: g.Reads[0].Seq})
			next := mustReserve(t, b, 0, 1, 5*time.Second)
			if got := next.Writes[0].Wait; got < 500*ms {
				t.Errorf("write wait = %v, want at least 500ms: until a write's answer shows its own bucket, it may share the reads' empty one", got)
			}
		}},
		{"once Auth0 told the bucket's size, an unknown refill is taken to be slow", Rate{1000, 100}, Rate{1000, 100}, func(t *testing.T, b budgetUnderTest) {
			g := mustReserve(t, b, 1, 0, time.Second)
			b.observe(g.Reads[0], Observation{Limit: 3, Remaining: 2, ResetIn: time.Second, At: b.now(), Seq: g.Reads[0].Seq})
			next := mustReserve(t, b, 3, 0, 5*time.Second)
			if got, want := waits(next.Reads), []time.Duration{0, 0, time.Second}; !equal(got, want) {
				t.Errorf("waits = %v, want %v: the 2 left, then one a second", got, want)
			}
		}},
		{"the configured burst, then one request per interval", Rate{10, 2}, Rate{10, 2}, func(t *testing.T, b budgetUnderTest) {
			largeTenant(t, b)
			g, err := b.reserve(4, 0, time.Second)
			if err != nil {
				t.Fatal(err)
			}
			want := []time.Duration{0, 0, 100 * ms, 200 * ms}
			if got := waits(g.Reads); !equal(got, want) {
				t.Errorf("waits = %v, want %v (each waiter its own slot)", got, want)
			}
		}},
		{"a wait beyond maxWait grants nothing and says when to retry", Rate{10, 1}, Rate{10, 1}, func(t *testing.T, b budgetUnderTest) {
			largeTenant(t, b)
			mustReserve(t, b, 1, 0, time.Second)
			for range 2 { // refused twice alike: the refusal took nothing
				_, err := b.reserve(1, 0, 50*ms)
				var ex *ExhaustedError
				if !errors.As(err, &ex) || ex.Kind != Read || ex.RetryAfter != 100*ms {
					t.Fatalf("error = %v, want reads exhausted, retry after 100ms", err)
				}
			}
		}},
		{"reads and writes are granted all or none", Rate{10, 5}, Rate{10, 1}, func(t *testing.T, b budgetUnderTest) {
			largeTenant(t, b)
			mustReserve(t, b, 0, 1, time.Second)
			if _, err := b.reserve(1, 1, 10*ms); err == nil {
				t.Fatal("want the write refused")
			}
			g := mustReserve(t, b, 5, 0, 0)
			if len(g.Reads) != 5 {
				t.Errorf("reads granted = %d, want the whole burst of 5 (the refusal took none)", len(g.Reads))
			}
		}},
		{"Auth0's headers lower a budget configured too high", Rate{1000, 100}, Rate{1000, 100}, func(t *testing.T, b budgetUnderTest) {
			g := mustReserve(t, b, 2, 0, time.Second)
			// Auth0: a bucket of 5, empty, full again within 2 s: Remaining is rounded down,
			// so more than 4 requests refill in 2 s, 0.5 s a request at most.
			b.observe(g.Reads[1], Observation{Limit: 5, Remaining: 0, ResetIn: 2 * time.Second, At: b.now(), Seq: g.Reads[1].Seq})
			next := mustReserve(t, b, 2, 0, 5*time.Second)
			if got, want := waits(next.Reads), []time.Duration{500 * ms, time.Second}; !equal(got, want) {
				t.Errorf("waits after the headers = %v, want %v", got, want)
			}
		}},
		{"requests granted after the observed one count on top of it", Rate{1000, 100}, Rate{1000, 100}, func(t *testing.T, b budgetUnderTest) {
			g := mustReserve(t, b, 3, 0, time.Second)
			// The first request's answer: 1 left of 5, refilled in 1.5 s (0.5 s a request);
			// two more went out after it.
			b.observe(g.Reads[0], Observation{Limit: 5, Remaining: 1, ResetIn: 1500 * ms, At: b.now(), Seq: g.Reads[0].Seq})
			next := mustReserve(t, b, 1, 0, 5*time.Second)
			if got, want := next.Reads[0].Wait, 1000*ms; got != want {
				t.Errorf("wait = %v, want %v (1 left, 2 pending: the next one refills in 2 intervals)", got, want)
			}
		}},
		{"an older observation may only make the bucket emptier", Rate{1000, 100}, Rate{1000, 100}, func(t *testing.T, b budgetUnderTest) {
			g := mustReserve(t, b, 3, 0, time.Second)
			// The third request's answer came first, 1 left of 2; the second request reached
			// Auth0 after it and took that last one.
			b.observe(g.Reads[2], Observation{Limit: 2, Remaining: 1, ResetIn: time.Second, At: b.now(), Seq: g.Reads[2].Seq})
			b.observe(g.Reads[1], Observation{Limit: 2, Remaining: 0, ResetIn: time.Second, At: b.now(), Seq: g.Reads[1].Seq})
			if next := mustReserve(t, b, 1, 0, 5*time.Second); next.Reads[0].Wait < 500*ms {
				t.Errorf("wait = %v, want at least 500ms: the older answer shows the bucket empty", next.Reads[0].Wait)
			}
		}},
		{"an older observation that finds more left changes nothing", Rate{1000, 100}, Rate{1000, 100}, func(t *testing.T, b budgetUnderTest) {
			g := mustReserve(t, b, 2, 0, time.Second)
			b.observe(g.Reads[1], Observation{Limit: 10, Remaining: 0, ResetIn: time.Second, At: b.now(), Seq: g.Reads[1].Seq})
			before := mustReserve(t, b, 1, 0, 5*time.Second).Reads[0].Wait
			b.observe(g.Reads[0], Observation{Limit: 10, Remaining: 9, ResetIn: 100 * ms, At: b.now(), Seq: g.Reads[0].Seq})
			after := mustReserve(t, b, 1, 0, 5*time.Second).Reads[0].Wait
			if after <= before {
				t.Errorf("wait after the older answer = %v, want more than %v: it must not refill the bucket the newer one emptied", after, before)
			}
		}},
		{"a bucket that granted nothing takes over its kind's grants, even once seen", Rate{1000, 100}, Rate{1000, 100}, func(t *testing.T, b budgetUnderTest) {
			g := mustReserve(t, b, 1, 0, time.Second)
			// An answer to a request this budget did not grant (another replica's, made on its
			// own budget while Redis was down) shows a bucket of 5, empty, 0.5 s a request...
			b.observe(Grant{Kind: Write, Bucket: "elsewhere", Seq: 7}, Observation{Limit: 5, Remaining: 0, ResetIn: 2 * time.Second, At: b.now(), Seq: 7})
			// ...then the answer to the read granted here shows it with 4 left: the bucket takes
			// over the read's grant, and the answer re-anchors it.
			b.observe(g.Reads[0], Observation{Limit: 5, Remaining: 4, ResetIn: time.Second, At: b.now(), Seq: g.Reads[0].Seq})
			if next := mustReserve(t, b, 1, 0, 5*time.Second); next.Reads[0].Wait != 0 {
				t.Errorf("wait = %v, want 0: the answer to this budget's own grant puts the bucket where Auth0 says", next.Reads[0].Wait)
			}
		}},
		{"kinds announcing the same bucket size share it", Rate{1000, 100}, Rate{1000, 100}, func(t *testing.T, b budgetUnderTest) {
			w := mustReserve(t, b, 0, 1, time.Second)
			r := mustReserve(t, b, 1, 0, time.Second) // granted after the write: its answer is the newer
			b.observe(w.Writes[0], Observation{Limit: 3, Remaining: 2, ResetIn: 500 * ms, At: b.now(), Seq: w.Writes[0].Seq})
			b.observe(r.Reads[0], Observation{Limit: 3, Remaining: 0, ResetIn: time.Second, At: b.now(), Seq: r.Reads[0].Seq})
			next := mustReserve(t, b, 0, 1, 5*time.Second)
			if got, want := next.Writes[0].Wait, 500*ms; got != want {
				t.Errorf("write wait = %v, want %v: the reads emptied the one bucket", got, want)
			}
		}},
		{"kinds announcing different sizes keep their own", Rate{1000, 100}, Rate{1000, 100}, func(t *testing.T, b budgetUnderTest) {
			g := mustReserve(t, b, 1, 1, time.Second)
			b.observe(g.Reads[0], Observation{Limit: 40, Remaining: 0, ResetIn: 4 * time.Second, At: b.now(), Seq: g.Reads[0].Seq})
			b.observe(g.Writes[0], Observation{Limit: 20, Remaining: 19, ResetIn: time.Second, At: b.now(), Seq: g.Writes[0].Seq})
			next := mustReserve(t, b, 0, 1, 5*time.Second)
			if next.Writes[0].Wait != 0 {
				t.Errorf("write wait = %v, want 0: only the reads' bucket is empty", next.Writes[0].Wait)
			}
		}},
		{"a grant never goes out before one granted earlier", Rate{1000, 100}, Rate{1000, 100}, func(t *testing.T, b budgetUnderTest) {
			// A bucket of 2 whose refill is unknown (taken to be 1 s): grants 1 s apart.
			g0 := mustReserve(t, b, 1, 0, time.Second)
			b.observe(g0.Reads[0], Observation{Limit: 2, Remaining: 1, ResetIn: time.Second, At: b.now(), Seq: g0.Reads[0].Seq})
			g := mustReserve(t, b, 3, 0, 10*time.Second)
			// The first of them shows a faster refill: the mirror starts again from it...
			b.observe(g.Reads[0], Observation{Limit: 2, Remaining: 0, ResetIn: 500 * ms, At: b.now(), Seq: g.Reads[0].Seq})
			next := mustReserve(t, b, 1, 0, 10*time.Second)
			// ...but the requests granted before still go out at their times. Were the next one
			// to go before them, the answer to it would count them neither in what Auth0 says
			// is left nor among the requests granted after it.
			if last := g.Reads[2].NotBefore; next.Reads[0].NotBefore.Before(last) {
				t.Errorf("the next request goes out at +%v, before one granted earlier at +%v", next.Reads[0].NotBefore.Sub(b.now()), last.Sub(b.now()))
			}
		}},
		{"requests granted before an answer count at the times they go out", Rate{1000, 100}, Rate{1000, 100}, func(t *testing.T, b budgetUnderTest) {
			// Auth0: a bucket of 2, one request back every 500 ms, full at the start.
			start := b.now()
			var sent []time.Time
			g1 := mustReserve(t, b, 1, 0, time.Second)
			// Its size is shown, not its refill (taken to be 1 s): the next grants go 1 s apart.
			b.observe(g1.Reads[0], Observation{Limit: 2, Remaining: 1, ResetIn: time.Second, At: b.now(), Seq: g1.Reads[0].Seq})
			g := mustReserve(t, b, 4, 0, 10*time.Second)
			// The first of them finds the bucket empty and shows the faster refill; three are
			// still to go out, over the next 3 s.
			b.observe(g.Reads[0], Observation{Limit: 2, Remaining: 0, ResetIn: 500 * ms, At: b.now(), Seq: g.Reads[0].Seq})
			n := mustReserve(t, b, 2, 0, 10*time.Second)
			for _, gs := range [][]Grant{g1.Reads, g.Reads, n.Reads} {
				for _, x := range gs {
					sent = append(sent, x.NotBefore)
				}
			}
			if err := tokenBucket(2, 500*ms, start, sent); err != nil {
				t.Error(err)
			}
		}},
		{"the shortest interval seen is kept, rounded-up resets notwithstanding", Rate{1000, 100}, Rate{1000, 100}, func(t *testing.T, b budgetUnderTest) {
			g := mustReserve(t, b, 2, 0, time.Second)
			b.observe(g.Reads[0], Observation{Limit: 3, Remaining: 1, ResetIn: 900 * ms, At: b.now(), Seq: g.Reads[0].Seq})
			b.observe(g.Reads[1], Observation{Limit: 3, Remaining: 0, ResetIn: time.Second, At: b.now(), Seq: g.Reads[1].Seq})
			next := mustReserve(t, b, 1, 0, 5*time.Second)
			if got, want := next.Reads[0].Wait, 500*ms; got != want {
				t.Errorf("wait = %v, want %v (interval 0.5 s from the second answer, not 0.9 s from the first)", got, want)
			}
		}},
		{"time refills the budget", Rate{10, 1}, Rate{10, 1}, func(t *testing.T, b budgetUnderTest) {
			largeTenant(t, b)
			mustReserve(t, b, 1, 0, time.Second)
			b.advance(100 * ms)
			if g := mustReserve(t, b, 1, 0, 0); g.Reads[0].Wait != 0 {
				t.Errorf("wait = %v, want 0", g.Reads[0].Wait)
			}
		}},
	}
	for _, tt := range tests {
		for impl, newBudget := range budgets(t, tt.reads, tt.writes) {
			t.Run(impl+"/"+tt.name, func(t *testing.T) { tt.run(t, newBudget()) })
		}
	}
}

// largeTenant tells the budget that Auth0's buckets are large and full, then lets the
// configured budget refill: what follows depends on the configured numbers only.
func largeTenant(t *testing.T, b budgetUnderTest) {
	t.Helper()
	g := mustReserve(t, b, 1, 1, time.Second)
	b.observe(g.Reads[0], Observation{Limit: 1000, Remaining: 1000, At: b.now(), Seq: g.Reads[0].Seq})
	b.observe(g.Writes[0], Observation{Limit: 1000, Remaining: 1000, At: b.now(), Seq: g.Writes[0].Seq})
	b.advance(time.Minute)
}

func mustReserve(t *testing.T, b budgetUnderTest, reads, writes int, maxWait time.Duration) Grants {
	t.Helper()
	g, err := b.reserve(reads, writes, maxWait)
	if err != nil {
		t.Fatalf("reserve(%d, %d): %v", reads, writes, err)
	}
	return g
}

func equal(a, b []time.Duration) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// tokenBucket replays requests sent at the given times through a token bucket of burst
// requests, one back every per, full at start, as Auth0 counts them; it says which one Auth0
// would refuse.
func tokenBucket(burst int, per time.Duration, start time.Time, sent []time.Time) error {
	sent = slices.SortedFunc(slices.Values(sent), time.Time.Compare)
	tokens, at := float64(burst), start
	for i, s := range sent {
		tokens = min(float64(burst), tokens+float64(s.Sub(at))/float64(per))
		at = s
		// A microsecond's rounding aside.
		if tokens < 1-1e-6 {
			return fmt.Errorf("request %d of %d, sent at +%v, finds %.2f requests left in the bucket: Auth0 answers 429", i+1, len(sent), s.Sub(start), tokens)
		}
		tokens--
	}
	return nil
}
