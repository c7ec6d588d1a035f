// Package rest is the HTTP side of the server: the REST API (grpc-gateway), health, the OpenAPI
// document, metrics and the hosted login step. The gateway calls the service in-process, through
// the same unary interceptor chain as the gRPC server (logs, metrics, recovery, auth); it does
// not dial the gRPC port. It holds no business rule and maps no domain error: the service's
// status codes become HTTP answers here.
package rest
