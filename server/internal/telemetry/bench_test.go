package telemetry

import (
	"context"
	"io"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"
)

// fakeStream stands in for the server transport so grpc.SetHeader works outside a server.
type fakeStream struct{}

func (fakeStream) Method() string                  { return "/profile.v1.ProfileService/GetMissingFields" }
func (fakeStream) SetHeader(metadata.MD) error     { return nil }
func (fakeStream) SendHeader(metadata.MD) error    { return nil }
func (fakeStream) SetTrailer(md metadata.MD) error { return nil }

// benchContext is the context a unary handler chain sees: typical incoming metadata and a
// server transport stream.
func benchContext(kv ...string) context.Context {
	md := metadata.Pairs(append([]string{
		":authority", "127.0.0.1:9090", "content-type", "application/grpc", "user-agent", "grpc-go/1.85.0",
		"authorization", "Bearer token",
	}, kv...)...)
	ctx := metadata.NewIncomingContext(context.Background(), md)
	return grpc.NewContextWithServerTransportStream(ctx, fakeStream{})
}

var benchInfo = &grpc.UnaryServerInfo{FullMethod: "/profile.v1.ProfileService/GetMissingFields"}

func benchHandler(_ context.Context, req any) (any, error) { return req, nil }

// runInterceptor calls ic b.N times around an empty handler.
func runInterceptor(b *testing.B, ctx context.Context, ic grpc.UnaryServerInterceptor) {
	b.ReportAllocs()
	for b.Loop() {
		_, _ = ic(ctx, nil, benchInfo, benchHandler)
	}
}

func BenchmarkMetricsUnary(b *testing.B) {
	runInterceptor(b, benchContext(), NewMetrics().UnaryServerInterceptor())
}

func BenchmarkLogUnary(b *testing.B) {
	logger := NewLogger(io.Discard, "info")
	b.Run("generated id", func(b *testing.B) {
		runInterceptor(b, benchContext(), LogUnary(logger))
	})
	b.Run("caller's id", func(b *testing.B) {
		runInterceptor(b, benchContext(RequestIDKey, "0123456789abcdef"), LogUnary(logger))
	})
	b.Run("level off", func(b *testing.B) {
		runInterceptor(b, benchContext(), LogUnary(NewLogger(io.Discard, "error")))
	})
}

// BenchmarkInterceptorChain is the metrics and logging interceptors chained as the server
// chains them.
func BenchmarkInterceptorChain(b *testing.B) {
	metrics := NewMetrics().UnaryServerInterceptor()
	logs := LogUnary(NewLogger(io.Discard, "info"))
	chain := func(ctx context.Context, req any, info *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
		return metrics(ctx, req, info, func(ctx context.Context, req any) (any, error) {
			return logs(ctx, req, info, h)
		})
	}
	runInterceptor(b, benchContext(), chain)
}

// BenchmarkHealthCheck is a whole RPC over an in-memory connection, without and with the
// interceptors, to put their cost beside that of gRPC itself (client and server together).
func BenchmarkHealthCheck(b *testing.B) {
	cases := []struct {
		name string
		opts func() []grpc.ServerOption
	}{
		{"bare", func() []grpc.ServerOption { return nil }},
		{"metrics", func() []grpc.ServerOption {
			return []grpc.ServerOption{grpc.ChainUnaryInterceptor(NewMetrics().UnaryServerInterceptor())}
		}},
		{"logs", func() []grpc.ServerOption {
			return []grpc.ServerOption{grpc.ChainUnaryInterceptor(LogUnary(NewLogger(io.Discard, "info")))}
		}},
		{"metrics and logs", func() []grpc.ServerOption {
			return []grpc.ServerOption{grpc.ChainUnaryInterceptor(NewMetrics().UnaryServerInterceptor(), LogUnary(NewLogger(io.Discard, "info")))}
		}},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			client := startServer(b, &testHealth{}, nil, c.opts()...)
			b.ReportAllocs()
			for b.Loop() {
				if _, err := check(b, client, ""); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
