package auth

import (
	"errors"
	"fmt"
	"strings"
)

// AuthorizationKey is the gRPC metadata key holding the credentials; grpc-gateway forwards the
// HTTP Authorization header under it.
const AuthorizationKey = "authorization"

// bearerToken returns the token of the single "Bearer <token>" value among vals, the
// authorization values of a call's metadata. A missing, repeated or non-Bearer value is an error
// wrapping ErrUnauthenticated.
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
