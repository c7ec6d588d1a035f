package auth_test

import (
	"context"
	"fmt"
	"log"
	"net/http"
	"strings"

	"github.com/acme/progressive-profiling/server/internal/auth"
	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
)

// Example shows the wiring: one verifier; its interceptors on the gRPC server, with the health
// checks public and every other method, server reflection included, needing a token; the 401
// challenge and CORS on the REST gateway, which must reach the service through the same
// interceptors; and in each RPC handler, one Authorize call and, before writing app_metadata
// fields, MayWriteAppMetadata.
func Example() {
	ctx, cancel := context.WithCancel(context.Background()) // the server's lifetime
	defer cancel()
	audience := "https://profiles.acme.example/api"
	v, err := auth.NewVerifier(ctx, auth.Config{
		Issuer:   "https://acme.eu.auth0.com/",
		Audience: audience,
		// The tenant's keys are fetched from Issuer + ".well-known/jwks.json" by default; here
		// from a local address, since no call below gets as far as checking a signature.
		JWKSURL: "http://127.0.0.1:9/.well-known/jwks.json",
	})
	if err != nil {
		log.Fatal(err)
	}
	public := func(method string) bool {
		return strings.HasPrefix(method, "/grpc.health.v1.Health/")
	}
	unary := auth.UnaryServerInterceptor(v, public)
	stream := auth.StreamServerInterceptor(v, public)
	srv := grpc.NewServer(grpc.ChainUnaryInterceptor(unary), grpc.ChainStreamInterceptor(stream))
	defer srv.Stop()

	gw := runtime.NewServeMux(runtime.WithErrorHandler(auth.GatewayErrorHandler(audience, nil)))
	var rest http.Handler = auth.CORS([]string{"https://app.acme.example"})(gw)
	_ = rest

	// Calls without a token: only the health checks get through.
	for _, method := range []string{"/grpc.health.v1.Health/Check", "/profile.v1.ProfileService/GetProfile"} {
		_, err := unary(ctx, nil, &grpc.UnaryServerInfo{FullMethod: method}, func(context.Context, any) (any, error) { return nil, nil })
		fmt.Println(method, status.Code(err))
	}
	reflection := "/grpc.reflection.v1.ServerReflection/ServerReflectionInfo"
	err = stream(nil, &tokenlessStream{ctx: ctx}, &grpc.StreamServerInfo{FullMethod: reflection}, func(any, grpc.ServerStream) error { return nil })
	fmt.Println(reflection, status.Code(err))

	// In an RPC handler, with the principal the interceptor put in the context (nil when
	// authentication is off):
	handle := func(ctx context.Context, userID string) {
		p, _ := auth.PrincipalFrom(ctx)
		id, err := auth.Authorize(p, userID, auth.Write)
		fmt.Printf("write %q: acts on %q, error %v, may write app_metadata: %v\n", userID, id, err, auth.MayWriteAppMetadata(p))
	}
	alice := auth.NewContext(ctx, auth.NewPrincipal("auth0|alice", false))
	handle(alice, auth.Me)
	handle(alice, "auth0|bob")
	handle(auth.NewContext(ctx, auth.NewPrincipal("crm@clients", true, auth.ScopeWrite)), "auth0|bob")
	// Output:
	// /grpc.health.v1.Health/Check OK
	// /profile.v1.ProfileService/GetProfile Unauthenticated
	// /grpc.reflection.v1.ServerReflection/ServerReflectionInfo Unauthenticated
	// write "me": acts on "auth0|alice", error <nil>, may write app_metadata: false
	// write "auth0|bob": acts on "", error permission denied, may write app_metadata: false
	// write "auth0|bob": acts on "auth0|bob", error <nil>, may write app_metadata: true
}

// tokenlessStream is a server stream whose call carries no metadata.
type tokenlessStream struct {
	grpc.ServerStream
	ctx context.Context
}

func (s *tokenlessStream) Context() context.Context    { return s.ctx }
func (s *tokenlessStream) SetHeader(metadata.MD) error { return nil }
