package telemetry

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"

	"github.com/acme/progressive-profiling/server/internal/testlog"
)

// loggedServer starts the test service behind LogUnary writing JSON to the returned buffer.
func loggedServer(t *testing.T, svc *testHealth) (*testlog.Buffer, healthpb.HealthClient) {
	t.Helper()
	buf := &testlog.Buffer{}
	logger := NewLogger(buf, "debug")
	return buf, startServer(t, svc, nil, grpc.ChainUnaryInterceptor(LogUnary(logger)))
}

func TestLogUnaryWritesOneLinePerRPC(t *testing.T) {
	tests := []struct {
		name    string
		service string
		want    map[string]any
	}{
		{"success at info", "", map[string]any{"level": "INFO", "code": "OK"}},
		{"caller's mistake at info", "code:INVALID_ARGUMENT:x", map[string]any{"level": "INFO", "code": "InvalidArgument"}},
		{"permission denied at info", "code:PERMISSION_DENIED:x", map[string]any{"level": "INFO", "code": "PermissionDenied"}},
		{"upstream failure at warn", "code:UNAVAILABLE:x", map[string]any{"level": "WARN", "code": "Unavailable"}},
		{"throttling at warn", "code:RESOURCE_EXHAUSTED:x", map[string]any{"level": "WARN", "code": "ResourceExhausted"}},
		{"deadline at warn", "code:DEADLINE_EXCEEDED:x", map[string]any{"level": "WARN", "code": "DeadlineExceeded"}},
		{"server bug at error", "code:INTERNAL:x", map[string]any{"level": "ERROR", "code": "Internal"}},
		{"unknown error at error", "code:UNKNOWN:x", map[string]any{"level": "ERROR", "code": "Unknown"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			buf, client := loggedServer(t, &testHealth{})
			_, _ = check(t, client, tt.service)
			lines := testlog.Lines(t, buf.String())
			if len(lines) != 1 {
				t.Fatalf("got %d log lines, want 1:\n%s", len(lines), buf.String())
			}
			line := lines[0]
			if _, ok := line["duration_ms"].(float64); !ok {
				t.Errorf("duration_ms: got %v, want a number", line["duration_ms"])
			}
			if id, _ := line["request_id"].(string); len(id) != 16 {
				t.Errorf("request_id: got %q, want 16 generated characters", id)
			}
			want := map[string]any{"msg": "rpc", "method": "/grpc.health.v1.Health/Check"}
			for k, v := range tt.want {
				want[k] = v
			}
			got := map[string]any{}
			for k := range want {
				got[k] = line[k]
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("log line (-want +got):\n%s", diff)
			}
			if extra := unexpectedKeys(line); len(extra) > 0 {
				t.Errorf("log line has unexpected keys %v: %v", extra, line)
			}
		})
	}
}

// unexpectedKeys lists the keys of a log line beyond those LogUnary is allowed to write.
func unexpectedKeys(line map[string]any) []string {
	allowed := map[string]bool{"time": true, "level": true, "msg": true, "method": true, "code": true, "duration_ms": true, "request_id": true, "trace_id": true}
	var extra []string
	for k := range line {
		if !allowed[k] {
			extra = append(extra, k)
		}
	}
	return extra
}

func TestLogUnaryNeverLogsTokensOrValues(t *testing.T) {
	const (
		token  = "eyJhbGciOiJSUzI1NiJ9.secret-token-payload.sig"
		apiKey = "api-key-7f3a9c"
		value  = "jane.doe@example.com"
	)
	buf, client := loggedServer(t, &testHealth{})
	md := []string{"authorization", "Bearer " + token, "x-api-key", apiKey}
	_, _ = check(t, client, value, md...)
	_, _ = check(t, client, "code:INVALID_ARGUMENT:"+value, md...)

	out := buf.String()
	if n := len(testlog.Lines(t, out)); n != 2 {
		t.Fatalf("got %d log lines, want 2:\n%s", n, out)
	}
	for _, secret := range []string{token, "secret-token-payload", apiKey, value, "Bearer", "authorization"} {
		if strings.Contains(out, secret) {
			t.Errorf("log output contains %q:\n%s", secret, out)
		}
	}
}

func TestNewLoggerHonoursLevel(t *testing.T) {
	tests := []struct {
		level string
		want  []string
	}{
		{"", []string{"info", "warn", "error"}},
		{"debug", []string{"debug", "info", "warn", "error"}},
		{"WARN", []string{"warn", "error"}},
		{"error", []string{"error"}},
		{"no-such-level", []string{"info", "warn", "error"}},
	}
	for _, tt := range tests {
		t.Run(tt.level, func(t *testing.T) {
			var buf bytes.Buffer
			logger := NewLogger(&buf, tt.level)
			logger.Debug("debug")
			logger.Info("info")
			logger.Warn("warn")
			logger.Error("error")
			var got []string
			for _, line := range testlog.Lines(t, buf.String()) {
				got = append(got, line["msg"].(string))
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("messages written (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseLevelRejectsUnknownNames(t *testing.T) {
	if _, err := ParseLevel("loud"); err == nil {
		t.Errorf("ParseLevel(%q): got nil error, want one", "loud")
	}
	if got, err := ParseLevel(" Warn "); err != nil || got != slog.LevelWarn {
		t.Errorf("ParseLevel(%q): got %v, %v; want WARN, nil", " Warn ", got, err)
	}
}

func TestIsTerminalOnlyForCharacterDevices(t *testing.T) {
	devNull, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer devNull.Close()
	regular, err := os.Create(filepath.Join(t.TempDir(), "log"))
	if err != nil {
		t.Fatal(err)
	}
	defer regular.Close()
	tests := []struct {
		name string
		w    io.Writer
		want bool
	}{
		{"character device", devNull, true},
		{"regular file", regular, false},
		{"buffer", &bytes.Buffer{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := isTerminal(tt.w); got != tt.want {
				t.Errorf("isTerminal: got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestLevelForCodes(t *testing.T) {
	want := map[codes.Code]slog.Level{
		codes.OK: slog.LevelInfo, codes.Canceled: slog.LevelInfo, codes.InvalidArgument: slog.LevelInfo,
		codes.NotFound: slog.LevelInfo, codes.PermissionDenied: slog.LevelInfo, codes.Unauthenticated: slog.LevelInfo,
		codes.FailedPrecondition: slog.LevelInfo, codes.Aborted: slog.LevelInfo,
		codes.DeadlineExceeded: slog.LevelWarn, codes.ResourceExhausted: slog.LevelWarn, codes.Unavailable: slog.LevelWarn,
		codes.Internal: slog.LevelError, codes.Unknown: slog.LevelError, codes.DataLoss: slog.LevelError,
	}
	for code, level := range want {
		if got := levelFor(code); got != level {
			t.Errorf("levelFor(%v): got %v, want %v", code, got, level)
		}
	}
}

func TestCodeOfMapsContextErrors(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want codes.Code
	}{
		{"nil", nil, codes.OK},
		{"status", status.Error(codes.NotFound, "x"), codes.NotFound},
		{"deadline", fmt.Errorf("store: %w", context.DeadlineExceeded), codes.DeadlineExceeded},
		{"canceled", context.Canceled, codes.Canceled},
		{"plain error", errors.New("boom"), codes.Unknown},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := codeOf(tt.err); got != tt.want {
				t.Errorf("codeOf(%v): got %v, want %v", tt.err, got, tt.want)
			}
		})
	}
}
