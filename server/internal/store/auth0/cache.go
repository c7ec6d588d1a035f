package auth0

import (
	"sync"
	"time"

	lru "github.com/hashicorp/golang-lru/v2"

	"github.com/acme/progressive-profiling/server/internal/store"
)

// profileCache is a bounded LRU of profiles whose entries also expire after a TTL. It uses the
// plain LRU and checks expiry on read because the expirable LRU of golang-lru v2.0.7 starts a
// cleanup goroutine that can never be stopped.
//
// A read from upstream registers with begin before it asks, and its result enters the cache
// only if nothing changed the user in the meantime (a write here, or an invalidation from
// another replica): an answer that may predate the change must not outlive it in the cache.
type profileCache struct {
	lru *lru.Cache[string, cacheEntry]
	ttl time.Duration

	mu    sync.Mutex
	reads map[string]*readsInFlight
}

type cacheEntry struct {
	profile *store.Profile
	expires time.Time
}

// readsInFlight counts the reads of one user in flight; gen moves on at every change of the user.
type readsInFlight struct {
	gen, refs int
}

// readTicket is a read in flight: its user and the generation it started at.
type readTicket struct {
	userID string
	gen    int
}

func newProfileCache(size int, ttl time.Duration) (*profileCache, error) {
	c, err := lru.New[string, cacheEntry](size)
	if err != nil {
		return nil, err
	}
	return &profileCache{lru: c, ttl: ttl, reads: map[string]*readsInFlight{}}, nil
}

// get returns the cached profile of userID unless it is missing or expired.
func (c *profileCache) get(userID string) (*store.Profile, bool) {
	e, ok := c.lru.Get(userID)
	if !ok || time.Now().After(e.expires) {
		return nil, false
	}
	return e.profile, true
}

// begin registers a read of userID from upstream (or from another replica's copy). Every ticket
// must be handed to finish.
func (c *profileCache) begin(userID string) readTicket {
	c.mu.Lock()
	defer c.mu.Unlock()
	r := c.reads[userID]
	if r == nil {
		r = &readsInFlight{}
		c.reads[userID] = r
	}
	r.refs++
	return readTicket{userID: userID, gen: r.gen}
}

// finish ends the read of t. When p is not nil and nothing changed the user since begin, p
// enters the cache as read at readAt.
func (c *profileCache) finish(t readTicket, p *store.Profile, readAt time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	r := c.reads[t.userID]
	if p != nil && r.gen == t.gen {
		c.lru.Add(t.userID, cacheEntry{profile: p, expires: readAt.Add(c.ttl)})
	}
	if r.refs--; r.refs == 0 {
		delete(c.reads, t.userID)
	}
}

// put caches p as userID's current profile (just written, or read under the user's write lock);
// reads in flight are older and stay out.
func (c *profileCache) put(userID string, p *store.Profile) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.changed(userID)
	c.lru.Add(userID, cacheEntry{profile: p, expires: time.Now().Add(c.ttl)})
}

// invalidate drops userID's entry: the user changed, or may have, elsewhere.
func (c *profileCache) invalidate(userID string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.changed(userID)
	c.lru.Remove(userID)
}

// purge drops every entry, when changes may have been missed.
func (c *profileCache) purge() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for id := range c.reads {
		c.changed(id)
	}
	c.lru.Purge()
}

// changed moves userID's reads in flight out of date; the caller holds mu.
func (c *profileCache) changed(userID string) {
	if r := c.reads[userID]; r != nil {
		r.gen++
	}
}
