package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	"github.com/acme/progressive-profiling/server/bench/internal/procstat"
	"github.com/acme/progressive-profiling/server/internal/auth/authtest"
	"github.com/acme/progressive-profiling/server/internal/h2flood"
	"github.com/acme/progressive-profiling/server/internal/serverproc"
)

// floodMethod is what the flood's calls name; they never send a request nor a token.
const floodMethod = "/profile.v1.ProfileService/GetMissingFields"

// floodResult is what the flood scenario measured on the server.
type floodResult struct {
	connections, served, lost int // lost: served, then closed by the server (GOAWAY or reset)
	opened, refused, answered int
	maxStreams                uint32
	rssBefore, peak, rssHeld  int64
	servesAfter               bool
	hold                      time.Duration
}

// held is how many calls the flood kept in flight on the server.
func (r floodResult) held() int { return r.opened - r.refused - r.answered }

// runFlood starts a server with caller auth on, opens -flood-connections raw HTTP/2
// connections and, on each one the server accepts, -flood-streams calls that send their
// headers and nothing else (no token, no request), as an attacker exhausting memory would. It
// keeps them open for -flood-hold while sampling the server's memory, then closes them and
// checks that the server serves again.
func runFlood(ctx context.Context, opts options, logf func(string, ...any)) (floodResult, error) {
	tmp, err := os.MkdirTemp("", "profile-bench-")
	if err != nil {
		return floodResult{}, err
	}
	defer os.RemoveAll(tmp)
	bin := opts.serverBin
	if bin == "" {
		logf("building the server")
		b, err := serverproc.Build(ctx, tmp)
		if err != nil {
			return floodResult{}, err
		}
		bin = b
	}
	iss, err := authtest.New()
	if err != nil {
		return floodResult{}, err
	}
	defer iss.Close()
	env := authEnv(iss)
	env["PROFILE_DATA_DIR"] = filepath.Join(tmp, "flood-data")
	srv, err := serverproc.Start(ctx, bin, env, filepath.Join(tmp, "flood.log"))
	if err != nil {
		return floodResult{}, err
	}
	defer srv.Stop()

	r := floodResult{connections: opts.floodConns, hold: opts.floodHold}
	if r.rssBefore, _, err = procstat.Memory(srv.PID()); err != nil {
		return r, err
	}
	logf("flood: %d connections × %d header-only calls, no token", opts.floodConns, opts.floodStreams)
	conns, err := floodConnections(ctx, srv.GRPCAddr, opts.floodConns)
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	if err != nil {
		return r, err
	}
	// A connection not served within 2 s waits in the listen backlog: the server caps them.
	backlog := time.After(2 * time.Second)
	for _, c := range conns {
		select {
		case <-c.Served():
		case <-backlog:
			continue
		}
		r.served++
		r.maxStreams = c.MaxConcurrentStreams()
		if err := c.OpenStreams(opts.floodStreams, floodMethod); err != nil {
			logf("flood: a connection was closed while opening calls (GOAWAY %v): %v", c.GoAway(), err)
		}
		r.opened += c.Opened()
	}
	logf("flood: %d connections served, holding for %s", r.served, opts.floodHold)
	end := time.Now().Add(opts.floodHold)
	for time.Now().Before(end) {
		rss, peak, err := procstat.Memory(srv.PID())
		if err != nil {
			return r, err
		}
		r.rssHeld, r.peak = rss, peak
		time.Sleep(100 * time.Millisecond)
	}
	for _, c := range conns {
		r.refused += c.Refused()
		r.answered += c.Answered()
		select {
		case <-c.Done():
			r.lost++
		default:
		}
		c.Close()
	}
	r.servesAfter = servesAgain(ctx, srv.GRPCAddr)
	return r, nil
}

// floodConnections dials n connections at once.
func floodConnections(ctx context.Context, addr string, n int) ([]*h2flood.Conn, error) {
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

// servesAgain reports whether a Health/Check succeeds within 10 s once the flood is gone.
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

// writeFloodReport writes the flood scenario's figures as markdown.
func writeFloodReport(w io.Writer, r floodResult, m machine) {
	mib := func(b int64) string { return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20)) }
	fmt.Fprintf(w, "### Flood: header-only gRPC calls without a token\n\n")
	fmt.Fprintf(w, "Measured %s UTC on %d CPUs (%s), %s, %s. A server with caller auth on (embedded store, built-in catalog) gets %d raw HTTP/2 connections; on each one it serves, the flood opens calls that send their headers and nothing else (no token, no request message), and keeps them open for %s.\n\n",
		m.date.Format("2006-01-02 15:04"), m.cpus, m.model, m.goVersion, m.kernel, r.connections, r.hold)
	fmt.Fprintf(w, "| connections opened | served | closed by the server | MAX_CONCURRENT_STREAMS | calls opened | refused (REFUSED_STREAM) | answered UNAVAILABLE | held in flight | server RSS before | peak RSS (VmHWM) | RSS while held | serves again after |\n")
	fmt.Fprintf(w, "|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|---|\n")
	maxStreams := "none"
	if r.maxStreams > 0 {
		maxStreams = fmt.Sprint(r.maxStreams)
	}
	fmt.Fprintf(w, "| %d | %d | %d | %s | %d | %d | %d | %d | %s | %s | %s | %v |\n\n",
		r.connections, r.served, r.lost, maxStreams, r.opened, r.refused, r.answered, r.held(),
		mib(r.rssBefore), mib(r.peak), mib(r.rssHeld), r.servesAfter)
}
