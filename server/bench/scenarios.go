package main

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"slices"

	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/metadata"
	"google.golang.org/protobuf/types/known/structpb"

	profilev1 "github.com/acme/progressive-profiling/gen/profile/v1"
	"github.com/acme/progressive-profiling/server/bench/internal/load"
)

// serverKind is the server a scenario runs on; every kind selected runs for the whole benchmark.
type serverKind int

const (
	// plainServer is on the embedded store, with caller auth off.
	plainServer serverKind = iota
	// authServer is on the embedded store and checks RS256 tokens.
	authServer
	// auth0Server is on the Auth0 store against the Management API double.
	auth0Server
	// redisServer is an auth0Server that also shares a Redis, as replicas do.
	redisServer
)

// baseline is the scenario a server's CPU ratios are taken against: its own Health/Check.
func (k serverKind) baseline() string {
	switch k {
	case plainServer:
		return "grpc-health"
	case authServer:
		return "grpc-health-auth"
	}
	return ""
}

// scenario is one kind of call measured under load.
type scenario struct {
	name      string // as given to -scenarios
	call      string // what is called, for the report
	transport string // gRPC or REST
	server    serverKind
	// ops builds the operation of each worker; it is called once per scenario and server for
	// the whole benchmark, so state such as a subscription toggle carries over from the warm-up
	// pass through every round.
	ops func(d *driver, concurrency int) []load.Op
}

// scenarios lists every scenario in the order each round runs them. The scenarios a target
// compares run next to each other (Health/Check, then GetMissingFields over gRPC, then over
// REST), and reads run before writes, so that a write's trailing work (group commits, garbage)
// is never billed to a read. Each server's scenarios run together, its own Health/Check first.
func scenarios() []scenario {
	grpc := func(name, call string, server serverKind, ops func(*driver, int) []load.Op) scenario {
		return scenario{name: name, call: call, transport: "gRPC", server: server, ops: ops}
	}
	rest := func(name, call string, server serverKind) scenario {
		return scenario{name: name, call: call, transport: "REST", server: server, ops: restGetOps}
	}
	return []scenario{
		grpc("grpc-health", "grpc.health.v1.Health/Check (baseline)", plainServer, grpcHealthOps),
		grpc("grpc-get-missing", "GetMissingFields", plainServer, grpcGetOps),
		rest("rest-get-missing", "GetMissingFields", plainServer),
		grpc("grpc-submit", "SubmitFields (durable write)", plainServer, grpcSubmitOps),
		grpc("grpc-subscribe", "MarkSubscribed (durable write)", plainServer, grpcSubscribeOps),
		grpc("grpc-health-auth", "Health/Check, caller-auth server (baseline, public)", authServer, grpcHealthOps),
		// Health/Check with the same per-user tokens as grpc-get-missing-auth, as a client with
		// per-call credentials sends them: the raw gRPC cost of carrying such a header.
		grpc("grpc-health-auth-token", "Health/Check, caller-auth server, carrying a token per user (baseline)", authServer, grpcHealthTokenOps),
		grpc("grpc-get-missing-auth", "GetMissingFields, caller auth on, a token per user", authServer, grpcGetOps),
		grpc("grpc-get-missing-service", "GetMissingFields, caller auth on, one service token", authServer, asService(grpcGetOps)),
		rest("rest-get-missing-auth", "GetMissingFields, caller auth on", authServer),
		grpc("auth0-get-missing", "GetMissingFields, Auth0 store, cached", auth0Server, grpcGetOps),
		grpc("auth0-get-missing-redis", "GetMissingFields, Auth0 store sharing a Redis, cached", redisServer, grpcGetOps),
	}
}

// scenarioNames lists the scenarios' names, for -scenarios.
func scenarioNames() []string {
	var out []string
	for _, sc := range scenarios() {
		out = append(out, sc.name)
	}
	return out
}

// perWorker builds one operation per worker with mk.
func perWorker(concurrency int, mk func(w int) load.Op) []load.Op {
	ops := make([]load.Op, concurrency)
	for w := range ops {
		ops[w] = mk(w)
	}
	return ops
}

// cycle returns a function that walks worker w's users round and round.
func cycle(w, concurrency, users int) func() int {
	mine := workerUsers(w, concurrency, users)
	i := -1
	return func() int {
		i = (i + 1) % len(mine)
		return mine[i]
	}
}

// withBearer adds user u's token to ctx when the server checks tokens.
func (d *driver) withBearer(ctx context.Context, u int) context.Context {
	if d.bearer == nil {
		return ctx
	}
	return metadata.AppendToOutgoingContext(ctx, "authorization", d.bearer[u])
}

func grpcHealthOps(d *driver, concurrency int) []load.Op {
	return perWorker(concurrency, func(w int) load.Op {
		client := d.health[d.conn(w)]
		return func(ctx context.Context) error { return checkServing(ctx, client) }
	})
}

// grpcHealthTokenOps calls Health/Check with the token of the user grpcGetOps would call for:
// health is public, so the server does not check it, but gRPC still receives the header.
func grpcHealthTokenOps(d *driver, concurrency int) []load.Op {
	return perWorker(concurrency, func(w int) load.Op {
		client, next := d.health[d.conn(w)], cycle(w, concurrency, d.users)
		return func(ctx context.Context) error { return checkServing(d.withBearer(ctx, next()), client) }
	})
}

// checkServing calls Health/Check and fails unless the server answers SERVING.
func checkServing(ctx context.Context, client healthpb.HealthClient) error {
	resp, err := client.Check(ctx, &healthpb.HealthCheckRequest{})
	if err == nil && resp.GetStatus() != healthpb.HealthCheckResponse_SERVING {
		err = fmt.Errorf("health status %v", resp.GetStatus())
	}
	return err
}

func grpcGetOps(d *driver, concurrency int) []load.Op {
	return perWorker(concurrency, func(w int) load.Op {
		client, next := d.profile[d.conn(w)], cycle(w, concurrency, d.users)
		return func(ctx context.Context) error {
			u := next()
			_, err := client.GetMissingFields(d.withBearer(ctx, u), &profilev1.GetMissingFieldsRequest{UserId: userID(u)})
			return err
		}
	})
}

// asService builds ops as a backend service calls: every call carries the same service token
// (read:profiles), whatever the user.
func asService(ops func(*driver, int) []load.Op) func(*driver, int) []load.Op {
	return func(d *driver, concurrency int) []load.Op {
		service := *d
		service.bearer = slices.Repeat([]string{d.service}, d.users)
		return ops(&service, concurrency)
	}
}

func restGetOps(d *driver, concurrency int) []load.Op {
	return perWorker(concurrency, func(w int) load.Op {
		next := cycle(w, concurrency, d.users)
		return func(ctx context.Context) error {
			u := next()
			bearer := ""
			if d.bearer != nil {
				bearer = d.bearer[u]
			}
			return d.get(ctx, "/v1/users/"+url.PathEscape(userID(u))+"/missing-fields", bearer)
		}
	})
}

// errNoWrite reports a write call that changed nothing, which would flatter the figures.
var errNoWrite = errors.New("SubmitFields changed nothing")

// submit calls SubmitFields with values and fails unless it changed something.
func submit(ctx context.Context, client profilev1.ProfileServiceClient, user string, values map[string]any) error {
	v, err := structpb.NewStruct(values)
	if err != nil {
		return err
	}
	resp, err := client.SubmitFields(ctx, &profilev1.SubmitFieldsRequest{UserId: user, Values: v})
	if err == nil && len(resp.GetChangedFields()) == 0 {
		err = errNoWrite
	}
	return err
}

func grpcSubmitOps(d *driver, concurrency int) []load.Op {
	return perWorker(concurrency, func(w int) load.Op {
		client, next := d.profile[d.conn(w)], cycle(w, concurrency, d.users)
		n := 0
		return func(ctx context.Context) error {
			n++
			return submit(ctx, client, userID(next()), map[string]any{"title": fmt.Sprintf("gRPC title %d-%d", w, n)})
		}
	})
}

// grpcSubscribeOps toggles each user's subscription, so that every call writes.
func grpcSubscribeOps(d *driver, concurrency int) []load.Op {
	return perWorker(concurrency, func(w int) load.Op {
		client, next := d.profile[d.conn(w)], cycle(w, concurrency, d.users)
		subscribed := make(map[int]bool)
		return func(ctx context.Context) error {
			u := next()
			want := !subscribed[u]
			resp, err := client.MarkSubscribed(ctx, &profilev1.MarkSubscribedRequest{
				UserId: userID(u), Topic: benchTopic, Subscribed: want, Source: "bench",
			})
			if err != nil {
				return err
			}
			subscribed[u] = want
			if got := len(resp.GetSubscriptions()) > 0; got != want {
				return fmt.Errorf("MarkSubscribed(%v): subscribed afterwards = %v", want, got)
			}
			return nil
		}
	})
}
