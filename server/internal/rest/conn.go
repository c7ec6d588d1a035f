package rest

import (
	"context"
	"strings"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// inProcessConn is the connection the REST gateway's client uses: each unary call runs the
// method's registered handler in this process, as the gRPC server would, behind the same
// interceptor chain, with no network connection and no encoding. It needs no code per RPC: the
// gateway's generated client serves every method of the service.
type inProcessConn struct {
	impl    any
	chain   grpc.UnaryServerInterceptor
	methods map[string]grpc.MethodDesc // by full method name, "/package.Service/Method"
}

var _ grpc.ClientConnInterface = (*inProcessConn)(nil)

// newInProcessConn serves the unary methods of desc with impl (what desc's registration
// takes), every call run through chain.
func newInProcessConn(desc *grpc.ServiceDesc, impl any, chain grpc.UnaryServerInterceptor) *inProcessConn {
	if chain == nil {
		chain = func(ctx context.Context, req any, _ *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
			return handler(ctx, req)
		}
	}
	c := &inProcessConn{impl: impl, chain: chain, methods: map[string]grpc.MethodDesc{}}
	for _, m := range desc.Methods {
		c.methods["/"+desc.ServiceName+"/"+m.MethodName] = m
	}
	return c
}

// Invoke runs method with the request args and fills reply with the response. The gateway has
// put the HTTP headers (Authorization, X-Request-Id) into the outgoing metadata of ctx, and
// Grpc-Timeout into its deadline: the service finds them as incoming metadata, as it does for
// gRPC calls. The headers and trailers the service sets go back through the call options.
func (c *inProcessConn) Invoke(ctx context.Context, method string, args, reply any, opts ...grpc.CallOption) error {
	m, ok := c.methods[method]
	if !ok {
		return status.Errorf(codes.Unimplemented, "method %s is not served in-process", method)
	}
	if md, ok := metadata.FromOutgoingContext(ctx); ok {
		ctx = metadata.NewIncomingContext(metadata.NewOutgoingContext(ctx, nil), md)
	}
	var stream runtime.ServerTransportStream
	ctx = grpc.NewContextWithServerTransportStream(ctx, &stream)
	if msg, ok := args.(proto.Message); ok {
		unslashPathParams(ctx, msg)
	}
	// The handler hands the interceptors a request of its own, to be filled by decoding; the
	// request is already decoded, so the chain gets args instead.
	noDecode := func(any) error { return nil }
	resp, err := m.Handler(c.impl, ctx, noDecode, func(ctx context.Context, _ any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
		return c.chain(ctx, args, info, handler)
	})
	for _, o := range opts {
		switch o := o.(type) {
		case grpc.HeaderCallOption:
			*o.HeaderAddr = stream.Header()
		case grpc.TrailerCallOption:
			*o.TrailerAddr = stream.Trailer()
		}
	}
	if err != nil {
		return err
	}
	return moveInto(reply, resp)
}

// NewStream refuses streams: the gateway serves unary methods only.
func (c *inProcessConn) NewStream(context.Context, *grpc.StreamDesc, string, ...grpc.CallOption) (grpc.ClientStream, error) {
	return nil, status.Error(codes.Unimplemented, "streams are not served in-process")
}

// moveInto makes reply hold the fields of resp, a message of the same type, sharing their
// values instead of copying them: a prompt's field and topic specs are shared messages, whose
// JSON restJSON caches by identity.
func moveInto(reply, resp any) error {
	dst, ok1 := reply.(proto.Message)
	src, ok2 := resp.(proto.Message)
	if !ok1 || !ok2 || dst.ProtoReflect().Descriptor() != src.ProtoReflect().Descriptor() {
		return status.Errorf(codes.Internal, "in-process call: response %T does not fit reply %T", resp, reply)
	}
	d := dst.ProtoReflect()
	src.ProtoReflect().Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		d.Set(fd, v)
		return true
	})
	return nil
}

// unslashPathParams applies unslash to the request fields that the call's HTTP path pattern
// (such as /v1/users/{user_id}/fields) binds to path segments.
func unslashPathParams(ctx context.Context, req proto.Message) {
	pattern, ok := runtime.HTTPPathPattern(ctx)
	if !ok {
		return
	}
	for {
		_, after, ok := strings.Cut(pattern, "{")
		if !ok {
			return
		}
		param, rest, ok := strings.Cut(after, "}")
		if !ok {
			return
		}
		field, _, _ := strings.Cut(param, "=") // {name=segments/*}
		unslashField(req.ProtoReflect(), field)
		pattern = rest
	}
}

// unslashField applies unslash to the string field of m at path (field names joined by ".").
func unslashField(m protoreflect.Message, path string) {
	for {
		name, rest, nested := strings.Cut(path, ".")
		fd := m.Descriptor().Fields().ByName(protoreflect.Name(name))
		if fd == nil || fd.IsList() || fd.IsMap() {
			return
		}
		if !nested {
			if fd.Kind() == protoreflect.StringKind {
				s := m.Get(fd).String()
				if u := unslash(s); u != s {
					m.Set(fd, protoreflect.ValueOfString(u))
				}
			}
			return
		}
		if fd.Message() == nil || !m.Has(fd) {
			return
		}
		m, path = m.Mutable(fd).Message(), rest
	}
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
