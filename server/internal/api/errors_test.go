package api

import (
	"errors"
	"fmt"
	"log/slog"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/acme/progressive-profiling/server/internal/auth"
)

// TestAuthErrorsMapToCodes: the refusals of package auth become UNAUTHENTICATED,
// PERMISSION_DENIED, or INVALID_ARGUMENT for a user id that cannot be used, wrapped or not.
func TestAuthErrorsMapToCodes(t *testing.T) {
	s := &Service{logger: slog.New(slog.DiscardHandler)}
	tests := []struct {
		err  error
		want codes.Code
	}{
		{auth.ErrUnauthenticated, codes.Unauthenticated},
		{fmt.Errorf("%w: %w", auth.ErrUnauthenticated, errors.New("token expired")), codes.Unauthenticated},
		{auth.ErrPermissionDenied, codes.PermissionDenied},
		{auth.ErrMeForService, codes.InvalidArgument},
		{auth.ErrMeWithoutAuth, codes.InvalidArgument},
		{auth.ErrMissingUserID, codes.InvalidArgument},
	}
	for _, tt := range tests {
		t.Run(tt.err.Error(), func(t *testing.T) {
			if got := status.Code(s.status(t.Context(), tt.err)); got != tt.want {
				t.Errorf("status(%v): got %v, want %v", tt.err, got, tt.want)
			}
		})
	}
}
