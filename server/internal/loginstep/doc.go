// Package loginstep serves the hosted profile step of Auth0's redirect flow: a server-rendered
// form (no JavaScript needed) that asks what the engine's prompt says is due, validates the
// answers with the engine, and sends the browser back to the tenant's /continue with a signed
// session_token carrying the changes for the Auth0 Action to apply. It trusts nothing but the
// HS256 token the Action signed, never reads or writes the profile store, and never logs a
// token or the secret.
package loginstep
