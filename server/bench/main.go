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

// bins are the commands the benchmark starts: the server, and the Management API double.
type bins struct{ server, double string }

// build builds the server (unless -server-bin names one) and the double into tmp.
func build(ctx context.Context, opts options, tmp string, logf func(string, ...any)) (bins, error) {
	b := bins{server: opts.serverBin}
	logf("building the server and the Management API double")
	var err error
	if b.server == "" {
		if b.server, err = serverproc.Build(ctx, tmp); err != nil {
			return b, err
		}
	}
	b.double, err = serverproc.BuildDouble(ctx, tmp)
	return b, err
}

// collect runs every selected part of the benchmark in a temporary folder, which it removes.
// A part after the load rounds that fails is reported, not fatal.
func collect(ctx context.Context, opts options, logf func(string, ...any)) (results, error) {
	tmp, err := os.MkdirTemp("", "profile-bench-")
	if err != nil {
		return results{}, err
	}
	defer os.RemoveAll(tmp)

	r := results{opts: opts, machine: describeMachine(ctx)}
	if opts.replicas {
		if err := pingRedis(ctx, opts.redisURL); err != nil {
			r.failures = append(r.failures, "replicas: "+err.Error())
			r.opts.replicas, opts.replicas = false, false
		}
	}
	b, err := build(ctx, opts, tmp, logf)
	if err != nil {
		return r, err
	}
	if err := runLoad(ctx, opts, b, tmp, &r, logf); err != nil {
		return r, err
	}
	parts := []struct {
		name string
		on   bool
		run  func() error
	}{
		{"Auth0 mode", opts.auth0, func() (err error) { r.journey, err = runJourney(ctx, opts, b, tmp, logf); return err }},
		{"replicas", opts.replicas, func() (err error) { r.replicas, err = runReplicas(ctx, opts, b, tmp, logf); return err }},
		{"memory", opts.memory, func() (err error) { r.memory, err = measureMemory(ctx, opts, b, tmp, logf); return err }},
	}
	for _, p := range parts {
		if !p.on {
			continue
		}
		if err := p.run(); err != nil {
			if ctx.Err() != nil {
				return r, ctx.Err()
			}
			r.failures = append(r.failures, fmt.Sprintf("%s: %v", p.name, err))
		}
	}
	return r, nil
}

// runLoad starts one server of each kind the selected scenarios run on, each with its own
// copy of the users, and measures the scenarios in interleaved rounds while all run.
func runLoad(ctx context.Context, opts options, b bins, tmp string, r *results, logf func(string, ...any)) error {
	selected := opts.selected()
	if len(selected) == 0 {
		return nil
	}
	catalog, usersFile, err := writeFixtures(tmp, opts.users)
	if err != nil {
		return err
	}
	setup := serverSetup{
		bin: b.server, tmp: tmp, catalog: catalog, usersFile: usersFile,
		users: opts.users, concurrency: opts.concurrency, grpcConns: opts.grpcConns,
		redisURL: opts.redisURL,
	}
	var steps []step
	for _, kind := range []serverKind{plainServer, authServer, auth0Server, redisServer} {
		var list []scenario
		for _, sc := range selected {
			if sc.server == kind {
				list = append(list, sc)
			}
		}
		if len(list) == 0 {
			continue
		}
		if (kind == auth0Server || kind == redisServer) && setup.dbl == nil {
			if setup.dbl, err = startDouble(ctx, b, tmp, "load", auth0StoreUsers, prefilledMetadata); err != nil {
				return err
			}
			defer setup.dbl.Stop()
		}
		ts, err := setup.start(ctx, kind, logf)
		if err != nil {
			return err
		}
		defer ts.close()
		steps = append(steps, ts.steps(list, opts.concurrency)...)
	}
	r.runs, err = newRounds(opts, logf).run(ctx, steps)
	r.loadavgEnd = loadAverage()
	return err
}
