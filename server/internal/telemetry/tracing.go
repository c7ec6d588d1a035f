package telemetry

import (
	"context"
	"errors"
	"fmt"
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

// SetupTracing starts OpenTelemetry tracing when TracingEnabled(getenv) and returns the gRPC
// server option that traces every RPC (an otelgrpc stats handler) and a function that flushes
// and stops the exporter. When tracing is off it returns a nil option, which must not be
// passed to grpc.NewServer, and a shutdown that does nothing: no tracing code runs per RPC.
//
// getenv decides whether tracing is on and the service name (OTEL_SERVICE_NAME, default
// "profile-service"); pass os.Getenv. The exporter (OTEL_TRACES_EXPORTER: otlp, console or
// none; OTEL_EXPORTER_OTLP_* for endpoint, protocol and headers), the sampler
// (OTEL_TRACES_SAMPLER) and resource attributes (OTEL_RESOURCE_ATTRIBUTES) are read by the
// OpenTelemetry SDK from the process environment. When on, the tracer provider and the
// W3C trace-context and baggage propagators also become the process-wide defaults, so other
// instrumentation joins the same traces.
func SetupTracing(ctx context.Context, getenv func(string) string) (grpc.ServerOption, func(context.Context) error, error) {
	noop := func(context.Context) error { return nil }
	if !TracingEnabled(getenv) {
		return nil, noop, nil
	}
	exporter, err := autoexport.NewSpanExporter(ctx)
	if err != nil {
		return nil, noop, fmt.Errorf("OTEL_TRACES_EXPORTER: %w", err)
	}
	res, err := newResource(ctx, getenv)
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

// newResource describes this process: the service name from getenv, then whatever
// OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES say, and the SDK's own attributes.
func newResource(ctx context.Context, getenv func(string) string) (*resource.Resource, error) {
	name := strings.TrimSpace(getenv("OTEL_SERVICE_NAME"))
	if name == "" {
		name = DefaultServiceName
	}
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
