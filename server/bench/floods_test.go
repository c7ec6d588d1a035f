package main

import (
	"context"
	"errors"
	"flag"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/protobuf/types/known/structpb"

	profilev1 "github.com/acme/progressive-profiling/gen/profile/v1"
	"github.com/acme/progressive-profiling/server/bench/internal/procstat"
	"github.com/acme/progressive-profiling/server/internal/auth/authtest"
	"github.com/acme/progressive-profiling/server/internal/h2flood"
	"github.com/acme/progressive-profiling/server/internal/serverproc"
)

// The floods below measure what callers without any token can make the server hold in memory
// (see docs/limits.md). Their settings are flags of the test binary, after -args.
var (
	serverBin        = flag.String("server-bin", "", "server binary the floods attack instead of one built from ./server")
	floodConnections = flag.Int("flood-connections", 300, "connections the header-only flood opens")
	floodStreams     = flag.Int("flood-streams", 200, "header-only calls opened on each connection the server accepts")
	floodHold        = flag.Duration("flood-hold", 10*time.Second, "how long the header-only flood keeps its calls open")
)

// startAuthServer starts a server process with caller auth on: -server-bin, or one built from
// this repository. GOMEMLIMIT, when set, reaches it.
func startAuthServer(b *testing.B) *serverproc.Proc {
	ctx, dir := context.Background(), b.TempDir()
	bin := *serverBin
	if bin == "" {
		var err error
		if bin, err = serverproc.Build(ctx, dir); err != nil {
			b.Fatal(err)
		}
	}
	iss, err := authtest.New()
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(iss.Close)
	env := authEnv(iss)
	env["PROFILE_DATA_DIR"] = filepath.Join(dir, "data")
	srv, err := serverproc.Start(ctx, bin, env, filepath.Join(dir, "server.log"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(srv.Stop)
	return srv
}

// BenchmarkHeaderOnlyFlood opens -flood-connections raw HTTP/2 connections to a server with
// caller auth on and, on each one the server serves, -flood-streams calls that send their
// headers and nothing else (no token, no request message), as an attacker exhausting memory
// would. It holds them for -flood-hold while sampling the server's memory, then closes them and
// checks that the server serves again. It reports the server's resident memory before and at its
// peak (VmHWM), and what became of the calls. Run it once: -benchtime 1x.
func BenchmarkHeaderOnlyFlood(b *testing.B) {
	ctx := context.Background()
	srv := startAuthServer(b)
	rssBefore, _, err := procstat.Memory(srv.PID())
	if err != nil {
		b.Fatal(err)
	}
	var served, opened, refused, answered, lost int
	var peak int64
	for b.Loop() {
		conns, err := dialAll(ctx, srv.GRPCAddr, *floodConnections)
		if err != nil {
			b.Logf("flood: %d of %d connections dialled: %v", len(conns), *floodConnections, err)
		}
		// A connection not served within 2 s waits in the listen backlog: the server caps them.
		backlog := time.After(2 * time.Second)
		for _, c := range conns {
			select {
			case <-c.Served():
			case <-backlog:
				continue
			}
			served++
			if err := c.OpenStreams(*floodStreams, "/profile.v1.ProfileService/GetMissingFields"); err != nil {
				b.Logf("flood: a connection was closed while opening calls (GOAWAY %v): %v", c.GoAway(), err)
			}
			opened += c.Opened()
		}
		for end := time.Now().Add(*floodHold); time.Now().Before(end); time.Sleep(100 * time.Millisecond) {
			if _, peak, err = procstat.Memory(srv.PID()); err != nil {
				b.Fatal(err)
			}
		}
		for _, c := range conns {
			refused, answered = refused+c.Refused(), answered+c.Answered()
			select {
			case <-c.Done():
				lost++ // served, then closed by the server (GOAWAY or reset)
			default:
			}
			c.Close()
		}
	}
	if !servesAgain(ctx, srv.GRPCAddr) {
		b.Error("the server did not answer Health/Check within 10 s of the flood's end")
	}
	mib := func(n int64) float64 { return float64(n) / (1 << 20) }
	b.Logf("| connections opened / served | closed by the server | calls opened | refused REFUSED_STREAM | answered UNAVAILABLE | held in flight | RSS before | peak RSS |\n"+
		"| %d / %d | %d | %d | %d | %d | %d | %.1f MiB | %.1f MiB |",
		*floodConnections, served, lost, opened, refused, answered, opened-refused-answered, mib(rssBefore), mib(peak))
	b.ReportMetric(float64(served), "connections-served")
	b.ReportMetric(float64(opened-refused-answered), "calls-held")
	b.ReportMetric(mib(rssBefore), "RSS-before-MiB")
	b.ReportMetric(mib(peak), "peak-RSS-MiB")
}

// dialAll dials n connections at once.
func dialAll(ctx context.Context, addr string, n int) ([]*h2flood.Conn, error) {
	conns := make([]*h2flood.Conn, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { conns[i], errs[i] = h2flood.Dial(ctx, addr) })
	}
	wg.Wait()
	var out []*h2flood.Conn
	for _, c := range conns {
		if c != nil {
			out = append(out, c)
		}
	}
	return out, errors.Join(errs...)
}

// servesAgain reports whether a Health/Check succeeds within 10 s.
func servesAgain(ctx context.Context, addr string) bool {
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return false
	}
	defer conn.Close()
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	for ctx.Err() == nil {
		if _, err := healthpb.NewHealthClient(conn).Check(ctx, &healthpb.HealthCheckRequest{}); err == nil {
			return true
		}
		time.Sleep(100 * time.Millisecond)
	}
	return false
}

// BenchmarkAmplifyingRequests floods a server with caller auth on, without any token, with
// requests that decode to far more memory than they take on the wire: each round sends, all at
// once, 1000 gRPC calls over 10 connections whose google.protobuf.Struct holds 15 900 empty
// lists and 512 REST requests (one per connection, the limit) whose JSON body holds 21 700 empty
// objects, each just under 64 KiB. It reports the server's peak resident memory (VmHWM) as
// peak-RSS-MiB.
func BenchmarkAmplifyingRequests(b *testing.B) {
	ctx := context.Background()
	srv := startAuthServer(b)
	lists := make([]*structpb.Value, 15_900)
	for i := range lists {
		lists[i] = structpb.NewListValue(&structpb.ListValue{})
	}
	grpcReq := &profilev1.SubmitFieldsRequest{UserId: "auth0|flood", Values: &structpb.Struct{Fields: map[string]*structpb.Value{
		"a": structpb.NewListValue(&structpb.ListValue{Values: lists}),
	}}}
	restBody := `{"values":{"a":[` + strings.Repeat(`{},`, 21_700) + `{}]}}`
	var clients []profilev1.ProfileServiceClient
	for range 10 {
		conn, err := grpc.NewClient(srv.GRPCAddr, grpc.WithTransportCredentials(insecure.NewCredentials()))
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { conn.Close() })
		clients = append(clients, profilev1.NewProfileServiceClient(conn))
	}
	httpClient := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 512}}
	b.Cleanup(httpClient.CloseIdleConnections)
	url := "http://" + srv.HTTPAddr + "/v1/users/auth0%7Cflood/fields"
	for b.Loop() {
		var wg sync.WaitGroup
		for i := range 1000 {
			wg.Go(func() { _, _ = clients[i%len(clients)].SubmitFields(ctx, grpcReq) })
		}
		for range 512 {
			wg.Go(func() {
				resp, err := httpClient.Post(url, "application/json", strings.NewReader(restBody))
				if err == nil {
					_, _ = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
				}
			})
		}
		wg.Wait()
	}
	_, peak, err := procstat.Memory(srv.PID())
	if err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(peak)/(1<<20), "peak-RSS-MiB")
}
