package auth_test

import (
	"context"
	"net"
	"testing"

	"github.com/acme/progressive-profiling/server/internal/auth"
	"github.com/acme/progressive-profiling/server/internal/auth/authtest"
	"github.com/google/go-cmp/cmp"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/grpc/test/bufconn"
)

// healthClient serves the standard health service behind the auth interceptors over bufconn.
func healthClient(t *testing.T, v *auth.Verifier, skip func(string) bool) healthpb.HealthClient {
	t.Helper()
	lis := bufconn.Listen(1 << 20)
	srv := grpc.NewServer(
		grpc.UnaryInterceptor(auth.UnaryServerInterceptor(v, skip)),
		grpc.StreamInterceptor(auth.StreamServerInterceptor(v, skip)),
	)
	healthpb.RegisterHealthServer(srv, health.NewServer())
	go func() { _ = srv.Serve(lis) }()
	t.Cleanup(srv.Stop)
	conn, err := grpc.NewClient("passthrough:///bufnet",
		grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) { return lis.DialContext(ctx) }),
		grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatalf("grpc.NewClient: %v", err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	return healthpb.NewHealthClient(conn)
}

func TestUnaryInterceptorAuthenticatesCalls(t *testing.T) {
	iss := authtest.NewIssuer(t)
	v := newVerifier(t, config(iss))
	client := healthClient(t, v, nil)
	realm := `Bearer realm="` + authtest.Audience + `"`

	tests := []struct {
		name          string
		authorization string // empty: none sent
		wantCode      codes.Code
		wantChallenge []string
	}{
		{"missing token", "", codes.Unauthenticated, []string{realm}},
		{"not a bearer token", "Basic dXNlcjpwYXNz", codes.Unauthenticated, []string{realm + `, error="invalid_token"`}},
		{"malformed token", "Bearer not-a-jwt", codes.Unauthenticated, []string{realm + `, error="invalid_token"`}},
		{"expired token", "Bearer " + invalidToken(t, iss, "expired"), codes.Unauthenticated, []string{realm + `, error="invalid_token"`}},
		{"valid token", "Bearer " + iss.UserToken(t, "auth0|alice"), codes.OK, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := t.Context()
			if tt.authorization != "" {
				ctx = metadata.AppendToOutgoingContext(ctx, "authorization", tt.authorization)
			}
			var header metadata.MD
			_, err := client.Check(ctx, &healthpb.HealthCheckRequest{}, grpc.Header(&header))
			st := status.Convert(err)
			if st.Code() != tt.wantCode {
				t.Fatalf("code: got %v (%v), want %v", st.Code(), err, tt.wantCode)
			}
			if tt.wantCode == codes.Unauthenticated && st.Message() != "missing or invalid access token" {
				t.Errorf("message: got %q, want the generic message", st.Message())
			}
			if diff := cmp.Diff(tt.wantChallenge, header.Get(auth.WWWAuthenticateKey)); diff != "" {
				t.Errorf("www-authenticate header (-want +got):\n%s", diff)
			}
		})
	}
}

func TestStreamInterceptorRejectsMissingToken(t *testing.T) {
	iss := authtest.NewIssuer(t)
	client := healthClient(t, newVerifier(t, config(iss)), nil)

	stream, err := client.Watch(t.Context(), &healthpb.HealthCheckRequest{})
	if err == nil {
		_, err = stream.Recv()
	}
	if got := status.Code(err); got != codes.Unauthenticated {
		t.Errorf("Watch without token: got %v (%v), want Unauthenticated", got, err)
	}
}

func TestInterceptorSkipsSelectedMethods(t *testing.T) {
	iss := authtest.NewIssuer(t)
	skip := func(m string) bool { return m == healthpb.Health_Check_FullMethodName }
	client := healthClient(t, newVerifier(t, config(iss)), skip)

	if _, err := client.Check(t.Context(), &healthpb.HealthCheckRequest{}); err != nil {
		t.Errorf("skipped method without token: got %v, want no error", err)
	}
}

func TestUnaryInterceptorPutsPrincipalInContext(t *testing.T) {
	iss := authtest.NewIssuer(t)
	intercept := auth.UnaryServerInterceptor(newVerifier(t, config(iss)), nil)
	ctx := metadata.NewIncomingContext(t.Context(), metadata.Pairs("authorization", "Bearer "+iss.UserToken(t, "auth0|alice")))

	var got *auth.Principal
	_, err := intercept(ctx, nil, &grpc.UnaryServerInfo{FullMethod: "/profile.v1.ProfileService/GetProfile"},
		func(ctx context.Context, _ any) (any, error) {
			got, _ = auth.PrincipalFrom(ctx)
			return nil, nil
		})
	if err != nil {
		t.Fatalf("interceptor: %v", err)
	}
	want := auth.NewPrincipal("auth0|alice", false)
	if diff := cmp.Diff(view(want), view(got)); diff != "" {
		t.Errorf("principal in handler context (-want +got):\n%s", diff)
	}
}

func TestPrincipalFromEmptyContext(t *testing.T) {
	if p, ok := auth.PrincipalFrom(t.Context()); ok || p != nil {
		t.Errorf("PrincipalFrom: got (%v, %v), want (nil, false)", p, ok)
	}
}
