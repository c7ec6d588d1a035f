package main

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"runtime"
	"sync"

	"github.com/acme/progressive-profiling/server/internal/store"
	"github.com/acme/progressive-profiling/server/internal/store/auth0"
	"github.com/acme/progressive-profiling/server/internal/store/embedded"
)

// memoryResult is the heap cost of cached profiles in one store.
type memoryResult struct {
	store    string
	profiles int
	bytes    uint64 // live heap growth after caching the profiles
}

// perProfile is the heap per cached profile, in bytes.
func (m memoryResult) perProfile() float64 {
	if m.profiles == 0 {
		return 0
	}
	return float64(m.bytes) / float64(m.profiles)
}

// liveHeap collects garbage and returns the bytes of live heap objects.
func liveHeap() uint64 {
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}

// getAll reads users 0..n-1 through st with a few goroutines, failing on the first error.
func getAll(ctx context.Context, st store.Store, n int) error {
	const workers = 8
	var wg sync.WaitGroup
	errs := make([]error, workers)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for u := w; u < n && errs[w] == nil; u += workers {
				_, errs[w] = st.Get(ctx, userID(u))
			}
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// cachedHeap measures the live heap that reading n users through st adds; warm is read first
// so that one-off allocations (connections, tokens) are not counted.
func cachedHeap(ctx context.Context, st store.Store, n int) (uint64, error) {
	if _, err := st.Get(ctx, userID(n)); err != nil {
		return 0, fmt.Errorf("warm-up read: %w", err)
	}
	before := liveHeap()
	if err := getAll(ctx, st, n); err != nil {
		return 0, err
	}
	after := liveHeap()
	runtime.KeepAlive(st)
	if after < before {
		return 0, nil
	}
	return after - before, nil
}

// embeddedMemory imports n+1 users with all 10 fields answered, reopens the store so its cache
// is empty, and measures the heap that caching n of them adds.
func embeddedMemory(ctx context.Context, dir string, n int) (memoryResult, error) {
	quiet := slog.New(slog.DiscardHandler)
	users := make([]embedded.UserAttributes, n+1)
	for i := range users {
		users[i] = embedded.UserAttributes{UserID: userID(i), Attributes: rootAttributes(i), UserMetadata: memoryMetadata(i)}
	}
	st, err := embedded.Open(embedded.Options{Dir: dir, Logger: quiet})
	if err != nil {
		return memoryResult{}, err
	}
	if _, err := st.ImportUsers(ctx, users); err != nil {
		st.Close()
		return memoryResult{}, err
	}
	if err := st.Close(); err != nil {
		return memoryResult{}, err
	}
	users = nil
	st, err = embedded.Open(embedded.Options{Dir: dir, CacheSize: n + 10, Logger: quiet})
	if err != nil {
		return memoryResult{}, err
	}
	defer st.Close()
	b, err := cachedHeap(ctx, st, n)
	return memoryResult{store: "embedded", profiles: n, bytes: b}, err
}

// auth0Memory serves n+1 users with all 10 fields answered from the Management API double,
// which runs as a process of its own, and measures the heap that caching n of them in the
// Auth0 store adds.
func auth0Memory(ctx context.Context, b bins, tmp string, n int) (memoryResult, error) {
	dbl, err := startDouble(ctx, b, tmp, "memory", n+1, memoryMetadata)
	if err != nil {
		return memoryResult{}, err
	}
	defer dbl.Stop()
	if err := dbl.SetRateLimit(ctx, 1<<30, 1e9); err != nil {
		return memoryResult{}, err
	}
	st, err := auth0.New(ctx, auth0.Config{
		Domain: dbl.Domain, ClientID: dbl.ClientID, ClientSecret: dbl.ClientSecret,
		CacheSize: n + 10, ReadsPerSecond: 1e9, ReadBurst: 1 << 30,
		Logger: slog.New(slog.DiscardHandler),
	})
	if err != nil {
		return memoryResult{}, err
	}
	defer st.Close()
	heap, err := cachedHeap(ctx, st, n)
	return memoryResult{store: "auth0", profiles: n, bytes: heap}, err
}

// measureMemory measures both stores' heap per cached profile.
func measureMemory(ctx context.Context, opts options, b bins, tmp string, logf func(string, ...any)) ([]memoryResult, error) {
	logf("measuring heap per cached profile (%d profiles, 10 answered fields each)", opts.memoryProfiles)
	emb, err := embeddedMemory(ctx, filepath.Join(tmp, "memory-embedded"), opts.memoryProfiles)
	if err != nil {
		return nil, fmt.Errorf("memory, embedded store: %w", err)
	}
	a0, err := auth0Memory(ctx, b, tmp, opts.memoryProfiles)
	if err != nil {
		return []memoryResult{emb}, fmt.Errorf("memory, auth0 store: %w", err)
	}
	return []memoryResult{emb, a0}, nil
}
