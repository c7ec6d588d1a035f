package auth0

import (
	"fmt"
	"maps"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/acme/progressive-profiling/server/internal/replicas"
	"github.com/acme/progressive-profiling/server/internal/store"
	"github.com/acme/progressive-profiling/server/internal/store/auth0/auth0test"
)

const journeyUser = "google-oauth2|103547991597142817347"

// TestJourneyCostsTwoGetsAndTwoPatches follows the seed journey's store traffic: read, write,
// read, write, read. The first write sets new first-level values, which needs no fresh read;
// the second rebuilds the nested "subscribed" object, which must start from what Auth0 holds,
// read under the lock.
func TestJourneyCostsTwoGetsAndTwoPatches(t *testing.T) {
	srv := newDouble(t)
	srv.AddUser(journeyUser, map[string]any{"given_name": "Ada", "logins_count": 2})
	s := newTestStore(t, srv)
	ctx := t.Context()

	steps := []func() error{
		func() error { _, err := s.Get(ctx, journeyUser); return err },
		func() error {
			_, err := s.Update(ctx, journeyUser, setMetadata(map[string]any{"title": "Countess", "company": "Analytical"}))
			return err
		},
		func() error { _, err := s.Get(ctx, journeyUser); return err },
		func() error { _, err := s.Update(ctx, journeyUser, subscribe("weekly-digest")); return err },
		func() error { _, err := s.Get(ctx, journeyUser); return err },
	}
	for i, step := range steps {
		if err := step(); err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
	}
	want := auth0test.Counts{Token: 1, Get: 2, Patch: 2}
	if diff := cmp.Diff(want, srv.Calls()); diff != "" {
		t.Errorf("upstream calls mismatch (-want +got):\n%s", diff)
	}
}

// TestColdStampedeCostsOneGet checks that concurrent reads of an uncached user share one GET.
func TestColdStampedeCostsOneGet(t *testing.T) {
	srv := newDouble(t)
	srv.AddUser(journeyUser, map[string]any{"given_name": "Ada"})
	s := newTestStore(t, srv)

	const readers = 100
	var wg sync.WaitGroup
	start := make(chan struct{})
	errs := make(chan error, readers)
	for range readers {
		wg.Go(func() {
			<-start
			p, err := s.Get(t.Context(), journeyUser)
			if err == nil && p.Attributes["given_name"] != "Ada" {
				err = fmt.Errorf("given_name = %v, want Ada", p.Attributes["given_name"])
			}
			if err != nil {
				errs <- err
			}
		})
	}
	close(start)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if got := srv.Calls().Get; got != 1 {
		t.Errorf("upstream GETs = %d, want 1", got)
	}
}

// TestConcurrentNestedUpdatesAllLandUpstream checks per-user serialisation against what Auth0
// holds: 50 writers each add a topic to the one "subscribed" object.
func TestConcurrentNestedUpdatesAllLandUpstream(t *testing.T) {
	srv := newDouble(t)
	srv.AddUser(journeyUser, map[string]any{"user_metadata": map[string]any{"subscribed": map[string]any{"existing": map[string]any{"source": "seed"}}}})
	s := newTestStore(t, srv)

	const writers = 50
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range writers {
		wg.Go(func() {
			<-start
			if _, err := s.Update(t.Context(), journeyUser, subscribe(fmt.Sprintf("topic-%02d", i))); err != nil {
				t.Errorf("writer %d: %v", i, err)
			}
		})
	}
	close(start)
	wg.Wait()

	u, _ := srv.User(journeyUser)
	got, _ := u["user_metadata"].(map[string]any)["subscribed"].(map[string]any)
	if len(got) != writers+1 {
		t.Errorf("Auth0 holds %d topics, want %d", len(got), writers+1)
	}
	for i := range writers {
		if k := fmt.Sprintf("topic-%02d", i); got[k] == nil {
			t.Errorf("topic %q is missing upstream", k)
		}
	}
	if got["existing"] == nil {
		t.Error(`topic "existing" was lost upstream`)
	}
	if n := s.coord.(*replicas.Local).LockedUsers(); n != 0 {
		t.Errorf("user locks left after the updates = %d, want 0", n)
	}
}

// subscribe adds topic to user_metadata.subscribed, keeping the other topics.
func subscribe(topic string) store.UpdateFunc {
	return func(cur *store.Profile) (store.Patch, error) {
		subscribed := map[string]any{}
		if old, ok := cur.UserMetadata["subscribed"].(map[string]any); ok {
			maps.Copy(subscribed, old)
		}
		subscribed[topic] = map[string]any{"since": "2026-11-25T10:00:00Z", "source": "test"}
		return store.Patch{UserMetadata: map[string]any{"subscribed": subscribed}}, nil
	}
}
