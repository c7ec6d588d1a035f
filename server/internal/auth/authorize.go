package auth

import (
	"errors"

	"google.golang.org/grpc/codes"
)

// Access is the kind of access an RPC needs to a user's profile.
type Access int

const (
	// Read reads a profile or its prompt.
	Read Access = iota + 1
	// Write writes user_metadata fields (answers, declines, subscriptions).
	Write
	// WriteApp writes app_metadata fields, which only services may do.
	WriteApp
	// ReadSupplied computes a user's prompt from a profile the caller supplies, as the Auth0
	// post-login Action does: only services may, with read:profiles, since the answer is meant
	// to be signed into the login step's token by the Action.
	ReadSupplied
)

// Scopes a service token needs.
const (
	ScopeRead  = "read:profiles"
	ScopeWrite = "write:profiles"
)

// Me is the user id that stands for the authenticated end user.
const Me = "me"

// Authorisation errors. ErrPermissionDenied maps to PERMISSION_DENIED; the others describe a bad
// request and map to INVALID_ARGUMENT (see Code).
var (
	ErrPermissionDenied = errors.New("permission denied")
	ErrMeForService     = errors.New(`user id "me" is not available to service tokens; name the user`)
	ErrMeWithoutAuth    = errors.New(`user id "me" needs caller authentication, which is off; name the user`)
	ErrMissingUserID    = errors.New("user id is required")
)

// Authorize decides whether p may have access to targetUserID's profile and returns the user
// id to act on ("me" resolved). It is the one authorisation check for every RPC.
//
// End users act only on themselves (their sub, or "me") and never get WriteApp. Services act on
// any named user with read:profiles (Read, ReadSupplied) or write:profiles (Write, WriteApp); end
// users never get ReadSupplied. A nil p means
// authentication is off (trusted loopback mode): it acts as a trusted service on named users.
func Authorize(p *Principal, targetUserID string, access Access) (string, error) {
	switch {
	case targetUserID == "":
		return "", ErrMissingUserID
	case p == nil:
		return authorizeTrusted(targetUserID)
	case p.Service:
		return authorizeService(p, targetUserID, access)
	}
	return authorizeUser(p, targetUserID, access)
}

func authorizeTrusted(target string) (string, error) {
	if target == Me {
		return "", ErrMeWithoutAuth
	}
	return target, nil
}

func authorizeService(p *Principal, target string, access Access) (string, error) {
	if target == Me {
		return "", ErrMeForService
	}
	need := ScopeWrite
	if access == Read || access == ReadSupplied {
		need = ScopeRead
	}
	if !p.Has(need) {
		return "", ErrPermissionDenied
	}
	return target, nil
}

func authorizeUser(p *Principal, target string, access Access) (string, error) {
	if target != Me && target != p.Subject {
		return "", ErrPermissionDenied
	}
	if access != Read && access != Write {
		return "", ErrPermissionDenied
	}
	return p.Subject, nil
}

// Code returns the gRPC code for an error of this package: UNAUTHENTICATED, PERMISSION_DENIED,
// INVALID_ARGUMENT, or UNKNOWN for errors it does not know.
func Code(err error) codes.Code {
	switch {
	case err == nil:
		return codes.OK
	case errors.Is(err, ErrUnauthenticated):
		return codes.Unauthenticated
	case errors.Is(err, ErrPermissionDenied):
		return codes.PermissionDenied
	case errors.Is(err, ErrMeForService), errors.Is(err, ErrMeWithoutAuth), errors.Is(err, ErrMissingUserID):
		return codes.InvalidArgument
	}
	return codes.Unknown
}
