package auth0test

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sync"
	"time"
)

// The only client credentials the double accepts.
const (
	ClientID     = "auth0test-client"
	ClientSecret = "auth0test-secret-do-not-log"
)

// Counts are the requests the double received, faulty answers included.
type Counts struct {
	Token, Get, Patch int
	// Throttled counts the requests refused with 429 because the tenant's rate limit was
	// exceeded (not those Throttle injects).
	Throttled int
}

// Server is a Management API look-alike running on a loopback httptest server.
type Server struct {
	srv *httptest.Server

	mu    sync.Mutex
	users map[string]map[string]any
	// issued holds the access tokens handed out.
	issued       map[string]bool
	calls        Counts
	latency      time.Duration
	failNext     int
	failStatus   int
	throttleNext int
	throttleTill time.Time
	tokenFailure bool
	limit        RateLimit
	buckets      [2]tokenBucket
}

// NewServer starts a double with no users.
func NewServer() *Server {
	s := &Server{users: make(map[string]map[string]any), issued: make(map[string]bool)}
	s.SetRateLimit(DefaultRateLimit)
	s.srv = httptest.NewServer(http.HandlerFunc(s.serveHTTP))
	return s
}

// URL is the double's base URL, http://127.0.0.1:PORT, usable as the store's domain.
func (s *Server) URL() string { return s.srv.URL }

// Close shuts the double down.
func (s *Server) Close() { s.srv.Close() }

// AddUser creates or replaces the user id with the given root attributes, which may include
// user_metadata and app_metadata objects. The double keeps a deep copy.
func (s *Server) AddUser(id string, attrs map[string]any) {
	u := deepCopy(attrs)
	if u == nil {
		u = map[string]any{}
	}
	u["user_id"] = id
	s.mu.Lock()
	defer s.mu.Unlock()
	s.users[id] = u
}

// User returns a deep copy of the user as the double holds it (the JSON a GET would return).
func (s *Server) User(id string) (map[string]any, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u, ok := s.users[id]
	if !ok {
		return nil, false
	}
	return deepCopy(u), true
}

// Calls returns the requests received so far.
func (s *Server) Calls() Counts {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls
}

// SetLatency delays every Management API response (not the token endpoint) by d, or until the
// client gives up.
func (s *Server) SetLatency(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.latency = d
}

// FailNext makes the next n Management API requests fail with status (e.g. 503) and Auth0's
// error body for it.
func (s *Server) FailNext(n int, status int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failNext, s.failStatus = n, status
}

// Throttle makes the next n Management API requests fail with 429, Auth0's body and
// x-ratelimit-* headers announcing that the limit resets at reset.
func (s *Server) Throttle(n int, reset time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.throttleNext, s.throttleTill = n, reset
}

// RevokeTokens makes every access token issued so far invalid: the Management API answers 401
// to them, as Auth0 does to a revoked token or one signed with a revoked key. Tokens issued
// afterwards are accepted.
func (s *Server) RevokeTokens() {
	s.mu.Lock()
	defer s.mu.Unlock()
	clear(s.issued)
}

// SetTokenFailure makes the token endpoint answer 503 while on.
func (s *Server) SetTokenFailure(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tokenFailure = on
}

func newToken() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return "auth0test-token-" + hex.EncodeToString(b)
}

// deepCopy copies a JSON object by round-tripping it, so the double never aliases callers' maps.
func deepCopy(m map[string]any) map[string]any {
	if m == nil {
		return nil
	}
	b, err := json.Marshal(m)
	if err != nil {
		panic("auth0test: value is not JSON: " + err.Error())
	}
	var out map[string]any
	if err := json.Unmarshal(b, &out); err != nil {
		panic(err)
	}
	return out
}
