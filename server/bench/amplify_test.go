package main

import (
	"context"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/types/known/structpb"

	profilev1 "github.com/acme/progressive-profiling/gen/profile/v1"
	"github.com/acme/progressive-profiling/server/bench/internal/procstat"
	"github.com/acme/progressive-profiling/server/internal/auth/authtest"
	"github.com/acme/progressive-profiling/server/internal/serverproc"
)

// BenchmarkAmplifyingRequests floods a server process (built from this repository, caller auth
// on) without any token with requests that decode to far more memory than they take on the
// wire: each round sends, all at once, 1000 gRPC calls over 10 connections whose
// google.protobuf.Struct holds 15 900 empty lists and 512 REST requests (one per connection, the
// limit) whose JSON body holds 21 700 empty objects, each just under 64 KiB. It reports the
// server's peak resident memory (VmHWM) as peak-RSS-MiB. GOMEMLIMIT, when set, reaches the
// server. See docs/limits.md.
func BenchmarkAmplifyingRequests(b *testing.B) {
	ctx := context.Background()
	dir := b.TempDir()
	bin, err := serverproc.Build(ctx, dir)
	if err != nil {
		b.Fatal(err)
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
