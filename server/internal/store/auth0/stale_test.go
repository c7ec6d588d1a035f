package auth0

import (
	"fmt"
	"maps"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/acme/progressive-profiling/server/internal/store"
	"github.com/acme/progressive-profiling/server/internal/store/auth0/auth0test"
)

// changeOutside changes the user in the double, as the Auth0 Dashboard, an Action or another
// application would, without the store knowing.
func changeOutside(t *testing.T, srv *auth0test.Server, id string, change func(u map[string]any)) {
	t.Helper()
	u, ok := srv.User(id)
	if !ok {
		t.Fatalf("user %q is not in the double", id)
	}
	change(u)
	srv.AddUser(id, u)
}

func metadataOf(u map[string]any, part string) map[string]any {
	m, _ := u[part].(map[string]any)
	return m
}

// TestNestedWriteStartsFromWhatAuth0Holds checks that a write rebuilding a nested object keeps
// what was added to it outside the service after the store cached the profile.
func TestNestedWriteStartsFromWhatAuth0Holds(t *testing.T) {
	srv := newDouble(t)
	srv.AddUser(journeyUser, map[string]any{"user_metadata": map[string]any{"subscribed": map[string]any{"old": map[string]any{"source": "seed"}}}})
	s := newTestStore(t, srv)
	if _, err := s.Get(t.Context(), journeyUser); err != nil {
		t.Fatalf("Get: %v", err)
	}
	changeOutside(t, srv, journeyUser, func(u map[string]any) {
		metadataOf(u, "user_metadata")["subscribed"].(map[string]any)["from-dashboard"] = map[string]any{"source": "dashboard"}
	})

	if _, err := s.Update(t.Context(), journeyUser, subscribe("new")); err != nil {
		t.Fatalf("Update: %v", err)
	}
	u, _ := srv.User(journeyUser)
	got := metadataOf(u, "user_metadata")["subscribed"].(map[string]any)
	for _, topic := range []string{"old", "from-dashboard", "new"} {
		if got[topic] == nil {
			t.Errorf("topic %q is missing upstream after the write; Auth0 holds %v", topic, got)
		}
	}
}

// TestValueClearedOutsideIsWrittenAgain checks that submitting a value the cached copy already
// holds, but Auth0 no longer does, writes it: "unchanged" is decided on what Auth0 holds.
func TestValueClearedOutsideIsWrittenAgain(t *testing.T) {
	tests := []struct {
		name  string
		patch map[string]any
	}{
		{"alone", map[string]any{"title": "CTO"}},
		{"beside a new value", map[string]any{"title": "CTO", "company": "Acme"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newDouble(t)
			srv.AddUser(journeyUser, map[string]any{"user_metadata": map[string]any{"title": "CTO"}})
			s := newTestStore(t, srv)
			if _, err := s.Get(t.Context(), journeyUser); err != nil {
				t.Fatalf("Get: %v", err)
			}
			changeOutside(t, srv, journeyUser, func(u map[string]any) { delete(u, "user_metadata") })

			p, err := s.Update(t.Context(), journeyUser, setMetadata(tt.patch))
			if err != nil {
				t.Fatalf("Update: %v", err)
			}
			u, _ := srv.User(journeyUser)
			if diff := cmp.Diff(tt.patch, metadataOf(u, "user_metadata")); diff != "" {
				t.Errorf("user_metadata upstream (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.patch, p.UserMetadata); diff != "" {
				t.Errorf("user_metadata returned (-want +got):\n%s", diff)
			}
		})
	}
}

// TestUnchangedWriteReadsOnceAndWritesNothing checks that a write which changes nothing, even
// on what Auth0 holds, costs one GET under the lock and no PATCH.
func TestUnchangedWriteReadsOnceAndWritesNothing(t *testing.T) {
	srv := newDouble(t)
	srv.AddUser(journeyUser, map[string]any{"user_metadata": map[string]any{"title": "CTO"}})
	s := newTestStore(t, srv)
	if _, err := s.Get(t.Context(), journeyUser); err != nil {
		t.Fatalf("Get: %v", err)
	}
	if _, err := s.Update(t.Context(), journeyUser, setMetadata(map[string]any{"title": "CTO"})); err != nil {
		t.Fatalf("Update: %v", err)
	}
	if diff := cmp.Diff(auth0test.Counts{Token: 1, Get: 2}, srv.Calls()); diff != "" {
		t.Errorf("upstream calls (-want +got):\n%s", diff)
	}
}

// TestReadInFlightDuringAWriteIsNotCached checks that a read answered before a write but
// finished after it does not put the older profile back into the cache.
func TestReadInFlightDuringAWriteIsNotCached(t *testing.T) {
	c, err := newProfileCache(10, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	older := &store.Profile{UserID: "u", UserMetadata: map[string]any{"title": "old"}}
	newer := &store.Profile{UserID: "u", UserMetadata: map[string]any{"title": "new"}}

	for _, change := range []struct {
		name string
		do   func()
	}{
		{"a write here", func() { c.put("u", newer) }},
		{"another replica's write", func() { c.invalidate("u") }},
		{"missed invalidations", c.purge},
	} {
		t.Run(change.name, func(t *testing.T) {
			c.invalidate("u")
			ticket := c.begin("u")
			change.do()
			c.finish(ticket, older, time.Now())
			if p, ok := c.get("u"); ok && p == older {
				t.Error("the read that started before the change was cached")
			}
		})
	}
	t.Run("no change", func(t *testing.T) {
		c.invalidate("u")
		ticket := c.begin("u")
		c.finish(ticket, older, time.Now())
		if p, ok := c.get("u"); !ok || p != older {
			t.Errorf("get = %v, %v; want the profile read", p, ok)
		}
	})
}

// TestConcurrentMixedWritesAllLand runs subscriptions, declines and answers on one user at once.
func TestConcurrentMixedWritesAllLand(t *testing.T) {
	srv := newDouble(t)
	srv.AddUser(journeyUser, nil)
	s := newTestStore(t, srv)
	const each = 20
	var wg sync.WaitGroup
	for i := range each {
		wg.Go(func() {
			if _, err := s.Update(t.Context(), journeyUser, subscribe(fmt.Sprintf("topic-%02d", i))); err != nil {
				t.Errorf("subscribe %d: %v", i, err)
			}
		})
		wg.Go(func() {
			if _, err := s.Update(t.Context(), journeyUser, decline(fmt.Sprintf("field-%02d", i))); err != nil {
				t.Errorf("decline %d: %v", i, err)
			}
		})
		wg.Go(func() {
			if _, err := s.Update(t.Context(), journeyUser, setMetadata(map[string]any{fmt.Sprintf("answer-%02d", i): "x"})); err != nil {
				t.Errorf("answer %d: %v", i, err)
			}
		})
	}
	wg.Wait()
	u, _ := srv.User(journeyUser)
	um, am := metadataOf(u, "user_metadata"), metadataOf(u, "app_metadata")
	topics, _ := um["subscribed"].(map[string]any)
	declines, _ := am["profiling_declines"].(map[string]any)
	for i := range each {
		if topics[fmt.Sprintf("topic-%02d", i)] == nil {
			t.Errorf("topic-%02d lost", i)
		}
		if declines[fmt.Sprintf("field-%02d", i)] == nil {
			t.Errorf("decline field-%02d lost", i)
		}
		if um[fmt.Sprintf("answer-%02d", i)] == nil {
			t.Errorf("answer-%02d lost", i)
		}
	}
}

// decline adds key to app_metadata.profiling_declines, keeping the others.
func decline(key string) store.UpdateFunc {
	return func(cur *store.Profile) (store.Patch, error) {
		d := map[string]any{}
		if old, ok := cur.AppMetadata["profiling_declines"].(map[string]any); ok {
			maps.Copy(d, old)
		}
		d[key] = "2026-11-25T10:00:00Z"
		return store.Patch{AppMetadata: map[string]any{"profiling_declines": d}}, nil
	}
}

// TestEmptiedNestedObjectStartsFromWhatAuth0Holds checks that a write deleting a nested object
// because the cached copy's last entry went (unsubscribing the last topic) keeps what was added
// to it outside the service after the store cached the profile.
func TestEmptiedNestedObjectStartsFromWhatAuth0Holds(t *testing.T) {
	srv := newDouble(t)
	srv.AddUser(journeyUser, map[string]any{"user_metadata": map[string]any{"subscribed": map[string]any{"only": map[string]any{"source": "seed"}}}})
	s := newTestStore(t, srv)
	if _, err := s.Get(t.Context(), journeyUser); err != nil {
		t.Fatalf("Get: %v", err)
	}
	changeOutside(t, srv, journeyUser, func(u map[string]any) {
		metadataOf(u, "user_metadata")["subscribed"].(map[string]any)["from-dashboard"] = map[string]any{"source": "dashboard"}
	})

	if _, err := s.Update(t.Context(), journeyUser, unsubscribe("only")); err != nil {
		t.Fatalf("Update: %v", err)
	}
	u, _ := srv.User(journeyUser)
	got, _ := metadataOf(u, "user_metadata")["subscribed"].(map[string]any)
	want := map[string]any{"from-dashboard": map[string]any{"source": "dashboard"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("subscribed upstream after unsubscribing the cached copy's last topic (-want +got):\n%s", diff)
	}
}

// unsubscribe removes topic from user_metadata.subscribed as the engine does: the object is
// rebuilt without it, and deleted when nothing is left.
func unsubscribe(topic string) store.UpdateFunc {
	return func(cur *store.Profile) (store.Patch, error) {
		old, _ := cur.UserMetadata["subscribed"].(map[string]any)
		if _, ok := old[topic]; !ok {
			return store.Patch{}, nil
		}
		next := map[string]any{}
		for k, v := range old {
			if k != topic {
				next[k] = v
			}
		}
		if len(next) == 0 {
			return store.Patch{UserMetadata: map[string]any{"subscribed": nil}}, nil
		}
		return store.Patch{UserMetadata: map[string]any{"subscribed": next}}, nil
	}
}

// TestAnUnansweredWriteHoldsTheUserBack checks that after a PATCH that went out and got no
// answer (Auth0 may still apply it), no other write of the user starts before it could land.
func TestAnUnansweredWriteHoldsTheUserBack(t *testing.T) {
	srv := newDouble(t)
	srv.AddUser(journeyUser, nil)
	s := newTestStore(t, srv, func(c *Config) { c.AttemptTimeout = 200 * time.Millisecond })
	if _, err := s.Get(t.Context(), journeyUser); err != nil {
		t.Fatal(err)
	}
	srv.SetLatency(5 * time.Second)
	if _, err := s.Update(withTimeout(t, 300*time.Millisecond), journeyUser, setMetadata(map[string]any{"a": "1"})); err == nil {
		t.Fatal("the write answered while Auth0 was silent")
	}
	srv.SetLatency(0)
	patches := srv.Calls().Patch
	if _, err := s.Update(withTimeout(t, 100*time.Millisecond), journeyUser, setMetadata(map[string]any{"b": "2"})); err == nil {
		t.Fatal("the next write started while the unanswered one could still land")
	}
	if got := srv.Calls().Patch; got != patches {
		t.Errorf("PATCHes sent while the user was held back: %d", got-patches)
	}
	if _, err := s.Update(withTimeout(t, 5*time.Second), journeyUser, setMetadata(map[string]any{"b": "2"})); err != nil {
		t.Fatalf("the write once the hold is over: %v", err)
	}
}
