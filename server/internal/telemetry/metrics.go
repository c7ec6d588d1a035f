package telemetry

import (
	"net/http"

	grpcprom "github.com/grpc-ecosystem/go-grpc-middleware/providers/prometheus"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"google.golang.org/grpc"
	"google.golang.org/grpc/reflection"
)

// latencyBuckets are the bounds, in seconds, of the RPC handling-time histogram. They start
// below a millisecond because cached reads take tens of microseconds, and reach ten seconds
// for calls that wait on a throttled upstream.
var latencyBuckets = []float64{0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10}

// Metrics is the service's Prometheus registry: gRPC server metrics, store counters, and the Go
// runtime and process collectors. It is not the global default registry, so several servers
// in one process (tests) do not collide.
type Metrics struct {
	registry *prometheus.Registry
	server   *grpcprom.ServerMetrics
	unary    grpc.UnaryServerInterceptor
}

// NewMetrics returns a registry holding the gRPC server metrics (grpc_server_started_total,
// grpc_server_handled_total, grpc_server_handling_seconds, ...) and the Go and process
// collectors.
func NewMetrics() *Metrics {
	reg := prometheus.NewRegistry()
	server := grpcprom.NewServerMetrics(
		grpcprom.WithServerHandlingTimeHistogram(grpcprom.WithHistogramBuckets(latencyBuckets)),
	)
	reg.MustRegister(
		server,
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)
	return &Metrics{registry: reg, server: server, unary: server.UnaryServerInterceptor()}
}

// Registry returns the underlying registry, for registering further collectors.
func (m *Metrics) Registry() *prometheus.Registry { return m.registry }

// Handler serves the registry in the Prometheus exposition format, for GET /metrics.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{Registry: m.registry})
}

// UnaryServerInterceptor counts every unary RPC by method and status code and observes its
// handling time.
func (m *Metrics) UnaryServerInterceptor() grpc.UnaryServerInterceptor { return m.unary }

// InitializeMetrics creates the series of every method registered on srv with zero values, so
// that dashboards and rates see them before the first call. Call it after registering the
// services and before serving.
func (m *Metrics) InitializeMetrics(srv reflection.ServiceInfoProvider) {
	m.server.InitializeMetrics(srv)
}
