package storetest

import (
	"fmt"
	"maps"
	"sync"
	"testing"

	"github.com/acme/progressive-profiling/server/internal/store"
)

// writers is how many goroutines race on one user.
const writers = 50

// runConcurrently runs fn(i) for i in [0, writers) at once and reports every error.
func runConcurrently(t *testing.T, fn func(i int) error) {
	t.Helper()
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	start := make(chan struct{})
	for i := range writers {
		wg.Go(func() {
			<-start
			if err := fn(i); err != nil {
				errs <- fmt.Errorf("writer %d: %w", i, err)
			}
		})
	}
	close(start)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func testConcurrentDistinctKeys(t *testing.T, h Harness) {
	s := seeded(t, h, user)
	runConcurrently(t, func(i int) error {
		_, err := s.Update(t.Context(), user, patchUser(map[string]any{fmt.Sprintf("key-%02d", i): "v"}))
		return err
	})
	got := mustGet(t, s, user)
	for i := range writers {
		if k := fmt.Sprintf("key-%02d", i); got.UserMetadata[k] != "v" {
			t.Errorf("user_metadata[%q] = %v, want %q (a concurrent update was lost)", k, got.UserMetadata[k], "v")
		}
	}
}

// testConcurrentReadModifyWrite checks per-user serialisation: each writer adds its own topic
// to the one "subscribed" object, which a lost update would drop.
func testConcurrentReadModifyWrite(t *testing.T, h Harness) {
	s := seeded(t, h, user)
	runConcurrently(t, func(i int) error {
		_, err := s.Update(t.Context(), user, func(cur *store.Profile) (store.Patch, error) {
			subscribed := map[string]any{}
			if old, ok := cur.UserMetadata["subscribed"].(map[string]any); ok {
				maps.Copy(subscribed, old)
			}
			subscribed[fmt.Sprintf("topic-%02d", i)] = map[string]any{"source": "test"}
			return store.Patch{UserMetadata: map[string]any{"subscribed": subscribed}}, nil
		})
		return err
	})
	got, _ := mustGet(t, s, user).UserMetadata["subscribed"].(map[string]any)
	if len(got) != writers {
		t.Errorf("subscribed holds %d topics, want %d (an update was lost)", len(got), writers)
	}
	for i := range writers {
		if k := fmt.Sprintf("topic-%02d", i); got[k] == nil {
			t.Errorf("subscribed[%q] is missing", k)
		}
	}
}
