package main

import (
	"context"
	"fmt"
	"time"

	"github.com/acme/progressive-profiling/server/bench/internal/procstat"
)

// settle is the pause after each scenario, so that one's trailing work (group commits, closing
// connections) is not billed to the next.
const settle = 200 * time.Millisecond

// measureFunc measures one step: an unmeasured warm-up, then a measured run of d.
type measureFunc func(ctx context.Context, st step, warmup, d time.Duration) (measurement, error)

// roundInfo is what the machine did during one round.
type roundInfo struct {
	round   int
	elapsed time.Duration
	// busy and steal are the shares of the machine's CPU time that something used and that
	// the hypervisor gave to other guests during the round; negative when unknown.
	busy, steal float64
}

// rounds runs the steps: a warm-up pass whose figures are discarded, then n rounds that each
// measure every step once, always in the same order.
type rounds struct {
	n                  int
	warmupPass, warmup time.Duration
	duration, settle   time.Duration
	measure            measureFunc
	// profile, when set, measures the steps of round 1 instead of measure (see profiled).
	profile measureFunc
	logf    func(string, ...any)
}

func newRounds(opts options, logf func(string, ...any)) rounds {
	rs := rounds{
		n: opts.rounds, warmupPass: opts.warmupPass, warmup: opts.warmup,
		duration: opts.duration, settle: settle, measure: measure, logf: logf,
	}
	if opts.profileDir != "" {
		rs.profile = profiled(measure, opts.profileDir, logf)
	}
	return rs
}

// run returns the measurements of every round, in the order they were taken, and what the
// machine did in each round.
func (rs rounds) run(ctx context.Context, steps []step) ([]measurement, []roundInfo, error) {
	if err := rs.warm(ctx, steps); err != nil {
		return nil, nil, err
	}
	var runs []measurement
	var infos []roundInfo
	for r := 1; r <= rs.n; r++ {
		rs.logf("round %d of %d: %d scenarios, %s each after %s of warm-up", r, rs.n, len(steps), rs.duration, rs.warmup)
		start, m0 := time.Now(), readMachine()
		measureStep := rs.measure
		if r == 1 && rs.profile != nil {
			measureStep = rs.profile
		}
		for _, st := range steps {
			m, err := measureStep(ctx, st, rs.warmup, rs.duration)
			if err != nil {
				return runs, infos, fmt.Errorf("round %d, %s: %w", r, st.sc.name, err)
			}
			m.round = r
			logMeasurement(rs.logf, m)
			runs = append(runs, m)
			if err := pause(ctx, rs.settle); err != nil {
				return runs, infos, err
			}
		}
		infos = append(infos, newRoundInfo(r, time.Since(start), m0, readMachine()))
	}
	return runs, infos, nil
}

// warm runs every step once for warmupPass before the first round, so that the first measured
// scenario does not pay for a cold server (connections, caches, heap size, CPU clocks).
func (rs rounds) warm(ctx context.Context, steps []step) error {
	if rs.warmupPass <= 0 {
		return nil
	}
	rs.logf("warm-up pass: %d scenarios, %s each, figures discarded", len(steps), rs.warmupPass)
	for _, st := range steps {
		if _, err := rs.measure(ctx, st, 0, rs.warmupPass); err != nil {
			return fmt.Errorf("warm-up pass, %s: %w", st.sc.name, err)
		}
		if err := pause(ctx, rs.settle); err != nil {
			return err
		}
	}
	return nil
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

// readMachine reads the machine's CPU times; nil when they cannot be read.
func readMachine() *procstat.Machine {
	m, err := procstat.ReadMachine()
	if err != nil {
		return nil
	}
	return &m
}

// newRoundInfo describes a round from the machine's CPU times at its start (m0) and end (m1).
func newRoundInfo(round int, elapsed time.Duration, m0, m1 *procstat.Machine) roundInfo {
	info := roundInfo{round: round, elapsed: elapsed, busy: -1, steal: -1}
	if m0 != nil && m1 != nil && m1.Total > m0.Total {
		info.steal = m1.StealShare(*m0)
		info.busy = m1.BusyShare(*m0)
	}
	return info
}
