// Package storetest is the conformance suite every store.Store backend must pass: Auth0's
// metadata semantics, user ids, concurrency and JSON value types. It must stay backend-neutral
// and import no backend.
package storetest
