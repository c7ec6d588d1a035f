package main

import (
	"context"
	"fmt"
	"time"

	"github.com/acme/progressive-profiling/server/bench/internal/load"
	"github.com/acme/progressive-profiling/server/bench/internal/procstat"
)

// settle is the pause between scenarios, so that one's trailing work (group commits, closing
// connections) is not billed to the next.
const settle = 200 * time.Millisecond

// measurement is one scenario's figures.
type measurement struct {
	sc  scenario
	res load.Result
	// cpu is the server's user+system CPU time over the measured run.
	cpu time.Duration
}

// cpuPerRequest is the server's CPU time per request served.
func (m measurement) cpuPerRequest() time.Duration {
	if m.res.Requests == 0 {
		return 0
	}
	return m.cpu / time.Duration(m.res.Requests)
}

// measure warms sc up, then runs it for opts.duration while reading the server's CPU time
// before and after.
func measure(ctx context.Context, opts options, srv *serverProc, t *target, sc scenario) (measurement, error) {
	ops := sc.ops(t, opts.concurrency)
	newOp := func(w int) load.Op { return ops[w] }
	if opts.warmup > 0 {
		load.Run(ctx, load.Config{Concurrency: opts.concurrency, Duration: opts.warmup}, newOp)
	}
	u0, s0, err := procstat.CPUTime(srv.pid())
	if err != nil {
		return measurement{}, fmt.Errorf("server CPU time: %w", err)
	}
	res := load.Run(ctx, load.Config{Concurrency: opts.concurrency, Duration: opts.duration}, newOp)
	u1, s1, err := procstat.CPUTime(srv.pid())
	if err != nil {
		return measurement{}, fmt.Errorf("server CPU time: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return measurement{}, err
	}
	return measurement{sc: sc, res: res, cpu: (u1 - u0) + (s1 - s0)}, nil
}

// runScenarios measures each scenario in turn against one server and logs progress to logf.
func runScenarios(ctx context.Context, opts options, srv *serverProc, t *target, list []scenario, logf func(string, ...any)) ([]measurement, error) {
	var out []measurement
	for _, sc := range list {
		logf("running %s (%s %s) for %s after %s warm-up", sc.name, sc.transport, sc.call, opts.duration, opts.warmup)
		m, err := measure(ctx, opts, srv, t, sc)
		if err != nil {
			return out, fmt.Errorf("%s: %w", sc.name, err)
		}
		logf("  %d requests, %d errors, %.0f req/s, p50 %s, server CPU %s/req", m.res.Requests, m.res.Errors,
			m.res.Throughput(), fmtDur(m.res.Percentile(0.5)), fmtDur(m.cpuPerRequest()))
		if m.res.FirstError != nil {
			logf("  first error: %v", m.res.FirstError)
		}
		out = append(out, m)
		select {
		case <-ctx.Done():
			return out, ctx.Err()
		case <-time.After(settle):
		}
	}
	return out, nil
}

// prime reads every user's prompt once, so that measured reads find cached profiles (and, with
// caller auth on, already verified tokens).
func prime(ctx context.Context, t *target, concurrency int) error {
	ops := grpcGetOps(t, concurrency)
	errs := make(chan error, concurrency)
	for w := range concurrency {
		go func() {
			var first error
			for range workerUsers(w, concurrency, t.users) {
				if err := ops[w](ctx); err != nil && first == nil {
					first = err
				}
			}
			errs <- first
		}()
	}
	var first error
	for range concurrency {
		if err := <-errs; err != nil && first == nil {
			first = err
		}
	}
	if first != nil {
		return fmt.Errorf("priming the cache: %w", first)
	}
	return nil
}
