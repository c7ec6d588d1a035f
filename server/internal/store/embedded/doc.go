// Package embedded is the default profile store: one local bbolt file, durable across restarts,
// with Auth0's metadata semantics, group-committed writes and an in-memory cache of decoded
// profiles. It must not hold profiling rules or talk to Auth0.
package embedded
