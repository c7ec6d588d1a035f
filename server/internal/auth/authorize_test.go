package auth_test

import (
	"errors"
	"testing"

	"github.com/acme/progressive-profiling/server/internal/auth"
	"github.com/google/go-cmp/cmp"
)

func TestAuthorize(t *testing.T) {
	alice := auth.NewPrincipal("auth0|alice", false)
	reader := auth.NewPrincipal("svc@clients", true, auth.ScopeRead)
	writer := auth.NewPrincipal("svc@clients", true, auth.ScopeWrite)
	bare := auth.NewPrincipal("svc@clients", true, "openid")

	tests := []struct {
		name     string
		p        *auth.Principal
		target   string
		access   auth.Access
		wantUser string
		wantErr  error
	}{
		{"user reads own id", alice, "auth0|alice", auth.Read, "auth0|alice", nil},
		{"user writes own id", alice, "auth0|alice", auth.Write, "auth0|alice", nil},
		{"user reads me", alice, "me", auth.Read, "auth0|alice", nil},
		{"user writes me", alice, "me", auth.Write, "auth0|alice", nil},
		{"user reads another user", alice, "auth0|bob", auth.Read, "", auth.ErrPermissionDenied},
		{"user writes another user", alice, "auth0|bob", auth.Write, "", auth.ErrPermissionDenied},
		{"user with empty id", alice, "", auth.Read, "", auth.ErrMissingUserID},
		{"service with read scope reads", reader, "auth0|bob", auth.Read, "auth0|bob", nil},
		{"service with read scope writes", reader, "auth0|bob", auth.Write, "", auth.ErrPermissionDenied},
		{"service with write scope writes", writer, "auth0|bob", auth.Write, "auth0|bob", nil},
		{"service with write scope reads", writer, "auth0|bob", auth.Read, "", auth.ErrPermissionDenied},
		{"service without scopes reads", bare, "auth0|bob", auth.Read, "", auth.ErrPermissionDenied},
		{"service without scopes writes", bare, "auth0|bob", auth.Write, "", auth.ErrPermissionDenied},
		{"service asks for me", reader, "me", auth.Read, "", auth.ErrMeForService},
		{"no auth acts on a named user", nil, "auth0|bob", auth.Write, "auth0|bob", nil},
		{"no auth asks for me", nil, "me", auth.Read, "", auth.ErrMeWithoutAuth},
		{"user computes own prompt from a supplied profile", alice, "auth0|alice", auth.ReadSupplied, "", auth.ErrPermissionDenied},
		{"user computes own prompt through me", alice, "me", auth.ReadSupplied, "", auth.ErrPermissionDenied},
		{"user computes another user's prompt", alice, "auth0|bob", auth.ReadSupplied, "", auth.ErrPermissionDenied},
		{"service with read scope computes a prompt", reader, "auth0|bob", auth.ReadSupplied, "auth0|bob", nil},
		{"service with only write scope computes a prompt", writer, "auth0|bob", auth.ReadSupplied, "", auth.ErrPermissionDenied},
		{"no auth computes a prompt", nil, "auth0|bob", auth.ReadSupplied, "auth0|bob", nil},
		{"user id that looks like a path", alice, "samlp|conn|a@b.c/x", auth.Read, "", auth.ErrPermissionDenied},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := auth.Authorize(tt.p, tt.target, tt.access)
			if got != tt.wantUser || !errors.Is(err, tt.wantErr) || (tt.wantErr == nil && err != nil) {
				t.Errorf("Authorize(%q, %v): got (%q, %v), want (%q, %v)", tt.target, tt.access, got, err, tt.wantUser, tt.wantErr)
			}
		})
	}
}

func TestPrincipalHas(t *testing.T) {
	var none *auth.Principal
	if none.Has(auth.ScopeRead) {
		t.Errorf("nil principal: Has got true, want false")
	}
	p := auth.NewPrincipal("svc@clients", true, auth.ScopeRead)
	if !p.Has(auth.ScopeRead) || p.Has(auth.ScopeWrite) {
		t.Errorf("Has: got read=%v write=%v, want read=true write=false", p.Has(auth.ScopeRead), p.Has(auth.ScopeWrite))
	}
	if (&auth.Principal{Subject: "auth0|a"}).Has(auth.ScopeRead) {
		t.Errorf("principal built without scopes: Has got true, want false")
	}
}

// TestMayWriteAppMetadata: app_metadata fields are written by services (Authorize has checked
// their write:profiles scope) and by every caller when authentication is off, never by end users.
func TestMayWriteAppMetadata(t *testing.T) {
	tests := []struct {
		name string
		p    *auth.Principal
		want bool
	}{
		{"user", auth.NewPrincipal("auth0|alice", false, auth.ScopeWrite), false},
		{"service", auth.NewPrincipal("svc@clients", true, auth.ScopeWrite), true},
		{"no auth", nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := auth.MayWriteAppMetadata(tt.p); got != tt.want {
				t.Errorf("MayWriteAppMetadata: got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestNewPrincipalKeepsEachScopeOnce(t *testing.T) {
	p := auth.NewPrincipal("svc@clients", true, auth.ScopeWrite, "", auth.ScopeRead, auth.ScopeRead)
	if diff := cmp.Diff([]string{auth.ScopeRead, auth.ScopeWrite}, auth.ScopesOf(p)); diff != "" {
		t.Errorf("scopes (-want +got):\n%s", diff)
	}
	if p.Has("") {
		t.Errorf("Has(\"\"): got true, want false")
	}
	if got := auth.ScopesOf(auth.NewPrincipal("auth0|a", false)); got != nil {
		t.Errorf("scopes without scopes: got %q, want nil", got)
	}
}
