package main

import (
	"context"
	"fmt"
	"path/filepath"
	"time"

	"github.com/acme/progressive-profiling/server/internal/serverproc"
)

// serverSetup is what every benchmarked server is started from.
type serverSetup struct {
	bin, tmp           string
	catalog, usersFile string
	users              int
	concurrency        int
	grpcConns          int
	// profiles turns on the servers' pprof endpoint (PROFILE_DEBUG_ADDR) for -cpuprofile.
	profiles bool
}

// testServer is a running server, the clients that drive it and, with caller auth on, the
// token issuer it trusts.
type testServer struct {
	srv *serverproc.Proc
	t   *target
	iss *issuer
}

// start imports the users into a data folder of the server's own (the embedded store locks its
// file, so two servers cannot share one), starts the server with env added, and primes its
// cache. name names its data folder and log; bearer, when not nil, holds each user's token.
func (s serverSetup) start(ctx context.Context, name string, env map[string]string, bearer []string, logf func(string, ...any)) (*testServer, error) {
	dataDir := filepath.Join(s.tmp, name+"-data")
	logf("%s: importing %d users", name, s.users)
	if err := serverproc.ImportUsers(ctx, s.bin, dataDir, s.usersFile); err != nil {
		return nil, err
	}
	all := map[string]string{"PROFILE_DATA_DIR": dataDir, "PROFILE_CATALOG": s.catalog}
	if s.profiles {
		addr, err := serverproc.FreeAddr()
		if err != nil {
			return nil, err
		}
		all["PROFILE_DEBUG_ADDR"] = addr
	}
	for k, v := range env {
		all[k] = v
	}
	srv, err := serverproc.Start(ctx, s.bin, all, filepath.Join(s.tmp, name+".log"))
	if err != nil {
		return nil, err
	}
	t, err := dialTarget(srv, s.grpcConns, s.concurrency, s.users)
	if err != nil {
		srv.Stop()
		return nil, err
	}
	t.bearer = bearer
	ts := &testServer{srv: srv, t: t}
	if err := prime(ctx, t, s.concurrency); err != nil {
		ts.close()
		return nil, fmt.Errorf("%s: %w\nserver log:\n%s", name, err, srv.LogTail())
	}
	return ts, nil
}

// startWithAuth starts a server that checks RS256 tokens from an in-process issuer; each user
// calls with a token of its own.
func (s serverSetup) startWithAuth(ctx context.Context, name string, logf func(string, ...any)) (*testServer, error) {
	iss, err := newIssuer()
	if err != nil {
		return nil, err
	}
	logf("%s: signing %d user tokens", name, s.users)
	bearer := make([]string, s.users)
	for u := range bearer {
		tok, err := iss.userToken(userID(u), time.Hour)
		if err != nil {
			iss.close()
			return nil, err
		}
		bearer[u] = "Bearer " + tok
	}
	service, err := iss.serviceToken("bench-backend", "read:profiles", time.Hour)
	if err != nil {
		iss.close()
		return nil, err
	}
	ts, err := s.start(ctx, name, iss.authEnv(), bearer, logf)
	if err != nil {
		iss.close()
		return nil, err
	}
	ts.t.service = "Bearer " + service
	ts.iss = iss
	return ts, nil
}

// steps binds the scenarios to ts, building each one's operations once for the whole run.
func (ts *testServer) steps(list []scenario, concurrency int) []step {
	out := make([]step, 0, len(list))
	for _, sc := range list {
		out = append(out, step{sc: sc, srv: ts.srv, ops: sc.ops(ts.t, concurrency)})
	}
	return out
}

// close closes the clients, stops the server, then the issuer it trusts.
func (ts *testServer) close() {
	ts.t.close()
	ts.srv.Stop()
	if ts.iss != nil {
		ts.iss.close()
	}
}
