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
// The methods judged safe to send again (retrySafe: every ProfileService method today) are
// retried by gRPC itself, through the default service config, when they fail with UNAVAILABLE:
// at most 4 attempts, with randomised exponential backoff starting at 0.1 s and capped at 1 s.
// No other code is retried; RESOURCE_EXHAUSTED (the store is throttled) is left to the caller,
// who can read the google.rpc.RetryInfo detail. A method added to the service is not retried
// until it is added to retrySafe.
//
// DEADLINE_EXCEEDED is not retried by default: the caller's deadline covers every attempt, so
// when it has passed there is no time left. WithAttemptTimeout gives each attempt a timeout of
// its own, within the caller's deadline; an attempt that runs out of it, or fails with
// UNAVAILABLE, is then made again with the same policy while the caller's deadline allows.
//
// Why sending a call again is safe. A write can fail with DEADLINE_EXCEEDED or UNAVAILABLE
// after it was stored (the deadline passed while the store wrote, or the connection broke
// before the answer came), so the client cannot know whether it landed. Reads have no side
// effects. SubmitFields sets values: the same values sent again change nothing, a cleared value
// stays cleared, and a decline still in force keeps the time it was first recorded; the retried
// call then reports no changed_fields. MarkSubscribed is idempotent: a repeated subscription
// keeps its first time and source, a repeated unsubscription changes nothing. What a retry can
// do is write this caller's value again after another caller changed the same field in
// between, as any later write would. WithoutRetries turns retries off for callers who prefer to
// decide themselves.
//
// # Tokens
//
// WithTokenSource adds the token of an oauth2.TokenSource to every call as
// "authorization: Bearer <token>" metadata. Auth0TokenSource builds a cached token source from
// an Auth0 machine-to-machine application's client credentials.
package client
