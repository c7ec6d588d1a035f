package app

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/grpc"
)

// TestChainRunsInterceptorsOutermostFirst: the chain the gateway shares with the gRPC server
// runs every interceptor, in order, around the handler.
func TestChainRunsInterceptorsOutermostFirst(t *testing.T) {
	var order []string
	mk := func(name string) grpc.UnaryServerInterceptor {
		return func(ctx context.Context, req any, info *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
			order = append(order, name+" in "+info.FullMethod)
			resp, err := h(ctx, req)
			order = append(order, name+" out")
			return resp, err
		}
	}
	chain := chainUnary([]grpc.UnaryServerInterceptor{mk("a"), mk("b")})
	resp, err := chain(context.Background(), "req", &grpc.UnaryServerInfo{FullMethod: "/m"}, func(_ context.Context, req any) (any, error) {
		order = append(order, "handler "+req.(string))
		return "resp", nil
	})
	if err != nil || resp != "resp" {
		t.Fatalf("chain = %v, %v; want resp, nil", resp, err)
	}
	want := []string{"a in /m", "b in /m", "handler req", "b out", "a out"}
	if diff := cmp.Diff(want, order); diff != "" {
		t.Errorf("order (-want +got):\n%s", diff)
	}
}
