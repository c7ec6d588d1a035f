package auth

import (
	"context"
	"crypto/rsa"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/lestrrat-go/jwx/v3/jwa"
	"github.com/lestrrat-go/jwx/v3/jwk"
)

const (
	// maxJWKSBytes bounds the JWKS document we are willing to read.
	maxJWKSBytes = 1 << 20
	// minRSABits is the smallest RSA modulus accepted for a signing key.
	minRSABits = 2048
	// keySetMaxAge is how long a fetched key set is trusted before a background refresh, so a
	// key the tenant revoked stops being accepted even if no unknown kid ever shows up.
	keySetMaxAge = 15 * time.Minute
)

// Internal rejection reasons from the key set; they reach logs, never callers.
var (
	errUnknownKey       = errors.New("unknown signing key id")
	errKeysUnavailable  = errors.New("signing keys unavailable")
	errRefreshThrottled = errors.New("unknown signing key id (JWKS refresh throttled)")
)

// keySet caches the tenant's RS256 public keys by kid. A missing kid triggers a fetch, but never
// more than one per interval; concurrent callers share the fetch in flight.
type keySet struct {
	url      string
	client   *http.Client
	interval time.Duration
	now      func() time.Time
	log      *slog.Logger
	base     context.Context // bounds background fetches

	mu          sync.Mutex
	keys        map[string]*rsa.PublicKey
	fetchedAt   time.Time // last successful fetch
	attemptedAt time.Time // last fetch started; zero before the first
	inflight    *fetchCall
}

// fetchCall is one JWKS fetch that several callers may wait for.
type fetchCall struct {
	done chan struct{}
	err  error
}

func newKeySet(ctx context.Context, cfg Config) *keySet {
	return &keySet{
		url:      cfg.JWKSURL,
		client:   cfg.HTTPClient,
		interval: cfg.MinRefreshInterval,
		now:      cfg.Now,
		log:      cfg.Logger,
		base:     ctx,
		keys:     map[string]*rsa.PublicKey{},
	}
}

// prefetch starts the first fetch in the background; it does not wait for it.
func (s *keySet) prefetch() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.inflight == nil && s.attemptedAt.IsZero() {
		s.startLocked()
	}
}

// key returns the key for kid, fetching the JWKS when kid is unknown and the last fetch is
// older than the interval (or joining a fetch already in flight).
func (s *keySet) key(ctx context.Context, kid string) (*rsa.PublicKey, error) {
	s.mu.Lock()
	if k, ok := s.keys[kid]; ok {
		s.refreshIfStaleLocked()
		s.mu.Unlock()
		return k, nil
	}
	call := s.inflight
	if call == nil {
		if !s.mayFetchLocked() {
			s.mu.Unlock()
			return nil, errRefreshThrottled
		}
		call = s.startLocked()
	}
	s.mu.Unlock()

	select {
	case <-call.done:
	case <-ctx.Done():
		return nil, fmt.Errorf("waiting for JWKS: %w", ctx.Err())
	}
	s.mu.Lock()
	k, ok := s.keys[kid]
	s.mu.Unlock()
	switch {
	case ok:
		return k, nil
	case call.err != nil:
		return nil, errKeysUnavailable
	}
	return nil, errUnknownKey
}

func (s *keySet) mayFetchLocked() bool {
	return s.attemptedAt.IsZero() || s.now().Sub(s.attemptedAt) >= s.interval
}

// refreshIfStaleLocked starts a background fetch when the keys are older than keySetMaxAge.
func (s *keySet) refreshIfStaleLocked() {
	if s.inflight == nil && s.now().Sub(s.fetchedAt) >= keySetMaxAge && s.mayFetchLocked() {
		s.startLocked()
	}
}

// startLocked records the attempt and runs one fetch in its own goroutine, so that a caller
// giving up does not cancel the fetch others are waiting for.
func (s *keySet) startLocked() *fetchCall {
	s.attemptedAt = s.now()
	call := &fetchCall{done: make(chan struct{})}
	s.inflight = call
	go s.run(call)
	return call
}

func (s *keySet) run(call *fetchCall) {
	ctx, cancel := context.WithTimeout(s.base, DefaultHTTPTimeout)
	defer cancel()
	keys, err := fetchKeys(ctx, s.client, s.url)
	if err != nil {
		s.log.Warn("auth: JWKS fetch failed; keeping the previous keys", "url", s.url, "error", err)
	}
	s.mu.Lock()
	if err == nil {
		s.keys, s.fetchedAt = keys, s.now()
	}
	s.inflight = nil
	call.err = err
	s.mu.Unlock()
	close(call.done)
}

// fetchKeys downloads the JWKS at url and keeps its RSA signing keys usable with RS256.
func fetchKeys(ctx context.Context, client *http.Client, url string) (map[string]*rsa.PublicKey, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("JWKS answered HTTP %d", resp.StatusCode)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxJWKSBytes+1))
	if err != nil {
		return nil, err
	}
	if len(body) > maxJWKSBytes {
		return nil, fmt.Errorf("JWKS larger than %d bytes", maxJWKSBytes)
	}
	set, err := jwk.Parse(body)
	if err != nil {
		return nil, fmt.Errorf("parse JWKS: %w", err)
	}
	keys := rs256Keys(set)
	if len(keys) == 0 {
		return nil, errors.New("JWKS holds no usable RS256 signing key")
	}
	return keys, nil
}

// rs256Keys keeps the keys of set that have a kid, are RSA, are meant for signatures and are
// large enough; others (encryption keys, EC keys, keys pinned to another alg) are ignored.
func rs256Keys(set jwk.Set) map[string]*rsa.PublicKey {
	keys := map[string]*rsa.PublicKey{}
	for i := range set.Len() {
		k, _ := set.Key(i)
		kid, _ := k.KeyID()
		if kid == "" || k.KeyType() != jwa.RSA() {
			continue
		}
		if use, ok := k.KeyUsage(); ok && use != "sig" {
			continue
		}
		if alg, ok := k.Algorithm(); ok && alg.String() != jwa.RS256().String() {
			continue
		}
		var pub rsa.PublicKey
		if err := jwk.Export(k, &pub); err != nil || pub.N.BitLen() < minRSABits {
			continue
		}
		keys[kid] = &pub
	}
	return keys
}
