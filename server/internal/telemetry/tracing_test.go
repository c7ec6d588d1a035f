package telemetry

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/grpc"
	"google.golang.org/grpc/stats"

	"github.com/acme/progressive-profiling/server/internal/testlog"
)

// env returns a getenv over the given variables only.
func env(vars map[string]string) func(string) string {
	return func(k string) string { return vars[k] }
}

func TestTracingEnabled(t *testing.T) {
	tests := []struct {
		name string
		vars map[string]string
		want bool
	}{
		{"nothing set", nil, false},
		{"exporter otlp", map[string]string{"OTEL_TRACES_EXPORTER": "otlp"}, true},
		{"exporter console", map[string]string{"OTEL_TRACES_EXPORTER": "console"}, true},
		{"exporter none", map[string]string{"OTEL_TRACES_EXPORTER": "none"}, false},
		{"exporter none beats an endpoint", map[string]string{"OTEL_TRACES_EXPORTER": "none", "OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318"}, false},
		{"OTLP endpoint", map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318"}, true},
		{"OTLP traces endpoint", map[string]string{"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://collector:4318/v1/traces"}, true},
		{"SDK disabled", map[string]string{"OTEL_SDK_DISABLED": "true", "OTEL_TRACES_EXPORTER": "otlp"}, false},
		{"SDK disabled false", map[string]string{"OTEL_SDK_DISABLED": "false", "OTEL_TRACES_EXPORTER": "otlp"}, true},
		{"only a service name", map[string]string{"OTEL_SERVICE_NAME": "x"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := TracingEnabled(env(tt.vars)); got != tt.want {
				t.Errorf("TracingEnabled(%v): got %v, want %v", tt.vars, got, tt.want)
			}
		})
	}
}

func TestSetupTracingIsOffWhenUnset(t *testing.T) {
	tr, err := TracingFromEnv(env(nil))
	if err != nil {
		t.Fatalf("TracingFromEnv: %v", err)
	}
	opt, shutdown, err := SetupTracing(context.Background(), tr)
	if err != nil {
		t.Fatalf("SetupTracing: %v", err)
	}
	if opt != nil {
		t.Errorf("server option: got %v, want nil (no stats handler)", opt)
	}
	if err := shutdown(context.Background()); err != nil {
		t.Errorf("shutdown: %v", err)
	}
}

func TestSetupTracingRejectsAnUnknownExporter(t *testing.T) {
	t.Setenv("OTEL_TRACES_EXPORTER", "no-such-exporter")
	if _, err := TracingFromEnv(os.Getenv); err == nil || !strings.Contains(err.Error(), "OTEL_TRACES_EXPORTER") {
		t.Errorf("TracingFromEnv: got error %v, want one naming OTEL_TRACES_EXPORTER", err)
	}
	_, _, err := SetupTracing(context.Background(), Tracing{Enabled: true})
	if err == nil || !strings.Contains(err.Error(), "OTEL_TRACES_EXPORTER") {
		t.Errorf("SetupTracing: got error %v, want one naming OTEL_TRACES_EXPORTER", err)
	}
}

// consoleChildEnv marks the child process of TestSetupTracingConsoleExportsSpans.
const consoleChildEnv = "TELEMETRY_TRACING_CHILD"

// TestSetupTracingConsoleExportsSpans runs a traced server in a child process with
// OTEL_TRACES_EXPORTER=console (the console exporter writes to the process's standard output)
// and reads the span of one RPC, and its log line, from that output.
func TestSetupTracingConsoleExportsSpans(t *testing.T) {
	if os.Getenv(consoleChildEnv) == "1" {
		runTracedChild(t)
		return
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestSetupTracingConsoleExportsSpans$", "-test.count=1")
	cmd.Env = append(withoutOTel(os.Environ()), consoleChildEnv+"=1", "OTEL_TRACES_EXPORTER=console")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("child: %v\nstdout:\n%s\nstderr:\n%s", err, stdout.String(), stderr.String())
	}

	var spans []exportedSpan
	var logTraceID string
	for line := range strings.SplitSeq(stdout.String(), "\n") {
		switch {
		case strings.HasPrefix(line, `{"Name"`):
			var s exportedSpan
			if err := json.Unmarshal([]byte(line), &s); err != nil {
				t.Fatalf("span %q: %v", line, err)
			}
			spans = append(spans, s)
		case strings.HasPrefix(line, "LOG "):
			var l struct {
				TraceID string `json:"trace_id"`
			}
			_ = json.Unmarshal([]byte(strings.TrimPrefix(line, "LOG ")), &l)
			logTraceID = l.TraceID
		}
	}
	if len(spans) != 1 {
		t.Fatalf("got %d spans, want 1; stdout:\n%s", len(spans), stdout.String())
	}
	s := spans[0]
	got := map[string]string{"name": s.Name, "kind": fmt.Sprint(s.SpanKind), "service": s.resource("service.name"), "log trace id": logTraceID}
	want := map[string]string{"name": "grpc.health.v1.Health/Check", "kind": "2", "service": DefaultServiceName, "log trace id": s.SpanContext.TraceID}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("exported span (-want +got):\n%s", diff)
	}
}

// exportedSpan is the part of the console exporter's JSON that the test reads.
type exportedSpan struct {
	Name        string
	SpanKind    int
	SpanContext struct{ TraceID string }
	Resource    []struct {
		Key   string
		Value struct{ Value any }
	}
}

func (s exportedSpan) resource(key string) string {
	for _, kv := range s.Resource {
		if kv.Key == key {
			return fmt.Sprint(kv.Value.Value)
		}
	}
	return ""
}

// runTracedChild serves one traced, logged RPC and flushes the span to standard output.
func runTracedChild(t *testing.T) {
	ctx := context.Background()
	tr, err := TracingFromEnv(os.Getenv)
	if err != nil {
		t.Fatalf("TracingFromEnv: %v", err)
	}
	opt, shutdown, err := SetupTracing(ctx, tr)
	if err != nil || opt == nil {
		t.Fatalf("SetupTracing: option %v, error %v; want an option", opt, err)
	}
	logs := &testlog.Buffer{}
	// The server ends its span after the response is on its way, so the client may see the
	// answer first: wait for the server's end-of-RPC event (the tracing handler, installed
	// first, has ended the span by then) before flushing the exporter.
	ended := rpcEnded(make(chan struct{}, 1))
	client := startServer(t, &testHealth{}, nil, opt, grpc.StatsHandler(ended), grpc.ChainUnaryInterceptor(LogUnary(NewLogger(logs, "info"))))
	if _, err := check(t, client, ""); err != nil {
		t.Fatalf("Check: %v", err)
	}
	<-ended
	if err := shutdown(ctx); err != nil {
		t.Fatalf("shutdown: %v", err)
	}
	fmt.Print("LOG " + logs.String())
}

// withoutOTel drops OTEL_* variables so the child sees only those the test sets.
func withoutOTel(environ []string) []string {
	var out []string
	for _, kv := range environ {
		if !strings.HasPrefix(kv, "OTEL_") {
			out = append(out, kv)
		}
	}
	return out
}

// rpcEnded is a stats handler that signals each server RPC's end.
type rpcEnded chan struct{}

func (e rpcEnded) TagRPC(ctx context.Context, _ *stats.RPCTagInfo) context.Context { return ctx }

func (e rpcEnded) HandleRPC(_ context.Context, s stats.RPCStats) {
	if _, ok := s.(*stats.End); ok {
		select {
		case e <- struct{}{}:
		default:
		}
	}
}

func (e rpcEnded) TagConn(ctx context.Context, _ *stats.ConnTagInfo) context.Context { return ctx }

func (e rpcEnded) HandleConn(context.Context, stats.ConnStats) {}
