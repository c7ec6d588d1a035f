package engine

import (
	"fmt"
	"reflect"

	// goccy/go-json writes what encoding/json writes, several times faster: the size check runs
	// on every submission.
	json "github.com/goccy/go-json"

	"github.com/acme/progressive-profiling/server/internal/store"
)

// MaxMetadataBytes is the size, as JSON, that a metadata object must stay under after a write.
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

// sizeViolations reports metadata objects the patch would grow to MaxMetadataBytes or more.
// The violation names path, the request field that caused the growth.
func sizeViolations(p *store.Profile, patch store.Patch, path string, vs *violations) {
	if p == nil {
		p = &store.Profile{}
	}
	after := store.Apply(p, patch)
	check := func(name string, touched bool, before, next map[string]any) {
		// The bound is cheap and never below the exact size: only an object that may reach the
		// limit is encoded.
		if !touched || objectSizeBound(next) < MaxMetadataBytes {
			return
		}
		n := jsonSize(next)
		if n >= MaxMetadataBytes && n > jsonSize(before) {
			vs.add(path, fmt.Sprintf("%s would grow to %d bytes; it must stay under %d", name, n, MaxMetadataBytes))
		}
	}
	check("user_metadata", len(patch.UserMetadata) > 0, p.UserMetadata, after.UserMetadata)
	check("app_metadata", len(patch.AppMetadata) > 0, p.AppMetadata, after.AppMetadata)
}

func jsonSize(m map[string]any) int {
	b, err := json.Marshal(m)
	if err != nil {
		return 0
	}
	return len(b)
}
