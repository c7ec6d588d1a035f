package engine

import (
	"testing"
	"time"

	"github.com/acme/progressive-profiling/server/internal/store"
)

// t0 is the fixed "now" of the tests.
var t0 = time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)

func clock(t time.Time) func() time.Time { return func() time.Time { return t } }

// mustCatalog parses a catalog written for a test.
func mustCatalog(t testing.TB, yamlText string) *Catalog {
	t.Helper()
	c, err := ParseCatalog("test.yaml", []byte(yamlText))
	if err != nil {
		t.Fatalf("ParseCatalog: %v", err)
	}
	return c
}

func newEngine(t testing.TB, yamlText string) *Engine {
	t.Helper()
	return New(mustCatalog(t, yamlText), clock(t0))
}

// profile builds a profile from root attributes and metadata.
func profile(attrs, user, app map[string]any) *store.Profile {
	return &store.Profile{UserID: "auth0|1", Attributes: attrs, UserMetadata: user, AppMetadata: app}
}

func keys(fields []*Field) []string {
	out := []string{}
	for _, f := range fields {
		out = append(out, f.Key)
	}
	return out
}

func topicKeys(topics []*Topic) []string {
	out := []string{}
	for _, t := range topics {
		out = append(out, t.Key)
	}
	return out
}

func declined(fields map[string]any) map[string]any {
	return map[string]any{declinesKey: map[string]any{"fields": fields}}
}
