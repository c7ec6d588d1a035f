package app

import (
	"context"
	"fmt"
	"testing"

	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	profilev1 "github.com/acme/progressive-profiling/gen/profile/v1"
)

// These benchmarks measure a whole call, client and server together in one process, so they
// compare calls with each other (allocations are the stable figure); the server-only CPU
// figures come from `go run ./server/bench`.

func BenchmarkHealthCheckGRPC(b *testing.B) {
	ts := startServer(b, serverOptions{})
	c := healthpb.NewHealthClient(ts.conn)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := c.Check(context.Background(), &healthpb.HealthCheckRequest{}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkGetMissingFieldsGRPC(b *testing.B) {
	ts := startServer(b, serverOptions{})
	c := profilev1.NewProfileServiceClient(ts.conn)
	req := &profilev1.GetMissingFieldsRequest{UserId: "auth0|bench"}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := c.GetMissingFields(context.Background(), req); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkGetMissingFieldsREST(b *testing.B) {
	ts := startServer(b, serverOptions{})
	c := &restClient{base: ts.httpURL}
	req := &profilev1.GetMissingFieldsRequest{UserId: "auth0|bench"}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := c.GetMissingFields(context.Background(), req); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkSubmitFieldsGRPCParallel(b *testing.B) {
	ts := startServer(b, serverOptions{})
	c := profilev1.NewProfileServiceClient(ts.conn)
	b.ReportAllocs()
	b.SetParallelism(32)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		user := fmt.Sprintf("auth0|bench-%p", pb)
		for pb.Next() {
			i++
			req := &profilev1.SubmitFieldsRequest{UserId: user, Values: mustStructNoT(map[string]any{"title": fmt.Sprint("t", i)})}
			if _, err := c.SubmitFields(context.Background(), req); err != nil {
				b.Fatal(err)
			}
		}
	})
}
