package app

import (
	"context"
	"strings"

	"google.golang.org/grpc"

	profilev1 "github.com/acme/progressive-profiling/gen/profile/v1"
)

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

// gatewayServer is what the REST gateway calls: the service behind the same interceptor chain
// as the gRPC server, called in-process (no loopback connection, no second encoding). The
// gateway has already put the HTTP headers (Authorization, X-Request-Id, Grpc-Timeout) into the
// incoming metadata and deadline of ctx, as the gRPC server does for gRPC calls.
type gatewayServer struct {
	profilev1.UnimplementedProfileServiceServer
	srv   profilev1.ProfileServiceServer
	chain grpc.UnaryServerInterceptor
	infos map[string]*grpc.UnaryServerInfo
}

func newGatewayServer(srv profilev1.ProfileServiceServer, chain grpc.UnaryServerInterceptor) *gatewayServer {
	g := &gatewayServer{srv: srv, chain: chain, infos: map[string]*grpc.UnaryServerInfo{}}
	for _, m := range profilev1.ProfileService_ServiceDesc.Methods {
		full := "/" + profilev1.ProfileService_ServiceDesc.ServiceName + "/" + m.MethodName
		g.infos[full] = &grpc.UnaryServerInfo{Server: srv, FullMethod: full}
	}
	return g
}

// invoke runs one call through the chain with the method's typed handler.
func invoke[Req, Resp any](ctx context.Context, g *gatewayServer, method string, req Req, h func(context.Context, Req) (Resp, error)) (Resp, error) {
	resp, err := g.chain(ctx, req, g.infos[method], func(ctx context.Context, r any) (any, error) {
		return h(ctx, r.(Req))
	})
	if err != nil {
		var zero Resp
		return zero, err
	}
	return resp.(Resp), nil
}

// unslash completes the gateway's unescaping of user ids taken from REST paths. The gateway
// splits paths on "/" and, in UnescapingModeAllExceptSlash, unescapes every path parameter
// except %2F, so that an id such as "samlp|acme/conn|a@b.c" (samlp%7Cacme%2Fconn%7Ca%40b.c)
// stays one path segment; %2F becomes "/" here.
func unslash(id string) string {
	if !strings.Contains(id, "%2") {
		return id
	}
	return strings.NewReplacer("%2F", "/", "%2f", "/").Replace(id)
}

func (g *gatewayServer) GetMissingFields(ctx context.Context, in *profilev1.GetMissingFieldsRequest) (*profilev1.GetMissingFieldsResponse, error) {
	in.UserId = unslash(in.UserId)
	return invoke(ctx, g, profilev1.ProfileService_GetMissingFields_FullMethodName, in, g.srv.GetMissingFields)
}

func (g *gatewayServer) SubmitFields(ctx context.Context, in *profilev1.SubmitFieldsRequest) (*profilev1.SubmitFieldsResponse, error) {
	in.UserId = unslash(in.UserId)
	return invoke(ctx, g, profilev1.ProfileService_SubmitFields_FullMethodName, in, g.srv.SubmitFields)
}

func (g *gatewayServer) MarkSubscribed(ctx context.Context, in *profilev1.MarkSubscribedRequest) (*profilev1.MarkSubscribedResponse, error) {
	in.UserId = unslash(in.UserId)
	return invoke(ctx, g, profilev1.ProfileService_MarkSubscribed_FullMethodName, in, g.srv.MarkSubscribed)
}

func (g *gatewayServer) GetProfile(ctx context.Context, in *profilev1.GetProfileRequest) (*profilev1.GetProfileResponse, error) {
	in.UserId = unslash(in.UserId)
	return invoke(ctx, g, profilev1.ProfileService_GetProfile_FullMethodName, in, g.srv.GetProfile)
}

func (g *gatewayServer) ListFields(ctx context.Context, in *profilev1.ListFieldsRequest) (*profilev1.ListFieldsResponse, error) {
	return invoke(ctx, g, profilev1.ProfileService_ListFields_FullMethodName, in, g.srv.ListFields)
}

func (g *gatewayServer) GetLoginPrompt(ctx context.Context, in *profilev1.GetLoginPromptRequest) (*profilev1.GetLoginPromptResponse, error) {
	in.UserId = unslash(in.UserId)
	return invoke(ctx, g, profilev1.ProfileService_GetLoginPrompt_FullMethodName, in, g.srv.GetLoginPrompt)
}
