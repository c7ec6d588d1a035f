package app

import (
	"context"
	"net"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/wrapperspb"

	profilev1 "github.com/acme/progressive-profiling/gen/profile/v1"
	"github.com/acme/progressive-profiling/server/internal/config"
	"github.com/acme/progressive-profiling/server/internal/h2flood"
)

const floodMethod = "/profile.v1.ProfileService/GetProfile"

// eventually polls cond until it holds or 10 s pass; it fails the test with what in the latter
// case. It waits for the server to act, it does not time it.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("still not true after 10s: %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func dialFlood(t *testing.T, addr string) *h2flood.Conn {
	t.Helper()
	c, err := h2flood.Dial(context.Background(), addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// TestHeaderOnlyCallsAreBounded: calls that send headers and never their request (and no
// token) are limited per connection (MAX_CONCURRENT_STREAMS) and over all connections
// together; past those limits they are refused, and the server keeps serving once they go
// (issue 12: 100 000 such streams on one connection took the server to 1.72 GB).
func TestHeaderOnlyCallsAreBounded(t *testing.T) {
	ts := startServer(t, serverOptions{cfg: func(c *config.Config) {
		c.GRPCMaxStreams = 10
		c.GRPCMaxCalls = 15
	}})
	a := dialFlood(t, ts.grpcAddr)
	<-a.Served()
	if got := a.MaxConcurrentStreams(); got != 10 {
		t.Errorf("MAX_CONCURRENT_STREAMS announced: got %d, want 10", got)
	}
	if err := a.OpenStreams(30, floodMethod); err != nil {
		t.Fatal(err)
	}
	eventually(t, "20 of 30 streams refused on one connection", func() bool { return a.Refused() == 20 })

	b := dialFlood(t, ts.grpcAddr)
	<-b.Served()
	if err := b.OpenStreams(10, floodMethod); err != nil {
		t.Fatal(err)
	}
	eventually(t, "5 of 10 calls answered at once on a second connection (15 in flight in all)", func() bool { return b.Answered() == 5 })

	// A real call, meanwhile, is refused with UNAVAILABLE, which clients retry.
	health := healthpb.NewHealthClient(ts.conn)
	_, err := health.Check(context.Background(), &healthpb.HealthCheckRequest{})
	if status.Code(err) != codes.Unavailable || !strings.Contains(status.Convert(err).Message(), "too many calls") {
		t.Errorf("call while the server is full: got %v, want UNAVAILABLE, too many calls", err)
	}
	a.Close()
	b.Close()
	eventually(t, "calls served again once the flood is gone", func() bool {
		_, err := health.Check(context.Background(), &healthpb.HealthCheckRequest{})
		return err == nil
	})
	if a.Answered() != 0 || a.GoAway() {
		t.Errorf("first connection: %d calls answered, GOAWAY %v; want neither", a.Answered(), a.GoAway())
	}
}

// TestGRPCConnectionsAreCapped: past the connection limit, a new connection waits to be
// accepted until another one closes.
func TestGRPCConnectionsAreCapped(t *testing.T) {
	ts := startServer(t, serverOptions{cfg: func(c *config.Config) { c.GRPCMaxConnections = 2 }})
	ts.conn.Close() // the harness's own client would hold one of the two
	a, b := dialFlood(t, ts.grpcAddr), dialFlood(t, ts.grpcAddr)
	<-a.Served()
	<-b.Served()
	c := dialFlood(t, ts.grpcAddr)
	select {
	case <-c.Served():
		t.Fatal("a third connection was served while two were open")
	case <-time.After(300 * time.Millisecond):
	}
	a.Close()
	select {
	case <-c.Served():
	case <-time.After(10 * time.Second):
		t.Fatal("the third connection was not served after another one closed")
	}
}

// TestGRPCHandshakeTimeout: a connection that never completes its HTTP/2 handshake is closed.
func TestGRPCHandshakeTimeout(t *testing.T) {
	ts := startServer(t, serverOptions{cfg: func(c *config.Config) { c.GRPCHandshakeTimeout = 200 * time.Millisecond }})
	nc, err := net.Dial("tcp", ts.grpcAddr)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	_ = nc.SetReadDeadline(time.Now().Add(10 * time.Second))
	// The server speaks first (its SETTINGS), then waits for the client's preface.
	var buf [512]byte
	for {
		if _, err = nc.Read(buf[:]); err != nil {
			break
		}
	}
	if isTimeout(err) {
		t.Errorf("silent connection: still open after 10s, want it closed by the server")
	}
}

func isTimeout(err error) bool {
	ne, ok := err.(net.Error)
	return ok && ne.Timeout()
}

// TestOversizedHeadersAreRefused: a call's headers are limited to 32 KiB, not grpc-go's 16 MiB.
func TestOversizedHeadersAreRefused(t *testing.T) {
	ts := startServer(t, serverOptions{})
	ctx := metadata.AppendToOutgoingContext(context.Background(), "x-padding", strings.Repeat("p", 40<<10))
	_, err := profilev1.NewProfileServiceClient(ts.conn).ListFields(ctx, &profilev1.ListFieldsRequest{})
	if err == nil {
		t.Fatal("a call with 40 KiB of headers succeeded")
	}
	if _, err := profilev1.NewProfileServiceClient(ts.conn).ListFields(context.Background(), &profilev1.ListFieldsRequest{}); err != nil {
		t.Errorf("a normal call afterwards: %v", err)
	}
}

// TestUndecodableGRPCRequestsAreInternal pins a documented limit (issue 12): a gRPC request
// that does not decode (a string holding invalid UTF-8) gets grpc-go's INTERNAL, with a message
// saying so, where REST answers 400. grpc-go wraps every codec error in INTERNAL and writes that
// status from the stream's RecvMsg, before the method handler or any interceptor can map it;
// gRPC's status code document lists "error parsing request proto" as INTERNAL. When this test
// fails, grpc-go has changed: map the error to INVALID_ARGUMENT and update the proto comment.
func TestUndecodableGRPCRequestsAreInternal(t *testing.T) {
	ts := startServer(t, serverOptions{})
	// BytesValue's field 1 has the wire form of the requests' user_id (field 1, a string).
	req := wrapperspb.Bytes([]byte("auth0|\xff\xfe"))
	for _, method := range []string{"GetProfile", "SubmitFields", "MarkSubscribed", "GetMissingFields"} {
		err := ts.conn.Invoke(context.Background(), "/profile.v1.ProfileService/"+method, req, &emptypb.Empty{})
		if status.Code(err) != codes.Internal || !strings.HasPrefix(status.Convert(err).Message(), "grpc: failed to unmarshal the received message") {
			t.Errorf("%s with invalid UTF-8: got %v, want grpc-go's INTERNAL for an undecodable request", method, err)
		}
	}
	body := `{"values":{"first_name":"Ada"}}`
	code, _ := post(t, ts.httpURL, "/v1/users/auth0%7C%FF/fields", body, map[string]string{"Content-Type": "application/json"})
	if code != 400 {
		t.Errorf("REST with a user id of invalid UTF-8: got %d, want 400", code)
	}
}
