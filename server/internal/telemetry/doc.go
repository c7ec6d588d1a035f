// Package telemetry gives the server its operational signals: Prometheus metrics for RPCs and
// stores, OpenTelemetry tracing configured from the standard OTEL_* variables, and one
// structured log line per RPC carrying a request id.
//
// It must never record request or response bodies, profile values, tokens or other metadata
// values: only method names, status codes, durations, request ids and store counters.
package telemetry
