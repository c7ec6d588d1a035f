package main

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/acme/progressive-profiling/server/bench/internal/load"
)

// fmtDur prints a duration with 3 significant digits in µs or ms.
func fmtDur(d time.Duration) string {
	switch {
	case d <= 0:
		return "0"
	case d < time.Millisecond:
		return fmt.Sprintf("%.1fµs", float64(d)/float64(time.Microsecond))
	case d < time.Second:
		return fmt.Sprintf("%.2fms", float64(d)/float64(time.Millisecond))
	}
	return fmt.Sprintf("%.2fs", d.Seconds())
}

func fmtMicros(seconds float64) string { return fmt.Sprintf("%.1fµs", seconds*1e6) }

func passMark(ok bool) string {
	if ok {
		return "pass"
	}
	return "**FAIL**"
}

// writeReport renders r as markdown.
func writeReport(w io.Writer, r results) {
	var b strings.Builder
	o, m := r.opts, r.machine
	fmt.Fprintf(&b, "## Benchmark: the service vs raw gRPC\n\n")
	fmt.Fprintf(&b, "Measured %s on %d CPUs (%s), %s, %s. Closed loop over loopback: %d concurrent callers, %s per scenario after %s of warm-up, %d pre-filled users with cached profiles, a %d-field catalog, embedded store; the load generator shares the machine. Server CPU is the server process's user+system time over the run divided by requests served.\n\n",
		m.date.Format("2006-01-02 15:04 UTC"), m.cpus, m.model, m.goVersion, m.kernel,
		o.concurrency, o.duration, o.warmup, o.users, catalogFieldCount)
	if m.loadavg != "" {
		fmt.Fprintf(&b, "Load average at start: %s. Throughput moves with other work on the machine; server CPU per request much less.\n\n", m.loadavg)
	}
	writeRuns(&b, r)
	writeChecks(&b, r.checks())
	if r.journey != nil {
		writeJourney(&b, *r.journey)
	}
	if len(r.memory) > 0 {
		writeMemory(&b, r.memory)
	}
	for _, f := range r.failures {
		fmt.Fprintf(&b, "\n**Not measured:** %s\n", f)
	}
	_, _ = io.WriteString(w, b.String())
}

func writeRuns(b *strings.Builder, r results) {
	if len(r.runs) == 0 {
		return
	}
	health, hasHealth := r.find(scGRPCHealth)
	fmt.Fprintf(b, "| scenario | call | over | requests | errors | req/s | p50 | p90 | p99 | server CPU/req | CPU/req vs Health/Check |\n")
	fmt.Fprintf(b, "|---|---|---|--:|--:|--:|--:|--:|--:|--:|--:|\n")
	for _, run := range r.runs {
		vs := "–"
		if hasHealth {
			vs = fmt.Sprintf("%.2fx", ratio(cpuPerReq(run), cpuPerReq(health)))
		}
		res := run.res
		fmt.Fprintf(b, "| %s | %s | %s | %d | %d | %.0f | %s | %s | %s | %s | %s |\n",
			run.sc.name, run.sc.call, run.sc.transport, res.Requests, res.Errors, res.Throughput(),
			fmtDur(res.Percentile(0.5)), fmtDur(res.Percentile(0.9)), fmtDur(res.Percentile(0.99)),
			fmtMicros(cpuPerReq(run)), vs)
	}
	if len(r.opts.selected(true)) > 0 {
		fmt.Fprintf(b, "\nThe caller-auth scenarios run on a second server (same binary, data and catalog) checking RS256 tokens, one token per user with `sub` = the user; their ratios use the first server's Health/Check, which needs no token.\n")
	}
	for _, run := range r.runs {
		if run.res.FirstError != nil {
			fmt.Fprintf(b, "\n%s: %d errors; first: `%v`\n", run.sc.name, run.res.Errors, run.res.FirstError)
		}
	}
	b.WriteString("\n")
}

func writeChecks(b *strings.Builder, checks []check) {
	if len(checks) == 0 {
		return
	}
	fmt.Fprintf(b, "### Targets (issue 6)\n\n| target | measured | target | result |\n|---|--:|--:|---|\n")
	for _, c := range checks {
		fmt.Fprintf(b, "| %s | %s | %s | %s |\n", c.target, c.measured, c.limit, passMark(c.pass))
	}
	b.WriteString("\n")
}

func writeJourney(b *strings.Builder, j journeyResult) {
	gets, patches := j.perJourney()
	fmt.Fprintf(b, "### Auth0 mode\n\nThe server on the Auth0 store against an in-process Management API look-alike adding %s to every GET and PATCH; %d users each make the journey GetMissingFields → SubmitFields → GetMissingFields → MarkSubscribed → GetMissingFields over gRPC, %d users at a time. Upstream calls per journey: **%.2f GET, %.2f PATCH** (token requests in all: %d).\n\n",
		fmtDur(j.latency), j.users, j.concurrency, gets, patches, j.calls.Token)
	fmt.Fprintf(b, "| step | p50 | p99 | max | errors | expected from cache |\n|---|--:|--:|--:|--:|---|\n")
	for _, s := range j.steps {
		cached := "no"
		if s.step.cached {
			cached = "yes"
		}
		fmt.Fprintf(b, "| %s | %s | %s | %s | %d | %s |\n", s.step.name,
			fmtDur(load.Percentile(s.latencies, 0.5)), fmtDur(load.Percentile(s.latencies, 0.99)),
			fmtDur(load.Percentile(s.latencies, 1)), s.errors, cached)
	}
	for _, s := range j.steps {
		if s.firstErr != nil {
			fmt.Fprintf(b, "\n%s: %d errors; first: `%v`\n", s.step.name, s.errors, s.firstErr)
		}
	}
	b.WriteString("\n")
}

func writeMemory(b *strings.Builder, mem []memoryResult) {
	fmt.Fprintf(b, "### Memory\n\nLive heap added by caching profiles whose %d catalog fields are all answered in `user_metadata`, next to Auth0-like root attributes (names, email, picture, logins_count, one identity); measured in-process after GC.\n\n", catalogFieldCount)
	fmt.Fprintf(b, "| store | cached profiles | heap added | per profile |\n|---|--:|--:|--:|\n")
	for _, m := range mem {
		fmt.Fprintf(b, "| %s | %d | %.1f MiB | %.0f B |\n", m.store, m.profiles, float64(m.bytes)/(1<<20), m.perProfile())
	}
	b.WriteString("\n")
}
