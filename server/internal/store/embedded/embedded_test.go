package embedded

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"go.uber.org/goleak"

	"github.com/acme/progressive-profiling/server/internal/store"
	"github.com/acme/progressive-profiling/server/internal/store/storetest"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// openTestStore opens a store in dir and closes it when the test ends.
func openTestStore(t testing.TB, dir string) *Store {
	t.Helper()
	s, err := Open(Options{Dir: dir})
	if err != nil {
		t.Fatalf("Open(%s): %v", dir, err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s
}

func newTestStore(t testing.TB) *Store { return openTestStore(t, t.TempDir()) }

func seed(t testing.TB, s *Store, userID string, attributes map[string]any) {
	t.Helper()
	if _, err := s.ImportUsers(t.Context(), []UserAttributes{{UserID: userID, Attributes: attributes}}); err != nil {
		t.Fatalf("ImportUsers(%q): %v", userID, err)
	}
}

func TestConformance(t *testing.T) {
	storetest.Run(t, storetest.Harness{
		New: func(t *testing.T) store.Store { return newTestStore(t) },
		Seed: func(t *testing.T, s store.Store, userID string, attributes map[string]any) {
			seed(t, s.(*Store), userID, attributes)
		},
		UnknownUserIsEmpty: true,
	})
}

// setUser returns an update function that writes um to user_metadata.
func setUser(um map[string]any) store.UpdateFunc {
	return func(*store.Profile) (store.Patch, error) { return store.Patch{UserMetadata: um}, nil }
}

func TestInvalidUserIDsAreRejected(t *testing.T) {
	s := newTestStore(t)
	tests := []struct{ name, id string }{
		{"empty", ""},
		{"longer than 512 bytes", "auth0|" + strings.Repeat("x", 507)},
		{"invalid UTF-8", "auth0|\xff\xfe"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := s.Get(t.Context(), tt.id); store.KindOf(err) != store.KindInvalid {
				t.Errorf("Get error = %v, want kind %v", err, store.KindInvalid)
			}
			if _, err := s.Update(t.Context(), tt.id, setUser(map[string]any{"a": "1"})); store.KindOf(err) != store.KindInvalid {
				t.Errorf("Update error = %v, want kind %v", err, store.KindInvalid)
			}
			if _, err := s.ImportUsers(t.Context(), []UserAttributes{{UserID: tt.id}}); store.KindOf(err) != store.KindInvalid {
				t.Errorf("ImportUsers error = %v, want kind %v", err, store.KindInvalid)
			}
		})
	}
	t.Run("512 bytes is accepted", func(t *testing.T) {
		id := "auth0|" + strings.Repeat("x", 506)
		if _, err := s.Update(t.Context(), id, setUser(map[string]any{"a": "1"})); err != nil {
			t.Errorf("Update(%d-byte id): %v", len(id), err)
		}
	})
}

func TestOversizedProfileIsRejected(t *testing.T) {
	s := newTestStore(t)
	const id = "auth0|big"
	if _, err := s.Update(t.Context(), id, setUser(map[string]any{"small": "1"})); err != nil {
		t.Fatalf("Update: %v", err)
	}
	before := s.Stats()
	_, err := s.Update(t.Context(), id, setUser(map[string]any{"big": strings.Repeat("x", maxRecordBytes)}))
	if store.KindOf(err) != store.KindInvalid {
		t.Fatalf("Update error = %v, want kind %v", err, store.KindInvalid)
	}
	if got := s.Stats(); got != before {
		t.Errorf("Stats after the rejected write = %+v, want %+v", got, before)
	}
	got, err := s.Get(t.Context(), id)
	if err != nil {
		t.Fatalf("Get: %v", err)
	}
	if diff := cmp.Diff(map[string]any{"small": "1"}, got.UserMetadata); diff != "" {
		t.Errorf("user_metadata (-want +got):\n%s", diff)
	}
}

func TestUnencodableValueIsRejected(t *testing.T) {
	s := newTestStore(t)
	_, err := s.Update(t.Context(), "auth0|x", setUser(map[string]any{"ch": make(chan int)}))
	if store.KindOf(err) != store.KindInvalid {
		t.Errorf("Update error = %v, want kind %v", err, store.KindInvalid)
	}
}

func TestEmptyPatchDoesNotWrite(t *testing.T) {
	s := newTestStore(t)
	if _, err := s.Update(t.Context(), "auth0|x", setUser(map[string]any{"a": "1"})); err != nil {
		t.Fatalf("Update: %v", err)
	}
	before := s.Stats()
	for _, id := range []string{"auth0|x", "auth0|unknown"} {
		if _, err := s.Update(t.Context(), id, setUser(nil)); err != nil {
			t.Fatalf("Update(%q) with empty patch: %v", id, err)
		}
	}
	if got := s.Stats(); got != before {
		t.Errorf("Stats after empty patches = %+v, want %+v", got, before)
	}
}

func TestPanickingUpdateFailsOnlyItself(t *testing.T) {
	s := newTestStore(t)
	_, err := s.Update(t.Context(), "auth0|x", func(*store.Profile) (store.Patch, error) { panic("bad rule") })
	if err == nil || !strings.Contains(err.Error(), "bad rule") {
		t.Errorf("Update error = %v, want one naming the panic", err)
	}
	if _, err := s.Update(t.Context(), "auth0|x", setUser(map[string]any{"a": "1"})); err != nil {
		t.Errorf("Update after a panic: %v", err)
	}
}

func TestCallsAfterCloseFail(t *testing.T) {
	s, err := Open(Options{Dir: t.TempDir()})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if _, err := s.Get(t.Context(), "auth0|x"); !errors.Is(err, errClosed) {
		t.Errorf("Get after Close error = %v, want %v", err, errClosed)
	}
	if _, err := s.Update(t.Context(), "auth0|x", setUser(map[string]any{"a": "1"})); !errors.Is(err, errClosed) {
		t.Errorf("Update after Close error = %v, want %v", err, errClosed)
	}
}
