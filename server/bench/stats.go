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

// throughput is the successful calls per second of a run.
func throughput(m measurement) float64 { return m.res.Throughput() }

// cpuPerReq is the server's CPU time per request of a run, in seconds.
func cpuPerReq(m measurement) float64 {
	if m.res.Requests == 0 {
		return 0
	}
	return m.cpu.Seconds() / float64(m.res.Requests)
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
