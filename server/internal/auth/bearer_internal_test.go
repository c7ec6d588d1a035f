package auth

import (
	"errors"
	"testing"

	"google.golang.org/grpc/metadata"
)

func TestBearerToken(t *testing.T) {
	tests := []struct {
		name    string
		md      metadata.MD
		want    string
		wantErr bool
	}{
		{"bearer token", metadata.Pairs("authorization", "Bearer abc.def.ghi"), "abc.def.ghi", false},
		{"scheme is case-insensitive", metadata.Pairs("Authorization", "bearer abc.def.ghi"), "abc.def.ghi", false},
		{"surrounding spaces are ignored", metadata.Pairs("authorization", "  Bearer   abc.def.ghi "), "abc.def.ghi", false},
		{"no metadata", nil, "", true},
		{"no authorization", metadata.Pairs("x-other", "1"), "", true},
		{"basic credentials", metadata.Pairs("authorization", "Basic dXNlcjpwYXNz"), "", true},
		{"bearer without token", metadata.Pairs("authorization", "Bearer "), "", true},
		{"token without scheme", metadata.Pairs("authorization", "abc.def.ghi"), "", true},
		{"token with a space", metadata.Pairs("authorization", "Bearer abc def"), "", true},
		{"token with a tab", metadata.Pairs("authorization", "Bearer abc\tdef"), "", true},
		{"tab instead of the space after the scheme", metadata.Pairs("authorization", "Bearer\tabc"), "", true},
		{"trailing tab is trimmed", metadata.Pairs("authorization", "Bearer abc.def.ghi\t"), "abc.def.ghi", false},
		{"two authorization values", metadata.Pairs("authorization", "Bearer a", "authorization", "Bearer b"), "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := bearerToken(tt.md.Get(AuthorizationKey))
			if got != tt.want || (err != nil) != tt.wantErr {
				t.Errorf("bearerToken: got (%q, %v), want (%q, error=%v)", got, err, tt.want, tt.wantErr)
			}
			if tt.wantErr && !errors.Is(err, ErrUnauthenticated) {
				t.Errorf("bearerToken error: got %v, want ErrUnauthenticated", err)
			}
		})
	}
}
