package replicas

import (
	"context"
	"sync"
)

// keyLock serialises work per key. Entries exist only while someone holds or waits for them,
// so the map stays as small as the number of users being worked on.
type keyLock struct {
	mu      sync.Mutex
	entries map[string]*lockEntry
}

type lockEntry struct {
	token chan struct{} // holds one value while the key is locked
	refs  int           // holders and waiters
}

func newKeyLock() *keyLock { return &keyLock{entries: make(map[string]*lockEntry)} }

// lock waits for key until ctx is done. On success it returns the function that unlocks.
func (l *keyLock) lock(ctx context.Context, key string) (func(), error) {
	l.mu.Lock()
	e := l.entries[key]
	if e == nil {
		e = &lockEntry{token: make(chan struct{}, 1)}
		l.entries[key] = e
	}
	e.refs++
	l.mu.Unlock()

	select {
	case e.token <- struct{}{}:
		var once sync.Once
		return func() { once.Do(func() { <-e.token; l.release(key, e) }) }, nil
	case <-ctx.Done():
		l.release(key, e)
		return nil, ctx.Err()
	}
}

func (l *keyLock) release(key string, e *lockEntry) {
	l.mu.Lock()
	defer l.mu.Unlock()
	e.refs--
	if e.refs == 0 {
		delete(l.entries, key)
	}
}

// size reports how many keys are held or awaited, for tests.
func (l *keyLock) size() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.entries)
}
