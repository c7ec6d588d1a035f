package engine

import (
	"fmt"
	"maps"
	"reflect"
	"slices"

	// goccy/go-json writes what encoding/json writes, several times faster: the size check runs
	// on every submission.
	json "github.com/goccy/go-json"

	"github.com/acme/progressive-profiling/server/internal/store"
)

// MaxMetadataBytes bounds, as JSON, what this service adds to each metadata object: the keys a
// write sets there (its catalog's fields stored in that object, "subscribed" or
// "profiling_declines") must stay under it together, or not grow. Keys the write does not set
// do not count, whoever stored them (another application, or this service under a key of its
// own: a value another application left under one of the catalog's keys must not block the
// others), so the service never refuses a user because of what others wrote.
const MaxMetadataBytes = 16 << 10

// jsonEqual compares two JSON values deeply.
func jsonEqual(a, b any) bool { return reflect.DeepEqual(a, b) }

// cloneJSON returns a deep copy of a JSON value, so that nothing returned aliases a profile.
func cloneJSON(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = cloneJSON(e)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = cloneJSON(e)
		}
		return out
	case []string:
		return append([]string(nil), x...)
	}
	return v
}

func nilIfEmpty(m map[string]any) map[string]any {
	if len(m) == 0 {
		return nil
	}
	return m
}

// sizedPatch returns the patch writing user and app (each nil when empty), or a
// *ValidationError, on path, when the keys it sets would grow too large in p (see
// sizeViolations).
func (e *Engine) sizedPatch(p *store.Profile, user, app map[string]any, path string) (store.Patch, error) {
	patch := store.Patch{UserMetadata: nilIfEmpty(user), AppMetadata: nilIfEmpty(app)}
	var vs violations
	e.sizeViolations(p, patch, path, &vs)
	if err := vs.err(); err != nil {
		return store.Patch{}, err
	}
	return patch, nil
}

// sizeViolations reports metadata objects in which the patch would grow the keys it sets (see
// MaxMetadataBytes) to MaxMetadataBytes or more. The violation names path, the request field
// that caused the growth.
func (e *Engine) sizeViolations(p *store.Profile, patch store.Patch, path string, vs *violations) {
	if p == nil {
		p = &store.Profile{}
	}
	after := store.Apply(p, patch)
	check := func(kind StoreKind, written, before, next map[string]any) {
		if len(written) == 0 {
			return
		}
		keys := slices.Sorted(maps.Keys(written))
		// The bound is cheap and never below the exact size: only keys that may reach the limit
		// are encoded.
		if ownedSizeBound(next, keys) < MaxMetadataBytes {
			return
		}
		n := jsonSize(ownedSubset(next, keys))
		if n >= MaxMetadataBytes && n > jsonSize(ownedSubset(before, keys)) {
			vs.add(path, fmt.Sprintf("the keys this request sets in %s would grow to %d bytes; they must stay under %d", kind, n, MaxMetadataBytes))
		}
	}
	check(StoreUserMetadata, patch.UserMetadata, p.UserMetadata, after.UserMetadata)
	check(StoreAppMetadata, patch.AppMetadata, p.AppMetadata, after.AppMetadata)
}

// ownedSizeBound is objectSizeBound for the keys of m listed in keys, without copying them.
func ownedSizeBound(m map[string]any, keys []string) int {
	n := len("{}")
	for _, k := range keys {
		if v, ok := m[k]; ok {
			n += stringSizeBound(k) + len(":") + jsonSizeBound(v) + len(",")
		}
	}
	return n
}

// ownedSubset returns the entries of m whose keys are listed in keys.
func ownedSubset(m map[string]any, keys []string) map[string]any {
	out := make(map[string]any, len(keys))
	for _, k := range keys {
		if v, ok := m[k]; ok {
			out[k] = v
		}
	}
	return out
}

func jsonSize(m map[string]any) int {
	b, err := json.Marshal(m)
	if err != nil {
		return 0
	}
	return len(b)
}
