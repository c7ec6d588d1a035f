package client

import (
	"crypto/tls"
	"errors"
	"fmt"

	profilev1 "github.com/acme/progressive-profiling/gen/profile/v1"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
)

// ErrTokenOverPlaintext is returned by New when WithInsecure and WithTokenSource are combined
// for a target that is not a loopback address or a Unix socket.
var ErrTokenOverPlaintext = errors.New("client: refusing to send access tokens in plaintext to a non-loopback target")

// Client calls profile.v1.ProfileService. Its methods are those of the generated client; it is
// safe for concurrent use and should be shared and closed once when no longer needed.
type Client struct {
	profilev1.ProfileServiceClient

	conn *grpc.ClientConn
}

// New returns a client for the service at target, a gRPC target such as
// "profiles.example.com:443", "dns:///profiles.internal:9090" or "127.0.0.1:9090". It does not
// connect: the connection is made on the first call and re-made as needed. Without options it
// uses TLS with the system's root certificates, no token, and retries on UNAVAILABLE.
func New(target string, opts ...Option) (*Client, error) {
	s := settings{userAgent: DefaultUserAgent}
	for _, opt := range opts {
		opt(&s)
	}
	dialOpts, err := s.dialOptionsFor(target)
	if err != nil {
		return nil, err
	}
	conn, err := grpc.NewClient(target, dialOpts...)
	if err != nil {
		return nil, fmt.Errorf("client: %w", err)
	}
	return &Client{ProfileServiceClient: profilev1.NewProfileServiceClient(conn), conn: conn}, nil
}

// Conn returns the underlying connection, for other services on the same server such as
// grpc.health.v1.Health. Closing it closes the client.
func (c *Client) Conn() *grpc.ClientConn { return c.conn }

// Close closes the connection and stops its goroutines. Calls in flight fail with CANCELED.
// Calling Close again returns an error.
func (c *Client) Close() error { return c.conn.Close() }

// dialOptionsFor turns the settings into gRPC dial options for target.
func (s *settings) dialOptionsFor(target string) ([]grpc.DialOption, error) {
	if s.insecure && s.tlsSet {
		return nil, errors.New("client: WithTLS and WithInsecure may not be combined")
	}
	opts := []grpc.DialOption{grpc.WithUserAgent(s.userAgent)}
	if s.insecure {
		opts = append(opts, grpc.WithTransportCredentials(insecure.NewCredentials()))
	} else {
		config := s.tlsConfig
		if config == nil {
			config = &tls.Config{MinVersion: tls.VersionTLS12}
		}
		opts = append(opts, grpc.WithTransportCredentials(credentials.NewTLS(config)))
	}
	if s.tokens != nil {
		if s.insecure && !isLoopbackTarget(target) {
			return nil, fmt.Errorf("%w: %q", ErrTokenOverPlaintext, target)
		}
		opts = append(opts, grpc.WithPerRPCCredentials(tokenCredentials{tokens: s.tokens, requireTLS: !s.insecure}))
	}
	switch {
	case s.noRetries:
		opts = append(opts, grpc.WithDisableRetry())
	case s.attemptTimeout > 0:
		// One retry mechanism at a time, so that attempts do not multiply.
		opts = append(opts, grpc.WithDisableRetry(), grpc.WithChainUnaryInterceptor(attemptRetries(s.attemptTimeout)))
	default:
		opts = append(opts, grpc.WithDefaultServiceConfig(retryServiceConfig))
	}
	return append(opts, s.dialOptions...), nil
}
