package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"maps"
	"path/filepath"

	"github.com/acme/progressive-profiling/server/internal/auth/authtest"
	"github.com/acme/progressive-profiling/server/internal/serverproc"
)

// auth0StoreUsers is the number of users the servers on the Auth0 store serve under load.
const auth0StoreUsers = 500

// serverSetup is what every benchmarked server is started from.
type serverSetup struct {
	bin, tmp           string
	catalog, usersFile string
	users              int
	concurrency        int
	grpcConns          int
	// dbl and redisURL serve the servers on the Auth0 store.
	dbl      *serverproc.Double
	redisURL string
}

// testServer is a running server, the clients that drive it and, with caller auth on, the
// token issuer it trusts.
type testServer struct {
	srv *serverproc.Proc
	d   *driver
	iss *authtest.Issuer
}

var serverNames = map[serverKind]string{
	plainServer: "server", authServer: "server-auth", auth0Server: "server-auth0", redisServer: "server-auth0-redis",
}

// start starts a server of the given kind and primes its cache. A server on the embedded store
// gets the users imported into a data folder of its own (the store locks its file, so two
// servers cannot share one); with caller auth on, each user calls with a token of its own.
func (s serverSetup) start(ctx context.Context, kind serverKind, logf func(string, ...any)) (ts *testServer, err error) {
	name := serverNames[kind]
	ts = &testServer{}
	defer func() {
		if err != nil {
			ts.close()
			err = fmt.Errorf("%s: %w", name, err)
		}
	}()
	env, users := map[string]string{"PROFILE_CATALOG": s.catalog}, s.users
	switch kind {
	case plainServer, authServer:
		env["PROFILE_DATA_DIR"] = filepath.Join(s.tmp, name+"-data")
		logf("%s: importing %d users", name, s.users)
		if err := serverproc.ImportUsers(ctx, s.bin, env["PROFILE_DATA_DIR"], s.usersFile); err != nil {
			return ts, err
		}
	case auth0Server:
		users = auth0StoreUsers
		maps.Copy(env, onDouble(s.dbl, "", generous))
	case redisServer:
		users = auth0StoreUsers
		maps.Copy(env, onDouble(s.dbl, s.redisURL, generous))
	}
	var bearer []string
	var service string
	if kind == authServer {
		if ts.iss, err = authtest.New(); err != nil {
			return ts, err
		}
		logf("%s: signing %d user tokens", name, users)
		if bearer, service, err = bearers(ts.iss, users); err != nil {
			return ts, err
		}
		maps.Copy(env, authEnv(ts.iss))
	}
	if ts.srv, err = serverproc.Start(ctx, s.bin, env, filepath.Join(s.tmp, name+".log")); err != nil {
		return ts, err
	}
	if ts.d, err = dial(ts.srv, s.grpcConns, s.concurrency, users); err != nil {
		return ts, err
	}
	ts.d.bearer, ts.d.service = bearer, service
	if err := prime(ctx, ts.d, s.concurrency); err != nil {
		return ts, fmt.Errorf("%w\nserver log:\n%s", err, ts.srv.LogTail())
	}
	return ts, nil
}

// steps binds the scenarios to ts, building each one's operations once for the whole run.
func (ts *testServer) steps(list []scenario, concurrency int) []step {
	out := make([]step, 0, len(list))
	for _, sc := range list {
		out = append(out, step{sc: sc, srv: ts.srv, ops: sc.ops(ts.d, concurrency)})
	}
	return out
}

// close closes the clients, stops the server, then the issuer it trusts.
func (ts *testServer) close() {
	if ts.d != nil {
		ts.d.close()
	}
	if ts.srv != nil {
		ts.srv.Stop()
	}
	if ts.iss != nil {
		ts.iss.Close()
	}
}

// generous lets servers on the Auth0 store use the double without holding back.
var generous = map[string]string{
	"AUTH0_READS_PER_SECOND": "10000", "AUTH0_READ_BURST": "10000",
	"AUTH0_WRITES_PER_SECOND": "10000", "AUTH0_WRITE_BURST": "10000",
}

// onDouble is the configuration of a server on the Auth0 store against dbl, logging warnings
// only, with extra added; with a redisURL, it shares that Redis under a key prefix of its own.
func onDouble(dbl *serverproc.Double, redisURL string, extra map[string]string) map[string]string {
	env := dbl.StoreEnv()
	env["PROFILE_LOG_LEVEL"] = "warn"
	if redisURL != "" {
		b := make([]byte, 6)
		_, _ = rand.Read(b)
		env["PROFILE_REDIS_URL"], env["PROFILE_REDIS_PREFIX"] = redisURL, "profile-bench:"+hex.EncodeToString(b)+":"
	}
	maps.Copy(env, extra)
	return env
}
