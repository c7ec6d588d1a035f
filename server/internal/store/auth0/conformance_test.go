package auth0

import (
	"sync"
	"testing"

	"github.com/acme/progressive-profiling/server/internal/store"
	"github.com/acme/progressive-profiling/server/internal/store/auth0/auth0test"
	"github.com/acme/progressive-profiling/server/internal/store/storetest"
)

// TestConformance runs the store conformance suite against the Auth0 store over the double.
func TestConformance(t *testing.T) {
	var doubles sync.Map // store.Store -> *auth0test.Server
	storetest.Run(t, storetest.Harness{
		New: func(t *testing.T) store.Store {
			srv := newDouble(t)
			s := newTestStore(t, srv)
			doubles.Store(store.Store(s), srv)
			return s
		},
		Seed: func(t *testing.T, s store.Store, userID string, attributes map[string]any) {
			srv, ok := doubles.Load(s)
			if !ok {
				t.Fatalf("Seed: store %p was not made by this harness", s)
			}
			srv.(*auth0test.Server).AddUser(userID, attributes)
		},
		UnknownUserIsEmpty: false,
	})
}
