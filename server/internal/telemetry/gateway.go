package telemetry

import (
	"net/textproto"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
)

// requestIDHeader is the canonical HTTP form of RequestIDKey.
const requestIDHeader = "X-Request-Id"

// GatewayHeaderMatcher maps incoming HTTP headers to gRPC metadata for grpc-gateway
// (runtime.WithIncomingHeaderMatcher): X-Request-Id becomes "x-request-id", so a REST
// caller's id reaches LogUnary; every other header is left to runtime.DefaultHeaderMatcher.
func GatewayHeaderMatcher(key string) (string, bool) {
	if textproto.CanonicalMIMEHeaderKey(key) == requestIDHeader {
		return RequestIDKey, true
	}
	return runtime.DefaultHeaderMatcher(key)
}

// GatewayOutgoingHeaderMatcher maps gRPC response header metadata to HTTP headers for
// grpc-gateway (runtime.WithOutgoingHeaderMatcher): "x-request-id" becomes X-Request-Id;
// every other key keeps the gateway's default, a Grpc-Metadata- prefix.
func GatewayOutgoingHeaderMatcher(key string) (string, bool) {
	if textproto.CanonicalMIMEHeaderKey(key) == requestIDHeader {
		return requestIDHeader, true
	}
	return runtime.MetadataHeaderPrefix + key, true
}

// GatewayOptions returns the grpc-gateway options that carry the request id both ways.
func GatewayOptions() []runtime.ServeMuxOption {
	return []runtime.ServeMuxOption{
		runtime.WithIncomingHeaderMatcher(GatewayHeaderMatcher),
		runtime.WithOutgoingHeaderMatcher(GatewayOutgoingHeaderMatcher),
	}
}
