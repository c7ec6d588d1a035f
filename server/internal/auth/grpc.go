package auth

import (
	"context"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
)

// WWWAuthenticateKey is the response header (gRPC metadata on gRPC, HTTP header on REST) that
// carries the Bearer challenge of an UNAUTHENTICATED answer.
const WWWAuthenticateKey = "www-authenticate"

// unauthenticatedMessage is all a rejected caller is told, whatever check failed.
const unauthenticatedMessage = "missing or invalid access token"

// UnaryServerInterceptor authenticates every unary call except those skip accepts (health,
// reflection...; skip may be nil). On success the *Principal is in the handler's context (see
// PrincipalFrom); on failure the call ends with UNAUTHENTICATED, a generic message and a
// "www-authenticate" response header. v must not be nil: without auth, install no interceptor.
func UnaryServerInterceptor(v *Verifier, skip func(fullMethod string) bool) grpc.UnaryServerInterceptor {
	mustVerifier(v)
	return func(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
		if skip != nil && skip(info.FullMethod) {
			return handler(ctx, req)
		}
		ctx, err := v.authenticate(ctx, func(md metadata.MD) { _ = grpc.SetHeader(ctx, md) })
		if err != nil {
			return nil, err
		}
		return handler(ctx, req)
	}
}

// StreamServerInterceptor is UnaryServerInterceptor for streaming calls.
func StreamServerInterceptor(v *Verifier, skip func(fullMethod string) bool) grpc.StreamServerInterceptor {
	mustVerifier(v)
	return func(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
		if skip != nil && skip(info.FullMethod) {
			return handler(srv, ss)
		}
		ctx, err := v.authenticate(ss.Context(), func(md metadata.MD) { _ = ss.SetHeader(md) })
		if err != nil {
			return err
		}
		return handler(srv, &principalStream{ServerStream: ss, ctx: ctx})
	}
}

// authenticate verifies the bearer token of an incoming call and returns ctx with its principal,
// or a status error after setting the challenge header through setHeader.
func (v *Verifier) authenticate(ctx context.Context, setHeader func(metadata.MD)) (context.Context, error) {
	// Only the authorization values, without copying the whole metadata.
	vals := metadata.ValueFromIncomingContext(ctx, AuthorizationKey)
	token, err := bearerToken(vals)
	if err != nil {
		v.cfg.Logger.DebugContext(ctx, "auth: request without a usable bearer token", "reason", err.Error())
		setHeader(metadata.Pairs(WWWAuthenticateKey, Challenge(v.cfg.Audience, len(vals) > 0)))
		return nil, status.Error(codes.Unauthenticated, unauthenticatedMessage)
	}
	p, err := v.Verify(ctx, token)
	if err != nil {
		setHeader(metadata.Pairs(WWWAuthenticateKey, Challenge(v.cfg.Audience, true)))
		return nil, status.Error(codes.Unauthenticated, unauthenticatedMessage)
	}
	return NewContext(ctx, p), nil
}

func mustVerifier(v *Verifier) {
	if v == nil {
		panic("auth: interceptor needs a non-nil *Verifier")
	}
}

// principalStream overrides the context of a server stream.
type principalStream struct {
	grpc.ServerStream
	ctx context.Context
}

func (s *principalStream) Context() context.Context { return s.ctx }
