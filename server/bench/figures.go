package main

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// figure is one measured value a target judges: measured in every round (as a scenario's CPU
// per request) or once (as the journey's calls).
type figure struct {
	values []float64
	// rounds holds the round of each value; nil for a figure measured once.
	rounds []int
	format func(float64) string
	// problem says why the figure cannot pass (errors while measuring it); empty when none.
	problem string
}

func (f figure) spread() spread { return newSpread(f.values) }

func times(v float64) string    { return fmt.Sprintf("%.2fx", v) }
func decimals(v float64) string { return fmt.Sprintf("%.2f", v) }
func whole(v float64) string    { return fmt.Sprintf("%.0f", v) }
func seconds(v float64) string  { return fmtDur(time.Duration(v * float64(time.Second))) }

// figure returns the figure called name (see targets.txt), false when it was not measured.
func (r results) figure(name string) (figure, bool) {
	if num, den, ok := strings.Cut(name, "/"); ok {
		a, okA := r.figure(num)
		b, okB := r.figure(den)
		return ratio(a, b), okA && okB
	}
	if f, ok := namedFigures[name]; ok {
		return f(r)
	}
	kind, sc, _ := strings.Cut(name, ":")
	of := map[string]func(measurement) float64{"cpu": cpuPerReq, "rps": throughput}[kind]
	runs := r.scenarioRuns(sc)
	if of == nil || len(runs) == 0 {
		return figure{}, false
	}
	f := figure{format: whole}
	if kind == "cpu" {
		f.format = fmtMicros
	}
	for _, m := range runs {
		f.values, f.rounds = append(f.values, of(m)), append(f.rounds, m.round)
	}
	return f, true
}

// ratio divides a by b, round by round when both are measured in every round. Rounds where
// either is missing or b is zero are left out.
func ratio(a, b figure) figure {
	out := figure{format: times, problem: strings.Trim(a.problem+"; "+b.problem, "; ")}
	if a.rounds == nil && b.rounds == nil && len(a.values) == 1 && len(b.values) == 1 && b.values[0] != 0 {
		out.values = []float64{a.values[0] / b.values[0]}
	}
	for i, round := range a.rounds {
		if j := slices.Index(b.rounds, round); j >= 0 && b.values[j] != 0 {
			out.values, out.rounds = append(out.values, a.values[i]/b.values[j]), append(out.rounds, round)
		}
	}
	return out
}

// once is a figure measured once.
func once(v float64, format func(float64) string, problem string) (figure, bool) {
	return figure{values: []float64{v}, format: format, problem: problem}, true
}

// namedFigures are the figures of the journey and replicas parts, by name.
var namedFigures = map[string]func(results) (figure, bool){
	"auth0:gets-per-journey":    func(r results) (figure, bool) { return journeyCalls(r.journey, true) },
	"auth0:patches-per-journey": func(r results) (figure, bool) { return journeyCalls(r.journey, false) },
	"auth0:slowest-cached": func(r results) (figure, bool) {
		if r.journey == nil {
			return figure{}, false
		}
		var worst time.Duration
		for _, s := range r.journey.steps {
			if s.step.cached {
				worst = max(worst, s.Percentile(1))
			}
		}
		return once(worst.Seconds(), seconds, errorsProblem(r.journey.errors()))
	},
	"replicas:gets-per-journey":    func(r results) (figure, bool) { return journeyCalls(replicasJourney(r), true) },
	"replicas:patches-per-journey": func(r results) (figure, bool) { return journeyCalls(replicasJourney(r), false) },
	"replicas:throttled": func(r results) (figure, bool) {
		if r.replicas == nil {
			return figure{}, false
		}
		b := r.replicas.budget
		problem := errorsProblem(b.errs)
		if b.noRetry > 0 {
			problem = fmt.Sprintf("%d RESOURCE_EXHAUSTED without RetryInfo", b.noRetry)
		}
		return once(float64(b.calls.Throttled), whole, problem)
	},
	"replicas:redis-per-cached-read": tripsPerCall(func(r *replicasResult) tripCount { return r.cachedReads }),
	"replicas:redis-per-submit":      tripsPerCall(func(r *replicasResult) tripCount { return r.writes }),
	"replicas:redis-per-subscribe":   tripsPerCall(func(r *replicasResult) tripCount { return r.subscribes }),
}

func errorsProblem(n int) string {
	if n == 0 {
		return ""
	}
	return fmt.Sprintf("%d errors", n)
}

func replicasJourney(r results) *journeyResult {
	if r.replicas == nil {
		return nil
	}
	return &r.replicas.journey
}

// journeyCalls is the Management API GETs (or PATCHes) per journey.
func journeyCalls(j *journeyResult, gets bool) (figure, bool) {
	if j == nil {
		return figure{}, false
	}
	g, p := j.perJourney()
	if !gets {
		g = p
	}
	return once(g, decimals, errorsProblem(j.errors()))
}

// tripsPerCall is the figure of the Redis round trips per call of the calls of.
func tripsPerCall(of func(*replicasResult) tripCount) func(results) (figure, bool) {
	return func(r results) (figure, bool) {
		if r.replicas == nil {
			return figure{}, false
		}
		tc := of(r.replicas)
		if tc.calls == 0 {
			return once(0, decimals, "no calls")
		}
		return once(float64(tc.trips)/float64(tc.calls), decimals, "")
	}
}
