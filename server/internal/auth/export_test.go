package auth

import (
	"maps"
	"slices"
)

// ScopesOf returns the scopes granted to p, sorted (nil when there are none), for tests to
// compare principals.
func ScopesOf(p *Principal) []string {
	if p == nil || len(p.scopes) == 0 {
		return nil
	}
	return slices.Sorted(maps.Keys(p.scopes))
}
