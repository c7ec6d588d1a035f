package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	if err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "bench:", err)
		}
		os.Exit(1)
	}
}

// run parses args, runs every selected part of the benchmark, prints the markdown report to
// stdout and progress to stderr. Servers and temporary files are gone when it returns.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	opts, err := parseOptions(args, stderr)
	if err != nil {
		return err
	}
	logf := func(format string, a ...any) {
		fmt.Fprintf(stderr, "%s  %s\n", time.Now().Format("15:04:05"), fmt.Sprintf(format, a...))
	}
	r, err := collect(ctx, opts, logf)
	if err != nil {
		return err
	}
	var report bytes.Buffer
	writeReport(&report, r)
	if _, err := stdout.Write(report.Bytes()); err != nil {
		return err
	}
	if opts.out != "" {
		if err := os.WriteFile(opts.out, report.Bytes(), 0o644); err != nil {
			return fmt.Errorf("-out: %w", err)
		}
		logf("report written to %s", opts.out)
	}
	return nil
}

// collect runs every selected part of the benchmark in a temporary folder, which it removes.
func collect(ctx context.Context, opts options, logf func(string, ...any)) (results, error) {
	tmp, err := os.MkdirTemp("", "profile-bench-")
	if err != nil {
		return results{}, err
	}
	defer os.RemoveAll(tmp)

	r := results{opts: opts, machine: describeMachine(ctx)}
	if err := runLoad(ctx, opts, tmp, &r, logf); err != nil {
		return r, err
	}
	if opts.auth0 {
		j, err := runAuth0Journey(ctx, opts, r.bin(tmp), tmp, logf)
		if err := partFailed(ctx, &r, "Auth0 mode", err); err != nil {
			return r, err
		}
		if err == nil {
			r.journey = &j
		}
	}
	if opts.memory {
		mem, err := measureMemory(ctx, opts, tmp, logf)
		if err := partFailed(ctx, &r, "memory", err); err != nil {
			return r, err
		}
		r.memory = mem
	}
	return r, nil
}

// partFailed records a failed optional part in the report; it returns an error only when the
// run was interrupted.
func partFailed(ctx context.Context, r *results, part string, err error) error {
	if err == nil {
		return nil
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	r.failures = append(r.failures, fmt.Sprintf("%s: %v", part, err))
	return nil
}

// serverBinName is where the built server binary lives in the temporary folder.
const serverBinName = "profile-server"

// bin is the server binary: -server-bin, or the one built into tmp.
func (r results) bin(tmp string) string {
	if r.opts.serverBin != "" {
		return r.opts.serverBin
	}
	return filepath.Join(tmp, serverBinName)
}

// runLoad builds the server, imports the users, then measures the scenarios on a server with
// caller auth off and, when selected, on one with caller auth on.
func runLoad(ctx context.Context, opts options, tmp string, r *results, logf func(string, ...any)) error {
	if opts.serverBin == "" {
		logf("building the server")
		if _, err := buildServer(ctx, tmp); err != nil {
			return err
		}
	}
	catalog, usersFile, err := writeFixtures(tmp, opts.users)
	if err != nil {
		return err
	}
	plain, withAuth := opts.selected(false), opts.selected(true)
	if len(plain) == 0 && len(withAuth) == 0 {
		return nil
	}
	dataDir := filepath.Join(tmp, "data")
	logf("importing %d users", opts.users)
	if err := importUsers(ctx, r.bin(tmp), dataDir, usersFile); err != nil {
		return err
	}
	env := map[string]string{"PROFILE_DATA_DIR": dataDir, "PROFILE_CATALOG": catalog}
	if len(plain) > 0 {
		runs, err := loadServer(ctx, opts, r.bin(tmp), env, filepath.Join(tmp, "server.log"), nil, plain, logf)
		r.runs = append(r.runs, runs...)
		if err != nil {
			return err
		}
	}
	if len(withAuth) > 0 {
		runs, err := loadAuthServer(ctx, opts, r.bin(tmp), env, tmp, withAuth, logf)
		r.runs = append(r.runs, runs...)
		if err != nil {
			return err
		}
	}
	return nil
}

// loadAuthServer runs scenarios on a server that checks RS256 tokens from an in-process issuer;
// each user calls with a token of its own.
func loadAuthServer(ctx context.Context, opts options, bin string, env map[string]string, tmp string, list []scenario, logf func(string, ...any)) ([]measurement, error) {
	iss, err := newIssuer()
	if err != nil {
		return nil, err
	}
	defer iss.close()
	logf("signing %d user tokens", opts.users)
	bearer := make([]string, opts.users)
	for u := range bearer {
		tok, err := iss.userToken(userID(u), time.Hour)
		if err != nil {
			return nil, err
		}
		bearer[u] = "Bearer " + tok
	}
	authEnv := iss.authEnv()
	for k, v := range env {
		authEnv[k] = v
	}
	return loadServer(ctx, opts, bin, authEnv, filepath.Join(tmp, "server-auth.log"), bearer, list, logf)
}

// loadServer starts a server with env, primes its cache and measures the scenarios.
func loadServer(ctx context.Context, opts options, bin string, env map[string]string, logPath string, bearer []string, list []scenario, logf func(string, ...any)) ([]measurement, error) {
	srv, err := startServer(ctx, bin, env, logPath)
	if err != nil {
		return nil, err
	}
	defer srv.stop()
	t, err := dialTarget(srv, opts.grpcConns, opts.concurrency, opts.users)
	if err != nil {
		return nil, err
	}
	defer t.close()
	t.bearer = bearer
	if err := prime(ctx, t, opts.concurrency); err != nil {
		return nil, fmt.Errorf("%w\nserver log:\n%s", err, srv.logTail())
	}
	return runScenarios(ctx, opts, srv, t, list, logf)
}
