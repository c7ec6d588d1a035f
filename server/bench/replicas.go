package main

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
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
	"github.com/acme/progressive-profiling/server/internal/serverproc"
)

// replicasResult is what the run of several replicas on the Auth0 store and one Redis measured.
type replicasResult struct {
	// journey is the journey with each step on the next replica.
	journey journeyResult
	// Redis round trips, summed over the replicas, of cached reads and of writes.
	cachedReads, writes, subscribes tripCount
	budget                          budgetRun
}

// tripCount is the Redis round trips of calls of one kind.
type tripCount struct{ calls, trips int64 }

// budgetRun is the offered-load part: Auth0 answers 429 beyond the tenant's limit, the
// replicas should never let it come to that.
type budgetRun struct {
	burst                                 int
	tenantPerSecond, perSecond            float64 // the tenant's limit, and the calls offered
	duration                              time.Duration
	ops, served, exhausted, noRetry, errs int
	firstErr                              error
	calls                                 serverproc.DoubleCalls
}

// pingRedis checks that the Redis at url answers.
func pingRedis(ctx context.Context, url string) error {
	opts, err := redis.ParseURL(url)
	if err != nil {
		return fmt.Errorf("-redis: %w", err)
	}
	client := redis.NewClient(opts)
	defer client.Close()
	if err := client.Ping(ctx).Err(); err != nil {
		return fmt.Errorf("no Redis at %s (-redis): %w", opts.Addr, err)
	}
	return nil
}

// runReplicas measures replicaCount replicas sharing a Redis: the journey's Management API
// calls, Redis round trips per call, and 429s under three times the tenant's budget.
func runReplicas(ctx context.Context, opts options, b bins, tmp string, logf func(string, ...any)) (*replicasResult, error) {
	r := &replicasResult{}
	if err := r.measureJourneyAndTrips(ctx, opts, b, tmp, logf); err != nil {
		return nil, err
	}
	return r, r.measureBudget(ctx, opts, b, tmp, logf)
}

// measureJourneyAndTrips runs the journey with each step on the next replica, then counts the
// Redis round trips of cached reads and of writes.
func (r *replicasResult) measureJourneyAndTrips(ctx context.Context, opts options, b bins, tmp string, logf func(string, ...any)) error {
	users := opts.auth0Users
	c, err := startCluster(ctx, b, tmp, "replica", replicaCount, 2*users, prefilledMetadata, opts.redisURL, generous)
	if err != nil {
		return err
	}
	defer c.close()
	if err := c.dbl.SetLatency(ctx, opts.auth0Latency); err != nil {
		return err
	}
	// Each replica learns Auth0's bucket sizes from a first read and write (then sent to Redis
	// once, outside any call): the figures below are those of replicas in service.
	for i := range replicaCount {
		id := userID(2*users - 1 - i)
		if _, err := c.client(i).SubmitFields(ctx, &profilev1.SubmitFieldsRequest{UserId: id, Values: newsletter(true)}); err != nil {
			return fmt.Errorf("warm-up: %w", err)
		}
	}
	logf("replicas: the journey for %d users, each step on the next of %d replicas", users, replicaCount)
	if r.journey, err = c.journeys(ctx, users, 1); err != nil {
		return err
	}
	r.journey.latency = opts.auth0Latency

	if err := c.dbl.SetLatency(ctx, 0); err != nil {
		return err
	}
	count := func(tc *tripCount, do func(u int) error) error {
		t0, err := c.redisTrips(ctx)
		if err != nil {
			return err
		}
		for u := range users {
			if err := do(u); err != nil {
				return err
			}
			tc.calls++
		}
		t1, err := c.redisTrips(ctx)
		tc.trips = t1 - t0
		return err
	}
	read := func(u int) error {
		_, err := c.client(0).GetMissingFields(ctx, &profilev1.GetMissingFieldsRequest{UserId: userID(users + u)})
		return err
	}
	// Reads of users the replica has cached (each read it once just before).
	for u := range users {
		if err := read(u); err != nil {
			return err
		}
	}
	if err := count(&r.cachedReads, read); err != nil {
		return err
	}
	if err := count(&r.writes, func(u int) error {
		_, err := c.client(u).SubmitFields(ctx, &profilev1.SubmitFieldsRequest{UserId: userID(users + u), Values: newsletter(u%2 == 0)})
		return err
	}); err != nil {
		return err
	}
	return count(&r.subscribes, func(u int) error {
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
func (r *replicasResult) measureBudget(ctx context.Context, opts options, bin bins, tmp string, logf func(string, ...any)) error {
	b := &r.budget
	b.burst, b.tenantPerSecond = 10, 5
	b.perSecond = 3 * b.tenantPerSecond
	b.duration = opts.replicasBudgetDuration
	// A read costs one call and a write two: alternating them, 1.5 calls an operation.
	b.ops = int(b.perSecond / 1.5 * b.duration.Seconds())
	c, err := startCluster(ctx, bin, tmp, "budget", replicaCount, b.ops, nil, opts.redisURL, nil)
	if err != nil {
		return err
	}
	defer c.close()
	if err := c.dbl.SetRateLimit(ctx, b.burst, b.tenantPerSecond); err != nil {
		return err
	}
	logf("replicas: offering %.0f Management API calls a second for %s to a tenant allowing %.0f", b.perSecond, b.duration, b.tenantPerSecond)
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
	if b.calls, err = c.dbl.Calls(ctx); err != nil {
		return err
	}
	return ctx.Err()
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

func writeReplicas(b *strings.Builder, r replicasResult) {
	fmt.Fprintf(b, "### %d replicas on Redis\n\n", replicaCount)
	fmt.Fprintf(b, "%d server processes on the Auth0 store share one Redis and one Management API look-alike.\n\n", replicaCount)
	fmt.Fprintf(b, "- **Journey, each step on the next replica** (%d users): %d GET and %d PATCH in all, %d errors.\n",
		r.journey.users, r.journey.calls.Get, r.journey.calls.Patch, r.journey.errors())
	fmt.Fprintf(b, "- **Redis round trips**, summed over the replicas: %d for %d cached GetMissingFields, %d for %d SubmitFields, %d for %d MarkSubscribed.\n",
		r.cachedReads.trips, r.cachedReads.calls, r.writes.trips, r.writes.calls, r.subscribes.trips, r.subscribes.calls)
	bu := r.budget
	fmt.Fprintf(b, "- **Three times the budget**: a tenant bucket of %d refilled at %.0f/s, the replicas on their default budget (a self-service plan); %d operations in %s (cold reads, one GET, alternating with writes to new users, a GET and a PATCH): %d served, %d RESOURCE_EXHAUSTED (%d without RetryInfo), %d other errors; Auth0 got %d GET and %d PATCH and answered **%d × 429**.\n",
		bu.burst, bu.tenantPerSecond, bu.ops, bu.duration, bu.served, bu.exhausted, bu.noRetry, bu.errs, bu.calls.Get, bu.calls.Patch, bu.calls.Throttled)
	if bu.firstErr != nil {
		fmt.Fprintf(b, "  First other error: `%v`.\n", bu.firstErr)
	}
	b.WriteString("- **Server CPU per cached GetMissingFields** without and with Redis: the scenarios `auth0-get-missing` and `auth0-get-missing-redis` above.\n\n")
}
