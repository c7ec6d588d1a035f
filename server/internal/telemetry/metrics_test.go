package telemetry

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"google.golang.org/grpc"
)

// scrape fetches /metrics from h and returns the exposition's sample lines.
func scrape(t *testing.T, h http.Handler) []string {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	if rec.Code != http.StatusOK {
		t.Fatalf("GET /metrics: got status %d, want 200", rec.Code)
	}
	body, _ := io.ReadAll(rec.Body)
	var lines []string
	for line := range strings.SplitSeq(string(body), "\n") {
		if line != "" && !strings.HasPrefix(line, "#") {
			lines = append(lines, line)
		}
	}
	return lines
}

func hasLine(lines []string, want string) bool {
	for _, l := range lines {
		if l == want {
			return true
		}
	}
	return false
}

func hasPrefix(lines []string, prefix string) bool {
	for _, l := range lines {
		if strings.HasPrefix(l, prefix) {
			return true
		}
	}
	return false
}

func TestMetricsExposeRPCSeriesAfterTraffic(t *testing.T) {
	m := NewMetrics()
	client := startServer(t, &testHealth{}, func(s *grpc.Server) { m.InitializeMetrics(s) }, grpc.ChainUnaryInterceptor(m.UnaryServerInterceptor()))
	for _, service := range []string{"", "", "code:INVALID_ARGUMENT:x", "code:UNAVAILABLE:x"} {
		_, _ = check(t, client, service)
	}
	lines := scrape(t, m.Handler())

	const labels = `grpc_method="Check",grpc_service="grpc.health.v1.Health",grpc_type="unary"`
	for _, want := range []string{
		`grpc_server_started_total{` + labels + `} 4`,
		`grpc_server_handled_total{grpc_code="OK",` + labels + `} 2`,
		`grpc_server_handled_total{grpc_code="InvalidArgument",` + labels + `} 1`,
		`grpc_server_handled_total{grpc_code="Unavailable",` + labels + `} 1`,
		`grpc_server_handling_seconds_count{` + labels + `} 4`,
		// InitializeMetrics creates the series of methods not called yet.
		`grpc_server_handled_total{grpc_code="OK",grpc_method="List",grpc_service="grpc.health.v1.Health",grpc_type="unary"} 0`,
	} {
		if !hasLine(lines, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	for _, prefix := range []string{
		`grpc_server_handling_seconds_bucket{` + labels + `,le="0.001"}`,
		"go_goroutines ",
		"process_cpu_seconds_total ",
	} {
		if !hasPrefix(lines, prefix) {
			t.Errorf("/metrics lacks a sample starting with %s", prefix)
		}
	}
}

func TestMetricsRegistriesAreIndependent(t *testing.T) {
	a, b := NewMetrics(), NewMetrics()
	client := startServer(t, &testHealth{}, nil, grpc.ChainUnaryInterceptor(a.UnaryServerInterceptor()))
	_, _ = check(t, client, "")
	if hasPrefix(scrape(t, b.Handler()), "grpc_server_handled_total") {
		t.Errorf("a second registry shows calls counted by the first")
	}
}
