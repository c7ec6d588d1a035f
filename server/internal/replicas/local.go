package replicas

import (
	"context"
	"sync"
	"time"

	"github.com/acme/progressive-profiling/server/internal/store"
)

// Local is the Coordinator of a process on its own: an in-process lock per user and an
// in-process budget. It shares no profile and misses no invalidation.
type Local struct {
	locks  *keyLock
	budget *localBudget
}

var _ Coordinator = (*Local)(nil)

// NewLocal returns a Local coordinator with the configured budgets of reads and writes.
func NewLocal(reads, writes Rate) *Local {
	return &Local{locks: newKeyLock(), budget: newLocalBudget(reads, writes)}
}

// Lock takes userID's in-process lock; the lease never ends on its own.
func (l *Local) Lock(ctx context.Context, userID string) (*Lease, error) {
	unlock, err := l.locks.lock(ctx, userID)
	if err != nil {
		return nil, err
	}
	return &Lease{release: func(_ *store.Profile, _ bool, keep time.Duration) {
		if keep > 0 {
			time.AfterFunc(keep, unlock)
			return
		}
		unlock()
	}}, nil
}

// Reserve takes from the in-process budget.
func (l *Local) Reserve(_ context.Context, reads, writes int, maxWait time.Duration) (Grants, error) {
	return l.budget.reserve(reads, writes, maxWait)
}

// Observe applies a response's headers to the in-process budget.
func (l *Local) Observe(g Grant, o Observation) { l.budget.observe(g, o) }

// Load finds nothing: a process on its own shares no copy.
func (*Local) Load(context.Context, string) (*store.Profile, time.Time, Version, bool) {
	return nil, time.Time{}, "", false
}

// Share does nothing.
func (*Local) Share(context.Context, string, Version, *store.Profile, time.Time) {}

// Watch does nothing: no other replica changes users.
func (*Local) Watch(func(string), func()) {}

// Coherent is always true: only this process writes through the service.
func (*Local) Coherent() bool { return true }

// RoundTrips is 0: nothing is shared.
func (*Local) RoundTrips() int64 { return 0 }

// Close does nothing.
func (*Local) Close() error { return nil }

// LockedUsers reports how many users' locks are held or awaited, for tests.
func (l *Local) LockedUsers() int { return l.locks.size() }

// localBudget keeps the budgets of one process.
type localBudget struct {
	mu    sync.Mutex
	rates [kinds]Rate
	cfg   [kinds]gcra
	// limits are the bucket sizes Auth0 announced for each kind, 0 while unknown.
	limits  [kinds]int64
	mirrors map[string]*mirror
	now     func() time.Time
}

func newLocalBudget(reads, writes Rate) *localBudget {
	return &localBudget{rates: [kinds]Rate{reads, writes}, mirrors: map[string]*mirror{}, now: time.Now}
}

// reserve grants reads then writes, all or none.
func (b *localBudget) reserve(reads, writes int, maxWait time.Duration) (Grants, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	now := b.now().UnixMicro()
	savedCfg := b.cfg
	savedMirrors := map[string]mirror{}
	var g Grants
	for _, ask := range []struct {
		kind Kind
		n    int
		out  *[]Grant
	}{{Read, reads, &g.Reads}, {Write, writes, &g.Writes}} {
		for range ask.n {
			name, limit := bucketOf(ask.kind, b.limits)
			m := b.mirror(name)
			if _, ok := savedMirrors[name]; !ok {
				savedMirrors[name] = *m
			}
			wait, ok := reserveOne(&b.cfg[ask.kind], m, b.rates[ask.kind], limit, now, maxWait.Microseconds())
			if !ok {
				b.cfg = savedCfg
				for n, saved := range savedMirrors {
					*b.mirrors[n] = saved
				}
				return Grants{}, &ExhaustedError{Kind: ask.kind, RetryAfter: time.Duration(wait) * time.Microsecond}
			}
			w := time.Duration(wait) * time.Microsecond
			*ask.out = append(*ask.out, Grant{Wait: w, NotBefore: b.now().Add(w), Kind: ask.kind, Bucket: name, Seq: m.Seq})
		}
	}
	return g, nil
}

// observe applies a response's headers to the mirror its kind now counts against. A mirror that
// has granted nothing yet takes over the grants of the bucket that granted the request, as
// budget.lua does.
func (b *localBudget) observe(g Grant, o Observation) {
	if o.Limit <= 0 {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.limits[g.Kind] = o.Limit
	name := bucketName(o.Limit)
	m := b.mirror(name)
	if prev, ok := b.mirrors[g.Bucket]; ok && m.Seq == 0 && prev.Seq > 0 {
		m.Seq, m.Applied, m.Prev, m.Last = prev.Seq, prev.Applied, g.Bucket, prev.Last
	}
	now := b.now()
	m.observe(o, g.Bucket, name, b.rates[g.Kind], now.UnixMicro(), now.Sub(o.At).Microseconds())
}

// limitOf is the bucket size Auth0 last announced for kind, 0 while unknown.
func (b *localBudget) limitOf(k Kind) int64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.limits[k]
}

func (b *localBudget) mirror(name string) *mirror {
	m, ok := b.mirrors[name]
	if !ok {
		m = &mirror{}
		b.mirrors[name] = m
	}
	return m
}
