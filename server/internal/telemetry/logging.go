package telemetry

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	"go.opentelemetry.io/otel/trace"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
)

// NewLogger returns a logger writing to w at the given level ("debug", "info", "warn" or
// "error", any case; anything else means info): JSON lines, or text when w is a terminal. When w
// is a *BufferedWriter, warnings and errors are flushed at once.
func NewLogger(w io.Writer, level string) *slog.Logger {
	lvl, _ := ParseLevel(level)
	opts := &slog.HandlerOptions{Level: lvl}
	if isTerminal(w) {
		return slog.New(slog.NewTextHandler(w, opts))
	}
	var h slog.Handler = slog.NewJSONHandler(w, opts)
	if bw, ok := w.(*BufferedWriter); ok {
		h = flushingHandler{Handler: h, w: bw}
	}
	return slog.New(h)
}

// IsTerminal reports whether w is a terminal, where logs are text and unbuffered.
func IsTerminal(w io.Writer) bool { return isTerminal(w) }

// ParseLevel parses a log level name as NewLogger does; it reports an error, and returns
// info, for a name it does not know. "" is info.
func ParseLevel(level string) (slog.Level, error) {
	var lvl slog.Level
	if strings.TrimSpace(level) == "" {
		return slog.LevelInfo, nil
	}
	if err := lvl.UnmarshalText([]byte(strings.TrimSpace(level))); err != nil {
		return slog.LevelInfo, err
	}
	return lvl, nil
}

// isTerminal reports whether w is a character device such as a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// LogUnary returns an interceptor that gives each RPC a request id and logs one line when it
// ends, with its method, status code, duration in milliseconds, request id and, when the
// call is traced, trace id. The id comes from the caller's "x-request-id" metadata when it
// is 1 to 128 characters of [A-Za-z0-9._-], else it is generated; it is put in the handler's
// context (see RequestID) and sent back as the "x-request-id" response header. Nothing else
// from the request, its metadata or the response is logged, nor the status message, which
// may quote a submitted value.
func LogUnary(logger *slog.Logger) grpc.UnaryServerInterceptor {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return func(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
		start := time.Now()
		id := incomingRequestID(ctx)
		rctx := withRequestID(ctx, id)
		// SetHeader fails only outside a server call (unit tests); the id is still logged.
		_ = grpc.SetHeader(rctx, metadata.MD{RequestIDKey: rctx.id[:]})
		resp, err := handler(rctx, req)
		logRPC(rctx, logger, info.FullMethod, codeOf(err), time.Since(start), id)
		return resp, err
	}
}

// codeOf is the status code the caller sees for err: a bare context error counts as
// Canceled or DeadlineExceeded, as the gRPC server reports it.
func codeOf(err error) codes.Code {
	code := status.Code(err)
	if code == codes.Unknown && (errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)) {
		return status.FromContextError(err).Code()
	}
	return code
}

// incomingRequestID returns the caller's request id when it is sane, else a new one.
func incomingRequestID(ctx context.Context) string {
	if ids := metadata.ValueFromIncomingContext(ctx, RequestIDKey); len(ids) > 0 && validRequestID(ids[0]) {
		return ids[0]
	}
	return newRequestID()
}

func logRPC(ctx context.Context, logger *slog.Logger, method string, code codes.Code, d time.Duration, id string) {
	level := levelFor(code)
	if !logger.Enabled(ctx, level) {
		return
	}
	attrs := [5]slog.Attr{
		slog.String("method", method),
		slog.String("code", code.String()),
		slog.Float64("duration_ms", float64(d.Microseconds())/1000),
		slog.String("request_id", id),
	}
	n := 4
	if sc := trace.SpanContextFromContext(ctx); sc.HasTraceID() {
		attrs[n] = slog.String("trace_id", sc.TraceID().String())
		n++
	}
	logger.LogAttrs(ctx, level, "rpc", attrs[:n]...)
}

// levelFor is the level of an RPC's log line: errors of the server at error, failures of
// capacity or time at warn, and everything else (success and the caller's mistakes) at info.
func levelFor(code codes.Code) slog.Level {
	switch code {
	case codes.Internal, codes.Unknown, codes.DataLoss:
		return slog.LevelError
	case codes.Unavailable, codes.ResourceExhausted, codes.DeadlineExceeded:
		return slog.LevelWarn
	default:
		return slog.LevelInfo
	}
}
