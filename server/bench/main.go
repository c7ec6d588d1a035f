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

	"github.com/acme/progressive-profiling/server/internal/serverproc"
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
	var report bytes.Buffer
	if opts.flood {
		tmp, err := os.MkdirTemp("", "profile-bench-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(tmp)
		m := describeMachine(ctx)
		fr, err := runFlood(ctx, opts, tmp, logf)
		if err != nil {
			return err
		}
		writeFloodReport(&report, fr, m)
	} else {
		r, err := collect(ctx, opts, logf)
		if err != nil {
			return err
		}
		writeReport(&report, r)
	}
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
	if opts.replicas {
		rep, err := runReplicas(ctx, opts, r.bin(tmp), tmp, logf)
		if err := partFailed(ctx, &r, "replicas", err); err != nil {
			return r, err
		}
		if err == nil {
			r.replicas = &rep
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
const serverBinName = serverproc.BinName

// bin is the server binary: -server-bin, or the one built into tmp.
func (r results) bin(tmp string) string {
	if r.opts.serverBin != "" {
		return r.opts.serverBin
	}
	return filepath.Join(tmp, serverBinName)
}

// runLoad builds the server, starts one server per kind of scenario selected (caller auth off,
// caller auth on), each on its own copy of the users, and measures the scenarios of both in
// interleaved rounds while both run.
func runLoad(ctx context.Context, opts options, tmp string, r *results, logf func(string, ...any)) error {
	if opts.serverBin == "" {
		logf("building the server")
		if _, err := serverproc.Build(ctx, tmp); err != nil {
			return err
		}
	}
	plain, withAuth := opts.selected(false), opts.selected(true)
	if len(plain) == 0 && len(withAuth) == 0 {
		return nil
	}
	catalog, usersFile, err := writeFixtures(tmp, opts.users)
	if err != nil {
		return err
	}
	setup := serverSetup{
		bin: r.bin(tmp), tmp: tmp, catalog: catalog, usersFile: usersFile,
		users: opts.users, concurrency: opts.concurrency, grpcConns: opts.grpcConns,
		profiles: opts.profileDir != "",
	}
	var steps []step
	if len(plain) > 0 {
		ts, err := setup.start(ctx, "server", nil, nil, logf)
		if err != nil {
			return err
		}
		defer ts.close()
		steps = append(steps, ts.steps(plain, opts.concurrency)...)
	}
	if len(withAuth) > 0 {
		ts, err := setup.startWithAuth(ctx, "server-auth", logf)
		if err != nil {
			return err
		}
		defer ts.close()
		steps = append(steps, ts.steps(withAuth, opts.concurrency)...)
	}
	r.runs, r.rounds, err = newRounds(opts, logf).run(ctx, steps)
	r.loadavgEnd = loadAverage()
	return err
}
