package client

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"

	"golang.org/x/oauth2"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/resolver"
	"google.golang.org/grpc/status"
)

// tokenCredentials adds a bearer token to every call. Unlike grpc's oauth.TokenSource it may
// be used on a plaintext connection, which New allows only for loopback targets.
type tokenCredentials struct {
	tokens     oauth2.TokenSource
	requireTLS bool
}

// GetRequestMetadata returns the authorization metadata for one call.
func (c tokenCredentials) GetRequestMetadata(ctx context.Context, _ ...string) (map[string]string, error) {
	tok, err := c.tokens.Token()
	if err != nil {
		return nil, tokenError(err)
	}
	if tok.AccessToken == "" {
		return nil, status.Error(codes.Unauthenticated, "client: the token source returned an empty access token")
	}
	return map[string]string{"authorization": "Bearer " + tok.AccessToken}, nil
}

// RequireTransportSecurity reports whether the token may only travel over TLS.
func (c tokenCredentials) RequireTransportSecurity() bool { return c.requireTLS }

// tokenError turns a token source failure into a status: UNAVAILABLE (and so retried) when the
// token endpoint could not be reached or was throttled or failing, UNAUTHENTICATED otherwise
// (refused credentials, a misconfigured source), which no retry would fix.
func tokenError(err error) error {
	var retrieve *oauth2.RetrieveError
	if errors.As(err, &retrieve) {
		if r := retrieve.Response; r != nil && (r.StatusCode == http.StatusTooManyRequests || r.StatusCode >= 500) {
			return status.Errorf(codes.Unavailable, "client: getting an access token: %v", err)
		}
		return status.Errorf(codes.Unauthenticated, "client: getting an access token: %v", err)
	}
	var transport *url.Error
	if errors.As(err, &transport) {
		return status.Errorf(codes.Unavailable, "client: getting an access token: %v", err)
	}
	return status.Errorf(codes.Unauthenticated, "client: getting an access token: %v", err)
}

// isLoopbackTarget reports whether a gRPC target certainly stays on this machine: a Unix
// socket, "localhost", or a loopback IP address, with or without the dns or passthrough
// scheme. Targets resolved by other resolvers are not known to be local.
func isLoopbackTarget(target string) bool {
	endpoint := target
	if u, err := url.Parse(target); err == nil && resolver.Get(u.Scheme) != nil {
		switch u.Scheme {
		case "unix", "unix-abstract":
			return true
		case "dns", "passthrough":
			endpoint = u.Opaque
			if endpoint == "" {
				endpoint = strings.TrimPrefix(u.Path, "/")
			}
		default:
			return false
		}
	}
	host := endpoint
	if h, _, err := net.SplitHostPort(endpoint); err == nil {
		host = h
	}
	host = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	if strings.EqualFold(host, "localhost") {
		return true
	}
	addr, err := netip.ParseAddr(host)
	return err == nil && addr.Unmap().IsLoopback()
}
