package storetest

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/acme/progressive-profiling/server/internal/store"
)

// equateEmpty makes nil and empty maps equal: backends may return either for no metadata.
var equateEmpty = cmpopts.EquateEmpty()

// seeded makes a fresh store holding one user with a given name.
func seeded(t *testing.T, h Harness, userID string) store.Store {
	t.Helper()
	s := h.New(t)
	h.Seed(t, s, userID, map[string]any{"given_name": "Ada"})
	return s
}

// patchUser returns an update function writing um to user_metadata.
func patchUser(um map[string]any) store.UpdateFunc {
	return func(*store.Profile) (store.Patch, error) {
		return store.Patch{UserMetadata: um}, nil
	}
}

// mustUpdate applies the patch and fails the test on error.
func mustUpdate(t *testing.T, s store.Store, userID string, patch store.Patch) *store.Profile {
	t.Helper()
	p, err := s.Update(t.Context(), userID, func(*store.Profile) (store.Patch, error) { return patch, nil })
	if err != nil {
		t.Fatalf("Update(%q, %v): %v", userID, patch, err)
	}
	return p
}

// mustGet reads a profile and fails the test on error.
func mustGet(t *testing.T, s store.Store, userID string) *store.Profile {
	t.Helper()
	p, err := s.Get(t.Context(), userID)
	if err != nil {
		t.Fatalf("Get(%q): %v", userID, err)
	}
	return p
}

// checkMetadata compares a profile's metadata with the wanted maps.
func checkMetadata(t *testing.T, got *store.Profile, wantUser, wantApp map[string]any) {
	t.Helper()
	if diff := cmp.Diff(wantUser, got.UserMetadata, equateEmpty); diff != "" {
		t.Errorf("user_metadata mismatch (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(wantApp, got.AppMetadata, equateEmpty); diff != "" {
		t.Errorf("app_metadata mismatch (-want +got):\n%s", diff)
	}
}

// checkAttributes checks that every wanted attribute is in the profile with its value. Other
// attributes a backend adds (created_at, ...) are ignored.
func checkAttributes(t *testing.T, got *store.Profile, want map[string]any) {
	t.Helper()
	sub := make(map[string]any, len(want))
	for k := range want {
		if v, ok := got.Attributes[k]; ok {
			sub[k] = v
		}
	}
	if diff := cmp.Diff(want, sub, equateEmpty); diff != "" {
		t.Errorf("attributes mismatch (-want +got):\n%s", diff)
	}
}
