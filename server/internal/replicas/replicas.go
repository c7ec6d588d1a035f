package replicas

import (
	"context"
	"errors"
	"time"

	"github.com/acme/progressive-profiling/server/internal/store"
)

// Coordinator is what one store shares with the other replicas of the service. Its methods are
// safe for concurrent use.
type Coordinator interface {
	// Lock takes userID's write lock, waiting while another writer holds it until ctx ends. The
	// holder's work must be done by Lease.Until (no bound, locally), a margin before the lease
	// ends.
	Lock(ctx context.Context, userID string) (*Lease, error)
	// Reserve takes requests from the Management API budget: reads and writes, all or none. It
	// waits for nothing: the grants say how long to wait before each request. When the wait
	// would exceed maxWait it grants nothing and returns an *ExhaustedError.
	Reserve(ctx context.Context, reads, writes int, maxWait time.Duration) (Grants, error)
	// Observe records what a response said of the budget that granted its request.
	Observe(g Grant, o Observation)
	// Load returns the copy of userID's profile that a replica shared, with the time it was read
	// upstream, and a version to hand back to Share.
	Load(ctx context.Context, userID string) (p *store.Profile, readAt time.Time, v Version, ok bool)
	// Share offers a profile read upstream to the other replicas, unless a write of the user
	// was released since Load returned v.
	Share(ctx context.Context, userID string, v Version, p *store.Profile, readAt time.Time)
	// Watch calls onChange with each user another replica changed, and onReset whenever
	// invalidations may have been missed, so that a cache must be emptied.
	Watch(onChange func(userID string), onReset func())
	// Coherent reports whether a profile cached in this process may be served: false while the
	// replica could miss other replicas' invalidations.
	Coherent() bool
	// RoundTrips counts the calls made to shared state (none locally).
	RoundTrips() int64
	// Close stops the coordinator's background work.
	Close() error
}

// Grants are the reservations Reserve made, one per request asked for, in order.
type Grants struct {
	Reads, Writes []Grant
}

// Version identifies the state of a user's shared copy, for Share.
type Version string

// Lease is a held write lock.
type Lease struct {
	// Until is when the holder's work under the lease must be done, a margin before the lease
	// ends on its own (see leaseMargin); zero when it never ends.
	Until time.Time
	// Shared is the copy of the user's profile that a replica shared, as the lock was taken
	// (nil when there is none): like a cached profile, it may be stale.
	Shared  *store.Profile
	release func(p *store.Profile, wrote bool, keep time.Duration)
	keep    time.Duration
}

// KeepFor asks that the lock stay taken for d after Release (the longest asked wins): a write
// whose outcome is unknown may still land, and no other writer may start before it has.
func (l *Lease) KeepFor(d time.Duration) { l.keep = max(l.keep, d) }

// Release ends the lease. When the holder wrote (or tried to: a write that failed may have
// landed), it also tells the other replicas that the user changed; p is the user's profile as
// upstream now holds it, or nil when that is unknown. It is safe to call more than once; only the
// first call counts.
func (l *Lease) Release(p *store.Profile, wrote bool) {
	if l.release != nil {
		l.release(p, wrote, l.keep)
		l.release = nil
	}
}

// ExhaustedError is the refusal of a reservation whose wait exceeds what the caller can give.
type ExhaustedError struct {
	// Kind is the budget that refused.
	Kind Kind
	// RetryAfter is when the reservation would have been granted.
	RetryAfter time.Duration
}

func (e *ExhaustedError) Error() string {
	return "management API " + e.Kind.String() + " budget exhausted; retry after " + e.RetryAfter.String()
}

// ErrUnavailable is the failure of a lock when the shared state cannot be reached: the caller
// must not write without it. Errors wrapping it carry the cause.
var ErrUnavailable = errors.New("replicas: shared state unavailable")
