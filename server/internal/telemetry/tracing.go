package telemetry

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"go.opentelemetry.io/contrib/exporters/autoexport"
	"go.opentelemetry.io/contrib/instrumentation/google.golang.org/grpc/otelgrpc"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	noopmetric "go.opentelemetry.io/otel/metric/noop"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"google.golang.org/grpc"
)

// DefaultServiceName is the service.name of traces when OTEL_SERVICE_NAME is unset.
const DefaultServiceName = "profile-service"

// TracingEnabled reports whether the OTEL_* variables ask for traces: OTEL_TRACES_EXPORTER is
// set to something other than "none", or an OTLP endpoint (OTEL_EXPORTER_OTLP_ENDPOINT or
// OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) is set; and OTEL_SDK_DISABLED is not "true".
func TracingEnabled(getenv func(string) string) bool {
	if strings.EqualFold(strings.TrimSpace(getenv("OTEL_SDK_DISABLED")), "true") {
		return false
	}
	if exporter := strings.TrimSpace(getenv("OTEL_TRACES_EXPORTER")); exporter != "" {
		return exporter != "none"
	}
	return getenv("OTEL_EXPORTER_OTLP_ENDPOINT") != "" || getenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") != ""
}

// Tracing is what the service reads of the OTEL_* variables itself. The OpenTelemetry SDK reads
// the others from the process environment: the exporter (OTEL_TRACES_EXPORTER; OTEL_EXPORTER_OTLP_*
// for endpoint, protocol and headers), the sampler (OTEL_TRACES_SAMPLER) and resource attributes
// (OTEL_RESOURCE_ATTRIBUTES).
type Tracing struct {
	// Enabled is set when the variables ask for traces (see TracingEnabled).
	Enabled bool
	// ServiceName is the service.name of traces: OTEL_SERVICE_NAME, else DefaultServiceName.
	ServiceName string
}

// TraceExporters are the values of OTEL_TRACES_EXPORTER the service knows.
var TraceExporters = []string{"otlp", "console", "none"}

// TracingFromEnv reads Tracing from getenv. When tracing is on, OTEL_TRACES_EXPORTER must be
// unset or one of TraceExporters.
func TracingFromEnv(getenv func(string) string) (Tracing, error) {
	t := Tracing{Enabled: TracingEnabled(getenv), ServiceName: strings.TrimSpace(getenv("OTEL_SERVICE_NAME"))}
	if t.ServiceName == "" {
		t.ServiceName = DefaultServiceName
	}
	if e := getenv("OTEL_TRACES_EXPORTER"); t.Enabled && e != "" && !slices.Contains(TraceExporters, e) {
		return t, fmt.Errorf("OTEL_TRACES_EXPORTER: %q is not %s", e, strings.Join(TraceExporters, ", "))
	}
	return t, nil
}

// SetupTracing starts OpenTelemetry tracing when t.Enabled and returns the gRPC server option
// that traces every RPC (an otelgrpc stats handler) and a function that flushes and stops the
// exporter. When tracing is off it returns a nil option, which must not be passed to
// grpc.NewServer, and a shutdown that does nothing: no tracing code runs per RPC.
//
// The OpenTelemetry SDK configures the exporter, sampler and resource attributes from the
// process environment (see Tracing). When on, the tracer provider and the W3C trace-context and
// baggage propagators also become the process-wide defaults, so other instrumentation joins the
// same traces.
func SetupTracing(ctx context.Context, t Tracing) (grpc.ServerOption, func(context.Context) error, error) {
	noop := func(context.Context) error { return nil }
	if !t.Enabled {
		return nil, noop, nil
	}
	exporter, err := autoexport.NewSpanExporter(ctx)
	if err != nil {
		return nil, noop, fmt.Errorf("OTEL_TRACES_EXPORTER: %w", err)
	}
	res, err := newResource(ctx, cmp.Or(t.ServiceName, DefaultServiceName))
	if err != nil {
		_ = exporter.Shutdown(ctx)
		return nil, noop, fmt.Errorf("OTEL_RESOURCE_ATTRIBUTES: %w", err)
	}
	tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(exporter), sdktrace.WithResource(res))
	prop := propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{})
	otel.SetTracerProvider(tp)
	otel.SetTextMapPropagator(prop)
	handler := otelgrpc.NewServerHandler(
		otelgrpc.WithTracerProvider(tp),
		otelgrpc.WithPropagators(prop),
		otelgrpc.WithMeterProvider(noopmetric.NewMeterProvider()),
	)
	return grpc.StatsHandler(handler), tp.Shutdown, nil
}

// newResource describes this process: the service name, then whatever OTEL_SERVICE_NAME and
// OTEL_RESOURCE_ATTRIBUTES say, and the SDK's own attributes.
func newResource(ctx context.Context, name string) (*resource.Resource, error) {
	res, err := resource.New(ctx,
		resource.WithTelemetrySDK(),
		resource.WithFromEnv(),
		resource.WithAttributes(attribute.String("service.name", name)),
	)
	// A partial resource (one bad attribute) is still worth using.
	if err != nil && !errors.Is(err, resource.ErrPartialResource) {
		return nil, err
	}
	return res, nil
}
