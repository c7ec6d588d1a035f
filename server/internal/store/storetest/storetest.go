package storetest

import (
	"testing"

	"github.com/acme/progressive-profiling/server/internal/store"
)

// Harness tells the suite how to make and seed the store under test.
type Harness struct {
	// New returns a fresh, empty store. It registers the store's Close with t.Cleanup.
	New func(t *testing.T) store.Store
	// Seed gives the user the root attributes (the embedded store imports them; the Auth0
	// test double creates the user). It fails t on error.
	Seed func(t *testing.T, s store.Store, userID string, attributes map[string]any)
	// UnknownUserIsEmpty is true when reading an unknown user gives an empty profile (the
	// embedded store) and false when it gives an error of kind store.KindNotFound (Auth0).
	UnknownUserIsEmpty bool
}

// Run runs the conformance suite against the store the harness makes, one subtest per
// behaviour, each on a fresh store.
func Run(t *testing.T, h Harness) {
	tests := []struct {
		name string
		run  func(t *testing.T, h Harness)
	}{
		{"seeded attributes are read back", testSeededAttributes},
		{"update merges user_metadata at the first level", testMergeFirstLevel},
		{"a nested object is replaced whole", testNestedReplaced},
		{"nil deletes a key", testNilDeletes},
		{"app_metadata and user_metadata are independent", testMetadataIndependent},
		{"attributes are never changed by update", testAttributesUnchanged},
		{"an empty patch writes nothing", testEmptyPatch},
		{"an update function error writes nothing and is returned", testFuncError},
		{"metadata keys with '.' or '$' are refused and nothing is written", testBadKeys},
		{"user ids round-trip", testUserIDs},
		{"unknown user", testUnknownUser},
		{"concurrent updates of distinct keys all land", testConcurrentDistinctKeys},
		{"concurrent read-modify-writes of one nested object all land", testConcurrentReadModifyWrite},
		{"the profile update returns equals a following get", testReturnedEqualsGet},
		{"numbers come back as float64", testNumbersFloat64},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { tt.run(t, h) })
	}
}
