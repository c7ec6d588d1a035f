package loginstep

import (
	"context"
	"sync"
	"time"
)

// Once remembers which tokens were used, so that each works once. Replicas of the service share
// one through whatever they share (Redis); a single process can use NewMemoryOnce.
type Once interface {
	// Use records id as used for ttl and reports whether this was its first use.
	Use(ctx context.Context, id string, ttl time.Duration) (first bool, err error)
	// Used reports whether id is recorded as used.
	Used(ctx context.Context, id string) (bool, error)
}

// memoryOnce is a Once held in this process.
type memoryOnce struct {
	now func() time.Time

	mu      sync.Mutex
	expires map[string]time.Time
	sweepAt int
}

// NewMemoryOnce returns a Once held in this process, good for a single replica. now is the
// clock (time.Now when nil). Entries are dropped once their ttl has passed.
func NewMemoryOnce(now func() time.Time) Once {
	if now == nil {
		now = time.Now
	}
	return &memoryOnce{now: now, expires: map[string]time.Time{}, sweepAt: 1024}
}

func (m *memoryOnce) Use(_ context.Context, id string, ttl time.Duration) (bool, error) {
	now := m.now()
	m.mu.Lock()
	defer m.mu.Unlock()
	if exp, ok := m.expires[id]; ok && now.Before(exp) {
		return false, nil
	}
	m.expires[id] = now.Add(ttl)
	if len(m.expires) >= m.sweepAt {
		for k, exp := range m.expires {
			if !now.Before(exp) {
				delete(m.expires, k)
			}
		}
		// Sweep again when the map has doubled since: amortised constant time per use.
		m.sweepAt = max(1024, 2*len(m.expires))
	}
	return true, nil
}

func (m *memoryOnce) Used(_ context.Context, id string) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	exp, ok := m.expires[id]
	return ok && m.now().Before(exp), nil
}
