package embedded

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	bolt "go.etcd.io/bbolt"

	"github.com/acme/progressive-profiling/server/internal/store"
)

// outcome is what an Update started in the background returned.
type outcome struct {
	p   *store.Profile
	err error
}

// goUpdate runs Update in a goroutine and delivers its outcome.
func goUpdate(ctx context.Context, s *Store, id string, fn store.UpdateFunc) <-chan outcome {
	ch := make(chan outcome, 1)
	go func() {
		p, err := s.Update(ctx, id, fn)
		ch <- outcome{p, err}
	}()
	return ch
}

// blockWriter occupies the writer with an update that waits for release, so that later
// requests queue up. It returns release and the blocked update's outcome.
func blockWriter(t *testing.T, s *Store) (release func(), done <-chan outcome) {
	t.Helper()
	started, unblock := make(chan struct{}), make(chan struct{})
	done = goUpdate(t.Context(), s, "auth0|blocker", func(*store.Profile) (store.Patch, error) {
		close(started)
		<-unblock
		return store.Patch{UserMetadata: map[string]any{"blocked": true}}, nil
	})
	<-started
	return sync.OnceFunc(func() { close(unblock) }), done
}

// waitQueued waits until n requests wait for the writer.
func waitQueued(s *Store, n int) {
	for len(s.reqs) < n {
		runtime.Gosched()
	}
}

func TestConcurrentWritersShareCommits(t *testing.T) {
	s := newTestStore(t)
	release, blocked := blockWriter(t, s)
	const queued = 63
	var outs []<-chan outcome
	for i := range queued {
		id := fmt.Sprintf("auth0|user-%02d", i)
		outs = append(outs, goUpdate(t.Context(), s, id, setUser(map[string]any{"i": i})))
	}
	waitQueued(s, queued)
	release()
	for i, ch := range append(outs, blocked) {
		if o := <-ch; o.err != nil {
			t.Errorf("update %d: %v", i, o.err)
		}
	}
	// The blocked update commits alone; the 63 queued behind it share one commit.
	if diff := cmp.Diff(Stats{Writes: queued + 1, Commits: 2}, s.Stats()); diff != "" {
		t.Errorf("Stats (-want +got):\n%s", diff)
	}
}

func TestParallelWritersCommitLessOftenThanTheyWrite(t *testing.T) {
	s := newTestStore(t)
	const goroutines, perGoroutine = 64, 10
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Go(func() {
			for i := range perGoroutine {
				key := fmt.Sprintf("k%d", i)
				if _, err := s.Update(t.Context(), fmt.Sprintf("auth0|%d", g), setUser(map[string]any{key: i})); err != nil {
					t.Errorf("Update: %v", err)
				}
			}
		})
	}
	wg.Wait()
	st := s.Stats()
	t.Logf("%d writes in %d commits", st.Writes, st.Commits)
	if st.Writes != goroutines*perGoroutine {
		t.Errorf("Writes = %d, want %d", st.Writes, goroutines*perGoroutine)
	}
	if st.Commits >= st.Writes {
		t.Errorf("Commits = %d, want fewer than the %d writes", st.Commits, st.Writes)
	}
}

func TestFailuresInABatchFailOnlyTheirRequest(t *testing.T) {
	s := newTestStore(t)
	release, blocked := blockWriter(t, s)
	const id = "auth0|shared"
	errBoom := errors.New("boom")
	count := func(cur *store.Profile) (store.Patch, error) {
		n, _ := cur.UserMetadata["n"].(float64)
		return store.Patch{UserMetadata: map[string]any{"n": n + 1}}, nil
	}
	steps := []struct {
		name    string
		fn      store.UpdateFunc
		wantErr bool
	}{
		{"first increment", count, false},
		{"update function error", func(*store.Profile) (store.Patch, error) {
			return store.Patch{UserMetadata: map[string]any{"n": 100}}, errBoom
		}, true},
		{"oversized record", setUser(map[string]any{"n": 100, "big": strings.Repeat("x", maxRecordBytes)}), true},
		{"second increment sees the first", count, false},
	}
	var outs []<-chan outcome
	for i, st := range steps {
		outs = append(outs, goUpdate(t.Context(), s, id, st.fn))
		waitQueued(s, i+1) // keep arrival order
	}
	release()
	<-blocked
	for i, st := range steps {
		if o := <-outs[i]; (o.err != nil) != st.wantErr {
			t.Errorf("%s: error = %v, want error %t", st.name, o.err, st.wantErr)
		}
	}
	got, err := s.Get(t.Context(), id)
	if err != nil {
		t.Fatalf("Get: %v", err)
	}
	if diff := cmp.Diff(map[string]any{"n": float64(2)}, got.UserMetadata); diff != "" {
		t.Errorf("user_metadata (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(Stats{Writes: 2, Commits: 2}, s.Stats()); diff != "" {
		t.Errorf("Stats (-want +got):\n%s", diff)
	}
}

func TestContextDoneBeforeTheWriterTakesTheUpdate(t *testing.T) {
	s := newTestStore(t)
	release, blocked := blockWriter(t, s)
	ctx, cancel := context.WithCancel(t.Context())
	called := make(chan struct{}, 1)
	out := goUpdate(ctx, s, "auth0|x", func(*store.Profile) (store.Patch, error) {
		called <- struct{}{}
		return store.Patch{UserMetadata: map[string]any{"a": "1"}}, nil
	})
	waitQueued(s, 1)
	cancel()
	if o := <-out; !errors.Is(o.err, context.Canceled) {
		t.Errorf("Update error = %v, want %v", o.err, context.Canceled)
	}
	release()
	<-blocked
	got, err := s.Get(t.Context(), "auth0|x")
	if err != nil {
		t.Fatalf("Get: %v", err)
	}
	if len(got.UserMetadata) != 0 || len(called) != 0 {
		t.Errorf("cancelled update ran (called %d times) or was written: %v", len(called), got.UserMetadata)
	}
}

func TestCloseFailsQueuedUpdatesAndFinishesTakenOnes(t *testing.T) {
	s, err := Open(Options{Dir: t.TempDir()})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	release, blocked := blockWriter(t, s)
	queued := goUpdate(t.Context(), s, "auth0|queued", setUser(map[string]any{"a": "1"}))
	waitQueued(s, 1)
	closed := make(chan error, 1)
	go func() { closed <- s.Close() }()
	for !s.closed.Load() {
		runtime.Gosched()
	}
	release()
	if o := <-blocked; o.err != nil {
		t.Errorf("update taken before Close: %v", o.err)
	}
	if o := <-queued; !errors.Is(o.err, errClosed) {
		t.Errorf("update queued at Close: error = %v, want %v", o.err, errClosed)
	}
	if err := <-closed; err != nil {
		t.Errorf("Close: %v", err)
	}
}

// TestCacheAgreesWithTheFile races readers against writers, then checks that what Get serves
// (from the cache) is what the file holds.
func TestCacheAgreesWithTheFile(t *testing.T) {
	s := newTestStore(t)
	const users, rounds = 4, 30
	var wg sync.WaitGroup
	for u := range users {
		id := fmt.Sprintf("auth0|%d", u)
		wg.Go(func() {
			for i := range rounds {
				if _, err := s.Update(t.Context(), id, setUser(map[string]any{"i": i})); err != nil {
					t.Errorf("Update: %v", err)
				}
			}
		})
		for range 4 {
			wg.Go(func() {
				for range rounds {
					if _, err := s.Get(t.Context(), id); err != nil {
						t.Errorf("Get: %v", err)
					}
				}
			})
		}
	}
	wg.Wait()
	for u := range users {
		id := fmt.Sprintf("auth0|%d", u)
		cached, err := s.Get(t.Context(), id)
		if err != nil {
			t.Fatalf("Get: %v", err)
		}
		var stored *store.Profile
		if err := s.db.View(func(tx *bolt.Tx) error {
			stored, err = loadProfile(tx, id)
			return err
		}); err != nil {
			t.Fatalf("reading the file: %v", err)
		}
		if diff := cmp.Diff(stored, cached); diff != "" {
			t.Errorf("%s: cached profile differs from the file (-file +cache):\n%s", id, diff)
		}
		if want := float64(rounds - 1); cached.UserMetadata["i"] != want {
			t.Errorf("%s: i = %v, want %v", id, cached.UserMetadata["i"], want)
		}
	}
}
