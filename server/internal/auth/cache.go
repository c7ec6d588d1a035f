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

// tokenKey returns the SHA-256 of raw. It feeds the hash through a small stack buffer instead of
// converting the whole token to a []byte, which would copy it to the heap on every call.
func tokenKey(raw string) (key [sha256.Size]byte) {
	h := sha256.New()
	var buf [256]byte
	for len(raw) > 0 {
		n := copy(buf[:], raw)
		h.Write(buf[:n])
		raw = raw[n:]
	}
	h.Sum(key[:0])
	return key
}

// get returns the cached principal for raw if it is still within its validity at now.
func (c *tokenCache) get(raw string, now time.Time) (*Principal, bool) {
	key := tokenKey(raw)
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
	c.lru.Add(tokenKey(raw), cachedToken{principal: p, until: until})
}
