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
	target   string
	measured string
	limit    string
	pass     bool
}

// results gathers everything a run measured.
type results struct {
	opts     options
	machine  machine
	runs     []measurement
	journey  *journeyResult
	memory   []memoryResult
	failures []string // parts that could not run
}

func (r results) find(name string) (measurement, bool) {
	for _, m := range r.runs {
		if m.sc.name == name {
			return m, true
		}
	}
	return measurement{}, false
}

// cpuPerReq is the server's CPU time per request, in seconds.
func cpuPerReq(m measurement) float64 {
	if m.res.Requests == 0 {
		return 0
	}
	return m.cpu.Seconds() / float64(m.res.Requests)
}

func ratio(a, b float64) float64 {
	if b == 0 {
		return 0
	}
	return a / b
}

// checks evaluates the targets whose scenarios ran.
func (r results) checks() []check {
	var out []check
	health, hasHealth := r.find(scGRPCHealth)
	get, hasGet := r.find(scGRPCGet)
	atMost := func(target string, v, limit float64) {
		out = append(out, check{target, fmt.Sprintf("%.2fx", v), fmt.Sprintf("≤ %.2fx", limit), v > 0 && v <= limit})
	}
	atLeast := func(target string, v, limit float64) {
		out = append(out, check{target, fmt.Sprintf("%.2fx", v), fmt.Sprintf("≥ %.2fx", limit), v >= limit})
	}
	if hasHealth && hasGet {
		atMost("GetMissingFields gRPC: server CPU/req vs Health/Check", ratio(cpuPerReq(get), cpuPerReq(health)), 1.25)
		atLeast("GetMissingFields gRPC: throughput vs Health/Check", ratio(get.res.Throughput(), health.res.Throughput()), 0.8)
	}
	if rest, ok := r.find(scRESTGet); ok && hasGet {
		atMost("GetMissingFields REST: server CPU/req vs gRPC GetMissingFields", ratio(cpuPerReq(rest), cpuPerReq(get)), 2)
	}
	if sub, ok := r.find(scGRPCSubmit); ok && hasHealth {
		atLeast("SubmitFields gRPC (embedded, durable): throughput vs Health/Check", ratio(sub.res.Throughput(), health.res.Throughput()), 0.4)
	}
	if a, ok := r.find(scGRPCGetAuth); ok && hasHealth {
		atMost("GetMissingFields gRPC, caller auth on: server CPU/req vs Health/Check", ratio(cpuPerReq(a), cpuPerReq(health)), 1.5)
	}
	if r.journey != nil {
		out = append(out, r.journey.checks()...)
	}
	return out
}

// checks evaluates the Auth0-mode targets: at most 1 GET and 2 PATCH per journey, and cached
// steps never waiting on Auth0.
func (j journeyResult) checks() []check {
	gets, patches := j.perJourney()
	errs := 0
	for _, s := range j.steps {
		errs += s.errors
	}
	out := []check{
		{"Auth0 mode: upstream GET per journey", fmt.Sprintf("%.2f", gets), "≤ 1", errs == 0 && gets <= 1},
		{"Auth0 mode: upstream PATCH per journey", fmt.Sprintf("%.2f", patches), "≤ 2", errs == 0 && patches <= 2},
	}
	limit := cachedLimit(j.latency)
	var worst time.Duration
	for _, s := range j.steps {
		if s.step.cached {
			worst = max(worst, load.Percentile(s.latencies, 1))
		}
	}
	out = append(out, check{
		"Auth0 mode: slowest RPC served from cache (no wait on Auth0)", fmtDur(worst),
		fmt.Sprintf("< %s (half the added latency)", fmtDur(limit)), errs == 0 && worst > 0 && worst < limit,
	})
	return out
}
