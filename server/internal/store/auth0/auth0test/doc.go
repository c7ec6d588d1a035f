// Package auth0test is an in-process look-alike of Auth0's Management API (client-credentials
// token, GET and PATCH /api/v2/users/{id}) with fault injection, for tests of code that talks to
// Auth0 through go-auth0. It follows Auth0's documented behaviour; it must not be used outside tests.
package auth0test
