package auth_test

import (
	"errors"
	"testing"

	"github.com/acme/progressive-profiling/server/internal/auth"
	"github.com/google/go-cmp/cmp"
	"google.golang.org/grpc/codes"
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
		wantCode codes.Code
	}{
		{"user reads own id", alice, "auth0|alice", auth.Read, "auth0|alice", nil, codes.OK},
		{"user writes own id", alice, "auth0|alice", auth.Write, "auth0|alice", nil, codes.OK},
		{"user reads me", alice, "me", auth.Read, "auth0|alice", nil, codes.OK},
		{"user writes me", alice, "me", auth.Write, "auth0|alice", nil, codes.OK},
		{"user reads another user", alice, "auth0|bob", auth.Read, "", auth.ErrPermissionDenied, codes.PermissionDenied},
		{"user writes another user", alice, "auth0|bob", auth.Write, "", auth.ErrPermissionDenied, codes.PermissionDenied},
		{"user writes own app_metadata", alice, "auth0|alice", auth.WriteApp, "", auth.ErrPermissionDenied, codes.PermissionDenied},
		{"user writes app_metadata through me", alice, "me", auth.WriteApp, "", auth.ErrPermissionDenied, codes.PermissionDenied},
		{"user with empty id", alice, "", auth.Read, "", auth.ErrMissingUserID, codes.InvalidArgument},
		{"service with read scope reads", reader, "auth0|bob", auth.Read, "auth0|bob", nil, codes.OK},
		{"service with read scope writes", reader, "auth0|bob", auth.Write, "", auth.ErrPermissionDenied, codes.PermissionDenied},
		{"service with write scope writes", writer, "auth0|bob", auth.Write, "auth0|bob", nil, codes.OK},
		{"service with write scope writes app_metadata", writer, "auth0|bob", auth.WriteApp, "auth0|bob", nil, codes.OK},
		{"service with write scope reads", writer, "auth0|bob", auth.Read, "", auth.ErrPermissionDenied, codes.PermissionDenied},
		{"service without scopes reads", bare, "auth0|bob", auth.Read, "", auth.ErrPermissionDenied, codes.PermissionDenied},
		{"service without scopes writes", bare, "auth0|bob", auth.Write, "", auth.ErrPermissionDenied, codes.PermissionDenied},
		{"service asks for me", reader, "me", auth.Read, "", auth.ErrMeForService, codes.InvalidArgument},
		{"no auth acts on a named user", nil, "auth0|bob", auth.WriteApp, "auth0|bob", nil, codes.OK},
		{"no auth asks for me", nil, "me", auth.Read, "", auth.ErrMeWithoutAuth, codes.InvalidArgument},
		{"user computes own prompt from a supplied profile", alice, "auth0|alice", auth.ReadSupplied, "", auth.ErrPermissionDenied, codes.PermissionDenied},
		{"user computes own prompt through me", alice, "me", auth.ReadSupplied, "", auth.ErrPermissionDenied, codes.PermissionDenied},
		{"user computes another user's prompt", alice, "auth0|bob", auth.ReadSupplied, "", auth.ErrPermissionDenied, codes.PermissionDenied},
		{"service with read scope computes a prompt", reader, "auth0|bob", auth.ReadSupplied, "auth0|bob", nil, codes.OK},
		{"service with only write scope computes a prompt", writer, "auth0|bob", auth.ReadSupplied, "", auth.ErrPermissionDenied, codes.PermissionDenied},
		{"no auth computes a prompt", nil, "auth0|bob", auth.ReadSupplied, "auth0|bob", nil, codes.OK},
		{"user id that looks like a path", alice, "samlp|conn|a@b.c/x", auth.Read, "", auth.ErrPermissionDenied, codes.PermissionDenied},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := auth.Authorize(tt.p, tt.target, tt.access)
			if got != tt.wantUser || !errors.Is(err, tt.wantErr) || (tt.wantErr == nil && err != nil) {
				t.Errorf("Authorize(%q, %v): got (%q, %v), want (%q, %v)", tt.target, tt.access, got, err, tt.wantUser, tt.wantErr)
			}
			if code := auth.Code(err); code != tt.wantCode {
				t.Errorf("Code: got %v, want %v", code, tt.wantCode)
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

func TestPrincipalScopesAreSortedCopies(t *testing.T) {
	p := auth.NewPrincipal("svc@clients", true, auth.ScopeWrite, "", auth.ScopeRead, auth.ScopeRead)
	got := p.Scopes()
	if diff := cmp.Diff([]string{auth.ScopeRead, auth.ScopeWrite}, got); diff != "" {
		t.Errorf("Scopes (-want +got):\n%s", diff)
	}
	got[0] = "admin"
	if p.Has("admin") || !p.Has(auth.ScopeRead) {
		t.Errorf("changing the returned slice changed the principal's scopes")
	}
	if got := auth.NewPrincipal("auth0|a", false).Scopes(); got != nil {
		t.Errorf("Scopes without scopes: got %q, want nil", got)
	}
}
