package telemetry

import (
	"context"
	"net"
	"strings"
	"testing"

	"go.uber.org/goleak"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/grpc/test/bufconn"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// testHealth is a tiny service: Check answers SERVING, except that a service name of the form
// "code:<Code>:<text>" fails with that code and a message quoting the text, as a handler that
// quotes a submitted value would. It records the request id it saw.
type testHealth struct {
	healthpb.UnimplementedHealthServer
	seenIDs chan string
}

func (h *testHealth) Check(ctx context.Context, req *healthpb.HealthCheckRequest) (*healthpb.HealthCheckResponse, error) {
	if h.seenIDs != nil {
		h.seenIDs <- RequestID(ctx)
	}
	if rest, ok := strings.CutPrefix(req.GetService(), "code:"); ok {
		name, text, _ := strings.Cut(rest, ":")
		var code codes.Code
		if err := code.UnmarshalJSON([]byte(`"` + strings.ToUpper(name) + `"`)); err != nil {
			return nil, status.Errorf(codes.Internal, "bad test code %q", name)
		}
		return nil, status.Errorf(code, "rejected value %q", text)
	}
	return &healthpb.HealthCheckResponse{Status: healthpb.HealthCheckResponse_SERVING}, nil
}

// startServer serves svc over an in-memory listener with the given options and returns a
// client; everything stops when the test ends. register, when not nil, sees the server
// after registration and before serving.
func startServer(t testing.TB, svc healthpb.HealthServer, register func(*grpc.Server), opts ...grpc.ServerOption) healthpb.HealthClient {
	t.Helper()
	lis := bufconn.Listen(1 << 20)
	srv := grpc.NewServer(opts...)
	healthpb.RegisterHealthServer(srv, svc)
	if register != nil {
		register(srv)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = srv.Serve(lis)
	}()
	conn, err := grpc.NewClient("passthrough:///bufnet",
		grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) { return lis.DialContext(ctx) }),
		grpc.WithTransportCredentials(insecure.NewCredentials()),
	)
	if err != nil {
		t.Fatalf("grpc.NewClient: %v", err)
	}
	t.Cleanup(func() {
		_ = conn.Close()
		srv.Stop()
		<-done
	})
	return healthpb.NewHealthClient(conn)
}

// check calls Check for service with the given outgoing metadata pairs.
func check(t testing.TB, c healthpb.HealthClient, service string, kv ...string) (metadata.MD, error) {
	t.Helper()
	ctx := context.Background()
	if len(kv) > 0 {
		ctx = metadata.AppendToOutgoingContext(ctx, kv...)
	}
	var header metadata.MD
	_, err := c.Check(ctx, &healthpb.HealthCheckRequest{Service: service}, grpc.Header(&header))
	return header, err
}
