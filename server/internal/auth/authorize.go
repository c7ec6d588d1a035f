package auth

import (
	"errors"
)

// Access is the kind of access an RPC needs to a user's profile.
type Access int

const (
	// Read reads a profile or its prompt.
	Read Access = iota + 1
	// Write writes a profile: answers, declines, subscriptions (app_metadata fields only when
	// MayWriteAppMetadata says so).
	Write
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

// Authorisation errors. ErrPermissionDenied is a refusal; the others describe a bad request.
var (
	ErrPermissionDenied = errors.New("permission denied")
	ErrMeForService     = errors.New(`user id "me" is not available to service tokens; name the user`)
	ErrMeWithoutAuth    = errors.New(`user id "me" needs caller authentication, which is off; name the user`)
	ErrMissingUserID    = errors.New("user id is required")
)

// Authorize decides whether p may have access to targetUserID's profile and returns the user
// id to act on ("me" resolved). It is the one authorisation check for every RPC.
//
// End users act only on themselves (their sub, or "me"). Services act on any named user with
// read:profiles (Read, ReadSupplied) or write:profiles (Write); end users never get
// ReadSupplied. A nil p means authentication is off (trusted loopback mode): it acts as a
// trusted service on named users.
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

// MayWriteAppMetadata reports whether p may write app_metadata fields, which hold what only
// services decide (a plan, a role): services may, end users may not, and so may every caller
// when authentication is off (p nil: only trusted loopback callers are served). It is the one
// place that rule lives; Authorize decides first whether p may write the profile at all.
func MayWriteAppMetadata(p *Principal) bool { return p == nil || p.Service }
