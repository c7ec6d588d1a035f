package api

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/acme/progressive-profiling/server/internal/auth"
	"github.com/acme/progressive-profiling/server/internal/engine"
	"github.com/acme/progressive-profiling/server/internal/store"
)

// defaultRetryAfter is suggested to callers when an upstream fails without saying when to retry.
const defaultRetryAfter = time.Second

// status maps any failure of a handler to the gRPC status callers see. It is the only place
// where domain errors become status codes. Internal causes are logged, never returned.
func (s *Service) status(ctx context.Context, err error) error {
	if err == nil {
		return nil
	}
	if _, ok := status.FromError(err); ok {
		return err
	}
	var (
		verr *engine.ValidationError
		ferr *engine.ForbiddenError
		serr *store.Error
	)
	switch {
	case errors.As(err, &ferr):
		return status.Error(codes.PermissionDenied, ferr.Error())
	case errors.As(err, &verr):
		return badRequest(verr)
	case errors.Is(err, auth.ErrMeWithoutAuth), errors.Is(err, auth.ErrMeForService), errors.Is(err, auth.ErrMissingUserID):
		return badRequest(&engine.ValidationError{Violations: []engine.Violation{{Field: "user_id", Description: err.Error()}}})
	case errors.Is(err, auth.ErrPermissionDenied):
		return status.Error(codes.PermissionDenied, "permission denied")
	case errors.Is(err, errLoginStepOff):
		return status.Error(codes.FailedPrecondition, err.Error())
	case errors.Is(err, auth.ErrUnauthenticated):
		return status.Error(codes.Unauthenticated, "missing or invalid access token")
	case errors.As(err, &serr):
		return s.storeStatus(ctx, serr)
	case errors.Is(err, context.DeadlineExceeded):
		return status.Error(codes.DeadlineExceeded, "deadline exceeded")
	case errors.Is(err, context.Canceled):
		return status.Error(codes.Canceled, "request canceled")
	}
	s.logger.ErrorContext(ctx, "internal error", "error", err)
	return status.Error(codes.Internal, "internal error")
}

func (s *Service) storeStatus(ctx context.Context, err *store.Error) error {
	var code codes.Code
	switch err.Kind {
	case store.KindNotFound:
		return status.Error(codes.NotFound, "user not found")
	case store.KindInvalid:
		s.logger.WarnContext(ctx, "store rejected the request", "error", err)
		return status.Error(codes.InvalidArgument, err.Message)
	case store.KindMisconfigured:
		s.logger.ErrorContext(ctx, "the store refuses the service: check its configuration", "error", err)
		return status.Error(codes.Internal, "the profile store refuses this service; an operator must check its configuration")
	case store.KindRateLimited:
		code = codes.ResourceExhausted
	case store.KindUnavailable:
		code = codes.Unavailable
	default:
		s.logger.ErrorContext(ctx, "store failed", "error", err)
		return status.Error(codes.Internal, "internal error")
	}
	s.logger.LogAttrs(ctx, slog.LevelWarn, "store unavailable", slog.String("kind", err.Kind.String()), slog.Any("error", err))
	retry := err.RetryAfter
	if retry <= 0 {
		retry = defaultRetryAfter
	}
	st, derr := status.New(code, err.Message).WithDetails(&errdetails.RetryInfo{RetryDelay: durationpb.New(retry)})
	if derr != nil {
		return status.Error(code, err.Message)
	}
	return st.Err()
}

// badRequest turns validation violations into INVALID_ARGUMENT with a google.rpc.BadRequest.
func badRequest(verr *engine.ValidationError) error {
	br := &errdetails.BadRequest{}
	for _, v := range verr.Violations {
		br.FieldViolations = append(br.FieldViolations, &errdetails.BadRequest_FieldViolation{Field: v.Field, Description: v.Description})
	}
	st, err := status.New(codes.InvalidArgument, verr.Error()).WithDetails(br)
	if err != nil {
		return status.Error(codes.InvalidArgument, verr.Error())
	}
	return st.Err()
}
