package main

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"google.golang.org/protobuf/types/known/structpb"

	profilev1 "github.com/acme/progressive-profiling/gen/profile/v1"
	"github.com/acme/progressive-profiling/server/internal/serverproc"
	"github.com/acme/progressive-profiling/server/internal/store/auth0/auth0test"
)

// journeyStep is one RPC of the Auth0-mode journey.
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
	submit := func(ctx context.Context, c profilev1.ProfileServiceClient, user string) error {
		values, err := structpb.NewStruct(map[string]any{"interests": []any{"go", "grpc"}, "newsletter_ok": true})
		if err != nil {
			return err
		}
		resp, err := c.SubmitFields(ctx, &profilev1.SubmitFieldsRequest{UserId: user, Values: values})
		if err == nil && len(resp.GetChangedFields()) == 0 {
			err = errNoWrite
		}
		return err
	}
	subscribe := func(ctx context.Context, c profilev1.ProfileServiceClient, user string) error {
		_, err := c.MarkSubscribed(ctx, &profilev1.MarkSubscribedRequest{UserId: user, Topic: benchTopic, Subscribed: true, Source: "article:bench"})
		return err
	}
	return []journeyStep{
		{"1. GetMissingFields (first read)", false, get},
		{"2. SubmitFields", false, submit},
		{"3. GetMissingFields", true, get},
		{"4. MarkSubscribed", false, subscribe},
		{"5. GetMissingFields", true, get},
	}
}

// stepResult is the latency of one journey step over all users.
type stepResult struct {
	step      journeyStep
	latencies []time.Duration // sorted
	errors    int
	firstErr  error
}

// journeyResult is what the Auth0-mode run measured.
type journeyResult struct {
	users, concurrency int
	latency            time.Duration
	steps              []stepResult
	calls              auth0test.Counts // upstream requests during the journeys
}

// perJourney returns upstream GETs and PATCHes per journey.
func (r journeyResult) perJourney() (gets, patches float64) {
	if r.users == 0 {
		return 0, 0
	}
	return float64(r.calls.Get) / float64(r.users), float64(r.calls.Patch) / float64(r.users)
}

// runAuth0Journey starts the server on the Auth0 store against an in-process Management API
// look-alike with added latency, and runs the journey for opts.auth0Users users.
func runAuth0Journey(ctx context.Context, opts options, bin, tmp string, logf func(string, ...any)) (journeyResult, error) {
	dbl := auth0test.NewServer()
	defer dbl.Close()
	dbl.SetLatency(opts.auth0Latency)
	for i := range opts.auth0Users {
		dbl.AddUser(userID(i), userObject(i, prefilledMetadata(i)))
	}
	env := map[string]string{
		"PROFILE_STORE":       "auth0",
		"PROFILE_DATA_DIR":    filepath.Join(tmp, "auth0-data"),
		"PROFILE_CATALOG":     filepath.Join(tmp, "catalog.yaml"),
		"AUTH0_DOMAIN":        dbl.URL(),
		"AUTH0_CLIENT_ID":     auth0test.ClientID,
		"AUTH0_CLIENT_SECRET": auth0test.ClientSecret,
	}
	srv, err := serverproc.Start(ctx, bin, env, filepath.Join(tmp, "server-auth0.log"))
	if err != nil {
		return journeyResult{}, fmt.Errorf("auth0 mode: %w", err)
	}
	defer srv.Stop()
	t, err := dialTarget(srv, 1, opts.auth0Concurrency, opts.auth0Users)
	if err != nil {
		return journeyResult{}, err
	}
	defer t.close()
	logf("running the Auth0-mode journey for %d users (%d at a time, %s upstream latency)", opts.auth0Users, opts.auth0Concurrency, opts.auth0Latency)
	before := dbl.Calls()
	steps := journeys(ctx, t.profile[0], opts.auth0Users, opts.auth0Concurrency)
	after := dbl.Calls()
	if err := ctx.Err(); err != nil {
		return journeyResult{}, err
	}
	return journeyResult{
		users: opts.auth0Users, concurrency: opts.auth0Concurrency, latency: opts.auth0Latency, steps: steps,
		calls: auth0test.Counts{Token: after.Token - before.Token, Get: after.Get - before.Get, Patch: after.Patch - before.Patch},
	}, nil
}

// journeys runs the steps in order for each user, concurrency users at a time.
func journeys(ctx context.Context, client profilev1.ProfileServiceClient, users, concurrency int) []stepResult {
	steps := journeySteps()
	results := make([]stepResult, len(steps))
	for i, s := range steps {
		results[i].step = s
	}
	var mu sync.Mutex
	next := make(chan int)
	var wg sync.WaitGroup
	for range concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for u := range next {
				for i, s := range steps {
					t0 := time.Now()
					err := s.call(ctx, client, userID(u))
					d := time.Since(t0)
					mu.Lock()
					results[i].record(d, err)
					mu.Unlock()
				}
			}
		}()
	}
	for u := range users {
		if ctx.Err() != nil {
			break
		}
		next <- u
	}
	close(next)
	wg.Wait()
	for i := range results {
		slices.Sort(results[i].latencies)
	}
	return results
}

func (r *stepResult) record(d time.Duration, err error) {
	if err != nil {
		r.errors++
		if r.firstErr == nil {
			r.firstErr = err
		}
		return
	}
	r.latencies = append(r.latencies, d)
}
