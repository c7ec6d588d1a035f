package main

import (
	"fmt"
	"time"

	"github.com/acme/progressive-profiling/server/bench/internal/load"
)

// cachedLimit is the latency under which a journey step counts as not having waited on Auth0:
// half the added upstream latency.
func cachedLimit(latency time.Duration) time.Duration { return latency / 2 }

// check is one target of issue 6 and how the run fared against it.
type check struct {
	target string
	// ratio holds the per-round ratios of a ratio target; nil for the other targets.
	ratio    *spread
	measured string
	limit    string
	pass     bool
}

// results gathers everything a run measured.
type results struct {
	opts    options
	machine machine
	// runs are the measured runs of every round (the warm-up pass is not kept).
	runs   []measurement
	rounds []roundInfo
	// loadavgEnd is the 1-minute load average when the load rounds ended.
	loadavgEnd string
	journey    *journeyResult
	replicas   *replicasResult
	memory     []memoryResult
	failures   []string // parts that could not run
}

// ratioCheck judges a ratio target on the median of its per-round ratios; atMost says whether
// limit is a ceiling or a floor.
func ratioCheck(target string, s spread, limit float64, atMost bool) check {
	c := check{target: target, ratio: &s, measured: fmt.Sprintf("%.2fx", s.median)}
	if atMost {
		c.limit = fmt.Sprintf("≤ %.2fx", limit)
		c.pass = s.rounds() > 0 && s.median > 0 && s.median <= limit
	} else {
		c.limit = fmt.Sprintf("≥ %.2fx", limit)
		c.pass = s.rounds() > 0 && s.median >= limit
	}
	return c
}

// checks evaluates the targets whose scenarios ran. Each ratio is taken per round, numerator
// and denominator from the same round, and judged on its median over rounds.
func (r results) checks() []check {
	var out []check
	add := func(num, den string, f func(measurement) float64, target string, limit float64, atMost bool) {
		if r.ran(num) && r.ran(den) {
			out = append(out, ratioCheck(target, r.ratio(num, den, f), limit, atMost))
		}
	}
	add(scGRPCGet, scGRPCHealth, cpuPerReq, "GetMissingFields gRPC: server CPU/req vs Health/Check", 1.25, true)
	add(scGRPCGet, scGRPCHealth, throughput, "GetMissingFields gRPC: throughput vs Health/Check", 0.8, false)
	add(scRESTGet, scGRPCGet, cpuPerReq, "GetMissingFields REST: server CPU/req vs gRPC GetMissingFields", 2, true)
	add(scGRPCSubmit, scGRPCHealth, throughput, "SubmitFields gRPC (embedded, durable): throughput vs Health/Check", 0.4, false)
	authBase := r.baselineFor(scenario{auth: true})
	authTarget := "GetMissingFields gRPC, caller auth on: server CPU/req vs Health/Check on the same server"
	if authBase != scGRPCHealthAuth {
		authTarget = "GetMissingFields gRPC, caller auth on: server CPU/req vs Health/Check on the server without auth"
	}
	add(scGRPCGetService, authBase, cpuPerReq, authTarget+", one service token", 1.5, true)
	add(scGRPCGetAuth, authBase, cpuPerReq, authTarget+", a token per user", 1.5, true)
	// Like for like: the same per-user tokens on both sides, so that the ratio holds what the
	// service does with a token and not what gRPC spends receiving an 800-byte header.
	add(scGRPCGetAuth, scGRPCHealthToken, cpuPerReq,
		"GetMissingFields gRPC, caller auth on: server CPU/req vs Health/Check carrying the same per-user tokens", 1.5, true)
	if r.journey != nil {
		out = append(out, r.journey.checks()...)
	}
	if r.replicas != nil {
		out = append(out, r.replicas.checks(r.journey)...)
	}
	return out
}

// checks evaluates the Auth0-mode targets: at most 2 GET and 2 PATCH per journey (the
// subscription rebuilds a nested object from what Auth0 holds, read under the user's lock), and
// cached steps never waiting on Auth0.
func (j journeyResult) checks() []check {
	gets, patches := j.perJourney()
	errs := 0
	for _, s := range j.steps {
		errs += s.errors
	}
	out := []check{
		{target: "Auth0 mode: upstream GET per journey", measured: fmt.Sprintf("%.2f", gets), limit: "≤ 2", pass: errs == 0 && gets <= 2},
		{target: "Auth0 mode: upstream PATCH per journey", measured: fmt.Sprintf("%.2f", patches), limit: "≤ 2", pass: errs == 0 && patches <= 2},
	}
	limit := cachedLimit(j.latency)
	var worst time.Duration
	for _, s := range j.steps {
		if s.step.cached {
			worst = max(worst, load.Percentile(s.latencies, 1))
		}
	}
	out = append(out, check{
		target:   "Auth0 mode: slowest RPC served from cache (no wait on Auth0)",
		measured: fmtDur(worst),
		limit:    fmt.Sprintf("< %s (half the added latency)", fmtDur(limit)),
		pass:     errs == 0 && worst > 0 && worst < limit,
	})
	return out
}
