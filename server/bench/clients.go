package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	profilev1 "github.com/acme/progressive-profiling/gen/profile/v1"
	"github.com/acme/progressive-profiling/server/internal/serverproc"
)

// driver holds the lean clients that drive a running server: a few shared gRPC connections on
// the generated stubs, and an HTTP client whose pool keeps one connection per worker.
type driver struct {
	conns   []*grpc.ClientConn
	profile []profilev1.ProfileServiceClient
	health  []healthpb.HealthClient
	http    *http.Client
	baseURL string
	users   int
	// bearer holds "Bearer <token>" for each user when the server checks callers' tokens.
	bearer []string
	// service is "Bearer <token>" of a backend service allowed to read every profile.
	service string
}

// dial connects to srv with nConns gRPC connections and a REST client sized for concurrency;
// the workers call for users 0 to users-1.
func dial(srv *serverproc.Proc, nConns, concurrency, users int) (*driver, error) {
	d := &driver{baseURL: "http://" + srv.HTTPAddr, users: users}
	for range nConns {
		conn, err := grpc.NewClient("passthrough:///"+srv.GRPCAddr, grpc.WithTransportCredentials(insecure.NewCredentials()))
		if err != nil {
			d.close()
			return nil, fmt.Errorf("dial gRPC %s: %w", srv.GRPCAddr, err)
		}
		d.conns = append(d.conns, conn)
		d.profile = append(d.profile, profilev1.NewProfileServiceClient(conn))
		d.health = append(d.health, healthpb.NewHealthClient(conn))
	}
	d.http = &http.Client{
		Transport: &http.Transport{
			MaxIdleConns:        concurrency,
			MaxIdleConnsPerHost: concurrency,
			IdleConnTimeout:     time.Minute,
			DisableCompression:  true,
		},
		Timeout: 30 * time.Second,
	}
	return d, nil
}

func (d *driver) close() {
	for _, c := range d.conns {
		_ = c.Close()
	}
	if d.http != nil {
		d.http.CloseIdleConnections()
	}
}

// conn returns the index of the gRPC connection worker w uses.
func (d *driver) conn(w int) int { return w % len(d.conns) }

// get sends one GET, with bearer when not empty, and drains the answer; any status but 200 is
// an error.
func (d *driver) get(ctx context.Context, path, bearer string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, d.baseURL+path, nil)
	if err != nil {
		return err
	}
	if bearer != "" {
		req.Header.Set("Authorization", bearer)
	}
	resp, err := d.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 300))
		return fmt.Errorf("GET %s: HTTP %d: %s", path, resp.StatusCode, bytes.TrimSpace(msg))
	}
	_, err = io.Copy(io.Discard, resp.Body)
	return err
}

// workerUsers returns the users worker w of concurrency owns: w, w+concurrency, ... Workers
// own disjoint sets, so concurrent writes never target one user.
func workerUsers(w, concurrency, users int) []int {
	var out []int
	for u := w; u < users; u += concurrency {
		out = append(out, u)
	}
	return out
}
