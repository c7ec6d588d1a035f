// Package config holds the whole configuration of the server command: one struct for serving
// (Parse) and one for importing users (ParseImport), filled from flags with environment
// fallbacks, then from defaults that the owning packages define, and validated once at start
// with errors that name the variable. The OTEL_* variables the service decides on (whether to
// trace, the service name) are read here too; the OpenTelemetry SDK reads the rest itself. It
// opens nothing and starts nothing.
package config
