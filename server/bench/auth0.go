package main

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"sync"
	"time"

	profilev1 "github.com/acme/progressive-profiling/gen/profile/v1"
	"github.com/acme/progressive-profiling/server/bench/internal/load"
	"github.com/acme/progressive-profiling/server/internal/serverproc"
)

// replicaCount is the number of replicas of the replicas run.
const replicaCount = 3

// journeyStep is one RPC of the journey on the Auth0 store.
type journeyStep struct {
	name string
	// cached says whether the step should be served from the store's cache.
	cached bool
	call   func(ctx context.Context, c profilev1.ProfileServiceClient, user string) error
}

// journeySteps is the journey: GetMissingFields, SubmitFields, GetMissingFields,
// MarkSubscribed, GetMissingFields.
func journeySteps() []journeyStep {
	get := func(ctx context.Context, c profilev1.ProfileServiceClient, user string) error {
		_, err := c.GetMissingFields(ctx, &profilev1.GetMissingFieldsRequest{UserId: user})
		return err
	}
	answer := func(ctx context.Context, c profilev1.ProfileServiceClient, user string) error {
		return submit(ctx, c, user, map[string]any{"interests": []any{"go", "grpc"}, "newsletter_ok": true})
	}
	subscribe := func(ctx context.Context, c profilev1.ProfileServiceClient, user string) error {
		_, err := c.MarkSubscribed(ctx, &profilev1.MarkSubscribedRequest{UserId: user, Topic: benchTopic, Subscribed: true, Source: "article:bench"})
		return err
	}
	return []journeyStep{
		{"1. GetMissingFields (first read)", false, get},
		{"2. SubmitFields", false, answer},
		{"3. GetMissingFields", true, get},
		{"4. MarkSubscribed", false, subscribe},
		{"5. GetMissingFields", true, get},
	}
}

// stepResult is the outcome of one journey step over all users; its latencies are sorted.
type stepResult struct {
	step journeyStep
	load.Tally
}

// journeyResult is what a run of the journey measured.
type journeyResult struct {
	users, concurrency int
	latency            time.Duration
	steps              []stepResult
	calls              serverproc.DoubleCalls // Management API requests during the journeys
}

// perJourney returns the Management API GETs and PATCHes per journey.
func (r journeyResult) perJourney() (gets, patches float64) {
	if r.users == 0 {
		return 0, 0
	}
	return float64(r.calls.Get) / float64(r.users), float64(r.calls.Patch) / float64(r.users)
}

// errors counts the failed steps.
func (r journeyResult) errors() int {
	n := 0
	for _, s := range r.steps {
		n += s.Errors
	}
	return n
}

// cluster is servers on the Auth0 store against one Management API double, sharing a Redis
// when there are several.
type cluster struct {
	dbl     *serverproc.Double
	procs   []*serverproc.Proc
	drivers []*driver
}

// startCluster starts a double with users 0 to users-1 (their user_metadata from metadata),
// then n servers on it with extra configuration, sharing the Redis at redisURL when not empty.
func startCluster(ctx context.Context, b bins, tmp, name string, n, users int, metadata func(int) map[string]any, redisURL string, extra map[string]string) (c *cluster, err error) {
	c = &cluster{}
	defer func() {
		if err != nil {
			c.close()
		}
	}()
	if c.dbl, err = startDouble(ctx, b, tmp, name, users, metadata); err != nil {
		return c, err
	}
	env := onDouble(c.dbl, redisURL, extra)
	env["PROFILE_CATALOG"] = filepath.Join(tmp, catalogFile)
	for i := range n {
		p, err := serverproc.Start(ctx, b.server, env, filepath.Join(tmp, fmt.Sprintf("%s-%d.log", name, i)))
		if err != nil {
			return c, err
		}
		c.procs = append(c.procs, p)
		d, err := dial(p, 1, 1, 0)
		if err != nil {
			return c, err
		}
		c.drivers = append(c.drivers, d)
	}
	return c, nil
}

// startDouble starts a Management API double holding users 0 to users-1, their user_metadata
// from metadata (none when nil).
func startDouble(ctx context.Context, b bins, tmp, name string, users int, metadata func(int) map[string]any) (*serverproc.Double, error) {
	dbl, err := serverproc.StartDouble(ctx, b.double, filepath.Join(tmp, name+"-double.log"))
	if err != nil {
		return nil, err
	}
	all := make([]map[string]any, users)
	for i := range all {
		var m map[string]any
		if metadata != nil {
			m = metadata(i)
		}
		all[i] = userObject(i, m)
	}
	if err := dbl.AddUsers(ctx, all); err != nil {
		dbl.Stop()
		return nil, err
	}
	return dbl, nil
}

// client is the gRPC client of server i, round-robin.
func (c *cluster) client(i int) profilev1.ProfileServiceClient {
	return c.drivers[i%len(c.drivers)].profile[0]
}

func (c *cluster) close() {
	for _, d := range c.drivers {
		d.close()
	}
	for _, p := range c.procs {
		p.Stop()
	}
	if c.dbl != nil {
		c.dbl.Stop()
	}
}

// journeys runs the journey of users 0 to users-1, concurrency users at a time, step i of user u
// on server u+i (round-robin), and counts the Management API requests it caused.
func (c *cluster) journeys(ctx context.Context, users, concurrency int) (journeyResult, error) {
	steps := journeySteps()
	r := journeyResult{users: users, concurrency: concurrency, steps: make([]stepResult, len(steps))}
	for i, s := range steps {
		r.steps[i].step = s
	}
	before, err := c.dbl.Calls(ctx)
	if err != nil {
		return r, err
	}
	var mu sync.Mutex
	next := make(chan int)
	var wg sync.WaitGroup
	for range concurrency {
		wg.Go(func() {
			for u := range next {
				for i, s := range steps {
					t0 := time.Now()
					err := s.call(ctx, c.client(u+i), userID(u))
					mu.Lock()
					r.steps[i].Record(time.Since(t0), err)
					mu.Unlock()
				}
			}
		})
	}
	for u := range users {
		if ctx.Err() != nil {
			break
		}
		next <- u
	}
	close(next)
	wg.Wait()
	for i := range r.steps {
		slices.Sort(r.steps[i].Latencies)
	}
	after, err := c.dbl.Calls(ctx)
	r.calls = callsBetween(before, after)
	if err == nil {
		err = ctx.Err()
	}
	return r, err
}

// callsBetween is the requests a double received between two counts.
func callsBetween(before, after serverproc.DoubleCalls) serverproc.DoubleCalls {
	return serverproc.DoubleCalls{
		Token: after.Token - before.Token, Get: after.Get - before.Get,
		Patch: after.Patch - before.Patch, Throttled: after.Throttled - before.Throttled,
	}
}

// runJourney runs the journey on one server on the Auth0 store, against a double that adds
// latency to every Management API call.
func runJourney(ctx context.Context, opts options, b bins, tmp string, logf func(string, ...any)) (*journeyResult, error) {
	c, err := startCluster(ctx, b, tmp, "auth0", 1, opts.auth0Users, prefilledMetadata, "", nil)
	if err != nil {
		return nil, err
	}
	defer c.close()
	if err := c.dbl.SetLatency(ctx, opts.auth0Latency); err != nil {
		return nil, err
	}
	logf("running the Auth0-mode journey for %d users (%d at a time, %s upstream latency)", opts.auth0Users, opts.auth0Concurrency, opts.auth0Latency)
	j, err := c.journeys(ctx, opts.auth0Users, opts.auth0Concurrency)
	j.latency = opts.auth0Latency
	return &j, err
}
