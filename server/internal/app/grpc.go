package app

import (
	"context"
	"runtime/debug"
	"strings"
	"sync/atomic"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/keepalive"
	"google.golang.org/grpc/reflection"
	"google.golang.org/grpc/status"
	"google.golang.org/grpc/tap"

	profilev1 "github.com/acme/progressive-profiling/gen/profile/v1"
	"github.com/acme/progressive-profiling/server/internal/auth"
	"github.com/acme/progressive-profiling/server/internal/telemetry"
)

// Fixed limits of gRPC connections (the configurable ones are in config.Config; all are
// described in docs/limits.md).
const (
	// maxHeaderListBytes bounds the headers of a call (grpc-go's default is 16 MiB); access tokens
	// are at most 16 KiB (auth.maxTokenBytes), and HTTP requests get the same 32 KiB.
	maxHeaderListBytes = 32 << 10
	// keepaliveMinTime is the shortest interval between a client's keepalive pings the server
	// tolerates; pings more frequent than that end the connection (too_many_pings).
	keepaliveMinTime = 20 * time.Second
	// maxConnectionIdle closes a connection without calls for that long.
	maxConnectionIdle = 5 * time.Minute
	// maxConnectionAge recycles connections now and then, so that clients behind a Kubernetes
	// Service spread over replicas added by the autoscaler; calls in flight then get
	// maxConnectionAgeGrace to finish.
	maxConnectionAge      = 5 * time.Minute
	maxConnectionAgeGrace = 30 * time.Second
	// keepaliveTime and keepaliveTimeout: the server pings a connection quiet for keepaliveTime
	// and closes it when the ping is not answered within keepaliveTimeout (a vanished peer).
	keepaliveTime    = time.Minute
	keepaliveTimeout = 20 * time.Second
)

// streamWorkers is how many long-lived goroutines serve calls. A call that finds none idle
// gets a goroutine of its own, whose small new stack then grows (and is copied) as the call
// runs through the interceptors: that copying was a sixth of the server's CPU under load with
// a worker per core. Idle workers cost a few kilobytes each.
const streamWorkers = 128

// interceptors returns the unary interceptor chain every call goes through, over gRPC and over
// REST alike, outermost first.
func (s *Server) interceptors() grpc.UnaryServerInterceptor {
	ics := []grpc.UnaryServerInterceptor{
		telemetry.LogUnary(s.logger),       // outermost: logs every final code, auth failures included
		s.metrics.UnaryServerInterceptor(), // counts and times every call
		s.recoverUnary,                     // a panic becomes INTERNAL, logged and counted as such
	}
	if s.verifier != nil {
		ics = append(ics, auth.UnaryServerInterceptor(s.verifier, isPublicMethod))
	}
	return chainUnary(ics)
}

// chainUnary composes interceptors into one, the first outermost, as grpc.ChainUnaryInterceptor
// does inside the gRPC server. The same chain serves gRPC calls and the REST gateway's
// in-process calls, so both get every check.
func chainUnary(ics []grpc.UnaryServerInterceptor) grpc.UnaryServerInterceptor {
	return func(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
		next := handler
		for i := len(ics) - 1; i >= 0; i-- {
			ic, h := ics[i], next
			next = func(ctx context.Context, req any) (any, error) { return ic(ctx, req, info, h) }
		}
		return next(ctx, req)
	}
}

func (s *Server) newGRPCServer(svc profilev1.ProfileServiceServer) *grpc.Server {
	opts := []grpc.ServerOption{grpc.UnaryInterceptor(s.chain)}
	if s.traceOpt != nil {
		opts = append(opts, s.traceOpt)
	}
	if s.verifier != nil {
		// Streams (server reflection, health Watch) need a token too, but for health.
		opts = append(opts, grpc.StreamInterceptor(auth.StreamServerInterceptor(s.verifier, isPublicMethod)))
	}
	calls := &callLimiter{max: int64(s.cfg.GRPCMaxCalls)}
	srv := grpc.NewServer(append(opts,
		// The same limit as REST bodies: one decision for the largest request.
		grpc.MaxRecvMsgSize(int(s.cfg.MaxBodyBytes)),
		// Requests are decoded within the request budget (see requestBudget.service).
		grpc.ForceServerCodecV2(newBudgetCodec()),
		grpc.MaxHeaderListSize(maxHeaderListBytes),
		grpc.MaxConcurrentStreams(uint32(s.cfg.GRPCMaxStreams)),
		grpc.InTapHandle(calls.admit),
		grpc.ConnectionTimeout(s.cfg.GRPCHandshakeTimeout),
		grpc.KeepaliveEnforcementPolicy(keepalive.EnforcementPolicy{MinTime: keepaliveMinTime, PermitWithoutStream: true}),
		grpc.KeepaliveParams(keepalive.ServerParameters{
			MaxConnectionIdle:     maxConnectionIdle,
			MaxConnectionAge:      maxConnectionAge,
			MaxConnectionAgeGrace: maxConnectionAgeGrace,
			Time:                  keepaliveTime,
			Timeout:               keepaliveTimeout,
		}),
		// Serve calls on long-lived workers whose stacks have already grown.
		grpc.NumStreamWorkers(streamWorkers),
	)...)
	srv.RegisterService(s.budget.service(&profilev1.ProfileService_ServiceDesc), svc)
	healthpb.RegisterHealthServer(srv, s.health)
	reflection.Register(srv)
	return srv
}

// callLimiter bounds the gRPC calls in flight, all connections together. It admits a call as
// soon as its headers arrive, before the request is read or the token checked: a call waiting
// for its request costs memory too (about 17 KB), and a client may open many such calls on many
// connections. A call over the limit is refused at once with UNAVAILABLE, which clients retry.
type callLimiter struct {
	max      int64
	inFlight atomic.Int64
}

// errBusy is what a call over the limit gets.
var errBusy = status.Error(codes.Unavailable, "the server has too many calls in flight; retry later")

// admit is the server's tap handle: it runs for every new call, on the connection's reader,
// and frees the call's place when the call's context ends (the call finished, was reset, or
// its connection closed).
func (l *callLimiter) admit(ctx context.Context, _ *tap.Info) (context.Context, error) {
	if l.inFlight.Add(1) > l.max {
		l.inFlight.Add(-1)
		return nil, errBusy
	}
	context.AfterFunc(ctx, func() { l.inFlight.Add(-1) })
	return ctx, nil
}

// isPublicMethod lists the methods served without a token: health checks for probes.
func isPublicMethod(fullMethod string) bool {
	return strings.HasPrefix(fullMethod, "/grpc.health.v1.Health/")
}

// recoverUnary turns a panic in a handler into INTERNAL instead of a crashed process.
func (s *Server) recoverUnary(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (resp any, err error) {
	defer func() {
		if r := recover(); r != nil {
			s.logger.ErrorContext(ctx, "panic in handler", "method", info.FullMethod, "request_id", telemetry.RequestID(ctx), "panic", r, "stack", string(debug.Stack()))
			err = status.Error(codes.Internal, "internal error")
		}
	}()
	return handler(ctx, req)
}
