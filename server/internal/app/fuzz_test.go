package app

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/acme/progressive-profiling/server/internal/store"
)

// memStore is an in-memory store.Store for the fuzz target: no disk, so that an input costs
// microseconds. It counts the writes it makes.
type memStore struct {
	mu       sync.Mutex
	profiles map[string]*store.Profile
	writes   int
}

func (m *memStore) Get(_ context.Context, id string) (*store.Profile, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if p, ok := m.profiles[id]; ok {
		return p, nil
	}
	return &store.Profile{UserID: id}, nil
}

func (m *memStore) Update(ctx context.Context, id string, fn store.UpdateFunc) (*store.Profile, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	cur, ok := m.profiles[id]
	if !ok {
		cur = &store.Profile{UserID: id}
	}
	patch, err := fn(cur)
	if err != nil || patch.Empty() {
		return cur, err
	}
	if err := store.CheckKeys(patch); err != nil {
		return nil, err
	}
	next := store.Apply(cur, patch)
	m.profiles[id] = next
	m.writes++
	return next, nil
}

func (m *memStore) Close() error { return nil }

func (m *memStore) writeCount() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.writes
}

// FuzzSubmitFieldsJSON sends arbitrary bodies to POST /v1/users/{id}/fields through the whole
// REST stack in-process (body limit, content type, gateway decoding, interceptors, service,
// engine) over the all-types catalog. Whatever the body, the answer is 200 or a client error
// with a google.rpc.Status body, never a server error or a panic; a refused body writes
// nothing; and every text value stored passes the service's text rule. The seed corpus in
// testdata/fuzz/FuzzSubmitFieldsJSON runs with the ordinary tests.
func FuzzSubmitFieldsJSON(f *testing.F) {
	for _, seed := range []string{
		`{"values":{"nickname_text":"ada","team_size":3,"languages":["go"]}}`,
		`{"values":{"nickname_text":null},"declined_fields":["score"]}`,
		`{"values":{"work_email":" Ada@Example.COM "},"declined_topics":["x"]}`,
		`{"values":{"nickname_text":"a\u0000b"}}`,
		`{"values":{"a.b":1,"$x":2}}`,
		`{"values":{}} {"values":{}}`,
		`[]`,
		``,
	} {
		f.Add(seed)
	}
	st := &memStore{profiles: map[string]*store.Profile{}}
	cfg := testConfig(f.TempDir())
	cfg.CatalogPath = "testdata/all-types.yaml"
	srv, err := New(cfg, nil, Options{Store: st})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { srv.Close() })
	h, err := srv.restHandler(context.Background(), false)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, body string) {
		before := st.writeCount()
		req := httptest.NewRequest(http.MethodPost, "/v1/users/auth0%7Cfuzz/fields", bytes.NewReader([]byte(body)))
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		switch code := rec.Code; {
		case code == http.StatusOK:
		case code >= 400 && code < 500:
			var status struct {
				Code    int    `json:"code"`
				Message string `json:"message"`
			}
			if err := json.Unmarshal(rec.Body.Bytes(), &status); err != nil || status.Code == 0 || status.Message == "" {
				t.Fatalf("HTTP %d with a body that is not a google.rpc.Status: %q", code, rec.Body.String())
			}
		default:
			t.Fatalf("HTTP %d for body %q: %s", code, body, rec.Body.String())
		}
		if rec.Code != http.StatusOK && st.writeCount() != before {
			t.Fatalf("HTTP %d, yet the store was written", rec.Code)
		}
		p, _ := st.Get(context.Background(), "auth0|fuzz")
		for k, v := range p.UserMetadata {
			if s, ok := v.(string); ok && store.CheckText(s) != "" {
				t.Fatalf("stored %s = %q breaks the text rule: %s", k, s, store.CheckText(s))
			}
		}
	})
}
