package store

import (
	"fmt"
	"sort"
	"strings"
)

// CheckKeys applies Auth0's rule on metadata keys to a patch, as both stores must: every key, at
// any depth, is non-empty and holds neither '.' nor '$'. The error, of kind KindInvalid, names
// the first bad key ("user_metadata key \"a/b.c\"").
func CheckKeys(p Patch) error {
	for _, part := range []struct {
		name string
		m    map[string]any
	}{{"user_metadata", p.UserMetadata}, {"app_metadata", p.AppMetadata}} {
		if path, ok := badKey(part.m); !ok {
			return &Error{
				Kind:    KindInvalid,
				Message: fmt.Sprintf("%s key %q is not allowed: metadata keys must be non-empty and contain neither '.' nor '$'", part.name, path),
			}
		}
	}
	return nil
}

// badKey walks v and returns the path of the first bad key, in a stable order.
func badKey(v any) (string, bool) {
	switch t := v.(type) {
	case map[string]any:
		keys := make([]string, 0, len(t))
		for k := range t {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			if k == "" || strings.ContainsAny(k, ".$") {
				return k, false
			}
			if sub, ok := badKey(t[k]); !ok {
				return k + "/" + sub, false
			}
		}
	case []any:
		for _, e := range t {
			if sub, ok := badKey(e); !ok {
				return sub, false
			}
		}
	}
	return "", true
}
