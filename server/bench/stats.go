package main

import (
	"cmp"
	"slices"
)

// spread is one figure measured in every round: its per-round values and their median and
// range. Targets are judged on the median.
type spread struct {
	perRound []float64 // in round order
	median   float64
	min, max float64
}

// newSpread summarises per-round values; the median of an even count is the mean of the two
// middle values.
func newSpread(perRound []float64) spread {
	s := spread{perRound: perRound}
	if len(perRound) == 0 {
		return s
	}
	sorted := slices.Sorted(slices.Values(perRound))
	n := len(sorted)
	s.min, s.max = sorted[0], sorted[n-1]
	s.median = sorted[n/2]
	if n%2 == 0 {
		s.median = (sorted[n/2-1] + sorted[n/2]) / 2
	}
	return s
}

// rounds returns how many rounds the spread holds.
func (s spread) rounds() int { return len(s.perRound) }

// scenarioRuns returns the measurements of the scenario called name, in round order.
func (r results) scenarioRuns(name string) []measurement {
	var out []measurement
	for _, m := range r.runs {
		if m.sc.name == name {
			out = append(out, m)
		}
	}
	slices.SortFunc(out, func(a, b measurement) int { return a.round - b.round })
	return out
}

// ran reports whether the scenario called name was measured.
func (r results) ran(name string) bool { return len(r.scenarioRuns(name)) > 0 }

// inRound returns the measurement of the scenario called name in round.
func (r results) inRound(name string, round int) (measurement, bool) {
	for _, m := range r.runs {
		if m.sc.name == name && m.round == round {
			return m, true
		}
	}
	return measurement{}, false
}

// throughput is the successful calls per second of a run.
func throughput(m measurement) float64 { return m.res.Throughput() }

// cpuPerReq is the server's CPU time per request of a run, in seconds.
func cpuPerReq(m measurement) float64 {
	if m.res.Requests == 0 {
		return 0
	}
	return m.cpu.Seconds() / float64(m.res.Requests)
}

// figure is the spread of f over the scenario's rounds.
func (r results) figure(name string, f func(measurement) float64) spread {
	var vals []float64
	for _, m := range r.scenarioRuns(name) {
		vals = append(vals, f(m))
	}
	return newSpread(vals)
}

// ratio is the spread over rounds of f(num)/f(den), each ratio from two runs of one round.
// Rounds where either scenario is missing or the denominator is zero are left out.
func (r results) ratio(num, den string, f func(measurement) float64) spread {
	var vals []float64
	for _, n := range r.scenarioRuns(num) {
		d, ok := r.inRound(den, n.round)
		if !ok || f(d) == 0 {
			continue
		}
		vals = append(vals, f(n)/f(d))
	}
	return newSpread(vals)
}

// medianRun is the scenario's run with the median throughput (the lower middle one for an
// even count of rounds); its latency percentiles are the ones reported, so that a row's
// latencies and throughput come from one run, as they depend on each other in a closed loop.
func (r results) medianRun(name string) (measurement, bool) {
	runs := r.scenarioRuns(name)
	if len(runs) == 0 {
		return measurement{}, false
	}
	slices.SortStableFunc(runs, func(a, b measurement) int { return cmp.Compare(throughput(a), throughput(b)) })
	return runs[(len(runs)-1)/2], true
}

// baselineFor is the Health/Check scenario a scenario's CPU ratio is taken against: the one on
// the same server, or the first server's when the caller-auth server's was not run.
func (r results) baselineFor(sc scenario) string {
	if sc.auth && r.ran(scGRPCHealthAuth) {
		return scGRPCHealthAuth
	}
	return scGRPCHealth
}
