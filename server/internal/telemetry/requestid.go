package telemetry

import (
	"context"
	"math/rand/v2"
)

// RequestIDKey is the gRPC metadata key, and (canonicalised) the HTTP header, that carries the
// request id in both directions.
const RequestIDKey = "x-request-id"

// maxRequestIDLen bounds a request id taken from a caller.
const maxRequestIDLen = 128

type requestIDKey struct{}

// RequestID returns the request id that LogUnary put in ctx, or "" when there is none.
func RequestID(ctx context.Context) string {
	if c, ok := ctx.Value(requestIDKey{}).(*rpcContext); ok {
		return c.id[0]
	}
	return ""
}

// rpcContext is the context of one logged RPC: its parent plus the request id. It holds the
// id in a one-element array so that the response header can use it without allocating.
type rpcContext struct {
	context.Context
	id [1]string
}

// Value returns the rpcContext itself for requestIDKey, and defers to the parent otherwise.
func (c *rpcContext) Value(key any) any {
	if key == (requestIDKey{}) {
		return c
	}
	return c.Context.Value(key)
}

// withRequestID returns a copy of ctx carrying id.
func withRequestID(ctx context.Context, id string) *rpcContext {
	c := &rpcContext{Context: ctx}
	c.id[0] = id
	return c
}

// validRequestID reports whether a caller's id is safe to log and echo: 1 to 128 characters
// of [A-Za-z0-9._-].
func validRequestID(id string) bool {
	if id == "" || len(id) > maxRequestIDLen {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', c == '.', c == '_', c == '-':
		default:
			return false
		}
	}
	return true
}

// newRequestID returns 16 random hexadecimal characters. It uses the runtime's per-thread
// generator: ids need to be unlikely to collide, not unpredictable.
func newRequestID() string {
	const hex = "0123456789abcdef"
	var buf [16]byte
	v := rand.Uint64()
	for i := len(buf) - 1; i >= 0; i-- {
		buf[i] = hex[v&0xf]
		v >>= 4
	}
	return string(buf[:])
}
