// Package store defines how the service reads and writes users' profiles, shaped like Auth0
// users, the errors every backend reports, and the rules on what every backend keys by and
// stores: user ids (CheckUserID) and the characters of text (CheckText). It holds no backend
// and no profiling rules.
package store

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"reflect"
	"time"
)

// Profile is what a store knows about one user, in the shape of an Auth0 user object.
//
// A Profile handed out by a store is shared and must be treated as read-only: callers that need a
// different profile build a new one (see Apply).
type Profile struct {
	// UserID is the Auth0 user id, "provider|id".
	UserID string
	// Attributes are the root attributes as Auth0 holds them (given_name, family_name, name,
	// nickname, email, picture, logins_count, identities, ...). Stores never write them through
	// Update; the embedded store imports them.
	Attributes map[string]any
	// UserMetadata is the user's own data. Values are JSON values: string, float64, bool, nil,
	// []any and map[string]any.
	UserMetadata map[string]any
	// AppMetadata is data only the application may write.
	AppMetadata map[string]any
}

// Patch is a change to a profile's metadata with Auth0's PATCH semantics: keys are merged at the
// first level only, a value replaces the stored value of its key whole (nested objects included),
// and a key mapped to nil is deleted.
//
// A patch may hold keys whose value the profile already has: stores write only what Changes
// keeps. A nested object (a map value) in a patch is taken to be rebuilt from the stored one, so
// a store whose copy of the profile may be stale computes such a patch again from the profile as
// upstream holds it before writing it (see NeedsCurrent).
type Patch struct {
	UserMetadata map[string]any
	AppMetadata  map[string]any
}

// Empty reports whether the patch holds no key at all.
func (p Patch) Empty() bool { return len(p.UserMetadata) == 0 && len(p.AppMetadata) == 0 }

// Changes returns the part of patch that changes p: the keys whose value differs from the stored
// one (a nil value counts only when the key is stored); a nil p is an empty profile. It returns
// patch itself when every key changes, and an empty patch when none does.
func Changes(p *Profile, patch Patch) Patch {
	if p == nil {
		p = &Profile{}
	}
	user, userAll := changedKeys(p.UserMetadata, patch.UserMetadata)
	app, appAll := changedKeys(p.AppMetadata, patch.AppMetadata)
	if userAll && appAll {
		return patch
	}
	return Patch{UserMetadata: user, AppMetadata: app}
}

// changedKeys returns the entries of patch that change stored, and whether that is all of them.
func changedKeys(stored, patch map[string]any) (map[string]any, bool) {
	var out map[string]any
	all := true
	for k, v := range patch {
		cur, ok := stored[k]
		if (v == nil && !ok) || (ok && reflect.DeepEqual(cur, v)) {
			all = false
			continue
		}
		if out == nil {
			out = make(map[string]any, len(patch))
		}
		out[k] = v
	}
	if all {
		return patch, true
	}
	return out, false
}

// NeedsCurrent reports whether patch, computed from p, must be computed again from the profile
// as upstream holds it before a store whose copy p may be stale writes it: when it writes nothing
// (p may wrongly say nothing changes), when it leaves a key as p has it (upstream may differ),
// when it sets a nested object (rebuilt from p's, it would drop what p lacks), or when it deletes
// one (emptied from p's, it would delete what p lacks). A patch that sets every key it names to a
// new first-level value is safe on a stale copy: Auth0 merges it key by key.
func NeedsCurrent(p *Profile, patch Patch) bool {
	c := Changes(p, patch)
	if c.Empty() || len(c.UserMetadata) != len(patch.UserMetadata) || len(c.AppMetadata) != len(patch.AppMetadata) {
		return true
	}
	if p == nil {
		p = &Profile{}
	}
	for _, m := range []struct{ stored, patch map[string]any }{{p.UserMetadata, patch.UserMetadata}, {p.AppMetadata, patch.AppMetadata}} {
		for k, v := range m.patch {
			if isObject(v) || (v == nil && isObject(m.stored[k])) {
				return true
			}
		}
	}
	return false
}

// isObject reports whether a metadata value is a nested JSON object.
func isObject(v any) bool {
	_, ok := v.(map[string]any)
	return ok
}

// Apply returns a new profile: p with the patch merged in. p itself is not modified.
func Apply(p *Profile, patch Patch) *Profile {
	out := &Profile{UserID: p.UserID, Attributes: p.Attributes}
	out.UserMetadata = mergeFirstLevel(p.UserMetadata, patch.UserMetadata)
	out.AppMetadata = mergeFirstLevel(p.AppMetadata, patch.AppMetadata)
	return out
}

func mergeFirstLevel(base, patch map[string]any) map[string]any {
	if len(patch) == 0 {
		return base
	}
	out := make(map[string]any, len(base)+len(patch))
	maps.Copy(out, base)
	for k, v := range patch {
		if v == nil {
			delete(out, k)
		} else {
			out[k] = v
		}
	}
	return out
}

// UpdateFunc computes the patch to apply to the current profile. A store may call it more than
// once (for instance after a conflict), so it must have no side effects. Returning an error
// aborts the update and nothing is written.
type UpdateFunc func(current *Profile) (Patch, error)

// Store reads and writes profiles. Implementations are safe for concurrent use.
type Store interface {
	// Get returns the user's profile. The embedded store returns an empty profile for an
	// unknown user; the Auth0 store returns an error of kind KindNotFound.
	Get(ctx context.Context, userID string) (*Profile, error)
	// Update runs a read-modify-write for one user: it calls fn with the current profile,
	// writes the patch fn returns (nothing when the patch is empty) and returns the profile
	// after the write. Updates of one user are serialised so that none is lost.
	Update(ctx context.Context, userID string, fn UpdateFunc) (*Profile, error)
	// Close releases the store's resources.
	Close() error
}

// Kind classifies store errors so the API can map them to status codes in one place.
type Kind int

const (
	// KindNotFound: the user does not exist upstream.
	KindNotFound Kind = iota + 1
	// KindInvalid: the upstream rejected the request as malformed (an Auth0 400).
	KindInvalid
	// KindRateLimited: the upstream throttled us and the wait does not fit the deadline.
	KindRateLimited
	// KindUnavailable: the upstream failed, timed out or could not authenticate us.
	KindUnavailable
	// KindMisconfigured: the upstream refuses the service itself (an Auth0 403: the Management
	// API client lacks a scope); retrying cannot help until an operator fixes the setup.
	KindMisconfigured
)

func (k Kind) String() string {
	switch k {
	case KindNotFound:
		return "not found"
	case KindInvalid:
		return "invalid"
	case KindRateLimited:
		return "rate limited"
	case KindUnavailable:
		return "unavailable"
	case KindMisconfigured:
		return "misconfigured"
	}
	return fmt.Sprintf("kind(%d)", int(k))
}

// Error is a store failure. Message is safe to show to callers; Err holds the internal cause,
// which may carry upstream bodies and must only be logged.
type Error struct {
	Kind Kind
	// Message describes the failure to the caller, without internal detail.
	Message string
	// RetryAfter, when positive, is how long the caller should wait before retrying.
	RetryAfter time.Duration
	// Err is the underlying cause, for logs only.
	Err error
}

func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("store: %s: %s: %v", e.Kind, e.Message, e.Err)
	}
	return fmt.Sprintf("store: %s: %s", e.Kind, e.Message)
}

func (e *Error) Unwrap() error { return e.Err }

// KindOf returns the kind of a store error, or 0 when err is not one.
func KindOf(err error) Kind {
	var se *Error
	if errors.As(err, &se) {
		return se.Kind
	}
	return 0
}
