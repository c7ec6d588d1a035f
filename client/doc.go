// Package client is the Go client of profile.v1.ProfileService: a thin wrapper around the
// generated gRPC client that adds transport security, per-RPC access tokens and retries.
// It must stay thin: no business rules, no caching of profiles, nothing the server decides.
//
// # Security defaults
//
// New connects with TLS and the system's root certificates unless told otherwise. WithTLS
// supplies a custom TLS configuration (private roots, client certificates). WithInsecure
// switches to plaintext and is meant for a development server on the same machine: access
// tokens (WithTokenSource) are sent over plaintext only when the target is a loopback address
// ("localhost", 127.0.0.0/8, ::1) or a Unix socket, and New returns ErrTokenOverPlaintext for
// any other target rather than leak a token on the network.
//
// # Retries
//
// Every ProfileService method is retried by gRPC itself, through the default service config,
// when it fails with UNAVAILABLE: at most 4 attempts, with randomised exponential backoff
// starting at 0.1 s and capped at 1 s. No other code is retried; RESOURCE_EXHAUSTED (the
// store is throttled) is left to the caller, who can read the google.rpc.RetryInfo detail.
//
// Retrying the writes is safe because they converge rather than accumulate. SubmitFields sets
// values: submitting the same values again changes nothing (a repeated decline only refreshes
// its time), so an attempt that did land before the connection failed is harmless to repeat;
// the retried response may then report no changed_fields, and if another caller changed the
// same field in between, the retry writes the value again, as a resubmission would.
// MarkSubscribed is idempotent: a repeated subscription keeps its first time and source, and a
// repeated unsubscription changes nothing. WithoutRetries turns retries off for callers who prefer to decide themselves.
//
// # Tokens
//
// WithTokenSource adds the token of an oauth2.TokenSource to every call as
// "authorization: Bearer <token>" metadata. Auth0TokenSource builds a cached token source from
// an Auth0 machine-to-machine application's client credentials.
package client
