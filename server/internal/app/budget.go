package app

import (
	"context"
	"errors"
	"math"

	"golang.org/x/sync/semaphore"
	"google.golang.org/grpc"
	"google.golang.org/grpc/encoding"
	"google.golang.org/grpc/encoding/proto"
	"google.golang.org/grpc/mem"
)

// requestBudgetFactor sizes the request budget: as many bytes of requests as this many requests
// of the largest size (PROFILE_MAX_BODY_BYTES) may be decoded and handled at once.
const requestBudgetFactor = 4

// requestBudget bounds the bytes of the requests that calls hold decoded, over gRPC and REST
// together. Decoding multiplies a request's size in memory (a google.protobuf.Struct of 16 000
// empty lists takes 64 KiB on the wire and over 2 MiB decoded; its JSON form nearly 4 MiB), and
// a request is decoded before its token is checked: without a bound, 1000 gRPC calls in flight
// or 512 REST requests could make the server hold gigabytes. A call takes its request's size
// from the budget before decoding it, waiting (in turn) while the budget is spent, and gives it
// back when it ends, so that what the handler builds from the request is bounded too. Requests
// of a few hundred bytes, the usual ones, take little of it.
type requestBudget struct {
	sem  *semaphore.Weighted
	size int64
}

// newRequestBudget returns the budget for requests of at most maxRequest bytes.
func newRequestBudget(maxRequest int64) *requestBudget {
	size := int64(math.MaxInt64)
	if maxRequest <= size/requestBudgetFactor {
		size = maxRequest * requestBudgetFactor
	}
	return &requestBudget{sem: semaphore.NewWeighted(size), size: size}
}

// Acquire waits until n bytes of the budget are free (the whole budget when n is larger), or
// until ctx ends; it returns the bytes taken, to give back with Release.
func (b *requestBudget) Acquire(ctx context.Context, n int64) (int64, error) {
	n = min(n, b.size)
	if n <= 0 {
		return 0, nil
	}
	if err := b.sem.Acquire(ctx, n); err != nil {
		return 0, err
	}
	return n, nil
}

// Release gives back n bytes taken by Acquire.
func (b *requestBudget) Release(n int64) {
	if n > 0 {
		b.sem.Release(n)
	}
}

// service returns a copy of desc whose unary methods decode their request within the budget
// and hold it until the call ends: each handler hands the codec its request message wrapped in
// a budgetedRequest, which budgetCodec recognises. Other services (health, reflection) have
// small requests of plain strings and are decoded as usual.
func (b *requestBudget) service(desc *grpc.ServiceDesc) *grpc.ServiceDesc {
	d := *desc
	d.Methods = make([]grpc.MethodDesc, len(desc.Methods))
	for i, m := range desc.Methods {
		handler := m.Handler
		m.Handler = func(srv any, ctx context.Context, dec func(any) error, ic grpc.UnaryServerInterceptor) (any, error) {
			req := &budgetedRequest{ctx: ctx, budget: b}
			defer func() { b.Release(req.held) }()
			return handler(srv, ctx, func(msg any) error {
				req.msg = msg
				return dec(req)
			}, ic)
		}
		d.Methods[i] = m
	}
	return &d
}

// budgetedRequest is a request message on its way to budgetCodec, with what it needs to take
// its size from the budget.
type budgetedRequest struct {
	ctx     context.Context
	budget  *requestBudget
	msg     any
	held    int64
	decoded bool
}

// errSecondMessage refuses a second request message on a unary call before decoding it (grpc-go
// reads one more to check that the request ended); the call fails either way.
var errSecondMessage = errors.New("a unary call carries one request message")

// budgetCodec is the server's codec: the proto codec, which decodes a budgetedRequest's message
// only once its size is taken from the budget.
type budgetCodec struct{ encoding.CodecV2 }

func newBudgetCodec() budgetCodec { return budgetCodec{encoding.GetCodecV2(proto.Name)} }

func (c budgetCodec) Unmarshal(data mem.BufferSlice, v any) error {
	req, ok := v.(*budgetedRequest)
	if !ok {
		return c.CodecV2.Unmarshal(data, v)
	}
	if req.decoded {
		return errSecondMessage
	}
	req.decoded = true
	n, err := req.budget.Acquire(req.ctx, int64(data.Len()))
	if err != nil {
		return err
	}
	req.held = n
	return c.CodecV2.Unmarshal(data, req.msg)
}
