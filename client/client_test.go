package client

import (
	"context"
	"crypto/tls"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	profilev1 "github.com/acme/progressive-profiling/gen/profile/v1"
	"github.com/google/go-cmp/cmp"
	"golang.org/x/oauth2"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/status"
)

// newTestClient connects to addr and closes the client when the test ends.
func newTestClient(t *testing.T, addr string, opts ...Option) *Client {
	t.Helper()
	c, err := New(addr, opts...)
	if err != nil {
		t.Fatalf("New(%q) error: %v", addr, err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// callFunc makes one RPC and returns its error.
type callFunc func(context.Context, *Client) error

func getMissing(ctx context.Context, c *Client) error {
	_, err := c.GetMissingFields(ctx, &profilev1.GetMissingFieldsRequest{UserId: "auth0|1"})
	return err
}

func submit(ctx context.Context, c *Client) error {
	_, err := c.SubmitFields(ctx, &profilev1.SubmitFieldsRequest{UserId: "auth0|1"})
	return err
}

func subscribe(ctx context.Context, c *Client) error {
	_, err := c.MarkSubscribed(ctx, &profilev1.MarkSubscribedRequest{UserId: "auth0|1", Topic: "news", Subscribed: true})
	return err
}

func TestCallsAreRetriedOnlyOnUnavailable(t *testing.T) {
	tests := []struct {
		name      string
		failFirst int
		failCode  codes.Code
		opts      []Option
		call      callFunc
		wantCode  codes.Code
		wantCalls int
	}{
		{name: "succeeds after three UNAVAILABLE", failFirst: 3, failCode: codes.Unavailable, call: getMissing, wantCode: codes.OK, wantCalls: 4},
		{name: "gives up after four attempts", failFirst: 10, failCode: codes.Unavailable, call: getMissing, wantCode: codes.Unavailable, wantCalls: 4},
		{name: "SubmitFields is retried", failFirst: 1, failCode: codes.Unavailable, call: submit, wantCode: codes.OK, wantCalls: 2},
		{name: "MarkSubscribed is retried", failFirst: 1, failCode: codes.Unavailable, call: subscribe, wantCode: codes.OK, wantCalls: 2},
		{name: "INVALID_ARGUMENT is not retried", failFirst: 1, failCode: codes.InvalidArgument, call: submit, wantCode: codes.InvalidArgument, wantCalls: 1},
		{name: "RESOURCE_EXHAUSTED is not retried", failFirst: 1, failCode: codes.ResourceExhausted, call: getMissing, wantCode: codes.ResourceExhausted, wantCalls: 1},
		{name: "WithoutRetries makes one attempt", failFirst: 1, failCode: codes.Unavailable, opts: []Option{WithoutRetries()}, call: getMissing, wantCode: codes.Unavailable, wantCalls: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			svc := &fakeService{failFirst: tt.failFirst, failCode: tt.failCode}
			addr := startFake(t, svc, nil)
			c := newTestClient(t, addr, append([]Option{WithInsecure()}, tt.opts...)...)

			err := tt.call(t.Context(), c)

			if got := status.Code(err); got != tt.wantCode {
				t.Errorf("code = %v, want %v (error: %v)", got, tt.wantCode, err)
			}
			if got := len(svc.calls()); got != tt.wantCalls {
				t.Errorf("server saw %d calls, want %d", got, tt.wantCalls)
			}
		})
	}
}

func TestTokenIsSentAsBearerMetadata(t *testing.T) {
	cert, roots := selfSignedTLS(t)
	serverTLS := credentials.NewTLS(&tls.Config{Certificates: []tls.Certificate{cert}})
	tests := []struct {
		name      string
		serverTLS credentials.TransportCredentials
		opts      []Option
		want      []string
	}{
		{name: "plaintext loopback with token", opts: []Option{WithInsecure(), WithTokenSource(staticToken("tok-1"))}, want: []string{"Bearer tok-1"}},
		{name: "plaintext without token", opts: []Option{WithInsecure()}, want: []string{""}},
		{name: "TLS with token", serverTLS: serverTLS, opts: []Option{WithTLS(&tls.Config{RootCAs: roots}), WithTokenSource(staticToken("tok-tls"))}, want: []string{"Bearer tok-tls"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			svc := &fakeService{}
			c := newTestClient(t, startFake(t, svc, tt.serverTLS), tt.opts...)

			if err := getMissing(t.Context(), c); err != nil {
				t.Fatalf("GetMissingFields error: %v", err)
			}

			if diff := cmp.Diff(tt.want, svc.calls()); diff != "" {
				t.Errorf("authorization metadata (-want +got):\n%s", diff)
			}
		})
	}
}

func TestUserAgentIsAnnounced(t *testing.T) {
	tests := []struct {
		name       string
		opts       []Option
		wantPrefix string
	}{
		{name: "default", wantPrefix: DefaultUserAgent + " grpc-go/"},
		{name: "WithUserAgent", opts: []Option{WithUserAgent("billing-service/2")}, wantPrefix: "billing-service/2 grpc-go/"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			svc := &fakeService{}
			c := newTestClient(t, startFake(t, svc, nil), append([]Option{WithInsecure()}, tt.opts...)...)

			if err := getMissing(t.Context(), c); err != nil {
				t.Fatalf("GetMissingFields error: %v", err)
			}

			if got := svc.agents(); len(got) != 1 || !strings.HasPrefix(got[0], tt.wantPrefix) {
				t.Errorf("user agents = %q, want one starting with %q", got, tt.wantPrefix)
			}
		})
	}
}

func TestDialOptionsAreApplied(t *testing.T) {
	var intercepted atomic.Int32
	count := func(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
		intercepted.Add(1)
		return invoker(ctx, method, req, reply, cc, opts...)
	}
	c := newTestClient(t, startFake(t, &fakeService{}, nil), WithInsecure(), WithDialOptions(grpc.WithUnaryInterceptor(count)))

	if err := getMissing(t.Context(), c); err != nil {
		t.Fatalf("GetMissingFields error: %v", err)
	}

	if got := intercepted.Load(); got != 1 {
		t.Errorf("interceptor saw %d calls, want 1", got)
	}
}

func TestDefaultTransportIsVerifiedTLS(t *testing.T) {
	cert, _ := selfSignedTLS(t)
	serverTLS := credentials.NewTLS(&tls.Config{Certificates: []tls.Certificate{cert}})
	tests := []struct {
		name      string
		serverTLS credentials.TransportCredentials
	}{
		{name: "plaintext server is not reached", serverTLS: nil},
		{name: "certificate from an unknown authority is refused", serverTLS: serverTLS},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			svc := &fakeService{}
			c := newTestClient(t, startFake(t, svc, tt.serverTLS), WithoutRetries())

			err := getMissing(t.Context(), c)

			if got := status.Code(err); got != codes.Unavailable {
				t.Errorf("code = %v, want %v (error: %v)", got, codes.Unavailable, err)
			}
			if got := len(svc.calls()); got != 0 {
				t.Errorf("server saw %d calls, want 0", got)
			}
		})
	}
}

func TestTokenSourceFailures(t *testing.T) {
	tests := []struct {
		name           string
		err            error
		token          string
		wantCode       codes.Code
		wantTokenCalls int32
	}{
		{name: "refused credentials are UNAUTHENTICATED", err: retrieveError(http.StatusUnauthorized), wantCode: codes.Unauthenticated, wantTokenCalls: 1},
		{name: "failing token endpoint is UNAVAILABLE and retried", err: retrieveError(http.StatusServiceUnavailable), wantCode: codes.Unavailable, wantTokenCalls: 4},
		{name: "throttled token endpoint is UNAVAILABLE and retried", err: retrieveError(http.StatusTooManyRequests), wantCode: codes.Unavailable, wantTokenCalls: 4},
		{name: "unreachable token endpoint is UNAVAILABLE and retried", err: &url.Error{Op: "Post", URL: "https://x/oauth/token", Err: errors.New("connection refused")}, wantCode: codes.Unavailable, wantTokenCalls: 4},
		{name: "misconfigured source is UNAUTHENTICATED", err: errors.New("no secret"), wantCode: codes.Unauthenticated, wantTokenCalls: 1},
		{name: "empty token is UNAUTHENTICATED", token: "", wantCode: codes.Unauthenticated, wantTokenCalls: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			svc := &fakeService{}
			ts := &countingTokenSource{token: tt.token, err: tt.err}
			c := newTestClient(t, startFake(t, svc, nil), WithInsecure(), WithTokenSource(ts))

			err := getMissing(t.Context(), c)

			if got := status.Code(err); got != tt.wantCode {
				t.Errorf("code = %v, want %v (error: %v)", got, tt.wantCode, err)
			}
			if got := ts.calls.Load(); got != tt.wantTokenCalls {
				t.Errorf("token source called %d times, want %d", got, tt.wantTokenCalls)
			}
			if got := len(svc.calls()); got != 0 {
				t.Errorf("server saw %d calls, want 0", got)
			}
		})
	}
}

func TestNewAllowsPlaintextTokensOnlyForLoopbackTargets(t *testing.T) {
	tests := []struct {
		target  string
		refused bool
	}{
		{target: "127.0.0.1:9090"},
		{target: "127.1.2.3:9090"},
		{target: "localhost:9090"},
		{target: "LOCALHOST"},
		{target: "[::1]:9090"},
		{target: "dns:///localhost:9090"},
		{target: "dns:///127.0.0.1:9090"},
		{target: "passthrough:///127.0.0.1:9090"},
		{target: "unix:///tmp/profile.sock"},
		{target: "unix:profile.sock"},
		{target: "profiles.internal:9090", refused: true},
		{target: "10.0.0.7:9090", refused: true},
		{target: "[2001:db8::1]:9090", refused: true},
		{target: "dns:///profiles.example.com:443", refused: true},
		{target: "dns://127.0.0.1:53/profiles.example.com:443", refused: true},
		{target: "passthrough:///192.168.1.2:9090", refused: true},
		{target: "localhost.example.com:9090", refused: true},
	}
	for _, tt := range tests {
		t.Run(tt.target, func(t *testing.T) {
			c, err := New(tt.target, WithInsecure(), WithTokenSource(staticToken("tok")))
			if err == nil {
				c.Close()
			}
			if got := errors.Is(err, ErrTokenOverPlaintext); got != tt.refused {
				t.Errorf("New(%q) error = %v, refused = %v, want %v", tt.target, err, got, tt.refused)
			}
		})
	}
}

func TestNewRejectsTLSWithInsecure(t *testing.T) {
	c, err := New("127.0.0.1:9090", WithTLS(nil), WithInsecure())
	if err == nil {
		c.Close()
		t.Fatal("New with WithTLS and WithInsecure succeeded, want an error")
	}
}

func TestCloseEndsTheClient(t *testing.T) {
	svc := &fakeService{}
	c, err := New(startFake(t, svc, nil), WithInsecure())
	if err != nil {
		t.Fatal(err)
	}
	if err := getMissing(t.Context(), c); err != nil {
		t.Fatalf("GetMissingFields before Close: %v", err)
	}

	if err := c.Close(); err != nil {
		t.Fatalf("Close() = %v, want nil", err)
	}

	if got := status.Code(getMissing(t.Context(), c)); got != codes.Canceled {
		t.Errorf("call after Close: code = %v, want %v", got, codes.Canceled)
	}
	if err := c.Close(); err == nil {
		t.Error("second Close() = nil, want an error")
	}
}

// staticToken is a token source that always returns tok.
func staticToken(tok string) oauth2.TokenSource {
	return oauth2.StaticTokenSource(&oauth2.Token{AccessToken: tok})
}

// countingTokenSource returns token or err and counts its calls.
type countingTokenSource struct {
	token string
	err   error
	calls atomic.Int32
}

func (s *countingTokenSource) Token() (*oauth2.Token, error) {
	s.calls.Add(1)
	if s.err != nil {
		return nil, s.err
	}
	return &oauth2.Token{AccessToken: s.token}, nil
}

// retrieveError is the error a token endpoint answering code gives.
func retrieveError(code int) error {
	return &oauth2.RetrieveError{Response: &http.Response{StatusCode: code, Status: http.StatusText(code)}}
}

// TestAttemptTimeoutRetriesSlowAttempts: with WithAttemptTimeout, an attempt that runs out of
// its own time is made again while the caller's deadline allows (issue 12: a write whose
// deadline passed while stored returned DEADLINE_EXCEEDED, and the client never retried).
func TestAttemptTimeoutRetriesSlowAttempts(t *testing.T) {
	tests := []struct {
		name      string
		opts      []Option
		deadline  time.Duration
		call      callFunc
		wantCode  codes.Code
		wantCalls int
	}{
		{"SubmitFields retried after a slow attempt", []Option{WithAttemptTimeout(200 * time.Millisecond)}, 10 * time.Second, submit, codes.OK, 2},
		{"MarkSubscribed retried after a slow attempt", []Option{WithAttemptTimeout(200 * time.Millisecond)}, 10 * time.Second, subscribe, codes.OK, 2},
		{"GetMissingFields retried after a slow attempt", []Option{WithAttemptTimeout(200 * time.Millisecond)}, 10 * time.Second, getMissing, codes.OK, 2},
		{"no retry past the caller's deadline", []Option{WithAttemptTimeout(5 * time.Second)}, 300 * time.Millisecond, submit, codes.DeadlineExceeded, 1},
		{"without an attempt timeout the caller's deadline ends the call", nil, 300 * time.Millisecond, submit, codes.DeadlineExceeded, 1},
		{"WithoutRetries wins", []Option{WithAttemptTimeout(200 * time.Millisecond), WithoutRetries()}, 10 * time.Second, submit, codes.OK, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// The first call takes 3 s; WithoutRetries then just waits for it.
			svc := &fakeService{slowFirst: 1, slow: 3 * time.Second}
			c := newTestClient(t, startFake(t, svc, nil), append([]Option{WithInsecure()}, tt.opts...)...)
			ctx, cancel := context.WithTimeout(t.Context(), tt.deadline)
			defer cancel()
			err := tt.call(ctx, c)
			if got := status.Code(err); got != tt.wantCode {
				t.Errorf("code = %v, want %v (error: %v)", got, tt.wantCode, err)
			}
			if got := len(svc.calls()); got != tt.wantCalls {
				t.Errorf("server saw %d calls, want %d", got, tt.wantCalls)
			}
		})
	}
}

// TestAttemptTimeoutRetriesUnavailable: WithAttemptTimeout replaces gRPC's retries, with the
// same policy: UNAVAILABLE is retried, at most 4 attempts.
func TestAttemptTimeoutRetriesUnavailable(t *testing.T) {
	svc := &fakeService{failFirst: 10, failCode: codes.Unavailable}
	c := newTestClient(t, startFake(t, svc, nil), WithInsecure(), WithAttemptTimeout(time.Second))
	if err := submit(t.Context(), c); status.Code(err) != codes.Unavailable {
		t.Errorf("got %v, want UNAVAILABLE", err)
	}
	if got := len(svc.calls()); got != 4 {
		t.Errorf("server saw %d calls, want 4", got)
	}
}

// TestEveryMethodHasARetryDecision: every ProfileService method is judged safe to send again; a
// new RPC fails this test until it is added to retrySafe, with why (one that must not be retried
// would be named here as the exception).
func TestEveryMethodHasARetryDecision(t *testing.T) {
	for _, m := range profilev1.ProfileService_ServiceDesc.Methods {
		full := "/" + profilev1.ProfileService_ServiceDesc.ServiceName + "/" + m.MethodName
		if _, ok := retrySafe[full]; !ok {
			t.Errorf("%s has no retry decision in retrySafe", full)
		}
	}
}
