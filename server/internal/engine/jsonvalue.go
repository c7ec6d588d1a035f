package engine

import (
	"fmt"
	"reflect"

	// goccy/go-json writes what encoding/json writes, several times faster: the size check runs
	// on every submission.
	json "github.com/goccy/go-json"

	"github.com/acme/progressive-profiling/server/internal/store"
)

// MaxMetadataBytes bounds, as JSON, what this service keeps in each metadata object: the keys it
// owns there (its catalog's fields stored in that object, and "subscribed" or
// "profiling_declines"). A write must keep them under it. Keys other applications stored do
// not count: the service never refuses a user because of what others wrote.
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

// sizeViolations reports metadata objects in which the patch would grow the service's own keys
// (see MaxMetadataBytes) to MaxMetadataBytes or more. The violation names path, the request
// field that caused the growth.
func (e *Engine) sizeViolations(p *store.Profile, patch store.Patch, path string, vs *violations) {
	if p == nil {
		p = &store.Profile{}
	}
	after := store.Apply(p, patch)
	check := func(kind StoreKind, touched bool, before, next map[string]any) {
		if !touched {
			return
		}
		owned := e.catalog.ownedKeys[kind]
		// The bound is cheap and never below the exact size: only keys that may reach the limit
		// are encoded.
		if ownedSizeBound(next, owned) < MaxMetadataBytes {
			return
		}
		n := jsonSize(ownedSubset(next, owned))
		if n >= MaxMetadataBytes && n > jsonSize(ownedSubset(before, owned)) {
			vs.add(path, fmt.Sprintf("this service's keys in %s would grow to %d bytes; they must stay under %d", kind, n, MaxMetadataBytes))
		}
	}
	check(StoreUserMetadata, len(patch.UserMetadata) > 0, p.UserMetadata, after.UserMetadata)
	check(StoreAppMetadata, len(patch.AppMetadata) > 0, p.AppMetadata, after.AppMetadata)
}

// ownedSizeBound is objectSizeBound for the keys of m listed in owned, without copying them.
func ownedSizeBound(m map[string]any, owned []string) int {
	n := len("{}")
	for _, k := range owned {
		if v, ok := m[k]; ok {
			n += stringSizeBound(k) + len(":") + jsonSizeBound(v) + len(",")
		}
	}
	return n
}

// ownedSubset returns the entries of m whose keys are listed in owned.
func ownedSubset(m map[string]any, owned []string) map[string]any {
	out := make(map[string]any, len(owned))
	for _, k := range owned {
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
