package auth0test

import (
	"math"
	"net/http"
	"strconv"
	"time"
)

// RateLimit describes the Management API's rate limits as Auth0 applies them to a tenant: token
// buckets of Burst requests, refilled continuously at PerSecond. With Separate, reading users
// (GET) and writing them (PATCH) each have such a bucket, as on self-service plans; otherwise one
// tenant-wide bucket counts every call, as on free and enterprise plans.
type RateLimit struct {
	Burst     int
	PerSecond float64
	Separate  bool
}

// DefaultRateLimit is generous enough that tests not about rate limits never meet it.
var DefaultRateLimit = RateLimit{Burst: 1000, PerSecond: 1000}

// SetRateLimit replaces the tenant's rate limits; the buckets start full.
func (s *Server) SetRateLimit(l RateLimit) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.limit = l
	now := time.Now()
	s.buckets = [2]tokenBucket{{tokens: float64(l.Burst), at: now}, {tokens: float64(l.Burst), at: now}}
}

// tokenBucket is one of the tenant's buckets.
type tokenBucket struct {
	tokens float64
	at     time.Time
}

// take refills the bucket to now and takes a token if there is one. It returns what is left and
// when the bucket is full again.
func (b *tokenBucket) take(l RateLimit, now time.Time) (ok bool, remaining int, full time.Time) {
	b.tokens = math.Min(float64(l.Burst), b.tokens+now.Sub(b.at).Seconds()*l.PerSecond)
	b.at = now
	if b.tokens >= 1 {
		b.tokens--
		ok = true
	}
	missing := float64(l.Burst) - b.tokens
	return ok, int(math.Floor(b.tokens)), now.Add(time.Duration(missing / l.PerSecond * float64(time.Second)))
}

// limitRequest counts a Management API request against its bucket and sets the x-ratelimit-*
// headers as Auth0 does: the bucket's size, the requests left, and the unix second by which it
// is full again (rounded up). It reports whether the request may go on; a refused request has
// been answered 429 already. The caller holds s.mu.
func (s *Server) limitRequest(w http.ResponseWriter, r *http.Request) bool {
	b := &s.buckets[0]
	if s.limit.Separate && r.Method != http.MethodGet {
		b = &s.buckets[1]
	}
	ok, remaining, full := b.take(s.limit, time.Now())
	setRateHeaders(w.Header(), s.limit.Burst, remaining, full)
	if !ok {
		s.calls.Throttled++
		writeAPIError(w, http.StatusTooManyRequests, "Global limit has been reached", "too_many_requests")
	}
	return ok
}

func setRateHeaders(h http.Header, limit, remaining int, reset time.Time) {
	h.Set("X-RateLimit-Limit", strconv.Itoa(limit))
	h.Set("X-RateLimit-Remaining", strconv.Itoa(remaining))
	secs := reset.Unix()
	if reset.After(time.Unix(secs, 0)) {
		secs++
	}
	h.Set("X-RateLimit-Reset", strconv.FormatInt(secs, 10))
}
