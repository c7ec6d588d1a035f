package client

import (
	"context"
	"encoding/json"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/grpc-ecosystem/go-grpc-middleware/v2/interceptors/retry"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"

	profilev1 "github.com/acme/progressive-profiling/gen/profile/v1"
)

// retrySafe lists the ProfileService methods that may be sent again when an attempt's outcome
// is unknown, with why (see doc.go). A method missing here is never retried: a new RPC gets a
// decision before it is retried.
var retrySafe = map[string]string{
	profilev1.ProfileService_GetMissingFields_FullMethodName: "no side effects",
	profilev1.ProfileService_GetProfile_FullMethodName:       "no side effects",
	profilev1.ProfileService_ListFields_FullMethodName:       "no side effects",
	profilev1.ProfileService_GetLoginPrompt_FullMethodName:   "no side effects: computed from the request, never stored",
	profilev1.ProfileService_SubmitFields_FullMethodName:     "idempotent: the same values and declines applied again change nothing",
	profilev1.ProfileService_MarkSubscribed_FullMethodName:   "idempotent: a repeated subscription keeps its first time and source, a repeated unsubscription changes nothing",
}

// The retry policy: at most maxAttempts attempts, waiting between them a random backoff that
// starts at initialBackoff and doubles up to maxBackoff.
const (
	maxAttempts    = 4
	initialBackoff = 100 * time.Millisecond
	maxBackoff     = time.Second
)

// retryServiceConfig is the default gRPC service config: the methods of retrySafe are retried
// by gRPC itself when they fail with UNAVAILABLE. DEADLINE_EXCEEDED is not listed: the caller's
// deadline covers every attempt, so once it has passed there is no time left to retry (see
// WithAttemptTimeout).
var retryServiceConfig = func() string {
	type name struct {
		Service string `json:"service"`
		Method  string `json:"method"`
	}
	var names []name
	svc := profilev1.ProfileService_ServiceDesc.ServiceName
	for _, full := range slices.Sorted(maps.Keys(retrySafe)) {
		names = append(names, name{svc, strings.TrimPrefix(full, "/"+svc+"/")})
	}
	cfg := map[string]any{"methodConfig": []any{map[string]any{
		"name": names,
		"retryPolicy": map[string]any{
			"maxAttempts":          maxAttempts,
			"initialBackoff":       seconds(initialBackoff),
			"maxBackoff":           seconds(maxBackoff),
			"backoffMultiplier":    2,
			"retryableStatusCodes": []string{"UNAVAILABLE"},
		},
	}}}
	b, err := json.Marshal(cfg)
	if err != nil {
		panic(err)
	}
	return string(b)
}()

// seconds writes d as a service config duration, such as "0.1s".
func seconds(d time.Duration) string { return strconv.FormatFloat(d.Seconds(), 'f', -1, 64) + "s" }

// attemptRetries returns the interceptor WithAttemptTimeout installs: each attempt of a method
// of retrySafe gets at most timeout, and an attempt that fails with DEADLINE_EXCEEDED (its own
// timeout, not the caller's deadline) or UNAVAILABLE is made again, with the same policy as
// retryServiceConfig, while the caller's deadline allows. Other methods are called once.
func attemptRetries(timeout time.Duration) grpc.UnaryClientInterceptor {
	retrying := retry.UnaryClientInterceptor(
		retry.WithMax(maxAttempts),
		retry.WithPerRetryTimeout(timeout),
		retry.WithCodes(codes.Unavailable, codes.DeadlineExceeded),
		retry.WithBackoff(retry.BackoffExponentialWithJitterBounded(initialBackoff, 0.2, maxBackoff)),
	)
	return func(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
		if _, ok := retrySafe[method]; !ok {
			return invoker(ctx, method, req, reply, cc, opts...)
		}
		return retrying(ctx, method, req, reply, cc, invoker, opts...)
	}
}
