package storetest

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/acme/progressive-profiling/server/internal/store"
)

const user = "auth0|conformance"

func testSeededAttributes(t *testing.T, h Harness) {
	s := h.New(t)
	h.Seed(t, s, user, map[string]any{"given_name": "Ada", "family_name": "Lovelace", "logins_count": 3})
	got := mustGet(t, s, user)
	if got.UserID != user {
		t.Errorf("UserID = %q, want %q", got.UserID, user)
	}
	checkAttributes(t, got, map[string]any{"given_name": "Ada", "family_name": "Lovelace", "logins_count": float64(3)})
}

func testMergeFirstLevel(t *testing.T, h Harness) {
	s := seeded(t, h, user)
	mustUpdate(t, s, user, store.Patch{UserMetadata: map[string]any{"first_name": "Ada"}})
	mustUpdate(t, s, user, store.Patch{UserMetadata: map[string]any{"company": "Analytical"}})
	checkMetadata(t, mustGet(t, s, user), map[string]any{"first_name": "Ada", "company": "Analytical"}, nil)
}

func testNestedReplaced(t *testing.T, h Harness) {
	s := seeded(t, h, user)
	mustUpdate(t, s, user, store.Patch{UserMetadata: map[string]any{
		"address": map[string]any{"street": "1 Main St", "city": "London"},
		"tags":    []any{"a", "b"},
	}})
	mustUpdate(t, s, user, store.Patch{UserMetadata: map[string]any{
		"address": map[string]any{"city": "Paris"},
		"tags":    []any{"c"},
	}})
	want := map[string]any{"address": map[string]any{"city": "Paris"}, "tags": []any{"c"}}
	checkMetadata(t, mustGet(t, s, user), want, nil)
}

func testNilDeletes(t *testing.T, h Harness) {
	s := seeded(t, h, user)
	mustUpdate(t, s, user, store.Patch{
		UserMetadata: map[string]any{"a": "1", "b": "2"},
		AppMetadata:  map[string]any{"x": "1", "y": "2"},
	})
	mustUpdate(t, s, user, store.Patch{
		UserMetadata: map[string]any{"a": nil, "never-set": nil},
		AppMetadata:  map[string]any{"y": nil},
	})
	checkMetadata(t, mustGet(t, s, user), map[string]any{"b": "2"}, map[string]any{"x": "1"})
}

func testMetadataIndependent(t *testing.T, h Harness) {
	s := seeded(t, h, user)
	mustUpdate(t, s, user, store.Patch{
		UserMetadata: map[string]any{"k": "user"},
		AppMetadata:  map[string]any{"k": "app"},
	})
	mustUpdate(t, s, user, store.Patch{UserMetadata: map[string]any{"k": nil}})
	mustUpdate(t, s, user, store.Patch{AppMetadata: map[string]any{"other": "app"}})
	checkMetadata(t, mustGet(t, s, user), nil, map[string]any{"k": "app", "other": "app"})
}

func testAttributesUnchanged(t *testing.T, h Harness) {
	s := h.New(t)
	attrs := map[string]any{"given_name": "Ada", "email": "ada@example.com", "logins_count": float64(2)}
	h.Seed(t, s, user, attrs)
	var seen *store.Profile
	_, err := s.Update(t.Context(), user, func(cur *store.Profile) (store.Patch, error) {
		seen = cur
		return store.Patch{UserMetadata: map[string]any{"given_name": "Grace"}}, nil
	})
	if err != nil {
		t.Fatalf("Update: %v", err)
	}
	checkAttributes(t, seen, attrs) // the update function sees the attributes
	got := mustGet(t, s, user)
	checkAttributes(t, got, attrs)
	checkMetadata(t, got, map[string]any{"given_name": "Grace"}, nil)
}

func testEmptyPatch(t *testing.T, h Harness) {
	s := seeded(t, h, user)
	mustUpdate(t, s, user, store.Patch{UserMetadata: map[string]any{"a": "1"}})
	before := mustGet(t, s, user)
	for _, patch := range []store.Patch{{}, {UserMetadata: map[string]any{}, AppMetadata: map[string]any{}}} {
		calls := 0
		got, err := s.Update(t.Context(), user, func(*store.Profile) (store.Patch, error) {
			calls++
			return patch, nil
		})
		if err != nil {
			t.Fatalf("Update with empty patch %v: %v", patch, err)
		}
		if calls == 0 {
			t.Errorf("update function was not called for empty patch %v", patch)
		}
		if diff := cmp.Diff(before, got, equateEmpty); diff != "" {
			t.Errorf("profile returned for empty patch %v differs from the stored one (-want +got):\n%s", patch, diff)
		}
	}
	if diff := cmp.Diff(before, mustGet(t, s, user), equateEmpty); diff != "" {
		t.Errorf("profile changed after empty patches (-want +got):\n%s", diff)
	}
}

func testFuncError(t *testing.T, h Harness) {
	s := seeded(t, h, user)
	mustUpdate(t, s, user, store.Patch{UserMetadata: map[string]any{"a": "1"}})
	before := mustGet(t, s, user)
	errBoom := errors.New("boom")
	p, err := s.Update(t.Context(), user, func(*store.Profile) (store.Patch, error) {
		return store.Patch{UserMetadata: map[string]any{"a": "2", "b": "3"}}, errBoom
	})
	if !errors.Is(err, errBoom) {
		t.Errorf("Update error = %v, want %v", err, errBoom)
	}
	if p != nil {
		t.Errorf("Update returned profile %+v with an error, want nil", p)
	}
	if diff := cmp.Diff(before, mustGet(t, s, user), equateEmpty); diff != "" {
		t.Errorf("profile changed after a failed update (-want +got):\n%s", diff)
	}
}

func testUserIDs(t *testing.T, h Harness) {
	ids := []struct{ name, id string }{
		{"auth0 database user", "auth0|5f7c8ec7c33c6c004bbafe82"},
		{"social user", "google-oauth2|103547991597142817347"},
		{"enterprise user with several pipes", "samlp|conn|a@b.c"},
		{"slashes", "oidc|tenant/x/y"},
		{"percent and spaces", "custom|a%2Fb c"},
		{"unicode", "auth0|zoë-日本-🙂"},
	}
	for _, tt := range ids {
		t.Run(tt.name, func(t *testing.T) {
			s := h.New(t)
			h.Seed(t, s, tt.id, map[string]any{"email": "a@b.c"})
			mustUpdate(t, s, tt.id, store.Patch{UserMetadata: map[string]any{"id": tt.id}})
			got := mustGet(t, s, tt.id)
			if got.UserID != tt.id {
				t.Errorf("UserID = %q, want %q", got.UserID, tt.id)
			}
			checkAttributes(t, got, map[string]any{"email": "a@b.c"})
			checkMetadata(t, got, map[string]any{"id": tt.id}, nil)
		})
	}
}

func testUnknownUser(t *testing.T, h Harness) {
	s := seeded(t, h, user)
	const unknown = "auth0|nobody"
	got, err := s.Get(t.Context(), unknown)
	if !h.UnknownUserIsEmpty {
		if k := store.KindOf(err); k != store.KindNotFound {
			t.Fatalf("Get(unknown) = %+v, %v; want an error of kind %v", got, err, store.KindNotFound)
		}
		_, err = s.Update(t.Context(), unknown, patchUser(map[string]any{"a": "1"}))
		if k := store.KindOf(err); k != store.KindNotFound {
			t.Errorf("Update(unknown) error = %v (kind %v), want kind %v", err, k, store.KindNotFound)
		}
		return
	}
	if err != nil {
		t.Fatalf("Get(unknown): %v", err)
	}
	want := &store.Profile{UserID: unknown}
	if diff := cmp.Diff(want, got, equateEmpty); diff != "" {
		t.Errorf("Get(unknown) mismatch (-want +got):\n%s", diff)
	}
	mustUpdate(t, s, unknown, store.Patch{UserMetadata: map[string]any{"a": "1"}})
	checkMetadata(t, mustGet(t, s, unknown), map[string]any{"a": "1"}, nil)
}

func testReturnedEqualsGet(t *testing.T, h Harness) {
	s := seeded(t, h, user)
	patches := []store.Patch{
		{UserMetadata: map[string]any{"n": 1, "obj": map[string]any{"x": []any{1, "two", true, nil}}}},
		{AppMetadata: map[string]any{"declined": map[string]any{"title": "2026-11-25T10:00:00Z"}}},
		{UserMetadata: map[string]any{"n": nil, "obj": nil}},
	}
	for i, patch := range patches {
		returned := mustUpdate(t, s, user, patch)
		if diff := cmp.Diff(mustGet(t, s, user), returned, equateEmpty); diff != "" {
			t.Errorf("patch %d: returned profile differs from Get (-get +returned):\n%s", i, diff)
		}
	}
}

func testNumbersFloat64(t *testing.T, h Harness) {
	s := seeded(t, h, user)
	returned := mustUpdate(t, s, user, store.Patch{
		UserMetadata: map[string]any{
			"int":     42,
			"int64":   int64(7),
			"uint8":   uint8(3),
			"float":   1.5,
			"float32": float32(0.5),
			"list":    []any{1, 2.5},
			"nested":  map[string]any{"n": 9},
		},
		AppMetadata: map[string]any{"logins": 10},
	})
	wantUser := map[string]any{
		"int":     float64(42),
		"int64":   float64(7),
		"uint8":   float64(3),
		"float":   1.5,
		"float32": 0.5,
		"list":    []any{float64(1), 2.5},
		"nested":  map[string]any{"n": float64(9)},
	}
	wantApp := map[string]any{"logins": float64(10)}
	t.Run("returned by update", func(t *testing.T) { checkMetadata(t, returned, wantUser, wantApp) })
	t.Run("read by get", func(t *testing.T) { checkMetadata(t, mustGet(t, s, user), wantUser, wantApp) })
}

func testBadKeys(t *testing.T, h Harness) {
	s := seeded(t, h, user)
	mustUpdate(t, s, user, store.Patch{UserMetadata: map[string]any{"a": "1"}})
	before := mustGet(t, s, user)
	for _, patch := range []store.Patch{
		{UserMetadata: map[string]any{"ok": "1", "a.b": "2"}},
		{AppMetadata: map[string]any{"o": map[string]any{"$set": "x"}}},
	} {
		_, err := s.Update(t.Context(), user, func(*store.Profile) (store.Patch, error) { return patch, nil })
		if store.KindOf(err) != store.KindInvalid {
			t.Errorf("Update(%v) error = %v, want kind %v", patch, err, store.KindInvalid)
		}
	}
	if diff := cmp.Diff(before, mustGet(t, s, user), equateEmpty); diff != "" {
		t.Errorf("profile changed after refused updates (-want +got):\n%s", diff)
	}
}
