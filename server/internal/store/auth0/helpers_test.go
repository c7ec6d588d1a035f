package auth0

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/acme/progressive-profiling/server/internal/store"
	"github.com/acme/progressive-profiling/server/internal/store/auth0/auth0test"
)

// newDouble starts a Management API double closed at the end of the test.
func newDouble(t *testing.T) *auth0test.Server {
	t.Helper()
	srv := auth0test.NewServer()
	t.Cleanup(srv.Close)
	return srv
}

// testConfig is a configuration for srv with generous limits, adjusted by mods.
func testConfig(srv *auth0test.Server, mods ...func(*Config)) Config {
	cfg := Config{
		Domain:          srv.URL(),
		ClientID:        auth0test.ClientID,
		ClientSecret:    auth0test.ClientSecret,
		ReadsPerSecond:  1000,
		ReadBurst:       1000,
		WritesPerSecond: 1000,
		WriteBurst:      1000,
		AttemptTimeout:  2 * time.Second,
	}
	for _, m := range mods {
		m(&cfg)
	}
	return cfg
}

// newTestStore returns a store talking to srv, closed at the end of the test (before srv).
func newTestStore(t *testing.T, srv *auth0test.Server, mods ...func(*Config)) *Store {
	t.Helper()
	s, err := New(t.Context(), testConfig(srv, mods...))
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// setMetadata returns an update function writing um to user_metadata.
func setMetadata(um map[string]any) store.UpdateFunc {
	return func(*store.Profile) (store.Patch, error) { return store.Patch{UserMetadata: um}, nil }
}

// withTimeout returns the test's context with a timeout.
func withTimeout(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), d)
	t.Cleanup(cancel)
	return ctx
}

// recorder is a transport that keeps the bodies of PATCH requests.
type recorder struct {
	base *http.Transport
	mu   sync.Mutex
	// patches are the PATCH bodies sent, in order.
	patches [][]byte
}

func newRecorder(t *testing.T) *recorder {
	r := &recorder{base: http.DefaultTransport.(*http.Transport).Clone()}
	t.Cleanup(r.base.CloseIdleConnections)
	return r
}

// RoundTrip records PATCH bodies and sends the request.
func (r *recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Method == http.MethodPatch && req.Body != nil {
		b, err := io.ReadAll(req.Body)
		if err != nil {
			return nil, err
		}
		_ = req.Body.Close()
		req.Body = io.NopCloser(bytes.NewReader(b))
		r.mu.Lock()
		r.patches = append(r.patches, b)
		r.mu.Unlock()
	}
	return r.base.RoundTrip(req)
}

func (r *recorder) bodies() [][]byte {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([][]byte(nil), r.patches...)
}

// asStoreError reports whether err is a *store.Error, setting *target.
func asStoreError(err error, target **store.Error) bool { return errors.As(err, target) }
