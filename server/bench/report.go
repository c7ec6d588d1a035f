package main

import (
	"fmt"
	"io"
	"strings"
	"time"
)

// results gathers everything a run measured.
type results struct {
	opts    options
	machine machine
	// runs are the measured runs of every round (the warm-up pass is not kept).
	runs []measurement
	// loadavgEnd is the 1-minute load average when the load rounds ended.
	loadavgEnd string
	journey    *journeyResult
	replicas   *replicasResult
	memory     []memoryResult
	failures   []string // parts that could not run
}

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
	b.WriteString("## Benchmark: the service vs raw gRPC\n\n")
	writeSetup(&b, r)
	writeRuns(&b, r)
	writeChecks(&b, r.checks())
	writePerRound(&b, r)
	if r.journey != nil {
		writeJourney(&b, *r.journey)
	}
	if r.replicas != nil {
		writeReplicas(&b, *r.replicas)
	}
	if len(r.memory) > 0 {
		writeMemory(&b, r.memory)
	}
	for _, f := range r.failures {
		fmt.Fprintf(&b, "\n**Not measured:** %s\n", f)
	}
	_, _ = io.WriteString(w, b.String())
}

// writeSetup says where, when and how the figures were measured, and how they are summarised.
func writeSetup(b *strings.Builder, r results) {
	o, m := r.opts, r.machine
	fmt.Fprintf(b, "Measured %s on %d CPUs (%s), %s, %s. Closed loop over loopback: %d concurrent callers, %d pre-filled users with cached profiles, a %d-field catalog, embedded store; the load generator shares the machine. Server CPU is the server process's user+system time over a run divided by the requests it served.\n\n",
		m.date.Format("2006-01-02 15:04 UTC"), m.cpus, m.model, m.goVersion, m.kernel, o.concurrency, o.users, catalogFieldCount)
	fmt.Fprintf(b, "**%d interleaved rounds.** After a warm-up pass of %s per scenario (figures discarded, so that the first scenario does not meet a cold server), each round measures every scenario once, always in the same order, for %s after %s of warm-up. ", o.rounds, o.warmupPass, o.duration, o.warmup)
	b.WriteString("The order is fixed rather than rotated so that every run has the same predecessor in every round (round 1 included, as the warm-up pass ends like a round): order effects are then the same in each round instead of being added to the spread, and with a few rounds and about ten scenarios a rotation could not balance positions anyway. The scenarios a target compares run next to each other, reads before writes. ")
	b.WriteString("Req/s and server CPU/req are medians over rounds; the latency percentiles are those of the round with the median throughput (in a closed loop latency and throughput go together, so a row stays one consistent run). Ratios are computed per round, both sides measured seconds apart in the same round, and targets are judged on the median of the per-round ratios; the per-round figures below show the spread.\n\n")
	if m.loadavg != "" || r.loadavgEnd != "" {
		fmt.Fprintf(b, "Load average (1 min): %s before the run, %s when the rounds ended (the latter includes the benchmark's own load).\n\n", orDash(m.loadavg), orDash(r.loadavgEnd))
	}
}

func orDash(s string) string {
	if s == "" {
		return "–"
	}
	return s
}

// writeRuns writes one row per scenario: its medians over rounds.
func writeRuns(b *strings.Builder, r results) {
	if len(r.runs) == 0 {
		return
	}
	fmt.Fprintf(b, "| scenario | call | over | requests (%d rounds) | errors | req/s | p50 | p90 | p99 | server CPU/req | CPU/req vs Health/Check |\n", r.opts.rounds)
	b.WriteString("|---|---|---|--:|--:|--:|--:|--:|--:|--:|--:|\n")
	ran := map[serverKind]bool{}
	for _, sc := range r.scenariosRun() {
		ran[sc.server] = true
		mid, _ := r.medianRun(sc.name)
		requests, errs := 0, 0
		for _, m := range r.scenarioRuns(sc.name) {
			requests += m.res.Requests
			errs += m.res.Errors
		}
		rps, _ := r.figure("rps:" + sc.name)
		cpu, _ := r.figure("cpu:" + sc.name)
		fmt.Fprintf(b, "| %s | %s | %s | %d | %d | %.0f | %s | %s | %s | %s | %s |\n",
			sc.name, sc.call, sc.transport, requests, errs, rps.spread().median,
			fmtDur(mid.res.Percentile(0.5)), fmtDur(mid.res.Percentile(0.9)), fmtDur(mid.res.Percentile(0.99)),
			fmtMicros(cpu.spread().median), r.vsBaseline(sc, func(s spread) string { return times(s.median) }))
	}
	if ran[authServer] {
		b.WriteString("\nThe caller-auth scenarios run on a second server process (same binary, catalog and users, a data folder of its own) that checks RS256 tokens: in `grpc-get-missing-auth` and `rest-get-missing-auth` each user calls with a token of its own (`sub` = the user, so every call carries a different token), in `grpc-get-missing-service` every call carries one backend service token (`read:profiles`). Both servers run for the whole benchmark and every round measures both. ")
		b.WriteString("Their CPU ratios are taken against that second server's own Health/Check (`grpc-health-auth`; health is public, so it carries no token), measured in the same round, so that both sides come from one process. ")
		b.WriteString("`grpc-health-auth-token` sends Health/Check with the same per-user tokens as `grpc-get-missing-auth`, as a client with per-call credentials does (the server does not check them on health): it measures what gRPC itself spends receiving such a header, and one target compares with it like for like.\n")
	}
	if ran[auth0Server] || ran[redisServer] {
		fmt.Fprintf(b, "\n`auth0-get-missing` and `auth0-get-missing-redis` run on two more server processes on the Auth0 store, against a Management API look-alike (a process of its own, no added latency) serving %d users whose profiles the servers have cached; the second shares a Redis, as replicas do, so that their ratio is what Redis costs a cached read.\n", auth0StoreUsers)
	}
	for _, m := range r.runs {
		if m.res.FirstError != nil {
			fmt.Fprintf(b, "\n%s, round %d: %d errors; first: `%v`\n", m.sc.name, m.round, m.res.Errors, m.res.FirstError)
		}
	}
	b.WriteString("\n")
}

// vsBaseline prints, with show, the scenario's CPU per request over its server's
// Health/Check, round by round; "–" when that Health/Check was not measured.
func (r results) vsBaseline(sc scenario, show func(spread) string) string {
	base := sc.server.baseline()
	f, ok := r.figure("cpu:" + sc.name + "/cpu:" + base)
	if base == "" || !ok {
		return "–"
	}
	return show(f.spread())
}

// scenariosRun lists the scenarios measured, in the order of a round.
func (r results) scenariosRun() []scenario {
	var out []scenario
	for _, sc := range scenarios() {
		if len(r.scenarioRuns(sc.name)) > 0 {
			out = append(out, sc)
		}
	}
	return out
}

func writeChecks(b *strings.Builder, checks []check) {
	if len(checks) == 0 {
		return
	}
	b.WriteString("### Targets\n\n| target | measured (median) | min–max | per round | target | result |\n|---|--:|--:|--:|--:|---|\n")
	for _, c := range checks {
		s, rng, per, measured := c.measured.spread(), "–", "–", "–"
		if s.rounds() > 0 {
			measured = c.measured.format(s.median)
		}
		if c.measured.rounds != nil && s.rounds() > 0 {
			rng = fmt.Sprintf("%.2f–%.2f", s.min, s.max)
			per = joinFloats(s.perRound, "%.2f")
		}
		if c.measured.problem != "" {
			measured += " (" + c.measured.problem + ")"
		}
		fmt.Fprintf(b, "| %s | %s | %s | %s | %s | %s |\n", c.name, measured, rng, per, c.limitText, passMark(c.pass))
	}
	b.WriteString("\n")
}

// writePerRound writes each scenario's raw figures round by round.
func writePerRound(b *strings.Builder, r results) {
	if len(r.runs) == 0 {
		return
	}
	b.WriteString("### Per round\n\nRaw figures of each round, in round order (r1 / r2 / ...).\n\n")
	b.WriteString("| scenario | req/s | server CPU/req (µs) | CPU/req vs Health/Check | p50 |\n|---|--:|--:|--:|--:|\n")
	for _, sc := range r.scenariosRun() {
		fmt.Fprintf(b, "| %s | %s | %s | %s | %s |\n", sc.name,
			r.eachRound(sc.name, func(m measurement) string { return fmt.Sprintf("%.0f", throughput(m)) }),
			r.eachRound(sc.name, func(m measurement) string { return fmt.Sprintf("%.1f", cpuPerReq(m)*1e6) }),
			r.vsBaseline(sc, func(s spread) string { return joinFloats(s.perRound, "%.2f") }),
			r.eachRound(sc.name, func(m measurement) string { return fmtDur(m.res.Percentile(0.5)) }))
	}
	b.WriteString("\n")
}

// eachRound prints f of the scenario's run in every round, separated by " / ".
func (r results) eachRound(name string, f func(measurement) string) string {
	runs := r.scenarioRuns(name)
	parts := make([]string, len(runs))
	for i, m := range runs {
		parts[i] = f(m)
	}
	return strings.Join(parts, " / ")
}

// joinFloats prints values with format, separated by " / ".
func joinFloats(vals []float64, format string) string {
	parts := make([]string, len(vals))
	for i, v := range vals {
		parts[i] = fmt.Sprintf(format, v)
	}
	return strings.Join(parts, " / ")
}

func writeJourney(b *strings.Builder, j journeyResult) {
	gets, patches := j.perJourney()
	fmt.Fprintf(b, "### Auth0 mode\n\nThe server on the Auth0 store against a Management API look-alike (a process of its own) adding %s to every GET and PATCH; %d users each make the journey GetMissingFields → SubmitFields → GetMissingFields → MarkSubscribed → GetMissingFields over gRPC, %d users at a time. Upstream calls per journey: **%.2f GET, %.2f PATCH** (token requests in all: %d).\n\n",
		fmtDur(j.latency), j.users, j.concurrency, gets, patches, j.calls.Token)
	fmt.Fprintf(b, "| step | p50 | p99 | max | errors | expected from cache |\n|---|--:|--:|--:|--:|---|\n")
	for _, s := range j.steps {
		cached := "no"
		if s.step.cached {
			cached = "yes"
		}
		fmt.Fprintf(b, "| %s | %s | %s | %s | %d | %s |\n", s.step.name,
			fmtDur(s.Percentile(0.5)), fmtDur(s.Percentile(0.99)), fmtDur(s.Percentile(1)), s.Errors, cached)
	}
	for _, s := range j.steps {
		if s.FirstError != nil {
			fmt.Fprintf(b, "\n%s: %d errors; first: `%v`\n", s.step.name, s.Errors, s.FirstError)
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
