package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"

	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/metadata"
	"google.golang.org/protobuf/types/known/structpb"

	profilev1 "github.com/acme/progressive-profiling/gen/profile/v1"
	"github.com/acme/progressive-profiling/server/bench/internal/load"
)

// Scenario names, as given to -scenarios.
const (
	scGRPCHealth     = "grpc-health"
	scRESTHealthz    = "rest-healthz"
	scGRPCGet        = "grpc-get-missing"
	scRESTGet        = "rest-get-missing"
	scGRPCSubmit     = "grpc-submit"
	scRESTSubmit     = "rest-submit"
	scGRPCSubscribe  = "grpc-subscribe"
	scGRPCHealthAuth = "grpc-health-auth"
	// scGRPCHealthToken is Health/Check sent with the same per-user tokens as
	// scGRPCGetAuth, as a client with per-call credentials sends them: the raw gRPC cost of
	// carrying such a header.
	scGRPCHealthToken = "grpc-health-auth-token"
	scGRPCGetAuth     = "grpc-get-missing-auth"
	scRESTGetAuth     = "rest-get-missing-auth"
	scGRPCGetService  = "grpc-get-missing-service"
	allScenarioNames  = scGRPCHealth + "," + scGRPCGet + "," + scRESTGet + "," + scRESTHealthz + "," +
		scGRPCSubmit + "," + scRESTSubmit + "," + scGRPCSubscribe + "," +
		scGRPCHealthAuth + "," + scGRPCHealthToken + "," + scGRPCGetAuth + "," + scGRPCGetService + "," + scRESTGetAuth
)

// scenario is one kind of call measured under load.
type scenario struct {
	name      string
	call      string // what is called, for the report
	transport string // gRPC or REST
	// auth scenarios run against a second server that checks callers' tokens.
	auth bool
	// ops builds the operation of each worker; it is called once per scenario and server for
	// the whole benchmark, so state such as a subscription toggle carries over from the warm-up
	// pass through every round.
	ops func(t *target, concurrency int) []load.Op
}

// scenarios lists every scenario in the order each round runs them. The scenarios a target
// compares run next to each other (Health/Check, then GetMissingFields over gRPC, then over
// REST), and reads run before writes, so that a write's trailing work (group commits, garbage)
// is never billed to a read. The caller-auth scenarios run last, on the second server, with
// that server's own Health/Check first.
func scenarios() []scenario {
	return []scenario{
		{scGRPCHealth, "grpc.health.v1.Health/Check (baseline)", "gRPC", false, grpcHealthOps},
		{scGRPCGet, "GetMissingFields", "gRPC", false, grpcGetOps},
		{scRESTGet, "GetMissingFields", "REST", false, restGetOps},
		{scRESTHealthz, "GET /healthz (baseline)", "REST", false, restHealthzOps},
		{scGRPCSubmit, "SubmitFields (durable write)", "gRPC", false, grpcSubmitOps},
		{scRESTSubmit, "SubmitFields (durable write)", "REST", false, restSubmitOps},
		{scGRPCSubscribe, "MarkSubscribed (durable write)", "gRPC", false, grpcSubscribeOps},
		{scGRPCHealthAuth, "Health/Check, caller-auth server (baseline, public)", "gRPC", true, grpcHealthOps},
		{scGRPCHealthToken, "Health/Check, caller-auth server, carrying a token per user (baseline)", "gRPC", true, grpcHealthTokenOps},
		{scGRPCGetAuth, "GetMissingFields, caller auth on, a token per user", "gRPC", true, grpcGetOps},
		{scGRPCGetService, "GetMissingFields, caller auth on, one service token", "gRPC", true, grpcGetServiceOps},
		{scRESTGetAuth, "GetMissingFields, caller auth on", "REST", true, restGetOps},
	}
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

// withBearer adds user u's token to ctx when the target checks tokens.
func (t *target) withBearer(ctx context.Context, u int) context.Context {
	if t.bearer == nil {
		return ctx
	}
	return metadata.AppendToOutgoingContext(ctx, "authorization", t.bearer[u])
}

func (t *target) bearerOf(u int) string {
	if t.bearer == nil {
		return ""
	}
	return t.bearer[u]
}

func grpcHealthOps(t *target, concurrency int) []load.Op {
	return perWorker(concurrency, func(w int) load.Op {
		client := t.health[t.conn(w)]
		return func(ctx context.Context) error { return checkServing(ctx, client) }
	})
}

// grpcHealthTokenOps calls Health/Check with the token of the user grpcGetOps would call for:
// health is public, so the server does not check it, but gRPC still receives the header.
func grpcHealthTokenOps(t *target, concurrency int) []load.Op {
	return perWorker(concurrency, func(w int) load.Op {
		client, next := t.health[t.conn(w)], cycle(w, concurrency, t.users)
		return func(ctx context.Context) error { return checkServing(t.withBearer(ctx, next()), client) }
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

func restHealthzOps(t *target, concurrency int) []load.Op {
	return perWorker(concurrency, func(int) load.Op {
		return func(ctx context.Context) error { return t.rest(ctx, http.MethodGet, "/healthz", nil, "") }
	})
}

func grpcGetOps(t *target, concurrency int) []load.Op {
	return perWorker(concurrency, func(w int) load.Op {
		client, next := t.profile[t.conn(w)], cycle(w, concurrency, t.users)
		return func(ctx context.Context) error {
			u := next()
			_, err := client.GetMissingFields(t.withBearer(ctx, u), &profilev1.GetMissingFieldsRequest{UserId: userID(u)})
			return err
		}
	})
}

// grpcGetServiceOps calls as a backend service does: every call carries the same service token
// (read:profiles), whatever the user.
func grpcGetServiceOps(t *target, concurrency int) []load.Op {
	return perWorker(concurrency, func(w int) load.Op {
		client, next := t.profile[t.conn(w)], cycle(w, concurrency, t.users)
		return func(ctx context.Context) error {
			u := next()
			if t.service != "" {
				ctx = metadata.AppendToOutgoingContext(ctx, "authorization", t.service)
			}
			_, err := client.GetMissingFields(ctx, &profilev1.GetMissingFieldsRequest{UserId: userID(u)})
			return err
		}
	})
}

func restGetOps(t *target, concurrency int) []load.Op {
	return perWorker(concurrency, func(w int) load.Op {
		next := cycle(w, concurrency, t.users)
		return func(ctx context.Context) error {
			u := next()
			return t.rest(ctx, http.MethodGet, "/v1/users/"+url.PathEscape(userID(u))+"/missing-fields", nil, t.bearerOf(u))
		}
	})
}

// errNoWrite reports a write call that changed nothing, which would flatter the figures.
var errNoWrite = errors.New("SubmitFields changed nothing")

func grpcSubmitOps(t *target, concurrency int) []load.Op {
	return perWorker(concurrency, func(w int) load.Op {
		client, next := t.profile[t.conn(w)], cycle(w, concurrency, t.users)
		n := 0
		return func(ctx context.Context) error {
			u := next()
			n++
			values, err := structpb.NewStruct(map[string]any{"title": fmt.Sprintf("gRPC title %d-%d", w, n)})
			if err != nil {
				return err
			}
			resp, err := client.SubmitFields(ctx, &profilev1.SubmitFieldsRequest{UserId: userID(u), Values: values})
			if err == nil && len(resp.GetChangedFields()) == 0 {
				err = errNoWrite
			}
			return err
		}
	})
}

func restSubmitOps(t *target, concurrency int) []load.Op {
	return perWorker(concurrency, func(w int) load.Op {
		next := cycle(w, concurrency, t.users)
		n := 0
		return func(ctx context.Context) error {
			u := next()
			n++
			body := fmt.Appendf(nil, `{"values":{"title":"REST title %d-%d"}}`, w, n)
			return t.rest(ctx, http.MethodPost, "/v1/users/"+url.PathEscape(userID(u))+"/fields", body, "")
		}
	})
}

// grpcSubscribeOps toggles each user's subscription, so that every call writes.
func grpcSubscribeOps(t *target, concurrency int) []load.Op {
	return perWorker(concurrency, func(w int) load.Op {
		client, next := t.profile[t.conn(w)], cycle(w, concurrency, t.users)
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
