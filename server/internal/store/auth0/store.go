package auth0

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/auth0/go-auth0/management"
	"golang.org/x/oauth2"
	"golang.org/x/sync/singleflight"

	"github.com/acme/progressive-profiling/server/internal/netaddr"
	"github.com/acme/progressive-profiling/server/internal/replicas"
	"github.com/acme/progressive-profiling/server/internal/store"
)

// Store keeps profiles in Auth0 users through the Management API. It is safe for concurrent use.
type Store struct {
	cfg Config
	// api is the Management API client. It is replaced by a fresh one (which fetches a new
	// token) when Auth0 refuses the current token (see renewAPI).
	api    atomic.Pointer[management.Management]
	newAPI func() (*management.Management, error)
	// renewMu serialises renewals; renewedAt is the time of the last one.
	renewMu   sync.Mutex
	renewedAt time.Time
	cache     *profileCache
	flight    singleflight.Group
	// budgetWaits holds, for each shared read waiting for its Management API budget, when it
	// may send its request. waitsChanged is closed (and forgotten) whenever a shared read starts
	// such a wait, so that the callers who joined it before can tell whether it ends past their
	// deadline.
	budgetWaits  sync.Map
	waitsMu      sync.Mutex
	waitsChanged chan struct{}
	// coord is what this store shares with the other replicas: write locks, invalidations,
	// shared copies and the Management API budget.
	coord replicas.Coordinator

	// throttledUntil is the end of the last throttling window Auth0 announced for each kind of
	// request, in unix nanoseconds.
	throttledUntil [2]atomic.Int64
	stats          counters

	ctx       context.Context // lives until Close; bounds token refreshes and shared reads
	cancel    context.CancelFunc
	transport *http.Transport // owned transport, nil when Config.HTTPClient was given

	mu       sync.Mutex
	closed   bool
	inflight sync.WaitGroup // shared reads running
}

var _ store.Store = (*Store)(nil)

// New validates cfg and returns a store. No request is made until the first Get or Update. The
// store's background work (token refreshes, shared reads) lives until Close, whatever becomes
// of ctx, whose values it keeps.
func New(ctx context.Context, cfg Config) (*Store, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	base, _ := netaddr.TenantURL(cfg.Domain) // checked by Validate
	cache, err := newProfileCache(cfg.CacheSize, cfg.CacheTTL)
	if err != nil {
		return nil, fmt.Errorf("auth0 store: cache: %w", err)
	}
	s := &Store{cfg: cfg, cache: cache, coord: cfg.Coordinator}
	if s.coord == nil {
		s.coord = replicas.NewLocal(cfg.readRate(), cfg.writeRate())
	}
	s.coord.Watch(cache.invalidate, cache.purge)
	var rt http.RoundTripper
	if cfg.HTTPClient != nil && cfg.HTTPClient.Transport != nil {
		rt = cfg.HTTPClient.Transport
	} else {
		s.transport = http.DefaultTransport.(*http.Transport).Clone()
		rt = s.transport
	}
	// The token source fetches tokens with the client found in its context, bounded by the
	// attempt timeout because the SDK's token fetch does not see the request's context.
	tokenClient := &http.Client{Transport: rt, Timeout: cfg.AttemptTimeout}
	s.ctx, s.cancel = context.WithCancel(context.WithValue(context.WithoutCancel(ctx), oauth2.HTTPClient, tokenClient))

	opts := []management.Option{}
	if base.Scheme == "http" {
		// WithInsecure switches the SDK to http (and a static token, replaced just below).
		opts = append(opts, management.WithInsecure())
	}
	opts = append(opts,
		management.WithClientCredentials(s.ctx, cfg.ClientID, cfg.ClientSecret),
		management.WithClient(&http.Client{Transport: headerTransport{base: rt}}),
		// Retries are ours: the SDK's wait 1-10 s on a 429 whatever the caller's deadline.
		management.WithNoRetries(),
	)
	s.newAPI = func() (*management.Management, error) { return management.New(base.Host, opts...) }
	api, err := s.newAPI()
	if err != nil {
		_ = s.Close()
		return nil, fmt.Errorf("AUTH0_DOMAIN: %w", err)
	}
	s.api.Store(api)
	cfg.Logger.InfoContext(ctx, "auth0 store configured", "domain", base.String())
	return s, nil
}

// Get returns the user's profile, from the cache when fresh and this replica misses no
// invalidation. Concurrent misses for one user share one read: of the copy another replica
// shared, else of Auth0. An unknown user is an error of kind KindNotFound.
func (s *Store) Get(ctx context.Context, userID string) (*store.Profile, error) {
	if err := s.check(userID); err != nil {
		return nil, err
	}
	if p, ok := s.cached(userID); ok {
		return p, nil
	}
	p, err := s.withRetries(ctx, func(ctx context.Context) (*store.Profile, error) { return s.sharedRead(ctx, userID) })
	return p, s.logged(ctx, "get user", err)
}

// cached returns the cached profile when it may be served, counting hits and misses.
func (s *Store) cached(userID string) (*store.Profile, bool) {
	if s.coord.Coherent() {
		if p, ok := s.cache.get(userID); ok {
			s.stats.cacheHits.Add(1)
			return p, true
		}
	}
	s.stats.cacheMisses.Add(1)
	return nil, false
}

// sharedRead joins (or starts) the one read of userID in flight. The read itself runs under the
// store's context, so a caller that gives up does not fail the others; each caller waits only as
// long as its own context allows.
func (s *Store) sharedRead(ctx context.Context, userID string) (*store.Profile, error) {
	ch := s.flight.DoChan(userID, func() (any, error) { return s.readThrough(userID) })
	for {
		changed := s.budgetWaitsChanged()
		if err := s.beyondBudget(ctx, userID); err != nil {
			return nil, err
		}
		select {
		case r := <-ch:
			if r.Err != nil {
				return nil, r.Err
			}
			return r.Val.(*store.Profile), nil
		case <-changed:
		case <-ctx.Done():
			if err := s.beyondBudget(ctx, userID); err != nil {
				return nil, err
			}
			return nil, ctx.Err()
		}
	}
}

// budgetWaitsChanged returns a channel closed when a shared read next starts to wait for its
// Management API budget.
func (s *Store) budgetWaitsChanged() <-chan struct{} {
	s.waitsMu.Lock()
	defer s.waitsMu.Unlock()
	if s.waitsChanged == nil {
		s.waitsChanged = make(chan struct{})
	}
	return s.waitsChanged
}

// startBudgetWait records that the shared read of userID may send its request at sendAt, and
// tells the callers waiting for shared reads.
func (s *Store) startBudgetWait(userID string, sendAt time.Time) {
	s.budgetWaits.Store(userID, sendAt)
	s.waitsMu.Lock()
	defer s.waitsMu.Unlock()
	if s.waitsChanged != nil {
		close(s.waitsChanged)
		s.waitsChanged = nil
	}
}

// beyondBudget returns a rate-limited error when the shared read of userID waits for budget
// until after the caller's deadline: such a caller is told when to retry rather than left to
// time out.
func (s *Store) beyondBudget(ctx context.Context, userID string) error {
	deadline, ok := ctx.Deadline()
	v, waiting := s.budgetWaits.Load(userID)
	if !ok || !waiting {
		return nil
	}
	sendAt := v.(time.Time)
	if sendAt.Add(answerMargin).Before(deadline) {
		return nil
	}
	return &store.Error{Kind: store.KindRateLimited, Message: budgetExhausted, RetryAfter: time.Until(sendAt),
		Err: errors.New("the shared read waits for the Management API budget past the caller's deadline")}
}

// readThrough reads userID into the cache within one attempt timeout, budget waits included:
// from the copy another replica shared when there is a fresh one, else from Auth0, sharing what
// it read.
func (s *Store) readThrough(userID string) (*store.Profile, error) {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil, errClosed
	}
	s.inflight.Add(1)
	s.mu.Unlock()
	defer s.inflight.Done()

	// A caller that missed the cache just before the previous read of the user ended starts a
	// new one: the previous answer serves it.
	if p, ok := s.cache.get(userID); ok && s.coord.Coherent() {
		return p, nil
	}
	ctx, cancel := context.WithTimeout(s.ctx, s.cfg.AttemptTimeout)
	defer cancel()
	ticket := s.cache.begin(userID)
	shared, readAt, version, ok := s.coord.Load(ctx, userID)
	if ok {
		s.cache.finish(ticket, shared, readAt)
		return shared, nil
	}
	grants, err := s.reserve(ctx, 1, 0)
	if err != nil {
		s.cache.finish(ticket, nil, readAt)
		return nil, err
	}
	if g := grants.Reads[0]; g.Wait > 0 {
		s.startBudgetWait(userID, g.NotBefore)
		defer s.budgetWaits.Delete(userID)
	}
	readAt = time.Now()
	p, err := s.request(ctx, replicas.Read, http.MethodGet, userID, nil, &grants.Reads[0], nil)
	if err != nil {
		s.cache.finish(ticket, nil, readAt)
		return nil, s.sharedFailure(err)
	}
	s.cache.finish(ticket, p, readAt)
	s.coord.Share(ctx, userID, version, p, readAt)
	return p, nil
}

// sharedFailure turns the end of a shared read's own context into a failure: the store closed,
// or the read took longer than an attempt may.
func (s *Store) sharedFailure(err error) error {
	var f *failure
	switch {
	case errors.As(err, &f):
		return err
	case s.ctx.Err() != nil:
		return errClosed
	default:
		return &failure{kind: store.KindUnavailable, msg: "Auth0 did not answer in time", retryable: true, cause: err}
	}
}

// Update runs a read-modify-write of one user under the user's write lock, which every replica
// sharing the coordinator respects. fn first sees the cached profile (or the copy another
// replica shared, which comes with the lock); when its patch needs the profile as Auth0 holds it
// (store.NeedsCurrent: a rebuilt or deleted nested object, or a decision that something is
// unchanged) or nothing is cached, the profile is read from Auth0 under the lock and fn runs
// again on it. Only the keys that change are sent, in one PATCH whose response refreshes the
// cache; a patch that changes nothing sends nothing. When the PATCH fails the user's cache entry
// is dropped, here and on every replica, so the next read fetches whatever Auth0 holds.
func (s *Store) Update(ctx context.Context, userID string, fn store.UpdateFunc) (*store.Profile, error) {
	if err := s.check(userID); err != nil {
		return nil, err
	}
	lease, err := s.coord.Lock(ctx, userID)
	if err != nil {
		return nil, s.logged(ctx, "lock user", lockError(err))
	}
	outcome := released{}
	defer func() { lease.Release(outcome.profile, outcome.wrote) }()
	if !lease.Until.IsZero() {
		// The work must be over before the lease can run out and let another writer in.
		var cancel context.CancelFunc
		ctx, cancel = context.WithDeadline(ctx, lease.Until)
		defer cancel()
	}

	cur, cached := s.cached(userID)
	if !cached && lease.Shared != nil {
		// The copy another replica shared, which came with the lock, serves as well.
		cur, cached = lease.Shared, true
	}
	var patch store.Patch
	if cached {
		if patch, err = fn(cur); err != nil {
			return nil, err
		}
	}
	reads := 0
	if !cached || store.NeedsCurrent(cur, patch) {
		reads = 1
	}
	grants, err := s.reserve(ctx, reads, 1)
	if err != nil {
		return nil, s.logged(ctx, "update user", final(err))
	}
	if reads > 0 {
		cur, err = s.withRetries(ctx, s.attempts(replicas.Read, http.MethodGet, userID, nil, grants.Reads, nil))
		if err != nil {
			return nil, s.logged(ctx, "get user", err)
		}
		s.cache.put(userID, cur)
		if patch, err = fn(cur); err != nil {
			return nil, err
		}
	}
	changes := store.Changes(cur, patch)
	if changes.Empty() {
		return cur, nil
	}
	if err := store.CheckKeys(changes); err != nil {
		return nil, err
	}
	outcome.wrote = true
	var unanswered bool
	p, err := s.withRetries(ctx, s.attempts(replicas.Write, http.MethodPatch, userID, patchBody(changes), grants.Writes, &unanswered))
	if unanswered {
		// A PATCH went out and no answer came back (a timeout, a lost connection, a caller who
		// gave up): Auth0 may still apply it. No other writer of the user may start before it
		// has, or it would overwrite that writer's nested objects with older ones.
		lease.KeepFor(unansweredHold(s.cfg.AttemptTimeout))
	}
	if err != nil {
		s.cache.invalidate(userID)
		return nil, s.logged(ctx, "update user", err)
	}
	s.cache.put(userID, p)
	outcome.profile = p
	return p, nil
}

// released is what an update tells the other replicas when it releases the lock.
type released struct {
	profile *store.Profile
	wrote   bool
}

// unansweredHold is how long the lock stays taken after a write whose PATCH went unanswered:
// two attempt timeouts, by which time Auth0 has applied it or never will.
func unansweredHold(attemptTimeout time.Duration) time.Duration { return 2 * attemptTimeout }

// attempts returns the attempt function of a request made with retries: the first attempt uses
// the grant reserved for it, the others reserve their own. unanswered, when not nil, is set
// when a request went out and got no answer.
func (s *Store) attempts(kind replicas.Kind, method, userID string, body map[string]any, reserved []replicas.Grant, unanswered *bool) attemptFunc {
	return func(ctx context.Context) (*store.Profile, error) {
		var g *replicas.Grant
		if len(reserved) > 0 {
			g, reserved = &reserved[0], reserved[1:]
		}
		return s.request(ctx, kind, method, userID, body, g, unanswered)
	}
}

// Close stops token refreshes, waits for shared reads to end and releases idle connections.
// Later calls fail with KindUnavailable. It is safe to call more than once.
func (s *Store) Close() error {
	s.mu.Lock()
	was := s.closed
	s.closed = true
	s.mu.Unlock()
	if was {
		return nil
	}
	s.cancel()
	s.inflight.Wait()
	if err := s.coord.Close(); err != nil {
		s.cfg.Logger.Warn("auth0 store: closing the replicas' coordinator", "error", err)
	}
	if s.transport != nil {
		s.transport.CloseIdleConnections()
	}
	return nil
}

// logged logs a final failure other than an unknown user or the caller giving up, and returns it.
func (s *Store) logged(ctx context.Context, op string, err error) error {
	if err == nil || store.KindOf(err) == store.KindNotFound || ctx.Err() != nil {
		return err
	}
	s.cfg.Logger.WarnContext(ctx, "auth0 "+op+" failed", "error", err)
	return err
}

// errClosed is the failure of calls made after Close.
var errClosed = &failure{kind: store.KindUnavailable, msg: "store is closed", cause: errors.New("auth0 store closed")}

// check rejects calls after Close and the user ids store.CheckUserID refuses (an empty one
// would address the users list).
func (s *Store) check(userID string) error {
	s.mu.Lock()
	closed := s.closed
	s.mu.Unlock()
	if closed {
		return errClosed.storeError(0)
	}
	return store.InvalidUserID(userID)
}
