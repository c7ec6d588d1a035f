package auth_test

import (
	"context"
	"log"
	"net/http"
	"strings"

	"github.com/acme/progressive-profiling/server/internal/auth"
	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"google.golang.org/grpc"
	"google.golang.org/grpc/status"
)

// Example shows the wiring: one verifier, the interceptors on the gRPC server (the gateway dials
// it, so REST goes through them too), the 401 challenge and CORS on the gateway, and one
// Authorize call per RPC handler.
func Example() {
	ctx := context.Background() // the server's lifetime context
	audience := "https://profiles.acme.example/api"
	v, err := auth.NewVerifier(ctx, auth.Config{Issuer: "https://acme.eu.auth0.com/", Audience: audience})
	if err != nil {
		log.Fatal(err)
	}
	public := func(method string) bool {
		return strings.HasPrefix(method, "/grpc.health.v1.Health/") || strings.HasPrefix(method, "/grpc.reflection.")
	}
	srv := grpc.NewServer(
		grpc.ChainUnaryInterceptor(auth.UnaryServerInterceptor(v, public)),
		grpc.ChainStreamInterceptor(auth.StreamServerInterceptor(v, public)),
	)
	defer srv.Stop()

	gw := runtime.NewServeMux(runtime.WithErrorHandler(auth.GatewayErrorHandler(audience, nil)))
	var rest http.Handler = auth.CORS([]string{"https://app.acme.example"})(gw)
	_ = rest

	// In an RPC handler:
	getProfile := func(ctx context.Context, userID string) error {
		p, _ := auth.PrincipalFrom(ctx) // nil when auth is off
		id, err := auth.Authorize(p, userID, auth.Read)
		if err != nil {
			return status.Error(auth.Code(err), err.Error())
		}
		_ = id // the resolved user id ("me" replaced)
		return nil
	}
	_ = getProfile
}
