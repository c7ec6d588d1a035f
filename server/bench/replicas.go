package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/structpb"

	profilev1 "github.com/acme/progressive-profiling/gen/profile/v1"
	"github.com/acme/progressive-profiling/server/bench/internal/load"
	"github.com/acme/progressive-profiling/server/bench/internal/procstat"
	"github.com/acme/progressive-profiling/server/internal/serverproc"
	"github.com/acme/progressive-profiling/server/internal/store/auth0/auth0test"
)

// replicaCount is the number of replicas of the replicas run.
const replicaCount = 3

// replicasResult is what the run of several replicas on the Auth0 store and one Redis measured.
type replicasResult struct {
	// journey: the Auth0-mode journey with each step on the next replica.
	journeyUsers int
	journeyCalls auth0test.Counts
	journeyErrs  int
	// Redis round trips per call, summed over the replicas.
	cachedReads, cachedReadTrips int64
	writes, writeTrips           int64
	subscribes, subscribeTrips   int64
	// budget: three times the tenant's budget offered to the replicas.
	budget budgetRun
	// cpu holds, per round, the server CPU per cached GetMissingFields without and with Redis.
	cpu [][2]time.Duration
}

// budgetRun is the offered-load part: Auth0 answers 429 beyond the tenant's limit, the
// replicas should never let it come to that.
type budgetRun struct {
	tenant                                auth0test.RateLimit
	perSecond                             float64 // calls offered per second
	duration                              time.Duration
	ops, served, exhausted, noRetry, errs int
	firstErr                              error
	calls                                 auth0test.Counts
}

// cluster is replicaCount servers on one Management API double and one Redis.
type cluster struct {
	procs   []*serverproc.Proc
	clients []*target
}

func (c *cluster) client(i int) profilev1.ProfileServiceClient {
	return c.clients[i%len(c.clients)].profile[0]
}

func (c *cluster) close() {
	for _, t := range c.clients {
		t.close()
	}
	for _, p := range c.procs {
		p.Stop()
	}
}

// startCluster starts n servers on the Auth0 store against dbl, sharing Redis under a prefix
// of their own (none when redisURL is empty), with env added.
func startCluster(ctx context.Context, n int, bin, tmp, name, redisURL string, dbl *auth0test.Server, env map[string]string) (*cluster, error) {
	all := map[string]string{
		"PROFILE_STORE": "auth0", "PROFILE_CATALOG": filepath.Join(tmp, "catalog.yaml"),
		"AUTH0_DOMAIN": dbl.URL(), "AUTH0_CLIENT_ID": auth0test.ClientID, "AUTH0_CLIENT_SECRET": auth0test.ClientSecret,
		"PROFILE_LOG_LEVEL": "warn",
	}
	if redisURL != "" {
		all["PROFILE_REDIS_URL"], all["PROFILE_REDIS_PREFIX"] = redisURL, "profile-bench:"+randomHex()+":"
	}
	for k, v := range env {
		all[k] = v
	}
	c := &cluster{}
	for i := range n {
		p, err := serverproc.Start(ctx, bin, all, filepath.Join(tmp, fmt.Sprintf("%s-%d.log", name, i)))
		if err != nil {
			c.close()
			return nil, err
		}
		c.procs = append(c.procs, p)
		t, err := dialTarget(p, 1, 1, 0)
		if err != nil {
			c.close()
			return nil, err
		}
		c.clients = append(c.clients, t)
	}
	return c, nil
}

// generous lets the replicas use the double without holding back.
var generous = map[string]string{
	"AUTH0_READS_PER_SECOND": "10000", "AUTH0_READ_BURST": "10000",
	"AUTH0_WRITES_PER_SECOND": "10000", "AUTH0_WRITE_BURST": "10000",
}

// runReplicas measures replicaCount replicas sharing a Redis: the journey's Management API
// calls, Redis round trips per call, 429s under three times the tenant's budget, and server CPU
// per cached read with and without Redis.
func runReplicas(ctx context.Context, opts options, bin, tmp string, logf func(string, ...any)) (replicasResult, error) {
	rdb, err := redis.ParseURL(opts.redisURL)
	if err != nil {
		return replicasResult{}, fmt.Errorf("-redis: %w", err)
	}
	client := redis.NewClient(rdb)
	err = client.Ping(ctx).Err()
	client.Close()
	if err != nil {
		return replicasResult{}, fmt.Errorf("no Redis at %s (-redis): %w", rdb.Addr, err)
	}
	var r replicasResult
	if err := r.measureJourneyAndTrips(ctx, opts, bin, tmp, logf); err != nil {
		return r, err
	}
	if err := r.measureBudget(ctx, opts, bin, tmp, logf); err != nil {
		return r, err
	}
	return r, r.measureCPU(ctx, opts, bin, tmp, logf)
}

// measureJourneyAndTrips runs the journey with each step on the next replica, then counts the
// Redis round trips of cached reads and of writes.
func (r *replicasResult) measureJourneyAndTrips(ctx context.Context, opts options, bin, tmp string, logf func(string, ...any)) error {
	dbl := auth0test.NewServer()
	defer dbl.Close()
	dbl.SetLatency(opts.auth0Latency)
	users := opts.auth0Users
	for i := range 2 * users {
		dbl.AddUser(userID(i), userObject(i, prefilledMetadata(i)))
	}
	c, err := startCluster(ctx, replicaCount, bin, tmp, "replica", opts.redisURL, dbl, generous)
	if err != nil {
		return err
	}
	defer c.close()
	// Each replica learns Auth0's bucket sizes from a first read and write (then sent to Redis
	// once, outside any call): the figures below are those of replicas in service.
	for i := range replicaCount {
		id := userID(2*users - 1 - i)
		if _, err := c.client(i).SubmitFields(ctx, &profilev1.SubmitFieldsRequest{UserId: id, Values: newsletter(true)}); err != nil {
			return fmt.Errorf("warm-up: %w", err)
		}
	}
	logf("replicas: the journey for %d users, each step on the next of %d replicas", users, replicaCount)
	before := dbl.Calls()
	steps := journeySteps()
	for u := range users {
		for i, s := range steps {
			if err := s.call(ctx, c.client(u+i), userID(u)); err != nil {
				r.journeyErrs++
			}
		}
	}
	after := dbl.Calls()
	r.journeyUsers = users
	r.journeyCalls = auth0test.Counts{Get: after.Get - before.Get, Patch: after.Patch - before.Patch}

	dbl.SetLatency(0)
	trips := func() (int64, error) { return c.redisTrips(ctx) }
	count := func(n *int64, t *int64, do func(i int) error) error {
		t0, err := trips()
		if err != nil {
			return err
		}
		for i := range users {
			if err := do(i); err != nil {
				return err
			}
			*n++
		}
		t1, err := trips()
		*t = t1 - t0
		return err
	}
	// Reads of users the replica has cached (each read it once just before).
	for u := range users {
		if _, err := c.client(0).GetMissingFields(ctx, &profilev1.GetMissingFieldsRequest{UserId: userID(users + u)}); err != nil {
			return err
		}
	}
	if err := count(&r.cachedReads, &r.cachedReadTrips, func(u int) error {
		_, err := c.client(0).GetMissingFields(ctx, &profilev1.GetMissingFieldsRequest{UserId: userID(users + u)})
		return err
	}); err != nil {
		return err
	}
	if err := count(&r.writes, &r.writeTrips, func(u int) error {
		_, err := c.client(u).SubmitFields(ctx, &profilev1.SubmitFieldsRequest{UserId: userID(users + u), Values: newsletter(u%2 == 0)})
		return err
	}); err != nil {
		return err
	}
	return count(&r.subscribes, &r.subscribeTrips, func(u int) error {
		_, err := c.client(u+1).MarkSubscribed(ctx, &profilev1.MarkSubscribedRequest{UserId: userID(users + u), Topic: benchTopic, Subscribed: true, Source: "bench"})
		return err
	})
}

func newsletter(ok bool) *structpb.Struct {
	return &structpb.Struct{Fields: map[string]*structpb.Value{"newsletter_ok": structpb.NewBoolValue(ok)}}
}

// redisTrips sums profile_store_redis_round_trips_total over the replicas' /metrics.
func (c *cluster) redisTrips(ctx context.Context) (int64, error) {
	var sum int64
	for _, p := range c.procs {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+p.HTTPAddr+"/metrics", nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return 0, err
		}
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			if v, ok := strings.CutPrefix(sc.Text(), `profile_store_redis_round_trips_total{backend="auth0"} `); ok {
				f, err := strconv.ParseFloat(v, 64)
				if err != nil {
					resp.Body.Close()
					return 0, err
				}
				sum += int64(f)
			}
		}
		resp.Body.Close()
	}
	return sum, nil
}

// measureBudget offers three times a tenant's Management API budget to the replicas, which run
// with the default configuration (a self-service plan, far above it): cold reads (one GET each)
// and writes to users no replica has seen (a GET and a PATCH each), spread round-robin.
func (r *replicasResult) measureBudget(ctx context.Context, opts options, bin, tmp string, logf func(string, ...any)) error {
	b := &r.budget
	b.tenant = auth0test.RateLimit{Burst: 10, PerSecond: 5}
	b.perSecond = 3 * b.tenant.PerSecond
	b.duration = opts.replicasBudgetDuration
	dbl := auth0test.NewServer()
	defer dbl.Close()
	dbl.SetRateLimit(b.tenant)
	// A read costs one call and a write two: alternating them, 1.5 calls an operation.
	b.ops = int(b.perSecond / 1.5 * b.duration.Seconds())
	for i := range b.ops {
		dbl.AddUser(userID(i), userObject(i, nil))
	}
	c, err := startCluster(ctx, replicaCount, bin, tmp, "budget", opts.redisURL, dbl, nil)
	if err != nil {
		return err
	}
	defer c.close()
	logf("replicas: offering %.0f Management API calls a second for %s to a tenant allowing %.0f", b.perSecond, b.duration, b.tenant.PerSecond)
	var (
		mu sync.Mutex
		wg sync.WaitGroup
	)
	start := time.Now()
	for i := range b.ops {
		time.Sleep(time.Until(start.Add(time.Duration(float64(i) * 1.5 / b.perSecond * float64(time.Second)))))
		wg.Go(func() {
			cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
			defer cancel()
			var err error
			if i%2 == 0 {
				_, err = c.client(i).GetMissingFields(cctx, &profilev1.GetMissingFieldsRequest{UserId: userID(i)})
			} else {
				_, err = c.client(i).SubmitFields(cctx, &profilev1.SubmitFieldsRequest{UserId: userID(i), Values: newsletter(true)})
			}
			mu.Lock()
			defer mu.Unlock()
			st := status.Convert(err)
			switch {
			case err == nil:
				b.served++
			case st.Code() == codes.ResourceExhausted:
				b.exhausted++
				if !hasRetryInfo(st) {
					b.noRetry++
				}
			default:
				b.errs++
				if b.firstErr == nil {
					b.firstErr = err
				}
			}
		})
	}
	wg.Wait()
	b.calls = dbl.Calls()
	return ctx.Err()
}

// measureCPU compares server CPU per cached GetMissingFields on the Auth0 store without Redis
// and with it, in interleaved rounds.
func (r *replicasResult) measureCPU(ctx context.Context, opts options, bin, tmp string, logf func(string, ...any)) error {
	dbl := auth0test.NewServer()
	defer dbl.Close()
	const users = 500
	for i := range users {
		dbl.AddUser(userID(i), userObject(i, prefilledMetadata(i)))
	}
	servers := make([]*cluster, 2)
	for i, url := range []string{"", opts.redisURL} {
		c, err := startCluster(ctx, 1, bin, tmp, fmt.Sprintf("cpu-%d", i), url, dbl, generous)
		if err != nil {
			return err
		}
		defer c.close()
		servers[i] = c
	}
	op := func(c *cluster) load.NewOp {
		return func(w int) load.Op {
			u := w
			return func(ctx context.Context) error {
				u = (u + opts.concurrency) % users
				_, err := c.client(0).GetMissingFields(ctx, &profilev1.GetMissingFieldsRequest{UserId: userID(u)})
				return err
			}
		}
	}
	logf("replicas: server CPU per cached read, without and with Redis, %d rounds", opts.rounds)
	for round := range opts.rounds {
		var pair [2]time.Duration
		for i, c := range servers {
			// A warm-up that also refills the cache (entries live 30 s).
			load.Run(ctx, load.Config{Concurrency: opts.concurrency, Duration: opts.warmup + time.Second}, op(c))
			u0, s0, err := procstat.CPUTime(c.procs[0].PID())
			if err != nil {
				return err
			}
			res := load.Run(ctx, load.Config{Concurrency: opts.concurrency, Duration: opts.duration}, op(c))
			u1, s1, err := procstat.CPUTime(c.procs[0].PID())
			if err != nil {
				return err
			}
			if res.Errors > 0 || res.Requests == 0 {
				return fmt.Errorf("round %d: %d of %d reads failed: %v", round+1, res.Errors, res.Requests, res.FirstError)
			}
			pair[i] = ((u1 - u0) + (s1 - s0)) / time.Duration(res.Requests)
		}
		r.cpu = append(r.cpu, pair)
	}
	return ctx.Err()
}

// cpuRatio is the median over rounds of CPU per cached read with Redis over without.
func (r replicasResult) cpuRatio() spread {
	var ratios []float64
	for _, p := range r.cpu {
		if p[0] > 0 {
			ratios = append(ratios, float64(p[1])/float64(p[0]))
		}
	}
	return newSpread(ratios)
}

func randomHex() string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// hasRetryInfo reports whether a status carries a google.rpc.RetryInfo with a delay.
func hasRetryInfo(st *status.Status) bool {
	for _, d := range st.Details() {
		if ri, ok := d.(*errdetails.RetryInfo); ok && ri.GetRetryDelay().AsDuration() > 0 {
			return true
		}
	}
	return false
}

// checks evaluates the replicas' targets: the journey costs Auth0 what it costs one replica,
// no 429 under three times the budget, no Redis round trip for a cached read, at most 3 for a
// write, and at most 10% more server CPU per cached read with Redis.
func (r replicasResult) checks(single *journeyResult) []check {
	per := func(trips, n int64) float64 {
		if n == 0 {
			return 0
		}
		return float64(trips) / float64(n)
	}
	gets := float64(r.journeyCalls.Get) / float64(max(r.journeyUsers, 1))
	patches := float64(r.journeyCalls.Patch) / float64(max(r.journeyUsers, 1))
	journey := check{target: fmt.Sprintf("%d replicas: Management API calls per journey", replicaCount),
		measured: fmt.Sprintf("%.2f GET, %.2f PATCH", gets, patches)}
	if single != nil {
		sg, sp := single.perJourney()
		journey.limit = fmt.Sprintf("as on one replica (%.2f GET, %.2f PATCH)", sg, sp)
		journey.pass = r.journeyErrs == 0 && gets <= sg && patches <= sp
	} else {
		journey.limit = "≤ 2 GET, ≤ 2 PATCH (one replica not measured)"
		journey.pass = r.journeyErrs == 0 && gets <= 2 && patches <= 2
	}
	b := r.budget
	out := []check{
		journey,
		{target: fmt.Sprintf("%d replicas, %.0f calls/s offered to a tenant allowing %.0f/s: 429s from Auth0", replicaCount, b.perSecond, b.tenant.PerSecond),
			measured: strconv.Itoa(b.calls.Throttled), limit: "0", pass: b.calls.Throttled == 0 && b.errs == 0 && b.noRetry == 0},
		{target: "Redis round trips per cached GetMissingFields", measured: fmt.Sprintf("%.2f", per(r.cachedReadTrips, r.cachedReads)),
			limit: "0", pass: r.cachedReads > 0 && r.cachedReadTrips == 0},
		{target: "Redis round trips per SubmitFields (first-level values)", measured: fmt.Sprintf("%.2f", per(r.writeTrips, r.writes)),
			limit: "≤ 3", pass: r.writes > 0 && per(r.writeTrips, r.writes) <= 3},
		{target: "Redis round trips per MarkSubscribed (nested object)", measured: fmt.Sprintf("%.2f", per(r.subscribeTrips, r.subscribes)),
			limit: "≤ 3", pass: r.subscribes > 0 && per(r.subscribeTrips, r.subscribes) <= 3},
	}
	if len(r.cpu) > 0 {
		out = append(out, ratioCheck("Server CPU per cached GetMissingFields on the Auth0 store: Redis on vs off", r.cpuRatio(), 1.1, true))
	}
	return out
}

func writeReplicas(b *strings.Builder, r replicasResult) {
	fmt.Fprintf(b, "### %d replicas on Redis\n\n", replicaCount)
	fmt.Fprintf(b, "%d server processes on the Auth0 store share one Redis and one Management API look-alike.\n\n", replicaCount)
	fmt.Fprintf(b, "- **Journey, each step on the next replica** (%d users): %d GET and %d PATCH in all, %d errors.\n",
		r.journeyUsers, r.journeyCalls.Get, r.journeyCalls.Patch, r.journeyErrs)
	fmt.Fprintf(b, "- **Redis round trips**, summed over the replicas: %d for %d cached GetMissingFields, %d for %d SubmitFields, %d for %d MarkSubscribed.\n",
		r.cachedReadTrips, r.cachedReads, r.writeTrips, r.writes, r.subscribeTrips, r.subscribes)
	bu := r.budget
	fmt.Fprintf(b, "- **Three times the budget**: a tenant bucket of %d refilled at %.0f/s, the replicas on their default budget (a self-service plan); %d operations in %s (cold reads, one GET, alternating with writes to new users, a GET and a PATCH): %d served, %d RESOURCE_EXHAUSTED (%d without RetryInfo), %d other errors; Auth0 got %d GET and %d PATCH and answered **%d × 429**.\n",
		bu.tenant.Burst, bu.tenant.PerSecond, bu.ops, bu.duration, bu.served, bu.exhausted, bu.noRetry, bu.errs, bu.calls.Get, bu.calls.Patch, bu.calls.Throttled)
	if bu.firstErr != nil {
		fmt.Fprintf(b, "  First other error: `%v`.\n", bu.firstErr)
	}
	if len(r.cpu) > 0 {
		var off, on []string
		for _, p := range r.cpu {
			off, on = append(off, fmtDur(p[0])), append(on, fmtDur(p[1]))
		}
		fmt.Fprintf(b, "- **Server CPU per cached GetMissingFields** (one server each, Auth0 store), per round: without Redis %s; with Redis %s.\n",
			strings.Join(off, " / "), strings.Join(on, " / "))
	}
	b.WriteString("\n")
}
