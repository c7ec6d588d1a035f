package app

import (
	"context"
	"runtime/debug"
	"strings"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/keepalive"
	"google.golang.org/grpc/reflection"
	"google.golang.org/grpc/status"

	profilev1 "github.com/acme/progressive-profiling/gen/profile/v1"
	"github.com/acme/progressive-profiling/server/internal/auth"
	"github.com/acme/progressive-profiling/server/internal/telemetry"
)

// maxMessageBytes bounds gRPC messages; profiles are small.
const maxMessageBytes = 1 << 20

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

func (s *Server) newGRPCServer(svc profilev1.ProfileServiceServer) *grpc.Server {
	opts := []grpc.ServerOption{grpc.UnaryInterceptor(s.chain)}
	if s.traceOpt != nil {
		opts = append(opts, s.traceOpt)
	}
	if s.verifier != nil {
		// Streams (server reflection, health Watch) need a token too, but for health.
		opts = append(opts, grpc.StreamInterceptor(auth.StreamServerInterceptor(s.verifier, isPublicMethod)))
	}
	srv := grpc.NewServer(append(opts,
		grpc.MaxRecvMsgSize(maxMessageBytes),
		// Serve calls on long-lived workers whose stacks have already grown.
		grpc.NumStreamWorkers(streamWorkers),
		// Recycle connections now and then so that clients behind a Kubernetes Service spread
		// over replicas added by the autoscaler.
		grpc.KeepaliveParams(keepalive.ServerParameters{MaxConnectionAge: 5 * time.Minute, MaxConnectionAgeGrace: 30 * time.Second}),
	)...)
	profilev1.RegisterProfileServiceServer(srv, svc)
	healthpb.RegisterHealthServer(srv, s.health)
	reflection.Register(srv)
	return srv
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
