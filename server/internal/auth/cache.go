package auth

import (
	"crypto/sha256"
	"time"

	lru "github.com/hashicorp/golang-lru/v2"
)

const (
	// tokenCacheSize bounds how many verified tokens are remembered.
	tokenCacheSize = 10_000
	// tokenCacheMaxAge bounds how long a verified token is trusted without checking it again,
	// so a signing key removed from the JWKS stops being honoured soon.
	tokenCacheMaxAge = 5 * time.Minute
)

// tokenCache remembers principals of verified tokens, keyed by the SHA-256 of the raw token
// (the token itself is never kept), until min(exp+skew, verification time + tokenCacheMaxAge).
type tokenCache struct {
	lru *lru.Cache[[sha256.Size]byte, cachedToken]
}

type cachedToken struct {
	principal *Principal
	until     time.Time
}

func newTokenCache() *tokenCache {
	c, err := lru.New[[sha256.Size]byte, cachedToken](tokenCacheSize)
	if err != nil {
		panic(err) // only for a non-positive size
	}
	return &tokenCache{lru: c}
}

// get returns the cached principal for raw if it is still within its validity at now.
func (c *tokenCache) get(raw string, now time.Time) (*Principal, bool) {
	key := sha256.Sum256([]byte(raw))
	e, ok := c.lru.Get(key)
	if !ok {
		return nil, false
	}
	if !now.Before(e.until) {
		c.lru.Remove(key)
		return nil, false
	}
	return e.principal, true
}

// add remembers p for raw until until.
func (c *tokenCache) add(raw string, p *Principal, until time.Time) {
	c.lru.Add(sha256.Sum256([]byte(raw)), cachedToken{principal: p, until: until})
}
