package api

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"
	"unicode/utf8"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
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

// Bounds of what an INVALID_ARGUMENT echoes, so that the error's size does not grow with the
// request's: at most maxListedViolations field violations (the last one then counts those left
// out), field paths and descriptions cut to maxEchoedField and maxEchoedDescription bytes, and a
// status message naming at most maxViolationsInMessage of them. Over gRPC the message travels
// percent-encoded (three bytes for each byte outside printable ASCII) in grpc-message and the
// whole status base64-encoded in grpc-status-details-bin: fewer violations are listed when those
// two would pass maxErrorTrailerBytes, so that with the other headers the response stays under
// 8 KiB of metadata, the smallest limit of common gRPC clients (grpc-java, gRPC C-core), whatever
// the script of what is echoed.
const (
	maxListedViolations    = 16
	maxEchoedField         = 100
	maxEchoedDescription   = 200
	maxViolationsInMessage = 3
	maxErrorTrailerBytes   = 7 << 10
)

// badRequest turns validation violations into INVALID_ARGUMENT with a google.rpc.BadRequest,
// within the bounds above.
func badRequest(verr *engine.ValidationError) error {
	all := verr.Violations
	n := len(all)
	if n > maxListedViolations {
		n = maxListedViolations - 1 // and one that counts the rest
	}
	for {
		st := violationsStatus(all, n)
		if n == 0 || errorTrailerBytes(st) <= maxErrorTrailerBytes {
			return st.Err()
		}
		n--
	}
}

// violationsStatus lists the first n violations of all, cut to the bounds above, then, when
// there are more, one that counts them.
func violationsStatus(all []engine.Violation, n int) *status.Status {
	listed := make([]engine.Violation, 0, n+1)
	for _, v := range all[:n] {
		listed = append(listed, engine.Violation{Field: truncate(v.Field, maxEchoedField), Description: truncate(v.Description, maxEchoedDescription)})
	}
	if n < len(all) {
		root, _, _ := strings.Cut(all[n].Field, ".")
		root, _, _ = strings.Cut(root, "[")
		listed = append(listed, engine.Violation{
			Field:       truncate(root, maxEchoedField),
			Description: fmt.Sprintf("and %d more violations, not listed", len(all)-n),
		})
	}
	br := &errdetails.BadRequest{}
	for _, v := range listed {
		br.FieldViolations = append(br.FieldViolations, &errdetails.BadRequest_FieldViolation{Field: v.Field, Description: v.Description})
	}
	msg := (&engine.ValidationError{Violations: listed[:min(len(listed), maxViolationsInMessage)]}).Error()
	if len(all) > maxViolationsInMessage {
		msg += fmt.Sprintf("; %d violations in all (see the google.rpc.BadRequest details)", len(all))
	}
	st, err := status.New(codes.InvalidArgument, msg).WithDetails(br)
	if err != nil {
		return status.New(codes.InvalidArgument, msg)
	}
	return st
}

// errorTrailerBytes is the size of st in gRPC trailers: its message percent-encoded
// (grpc-message) and the whole status base64-encoded (grpc-status-details-bin).
func errorTrailerBytes(st *status.Status) int {
	n := base64.RawStdEncoding.EncodedLen(proto.Size(st.Proto()))
	for _, c := range []byte(st.Message()) {
		if c < ' ' || c > '~' || c == '%' {
			n += len("%XX")
		} else {
			n++
		}
	}
	return n
}

// truncate cuts s to at most n bytes, the last of them "…" when it was cut, without splitting
// a character.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n - len("…")
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}
