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

// target is a running server and the lean clients that drive it: a few shared gRPC connections
// on the generated stubs, and an HTTP client whose pool keeps one connection per worker.
type target struct {
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

// dialTarget connects to srv with nConns gRPC connections and a REST client sized for
// concurrency.
func dialTarget(srv *serverproc.Proc, nConns, concurrency, users int) (*target, error) {
	t := &target{baseURL: "http://" + srv.HTTPAddr, users: users}
	for range nConns {
		conn, err := grpc.NewClient("passthrough:///"+srv.GRPCAddr, grpc.WithTransportCredentials(insecure.NewCredentials()))
		if err != nil {
			t.close()
			return nil, fmt.Errorf("dial gRPC %s: %w", srv.GRPCAddr, err)
		}
		t.conns = append(t.conns, conn)
		t.profile = append(t.profile, profilev1.NewProfileServiceClient(conn))
		t.health = append(t.health, healthpb.NewHealthClient(conn))
	}
	t.http = &http.Client{
		Transport: &http.Transport{
			MaxIdleConns:        concurrency,
			MaxIdleConnsPerHost: concurrency,
			IdleConnTimeout:     time.Minute,
			DisableCompression:  true,
		},
		Timeout: 30 * time.Second,
	}
	return t, nil
}

func (t *target) close() {
	for _, c := range t.conns {
		_ = c.Close()
	}
	if t.http != nil {
		t.http.CloseIdleConnections()
	}
}

// conn returns the index of the gRPC connection worker w uses.
func (t *target) conn(w int) int { return w % len(t.conns) }

// rest sends one request and drains the answer; any status but 200 is an error.
func (t *target) rest(ctx context.Context, method, path string, body []byte, bearer string) error {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, t.baseURL+path, rd)
	if err != nil {
		return err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if bearer != "" {
		req.Header.Set("Authorization", bearer)
	}
	resp, err := t.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 300))
		return fmt.Errorf("%s %s: HTTP %d: %s", method, path, resp.StatusCode, bytes.TrimSpace(msg))
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
