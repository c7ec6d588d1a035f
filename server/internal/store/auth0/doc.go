// Package auth0 is the store of record backed by Auth0: it reads and writes users' metadata
// through the Management API (GET and PATCH /api/v2/users/{id}) with go-auth0, behind a bounded
// cache, per-user write serialisation and a client-side rate limiter. It must never write root
// attributes, never send an empty metadata object, and never log credentials or tokens.
package auth0
