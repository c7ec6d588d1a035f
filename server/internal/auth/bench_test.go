package auth_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/acme/progressive-profiling/server/internal/auth"
	"github.com/acme/progressive-profiling/server/internal/auth/authtest"
	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"
)

// BenchmarkVerify compares a token seen before (cache hit) with a fresh token each time.
func BenchmarkVerify(b *testing.B) {
	iss := authtest.NewIssuer(b)
	cfg := config(iss)
	v, err := newBenchVerifier(b, cfg)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("cached", func(b *testing.B) {
		b.ReportAllocs()
		tok := iss.UserToken(b, "auth0|alice")
		for b.Loop() {
			if _, err := v.Verify(b.Context(), tok); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("fresh", func(b *testing.B) {
		toks := make([]string, b.N)
		for i := range toks {
			toks[i] = iss.UserToken(b, fmt.Sprintf("auth0|user-%d", i))
		}
		b.ReportAllocs()
		b.ResetTimer()
		for _, tok := range toks {
			if _, err := v.Verify(b.Context(), tok); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkUnaryInterceptor measures authenticating a gRPC call whose token was seen before.
func BenchmarkUnaryInterceptor(b *testing.B) {
	iss := authtest.NewIssuer(b)
	v, err := newBenchVerifier(b, config(iss))
	if err != nil {
		b.Fatal(err)
	}
	intercept := auth.UnaryServerInterceptor(v, nil)
	ctx := metadata.NewIncomingContext(b.Context(), metadata.Pairs("authorization", "Bearer "+iss.UserToken(b, "auth0|alice")))
	info := &grpc.UnaryServerInfo{FullMethod: "/profile.v1.ProfileService/GetProfile"}
	handler := func(ctx context.Context, _ any) (any, error) {
		if _, ok := auth.PrincipalFrom(ctx); !ok {
			b.Fatal("no principal in the handler context")
		}
		return nil, nil
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := intercept(ctx, nil, info, handler); err != nil {
			b.Fatal(err)
		}
	}
}
