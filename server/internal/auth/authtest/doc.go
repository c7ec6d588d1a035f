// Package authtest is a fake Auth0 tenant for tests and benchmarks: it serves a JWKS over
// httptest, signs access tokens with generated keys and builds the invalid tokens that the
// auth package must reject. It must never be used by production code paths.
package authtest
