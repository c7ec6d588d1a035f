package main

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/acme/progressive-profiling/server/internal/replicas/redistest"
)

// TestBenchRunsSelectedScenariosAndCleansUp runs the whole benchmark path briefly: it builds the
// server, starts one without and one with caller auth, drives scenarios on both in one round,
// runs a small Auth0-mode journey and memory measurement, renders the report, and leaves no
// temporary folder behind.
func TestBenchRunsSelectedScenariosAndCleansUp(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and starts the server; skipped in -short mode")
	}
	redistest.Client(t) // the replicas part needs Redis
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	opts, err := parseOptions([]string{
		"-rounds", "1", "-duration", "200ms", "-warmup", "50ms", "-warmup-pass", "50ms",
		"-concurrency", "4", "-users", "8",
		"-scenarios", scGRPCHealth + "," + scRESTGet + "," + scGRPCHealthAuth + "," + scGRPCGetAuth,
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
	if diff := cmp.Diff([]string{scGRPCHealth, scRESTGet, scGRPCHealthAuth, scGRPCGetAuth}, names); diff != "" {
		t.Errorf("scenarios run (-want +got):\n%s", diff)
	}
	if r.journey == nil {
		t.Errorf("no Auth0-mode journey; failures: %v", r.failures)
	} else if gets, patches := r.journey.perJourney(); gets <= 0 || patches <= 0 {
		t.Errorf("Auth0 mode: %.2f GET and %.2f PATCH per journey, want both counted", gets, patches)
	}
	if r.replicas == nil {
		t.Errorf("no replicas run; failures: %v", r.failures)
	} else if r.replicas.journeyCalls.Get == 0 || r.replicas.writes == 0 || len(r.replicas.cpu) != 1 || r.replicas.budget.ops == 0 {
		t.Errorf("replicas run incomplete: %+v", *r.replicas)
	}
	if len(r.memory) != 2 {
		t.Errorf("memory results for %d stores, want 2; failures: %v", len(r.memory), r.failures)
	}

	var report strings.Builder
	writeReport(&report, r)
	for _, want := range []string{
		"| " + scGRPCHealth + " |", "| " + scRESTGet + " |", "| " + scGRPCGetAuth + " |",
		"vs Health/Check on the same server", "### Per round", "### Auth0 mode", "### 3 replicas on Redis", "### Memory",
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

func TestSelectedFiltersByNameAndAuth(t *testing.T) {
	opts, err := parseOptions([]string{"-scenarios", scGRPCGet + "," + scGRPCGetAuth, "-auth=false"}, &strings.Builder{})
	if err != nil {
		t.Fatalf("parseOptions: %v", err)
	}
	names := func(list []scenario) []string {
		var out []string
		for _, sc := range list {
			out = append(out, sc.name)
		}
		return out
	}
	got := map[string][]string{"plain": names(opts.selected(false)), "auth": names(opts.selected(true))}
	want := map[string][]string{"plain": {scGRPCGet}, "auth": nil}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("selected (-want +got):\n%s", diff)
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
