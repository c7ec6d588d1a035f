package auth0

import (
	"time"

	lru "github.com/hashicorp/golang-lru/v2"

	"github.com/acme/progressive-profiling/server/internal/store"
)

// profileCache is a bounded LRU of profiles whose entries also expire after a TTL. It uses the
// plain LRU and checks expiry on read because the expirable LRU of golang-lru v2.0.7 starts a
// cleanup goroutine that can never be stopped.
type profileCache struct {
	lru *lru.Cache[string, cacheEntry]
	ttl time.Duration
}

type cacheEntry struct {
	profile *store.Profile
	expires time.Time
}

func newProfileCache(size int, ttl time.Duration) (*profileCache, error) {
	c, err := lru.New[string, cacheEntry](size)
	if err != nil {
		return nil, err
	}
	return &profileCache{lru: c, ttl: ttl}, nil
}

// get returns the cached profile of userID unless it is missing or expired.
func (c *profileCache) get(userID string) (*store.Profile, bool) {
	e, ok := c.lru.Get(userID)
	if !ok || time.Now().After(e.expires) {
		return nil, false
	}
	return e.profile, true
}

func (c *profileCache) add(userID string, p *store.Profile) {
	c.lru.Add(userID, cacheEntry{profile: p, expires: time.Now().Add(c.ttl)})
}

func (c *profileCache) remove(userID string) { c.lru.Remove(userID) }
