package main

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/acme/progressive-profiling/server/bench/internal/load"
)

func TestNewSpreadTakesMedianAndRange(t *testing.T) {
	tests := []struct {
		name string
		in   []float64
		want spread
	}{
		{"odd count", []float64{3, 1, 2}, spread{perRound: []float64{3, 1, 2}, median: 2, min: 1, max: 3}},
		{"even count averages the middle two", []float64{4, 1, 2, 3}, spread{perRound: []float64{4, 1, 2, 3}, median: 2.5, min: 1, max: 4}},
		{"one round", []float64{7}, spread{perRound: []float64{7}, median: 7, min: 7, max: 7}},
		{"no rounds", nil, spread{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, newSpread(tt.in), cmp.AllowUnexported(spread{})); diff != "" {
				t.Errorf("newSpread(%v) (-want +got):\n%s", tt.in, diff)
			}
		})
	}
}

// fakeRun is a measurement of scenario name in round with requests calls in one second, all
// successful, and cpuMicros of server CPU per request.
func fakeRun(name string, round, requests int, cpuMicros float64) measurement {
	return measurement{
		sc:    scenario{name: name, server: map[bool]serverKind{true: authServer}[strings.Contains(name, "-auth")]},
		round: round,
		res:   load.Result{Requests: requests, Elapsed: time.Second, Tally: load.Tally{Latencies: make([]time.Duration, requests)}},
		cpu:   time.Duration(cpuMicros * float64(requests) * float64(time.Microsecond)),
	}
}

func TestRatioPairsRunsOfTheSameRound(t *testing.T) {
	// Round 2 of the baseline is missing: that round has no ratio.
	r := results{runs: []measurement{
		fakeRun("grpc-health", 1, 100, 10), fakeRun("grpc-get-missing", 1, 100, 12),
		fakeRun("grpc-get-missing", 2, 100, 50),
		fakeRun("grpc-health", 3, 100, 20), fakeRun("grpc-get-missing", 3, 100, 30),
	}}
	f, ok := r.figure("cpu:grpc-get-missing/cpu:grpc-health")
	if !ok || !slices.Equal(f.rounds, []int{1, 3}) {
		t.Errorf("ratio measured %v in rounds %v, want rounds 1 and 3", ok, f.rounds)
	}
	got := f.spread()
	want := spread{perRound: []float64{1.2, 1.5}, median: 1.35, min: 1.2, max: 1.5}
	if diff := cmp.Diff(want, got, cmp.AllowUnexported(spread{}), approx()); diff != "" {
		t.Errorf("ratio (-want +got):\n%s", diff)
	}
}

func TestMedianRunIsTheRoundWithMedianThroughput(t *testing.T) {
	r := results{runs: []measurement{fakeRun("grpc-get-missing", 1, 300, 1), fakeRun("grpc-get-missing", 2, 100, 1), fakeRun("grpc-get-missing", 3, 200, 1)}}
	got, ok := r.medianRun("grpc-get-missing")
	if !ok || got.round != 3 {
		t.Errorf("medianRun = round %d (found %v), want round 3", got.round, ok)
	}
}

func TestChecksJudgeTheMedianOfPerRoundRatios(t *testing.T) {
	// gRPC GetMissingFields CPU ratios per round: 1.0, 1.3, 1.2; median 1.2 passes ≤ 1.25
	// although one round is over.
	r := results{opts: defaultOptions(t), runs: []measurement{
		fakeRun("grpc-health", 1, 100, 10), fakeRun("grpc-get-missing", 1, 100, 10),
		fakeRun("grpc-health", 2, 100, 10), fakeRun("grpc-get-missing", 2, 100, 13),
		fakeRun("grpc-health", 3, 100, 10), fakeRun("grpc-get-missing", 3, 100, 12),
	}}
	c := r.checks()[0]
	s := c.measured.spread()
	got := struct {
		Measured string
		Pass     bool
		Min, Max float64
	}{c.measured.format(s.median), c.pass, s.min, s.max}
	want := struct {
		Measured string
		Pass     bool
		Min, Max float64
	}{"1.20x", true, 1.0, 1.3}
	if diff := cmp.Diff(want, got, approx()); diff != "" {
		t.Errorf("first check (-want +got):\n%s", diff)
	}
}

func TestAuthTargetUsesTheAuthServersOwnHealthCheck(t *testing.T) {
	tests := []struct {
		name string
		runs []measurement
		want map[string]string
	}{
		{
			"auth server's Health/Check ran",
			[]measurement{fakeRun("grpc-health", 1, 100, 10), fakeRun("grpc-health-auth", 1, 100, 20), fakeRun("grpc-get-missing-auth", 1, 100, 28)},
			map[string]string{"cpu:grpc-get-missing-auth/cpu:grpc-health-auth": "1.40x"},
		},
		{
			"only the first server's Health/Check ran: not judged",
			[]measurement{fakeRun("grpc-health", 1, 100, 10), fakeRun("grpc-get-missing-auth", 1, 100, 28)},
			map[string]string{},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := map[string]string{}
			for _, c := range (results{opts: defaultOptions(t), runs: tt.runs}).checks() {
				got[c.figure] = c.measured.format(c.measured.spread().median)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("targets judged (-want +got):\n%s", diff)
			}
		})
	}
}

// defaultOptions are the options without flags, the default targets among them.
func defaultOptions(t *testing.T) options {
	t.Helper()
	opts, err := parseOptions(nil, &strings.Builder{})
	if err != nil {
		t.Fatalf("parseOptions: %v", err)
	}
	return opts
}

// approx compares floats to 1e-9, as ratios of computed durations are not exact.
func approx() cmp.Option {
	return cmp.Comparer(func(a, b float64) bool { return a-b < 1e-9 && b-a < 1e-9 })
}

func TestPerUserTokenTargetsCompareWithAndWithoutTheTokenOnHealth(t *testing.T) {
	runs := []measurement{
		fakeRun("grpc-health-auth", 1, 100, 20),
		fakeRun("grpc-health-auth-token", 1, 100, 25),
		fakeRun("grpc-get-missing-auth", 1, 100, 35),
	}
	got := make(map[string]string)
	for _, c := range (results{opts: defaultOptions(t), runs: runs}).checks() {
		got[c.name] = c.measured.format(c.measured.spread().median)
	}
	want := map[string]string{
		"GetMissingFields gRPC, caller auth on: server CPU/req vs Health/Check on the same server, a token per user": "1.75x",
		"GetMissingFields gRPC, caller auth on: server CPU/req vs Health/Check carrying the same per-user tokens":    "1.40x",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("targets (-want +got):\n%s", diff)
	}
}
