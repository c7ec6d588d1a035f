package auth

import (
	"errors"
	"fmt"
	"strings"

	"google.golang.org/grpc/metadata"
)

// AuthorizationKey is the gRPC metadata key holding the credentials; grpc-gateway forwards the
// HTTP Authorization header under it.
const AuthorizationKey = "authorization"

// BearerToken returns the token of the single "authorization: Bearer <token>" entry of md. A
// missing, repeated or non-Bearer entry is an error wrapping ErrUnauthenticated.
func BearerToken(md metadata.MD) (string, error) {
	return bearerToken(md.Get(AuthorizationKey))
}

// bearerToken is BearerToken on the authorization values already taken from the metadata.
func bearerToken(vals []string) (string, error) {
	switch len(vals) {
	case 0:
		return "", fmt.Errorf("%w: no token", ErrUnauthenticated)
	case 1:
	default:
		return "", fmt.Errorf("%w: several authorization values", ErrUnauthenticated)
	}
	scheme, token, ok := strings.Cut(strings.TrimSpace(vals[0]), " ")
	token = strings.TrimSpace(token)
	// Two IndexByte scans (vectorised) cost far less than ContainsAny over a long token.
	if !ok || !strings.EqualFold(scheme, "Bearer") || token == "" ||
		strings.IndexByte(token, ' ') >= 0 || strings.IndexByte(token, '\t') >= 0 {
		return "", fmt.Errorf("%w: %w", ErrUnauthenticated, errNotBearer)
	}
	return token, nil
}

var errNotBearer = errors.New("authorization is not a Bearer token")
