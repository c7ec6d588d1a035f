// Package auth authenticates callers from Auth0 RS256 access tokens (JWKS-backed, cached) and
// decides, in one place, which user's profile a caller may read or write, for gRPC and REST.
// It must not know about profiles, stores or RPC messages, and it must never log a token.
package auth
