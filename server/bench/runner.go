package main

import (
	"context"
	"fmt"
	"time"

	"github.com/acme/progressive-profiling/server/bench/internal/load"
	"github.com/acme/progressive-profiling/server/bench/internal/procstat"
	"github.com/acme/progressive-profiling/server/internal/serverproc"
)

// measurement is one scenario's figures in one round.
type measurement struct {
	sc scenario
	// round is 1-based.
	round int
	res   load.Result
	// cpu is the server's user+system CPU time over the measured run.
	cpu time.Duration
}

// step is one scenario bound to the server it runs on. Its operations are built once, so
// per-worker state (the user cycle, write counters, subscription toggles) carries over from the
// warm-up pass through every round and every write really changes something.
type step struct {
	sc  scenario
	srv *serverproc.Proc
	ops []load.Op
}

// run drives st's operations for d, or until ctx is done.
func (st step) run(ctx context.Context, d time.Duration) load.Result {
	return load.Run(ctx, load.Config{Concurrency: len(st.ops), Duration: d}, func(w int) load.Op { return st.ops[w] })
}

// measure warms st up for warmup, then runs it for d while reading the server's CPU time
// before and after.
func measure(ctx context.Context, st step, warmup, d time.Duration) (measurement, error) {
	if warmup > 0 {
		st.run(ctx, warmup)
	}
	u0, s0, err := procstat.CPUTime(st.srv.PID())
	if err != nil {
		return measurement{}, fmt.Errorf("server CPU time: %w", err)
	}
	res := st.run(ctx, d)
	u1, s1, err := procstat.CPUTime(st.srv.PID())
	if err != nil {
		return measurement{}, fmt.Errorf("server CPU time: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return measurement{}, err
	}
	return measurement{sc: st.sc, res: res, cpu: (u1 - u0) + (s1 - s0)}, nil
}

// prime reads every user's prompt once, so that measured reads find cached profiles (and, with
// caller auth on, already verified tokens).
func prime(ctx context.Context, d *driver, concurrency int) error {
	ops := grpcGetOps(d, concurrency)
	errs := make(chan error, concurrency)
	for w := range concurrency {
		go func() {
			var first error
			for range workerUsers(w, concurrency, d.users) {
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
