package main

import (
	"context"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/acme/progressive-profiling/server/internal/replicas/redistest"
)

// TestBenchRunsSelectedScenariosAndCleansUp runs the whole benchmark path briefly: it builds the
// server and the Management API double, starts servers without and with caller auth and on the
// Auth0 store without and with Redis, drives scenarios on all in one round, runs small journeys
// on one server and on the replicas, the memory measurement, renders the report, and leaves no
// temporary folder behind.
func TestBenchRunsSelectedScenariosAndCleansUp(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and starts the server; skipped in -short mode")
	}
	redistest.Client(t) // the replicas part needs Redis
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	wantRuns := []string{"grpc-health", "rest-get-missing", "grpc-health-auth", "grpc-get-missing-auth", "auth0-get-missing", "auth0-get-missing-redis"}
	opts, err := parseOptions([]string{
		"-rounds", "1", "-duration", "200ms", "-warmup", "50ms", "-warmup-pass", "50ms",
		"-concurrency", "4", "-users", "8",
		"-scenarios", strings.Join(wantRuns, ","),
		"-auth0-users", "2", "-auth0-concurrency", "2", "-auth0-latency", "5ms",
		"-redis", redistest.URL(), "-replicas-budget-duration", "1s",
		"-memory-profiles", "50",
	}, os.Stderr)
	if err != nil {
		t.Fatalf("parseOptions: %v", err)
	}
	r, err := collect(context.Background(), opts, t.Logf)
	if err != nil {
		t.Fatalf("collect: %v", err)
	}

	var names []string
	for _, m := range r.runs {
		names = append(names, m.sc.name)
		if m.res.Requests == 0 || m.res.Errors != 0 {
			t.Errorf("%s: %d requests, %d errors (first %v); want some requests and no errors", m.sc.name, m.res.Requests, m.res.Errors, m.res.FirstError)
		}
	}
	if diff := cmp.Diff(wantRuns, names); diff != "" {
		t.Errorf("scenarios run (-want +got):\n%s", diff)
	}
	if r.journey == nil {
		t.Errorf("no Auth0-mode journey; failures: %v", r.failures)
	} else if gets, patches := r.journey.perJourney(); gets <= 0 || patches <= 0 {
		t.Errorf("Auth0 mode: %.2f GET and %.2f PATCH per journey, want both counted", gets, patches)
	}
	if r.replicas == nil {
		t.Errorf("no replicas run; failures: %v", r.failures)
	} else if r.replicas.journey.calls.Get == 0 || r.replicas.writes.calls == 0 || r.replicas.budget.ops == 0 {
		t.Errorf("replicas run incomplete: %+v", *r.replicas)
	}
	if len(r.memory) != 2 {
		t.Errorf("memory results for %d stores, want 2; failures: %v", len(r.memory), r.failures)
	}

	var judged []string
	for _, c := range r.checks() {
		judged = append(judged, c.figure)
	}
	for _, want := range []string{
		"cpu:grpc-get-missing-auth/cpu:grpc-health-auth", "auth0:slowest-cached", "replicas:throttled",
		"replicas:redis-per-subscribe", "cpu:auth0-get-missing-redis/cpu:auth0-get-missing",
	} {
		if !slices.Contains(judged, want) {
			t.Errorf("target of %s not judged; judged: %v", want, judged)
		}
	}

	var report strings.Builder
	writeReport(&report, r)
	for _, want := range []string{
		"| grpc-health |", "| rest-get-missing |", "| grpc-get-missing-auth |", "| auth0-get-missing-redis |",
		"vs Health/Check on the same server", "### Targets", "### Per round", "### Auth0 mode", "### 3 replicas on Redis", "### Memory",
	} {
		if !strings.Contains(report.String(), want) {
			t.Errorf("report lacks %q:\n%s", want, report.String())
		}
	}
	if left, _ := os.ReadDir(tmp); len(left) != 0 {
		t.Errorf("temporary folder holds %d entries after the run, want none (first %s)", len(left), left[0].Name())
	}
}

func TestParseOptionsRejectsBadSettings(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"unknown scenario", []string{"-scenarios", "grpc-health,nope"}, `unknown scenario "nope"`},
		{"fewer users than workers", []string{"-users", "3", "-concurrency", "4"}, "-users (3) must be at least -concurrency (4)"},
		{"zero duration", []string{"-duration", "0s"}, "-duration must be positive"},
		{"negative warm-up pass", []string{"-warmup-pass", "-1s"}, "-warmup-pass not negative"},
		{"no rounds", []string{"-rounds", "0"}, "-rounds must be at least 1"},
		{"missing targets file", []string{"-targets", "/nonexistent/targets.txt"}, "-targets: open /nonexistent/targets.txt"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := parseOptions(tt.args, &strings.Builder{})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("parseOptions(%q) = %v, want an error containing %q", tt.args, err, tt.want)
			}
		})
	}
}

func TestSelectedFiltersByNameAndServer(t *testing.T) {
	tests := []struct {
		args []string
		want []string
	}{
		{[]string{"-scenarios", "grpc-get-missing,grpc-get-missing-auth", "-auth=false"}, []string{"grpc-get-missing"}},
		{[]string{"-scenarios", "grpc-health,auth0-get-missing-redis", "-replicas=false"}, []string{"grpc-health"}},
		{[]string{"-scenarios", "auth0-get-missing-redis,grpc-health"}, []string{"grpc-health", "auth0-get-missing-redis"}},
	}
	for _, tt := range tests {
		opts, err := parseOptions(tt.args, &strings.Builder{})
		if err != nil {
			t.Fatalf("parseOptions: %v", err)
		}
		var got []string
		for _, sc := range opts.selected() {
			got = append(got, sc.name)
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("selected with %q (-want +got):\n%s", tt.args, diff)
		}
	}
}

func TestWorkerUsersAreDisjointAndCoverAll(t *testing.T) {
	seen := make(map[int]int)
	for w := range 3 {
		for _, u := range workerUsers(w, 3, 10) {
			seen[u]++
		}
	}
	for u := range 10 {
		if seen[u] != 1 {
			t.Errorf("user %d owned by %d workers, want 1", u, seen[u])
		}
	}
}

func TestFmtDurPicksAUnit(t *testing.T) {
	tests := []struct {
		d    time.Duration
		want string
	}{
		{0, "0"},
		{1500 * time.Nanosecond, "1.5µs"},
		{2345 * time.Microsecond, "2.35ms"},
		{3 * time.Second, "3.00s"},
	}
	for _, tt := range tests {
		if got := fmtDur(tt.d); got != tt.want {
			t.Errorf("fmtDur(%v) = %q, want %q", tt.d, got, tt.want)
		}
	}
}
