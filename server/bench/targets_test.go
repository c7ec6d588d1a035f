package main

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/acme/progressive-profiling/server/internal/serverproc"
)

func TestDefaultTargetsParse(t *testing.T) {
	targets, err := parseTargets(defaultTargets)
	if err != nil {
		t.Fatalf("targets.txt: %v", err)
	}
	if len(targets) == 0 {
		t.Fatal("targets.txt holds no target")
	}
}

func TestParseTargetsRejectsWhatItCannotJudge(t *testing.T) {
	tests := []struct {
		name, line, want string
	}{
		{"unknown scenario", "cpu:nope/cpu:grpc-health <= 1 | x", `unknown figure "cpu:nope/cpu:grpc-health"`},
		{"unknown figure", "auth0:nope <= 1 | x", `unknown figure "auth0:nope"`},
		{"unknown comparison", "auth0:gets-per-journey ~ 1 | x", `unknown comparison "~"`},
		{"bad limit", "auth0:gets-per-journey <= two | x", `limit "two" is neither`},
		{"no name", "auth0:gets-per-journey <= 2", `want "figure comparison limit | name"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := parseTargets("# a comment\n\n" + tt.line)
			if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), "line 3") {
				t.Errorf("parseTargets(%q) = %v, want an error on line 3 containing %q", tt.line, err, tt.want)
			}
		})
	}
}

func TestJudgeComparesWithNumbersDurationsAndOtherFigures(t *testing.T) {
	cached := journeyStep{name: "cached", cached: true}
	step := func(errs int, latencies ...time.Duration) stepResult {
		s := stepResult{step: cached}
		s.Latencies, s.Errors = latencies, errs
		return s
	}
	single := &journeyResult{users: 2, calls: serverproc.DoubleCalls{Get: 4, Patch: 4}, steps: []stepResult{step(0, time.Millisecond, 30*time.Millisecond)}}
	three := &replicasResult{journey: journeyResult{users: 2, calls: serverproc.DoubleCalls{Get: 6, Patch: 4}, steps: []stepResult{step(1)}}}
	targets, err := parseTargets(`
auth0:slowest-cached < 25ms | slowest
replicas:gets-per-journey <= auth0:gets-per-journey | gets
replicas:patches-per-journey <= auth0:patches-per-journey | patches
replicas:redis-per-cached-read == 0 | trips
`)
	if err != nil {
		t.Fatal(err)
	}
	type row struct {
		Measured, Limit string
		Pass            bool
	}
	got := map[string]row{}
	for _, c := range (results{opts: options{targets: targets}, journey: single, replicas: three}).checks() {
		got[c.name] = row{c.measured.format(c.measured.spread().median) + " " + c.measured.problem, c.limitText, c.pass}
	}
	want := map[string]row{
		"slowest": {"30.00ms ", "< 25.00ms", false},
		"gets":    {"3.00 1 errors", "≤ 2.00 (auth0:gets-per-journey)", false},
		"patches": {"2.00 1 errors", "≤ 2.00 (auth0:patches-per-journey)", false},
		"trips":   {"0.00 no calls", "= 0.00", false},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("checks (-want +got):\n%s", diff)
	}
}
