package main

import (
	"context"
	"fmt"
	"time"
)

// settle is the pause after each scenario, so that one's trailing work (group commits, closing
// connections) is not billed to the next.
const settle = 200 * time.Millisecond

// measureFunc measures one step: an unmeasured warm-up, then a measured run of d.
type measureFunc func(ctx context.Context, st step, warmup, d time.Duration) (measurement, error)

// rounds runs the steps: a warm-up pass whose figures are discarded, then n rounds that each
// measure every step once, always in the same order.
type rounds struct {
	n                  int
	warmupPass, warmup time.Duration
	duration, settle   time.Duration
	measure            measureFunc
	logf               func(string, ...any)
}

func newRounds(opts options, logf func(string, ...any)) rounds {
	return rounds{
		n: opts.rounds, warmupPass: opts.warmupPass, warmup: opts.warmup,
		duration: opts.duration, settle: settle, measure: measure, logf: logf,
	}
}

// run returns the measurements of every round, in the order they were taken.
func (rs rounds) run(ctx context.Context, steps []step) ([]measurement, error) {
	if rs.warmupPass > 0 {
		rs.logf("warm-up pass: %d scenarios, %s each, figures discarded", len(steps), rs.warmupPass)
		if _, err := rs.pass(ctx, steps, 0, 0, rs.warmupPass); err != nil {
			return nil, fmt.Errorf("warm-up pass, %w", err)
		}
	}
	var runs []measurement
	for r := 1; r <= rs.n; r++ {
		rs.logf("round %d of %d: %d scenarios, %s each after %s of warm-up", r, rs.n, len(steps), rs.duration, rs.warmup)
		ms, err := rs.pass(ctx, steps, r, rs.warmup, rs.duration)
		runs = append(runs, ms...)
		if err != nil {
			return runs, fmt.Errorf("round %d, %w", r, err)
		}
	}
	return runs, nil
}

// pass measures every step once, in order, as round (0 for the warm-up pass, which logs nothing).
func (rs rounds) pass(ctx context.Context, steps []step, round int, warmup, d time.Duration) ([]measurement, error) {
	var out []measurement
	for _, st := range steps {
		m, err := rs.measure(ctx, st, warmup, d)
		if err != nil {
			return out, fmt.Errorf("%s: %w", st.sc.name, err)
		}
		if m.round = round; round > 0 {
			logMeasurement(rs.logf, m)
			out = append(out, m)
		}
		if err := pause(ctx, rs.settle); err != nil {
			return out, err
		}
	}
	return out, nil
}

func logMeasurement(logf func(string, ...any), m measurement) {
	logf("  %-24s %7d requests, %d errors, %6.0f req/s, p50 %s, server CPU %s/req", m.sc.name, m.res.Requests,
		m.res.Errors, m.res.Throughput(), fmtDur(m.res.Percentile(0.5)), fmtMicros(cpuPerReq(m)))
	if m.res.FirstError != nil {
		logf("  first error: %v", m.res.FirstError)
	}
}

// pause waits for d or until ctx is done.
func pause(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(d):
		return nil
	}
}
