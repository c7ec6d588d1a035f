package loginclaims

import (
	"reflect"
	"slices"

	"github.com/acme/progressive-profiling/server/internal/store"
)

// Operations of a change.
const (
	// OpSet sets the value at the path, creating the objects on the way.
	OpSet = "set"
	// OpRemove removes the key at the path; removing an absent key changes nothing.
	OpRemove = "remove"
)

// Metadata objects a change may touch.
const (
	UserMetadata = "user_metadata"
	AppMetadata  = "app_metadata"
)

// Op is one change to a user's metadata. The Action applies the ops to the fresh copy of the
// metadata Auth0 gives it at /continue, object by object, so that a nested object (such as the
// subscriptions) keeps the entries it gained meanwhile; an object an op leaves empty is removed.
type Op struct {
	// Op is OpSet or OpRemove.
	Op string `json:"op"`
	// In is UserMetadata or AppMetadata.
	In string `json:"in"`
	// Path is the keys from the metadata object down to the changed one; at least one.
	Path []string `json:"path"`
	// Value is the new value of an OpSet.
	Value any `json:"value,omitempty"`
}

// Changes returns the ops that turn before's metadata into after's: objects are compared key by
// key, down to the values that differ, so that the ops touch only what changed. The ops are
// sorted by metadata object and path.
func Changes(before, after *store.Profile) []Op {
	var ops []Op
	diff(&ops, UserMetadata, nil, before.UserMetadata, after.UserMetadata)
	diff(&ops, AppMetadata, nil, before.AppMetadata, after.AppMetadata)
	return ops
}

func diff(ops *[]Op, in string, path []string, before, after map[string]any) {
	keys := make([]string, 0, len(before)+len(after))
	for k := range before {
		keys = append(keys, k)
	}
	for k := range after {
		if _, ok := before[k]; !ok {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	for _, k := range keys {
		p := append(slices.Clip(path), k)
		b, inBefore := before[k]
		a, inAfter := after[k]
		bm, bIsMap := b.(map[string]any)
		am, aIsMap := a.(map[string]any)
		switch {
		case !inAfter:
			if bIsMap && len(bm) > 0 {
				// Remove what was there key by key: entries added meanwhile stay.
				diff(ops, in, p, bm, nil)
				continue
			}
			*ops = append(*ops, Op{Op: OpRemove, In: in, Path: p})
		case aIsMap && (bIsMap || !inBefore):
			// An object is built up key by key, even a new one: the Action applies the ops to the
			// object Auth0 holds then, which may have gained entries meanwhile.
			diff(ops, in, p, bm, am)
		case !inBefore || !reflect.DeepEqual(a, b):
			*ops = append(*ops, Op{Op: OpSet, In: in, Path: p, Value: a})
		}
	}
}

// ChangesClaims returns the token claims carrying ops, {"profile_changes": {"v": 1, "ops": [...]}}.
func ChangesClaims(ops []Op) map[string]any {
	if ops == nil {
		ops = []Op{}
	}
	return map[string]any{ChangesClaim: map[string]any{"v": Version, "ops": ops}}
}
