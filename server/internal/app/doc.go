// Package app wires the service together: store, catalog, gRPC server with its interceptors,
// the REST gateway that dials the gRPC port, health, reflection and graceful shutdown. It holds
// no business rule.
package app
