package engine

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/acme/progressive-profiling/server/internal/store"
)

// Engine applies a catalog's rules to profiles. It is safe for concurrent use.
type Engine struct {
	catalog *Catalog
	now     func() time.Time
}

// New returns an engine over catalog c, reading the time from now (time.Now when nil). A catalog
// built in Go rather than parsed is validated here, and New panics when it is invalid: call
// c.Validate first to get the error.
func New(c *Catalog, now func() time.Time) *Engine {
	if now == nil {
		now = time.Now
	}
	if !c.prepared {
		if err := c.Validate(); err != nil {
			panic(fmt.Sprintf("engine: invalid catalog: %v", err))
		}
	}
	return &Engine{catalog: c, now: now}
}

// Catalog returns the engine's catalog, which callers must not modify.
func (e *Engine) Catalog() *Catalog { return e.catalog }

// metadata returns the map holding a field's value.
func metadata(p *store.Profile, kind StoreKind) map[string]any {
	if p == nil {
		return nil
	}
	if kind == StoreAppMetadata {
		return p.AppMetadata
	}
	return p.UserMetadata
}

func attributes(p *store.Profile) map[string]any {
	if p == nil {
		return nil
	}
	return p.Attributes
}

// nonEmpty reports whether a JSON value counts as an answer: a non-blank string, any number or
// boolean, a non-empty list or object.
func nonEmpty(v any) bool {
	switch x := v.(type) {
	case nil:
		return false
	case string:
		return strings.TrimSpace(x) != ""
	case []any:
		return len(x) > 0
	case []string:
		return len(x) > 0
	case map[string]any:
		return len(x) > 0
	}
	return true
}

// knownValue returns the effective value of f in p and where it comes from; ok is false when
// the field is unknown. Metadata wins over known_from attributes.
func knownValue(p *store.Profile, f *Field) (v any, src Source, attr string, ok bool) {
	if v, found := metadata(p, f.StoreKind())[f.Key]; found && nonEmpty(v) {
		return v, Source(f.StoreKind()), "", true
	}
	attrs := attributes(p)
	for _, a := range f.KnownFrom {
		if v, found := attrs[a]; found && nonEmpty(v) {
			return v, SourceIdentityProvider, a, true
		}
	}
	return nil, "", "", false
}

func isKnown(p *store.Profile, f *Field) bool {
	_, _, _, ok := knownValue(p, f)
	return ok
}

// LoginsCountAttribute is the root attribute holding how many times the user logged in.
const LoginsCountAttribute = "logins_count"

// loginsCount reads the logins_count root attribute; absent or unreadable counts as 0.
func loginsCount(p *store.Profile) int {
	switch n := attributes(p)[LoginsCountAttribute].(type) {
	case float64:
		return int(n)
	case int:
		return n
	case int64:
		return int(n)
	case json.Number:
		i, _ := n.Int64()
		return int(i)
	}
	return 0
}

func inContext(contexts []string, ctx string) bool {
	if len(contexts) == 0 {
		return true
	}
	for _, c := range contexts {
		if c == ctx {
			return true
		}
	}
	return false
}
