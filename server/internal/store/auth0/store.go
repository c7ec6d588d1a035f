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
	"golang.org/x/time/rate"

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
	locks     *keyLock
	flight    singleflight.Group
	reads     *rate.Limiter
	writes    *rate.Limiter

	// throttledUntil is the end of the last throttling window Auth0 announced for each bucket,
	// in unix nanoseconds.
	throttledUntil [buckets]atomic.Int64
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
	base, _ := cfg.baseURL()
	cache, err := newProfileCache(cfg.CacheSize, cfg.CacheTTL)
	if err != nil {
		return nil, fmt.Errorf("auth0 store: cache: %w", err)
	}
	s := &Store{
		cfg:    cfg,
		cache:  cache,
		locks:  newKeyLock(),
		reads:  rate.NewLimiter(rate.Limit(cfg.RequestsPerSecond), cfg.Burst),
		writes: rate.NewLimiter(rate.Limit(cfg.WritesPerSecond), cfg.WriteBurst),
	}
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

// Get returns the user's profile, from the cache when fresh. Concurrent misses for one user share
// one upstream read. An unknown user is an error of kind KindNotFound.
func (s *Store) Get(ctx context.Context, userID string) (*store.Profile, error) {
	if err := s.check(userID); err != nil {
		return nil, err
	}
	if p, ok := s.cache.get(userID); ok {
		s.stats.cacheHits.Add(1)
		return p, nil
	}
	s.stats.cacheMisses.Add(1)
	p, err := s.withRetries(ctx, func(ctx context.Context) (*store.Profile, error) { return s.sharedRead(ctx, userID) })
	return p, s.logged(ctx, "get user", err)
}

// sharedRead joins (or starts) the one upstream read of userID in flight. The read itself runs
// under the store's context, so a caller that gives up does not fail the others; each caller
// waits only as long as its own context allows.
func (s *Store) sharedRead(ctx context.Context, userID string) (*store.Profile, error) {
	ch := s.flight.DoChan(userID, func() (any, error) { return s.readThrough(userID) })
	select {
	case r := <-ch:
		if r.Err != nil {
			return nil, r.Err
		}
		return r.Val.(*store.Profile), nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// readThrough reads userID upstream into the cache, within one attempt timeout (lock and
// limiter waits included). It holds the user's lock so that a read started before a write cannot
// put the older profile back into the cache after it.
func (s *Store) readThrough(userID string) (*store.Profile, error) {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil, errClosed
	}
	s.inflight.Add(1)
	s.mu.Unlock()
	defer s.inflight.Done()

	ctx, cancel := context.WithTimeout(s.ctx, s.cfg.AttemptTimeout)
	defer cancel()
	unlock, err := s.locks.lock(ctx, userID)
	if err != nil {
		return nil, s.sharedFailure(err)
	}
	defer unlock()
	if p, ok := s.cache.get(userID); ok {
		return p, nil
	}
	p, err := s.request(ctx, s.reads, http.MethodGet, userID, nil)
	if err != nil {
		return nil, s.sharedFailure(err)
	}
	s.cache.add(userID, p)
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

// Update serialises read-modify-writes of one user: it reads the current profile (cache or
// GET), calls fn, and sends only the patch's keys in one PATCH, whose response refreshes the
// cache. An empty patch writes nothing. When the PATCH fails the user's cache entry is dropped,
// so the next read fetches whatever Auth0 holds.
func (s *Store) Update(ctx context.Context, userID string, fn store.UpdateFunc) (*store.Profile, error) {
	if err := s.check(userID); err != nil {
		return nil, err
	}
	unlock, err := s.locks.lock(ctx, userID)
	if err != nil {
		return nil, err
	}
	defer unlock()

	cur, err := s.current(ctx, userID)
	if err != nil {
		return nil, s.logged(ctx, "get user", err)
	}
	patch, err := fn(cur)
	if err != nil {
		return nil, err
	}
	if patch.Empty() {
		return cur, nil
	}
	if err := store.CheckKeys(patch); err != nil {
		return nil, err
	}
	body := patchBody(patch)
	p, err := s.withRetries(ctx, func(ctx context.Context) (*store.Profile, error) {
		return s.request(ctx, s.writes, http.MethodPatch, userID, body)
	})
	if err != nil {
		s.cache.remove(userID)
		return nil, s.logged(ctx, "update user", err)
	}
	s.cache.add(userID, p)
	return p, nil
}

// current returns the cached profile or reads it; the caller holds the user's lock.
func (s *Store) current(ctx context.Context, userID string) (*store.Profile, error) {
	if p, ok := s.cache.get(userID); ok {
		s.stats.cacheHits.Add(1)
		return p, nil
	}
	s.stats.cacheMisses.Add(1)
	p, err := s.withRetries(ctx, func(ctx context.Context) (*store.Profile, error) {
		return s.request(ctx, s.reads, http.MethodGet, userID, nil)
	})
	if err != nil {
		return nil, err
	}
	s.cache.add(userID, p)
	return p, nil
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

// check rejects calls after Close and empty user ids (which would address the users list).
func (s *Store) check(userID string) error {
	s.mu.Lock()
	closed := s.closed
	s.mu.Unlock()
	if closed {
		return errClosed.storeError(0)
	}
	if userID == "" {
		return &store.Error{Kind: store.KindInvalid, Message: "user id is empty"}
	}
	return nil
}
