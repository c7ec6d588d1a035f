package api

import (
	"context"
	"testing"

	profilev1 "github.com/acme/progressive-profiling/gen/profile/v1"
	"github.com/acme/progressive-profiling/server/internal/engine"
)

// BenchmarkGetMissingFieldsHandler measures the handler alone, on a store answering from memory:
// the service's own share of a cached read, without gRPC.
func BenchmarkGetMissingFieldsHandler(b *testing.B) {
	svc := New(engine.New(engine.DefaultCatalog(), nil), memStore{}, nil, false)
	req := &profilev1.GetMissingFieldsRequest{UserId: "auth0|bench"}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := svc.GetMissingFields(ctx, req); err != nil {
			b.Fatal(err)
		}
	}
}
