// Package app wires the service together: store, catalog, the gRPC server with its interceptors,
// the HTTP side (package rest, which calls the service in-process through the same interceptor
// chain), health, reflection and graceful shutdown. It holds no business rule.
package app
