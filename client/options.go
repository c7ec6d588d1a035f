package client

import (
	"crypto/tls"
	"time"

	"golang.org/x/oauth2"
	"google.golang.org/grpc"
)

// DefaultUserAgent is the user agent New announces unless WithUserAgent replaces it; gRPC
// appends its own version to it.
const DefaultUserAgent = "progressive-profiling-client-go"

// Option configures New.
type Option func(*settings)

// settings collects what the options chose.
type settings struct {
	tlsConfig      *tls.Config
	tlsSet         bool
	insecure       bool
	tokens         oauth2.TokenSource
	userAgent      string
	noRetries      bool
	attemptTimeout time.Duration
	dialOptions    []grpc.DialOption
}

// WithTLS connects with the given TLS configuration, for private root certificates or client
// certificates. A nil config means the default: TLS with the system's root certificates. The
// configuration is cloned, so later changes to it have no effect.
func WithTLS(config *tls.Config) Option {
	return func(s *settings) {
		s.tlsSet = true
		s.tlsConfig = nil
		if config != nil {
			s.tlsConfig = config.Clone()
		}
	}
}

// WithInsecure connects in plaintext, for a development server on a loopback address. It may
// not be combined with WithTLS, and tokens are then sent only to loopback targets.
func WithInsecure() Option {
	return func(s *settings) { s.insecure = true }
}

// WithTokenSource sends a token from ts with every call, as "authorization: Bearer <token>"
// metadata. The token source is called for every call, so it should cache its tokens, as
// oauth2.ReuseTokenSource and Auth0TokenSource do.
func WithTokenSource(ts oauth2.TokenSource) Option {
	return func(s *settings) { s.tokens = ts }
}

// WithUserAgent replaces DefaultUserAgent as the user agent announced to the server.
func WithUserAgent(userAgent string) Option {
	return func(s *settings) { s.userAgent = userAgent }
}

// WithAttemptTimeout gives each attempt of a call at most timeout, within the caller's
// deadline, and retries an attempt that runs out of time (DEADLINE_EXCEEDED) or fails with
// UNAVAILABLE, for the methods that are safe to send again (all of ProfileService's; see the
// package documentation): at most 4 attempts, with the default backoff, while the caller's
// deadline allows. Choose a timeout well above the service's usual latency (a write to Auth0
// takes tens to hundreds of milliseconds, more when the tenant throttles): an attempt cut short
// may still have been stored, which is harmless for these methods but costs a write. It
// replaces gRPC's own retries; WithoutRetries wins over it.
func WithAttemptTimeout(timeout time.Duration) Option {
	return func(s *settings) { s.attemptTimeout = timeout }
}

// WithoutRetries turns off the default retries of calls that fail with UNAVAILABLE.
func WithoutRetries() Option {
	return func(s *settings) { s.noRetries = true }
}

// WithDialOptions adds gRPC dial options, such as interceptors or a stats handler. They are
// applied after the client's own, so they win where they overlap (a default service config, for
// example); transport security should be chosen with WithTLS or WithInsecure instead.
func WithDialOptions(opts ...grpc.DialOption) Option {
	return func(s *settings) { s.dialOptions = append(s.dialOptions, opts...) }
}
