// Package api implements profile.v1.ProfileService: it translates requests into calls of the
// profiling engine and the store, and maps every failure to a gRPC status in one place. It holds
// no profiling rule of its own and knows nothing of HTTP.
package api
