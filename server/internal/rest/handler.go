package rest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/acme/progressive-profiling/gen/openapi"
	profilev1 "github.com/acme/progressive-profiling/gen/profile/v1"
	"github.com/acme/progressive-profiling/server/internal/auth"
	"github.com/acme/progressive-profiling/server/internal/loginstep"
	"github.com/acme/progressive-profiling/server/internal/telemetry"
)

// Config is what the HTTP side of the server is built from.
type Config struct {
	// Service answers the REST calls, each run through Interceptor: the unary interceptor chain
	// of the gRPC server, so that REST calls get every check gRPC calls get.
	Service     profilev1.ProfileServiceServer
	Interceptor grpc.UnaryServerInterceptor
	// Auth says that callers authenticate; Audience is then the API named in the Bearer
	// challenge of 401 answers.
	Auth     bool
	Audience string
	// MaxBodyBytes bounds request bodies; Budget bounds the bodies held at once.
	MaxBodyBytes int64
	Budget       Budget
	// Health answers /readyz; Metrics serves /metrics.
	Health  healthpb.HealthServer
	Metrics http.Handler
	// LoginStep serves the hosted login step at loginstep.Path; nil when the step is off.
	LoginStep http.Handler
	// Tracing gives each REST call its HTTP server span.
	Tracing bool
	// CORSOrigins are the browser origins allowed to call the API.
	CORSOrigins []string
	// LoopbackOnly restricts every request to loopback Host values (see loopbackHostOnly).
	LoopbackOnly bool
}

// Budget bounds the bytes of the requests held at once, over gRPC and REST together.
type Budget interface {
	// Acquire waits until n bytes are free or ctx ends, and returns the bytes taken.
	Acquire(ctx context.Context, n int64) (int64, error)
	// Release gives back bytes taken by Acquire.
	Release(n int64)
}

// NewHandler returns the HTTP side of the server: the REST API, health, docs, metrics and the
// login step, with CORS, body limits and the request budget.
func NewHandler(ctx context.Context, cfg Config) (http.Handler, error) {
	gateway, err := newGateway(ctx, cfg)
	if err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		writePlain(w, http.StatusOK, "ok")
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		resp, err := cfg.Health.Check(r.Context(), &healthpb.HealthCheckRequest{})
		if err != nil || resp.GetStatus() != healthpb.HealthCheckResponse_SERVING {
			writePlain(w, http.StatusServiceUnavailable, "not ready")
			return
		}
		writePlain(w, http.StatusOK, "ready")
	})
	mux.Handle("GET /{$}", indexHandler(cfg.Auth, cfg.LoginStep != nil))
	if cfg.LoginStep != nil {
		mux.Handle(loginstep.Path, cfg.LoginStep)
	}
	mux.Handle("GET /metrics", cfg.Metrics)
	mux.HandleFunc("GET /openapi.json", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(openapi.Document)
	})
	api := requireJSON(limitBody(cfg.MaxBodyBytes, budgetHandler(cfg.Budget, gateway)))
	if cfg.Tracing {
		// REST calls reach the service in-process, past the gRPC server's stats handler: give
		// them their HTTP server span here, continuing the caller's traceparent if any.
		// Span names carry the method only: paths hold user ids.
		api = otelhttp.NewHandler(api, "rest", otelhttp.WithSpanNameFormatter(func(_ string, r *http.Request) string {
			return "REST " + r.Method
		}))
	}
	// The API bypasses ServeMux, which would redirect paths such as /v1/users//fields (an empty
	// user id) instead of letting the service reject them.
	var h http.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/v1/") {
			api.ServeHTTP(w, r)
			return
		}
		mux.ServeHTTP(w, r)
	})
	if len(cfg.CORSOrigins) > 0 {
		h = auth.CORS(cfg.CORSOrigins)(h)
	}
	if cfg.LoopbackOnly {
		h = loopbackHostOnly(h)
	}
	return h, nil
}

// newGateway returns the REST facade of the service: grpc-gateway calling the service
// in-process through the interceptor chain (see inProcessConn).
func newGateway(ctx context.Context, cfg Config) (http.Handler, error) {
	errorHandler := auth.GatewayErrorHandler(cfg.Audience, retryAfterErrorHandler)
	mux := runtime.NewServeMux(append(telemetry.GatewayOptions(),
		runtime.WithMarshalerOption(runtime.MIMEWildcard, newRESTJSON()),
		// User ids may hold "/": route on the escaped path and unescape every path parameter
		// but %2F, which inProcessConn turns back into "/" (see unslash).
		runtime.WithUnescapingMode(runtime.UnescapingModeAllExceptSlash),
		runtime.WithErrorHandler(errorHandler),
		runtime.WithRoutingErrorHandler(routingErrorHandler(errorHandler)),
		// The Bearer challenge travels as WWW-Authenticate (see auth.GatewayErrorHandler), not
		// also as Grpc-Metadata-Www-Authenticate.
		runtime.WithOutgoingHeaderMatcher(func(key string) (string, bool) {
			if key == auth.WWWAuthenticateKey {
				return "", false
			}
			return telemetry.GatewayOutgoingHeaderMatcher(key)
		}),
		runtime.SetQueryParameterParser(&strictQueryParser{}),
	)...)
	conn := newInProcessConn(&profilev1.ProfileService_ServiceDesc, cfg.Service, cfg.Interceptor)
	if err := profilev1.RegisterProfileServiceHandlerClient(ctx, mux, profilev1.NewProfileServiceClient(conn)); err != nil {
		return nil, err
	}
	return mux, nil
}

// budgetHandler counts the body of each REST request (read in full by limitBody, which sets its
// ContentLength) in the budget until the request is answered.
func budgetHandler(b Budget, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n, err := b.Acquire(r.Context(), r.ContentLength)
		if err != nil {
			writeStatus(w, http.StatusServiceUnavailable, codes.Unavailable, "the server is busy; retry later")
			return
		}
		defer b.Release(n)
		next.ServeHTTP(w, r)
	})
}

func writePlain(w http.ResponseWriter, code int, body string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(code)
	_, _ = io.WriteString(w, body+"\n")
}

// limitBody rejects request bodies over max bytes with 413 and a google.rpc.Status body,
// before the gateway decodes anything.
func limitBody(max int64, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Body == nil || r.Body == http.NoBody {
			next.ServeHTTP(w, r)
			return
		}
		if r.ContentLength > max {
			writeStatus(w, http.StatusRequestEntityTooLarge, codes.InvalidArgument, fmt.Sprintf("request body is larger than %d bytes", max))
			return
		}
		body, err := io.ReadAll(io.LimitReader(r.Body, max+1))
		if err != nil {
			writeStatus(w, http.StatusBadRequest, codes.InvalidArgument, "could not read the request body")
			return
		}
		if int64(len(body)) > max {
			writeStatus(w, http.StatusRequestEntityTooLarge, codes.InvalidArgument, fmt.Sprintf("request body is larger than %d bytes", max))
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		r.ContentLength = int64(len(body))
		next.ServeHTTP(w, r)
	})
}

func writeStatus(w http.ResponseWriter, httpCode int, code codes.Code, msg string) {
	body, _ := protojson.Marshal(status.New(code, msg).Proto())
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(httpCode)
	_, _ = w.Write(body)
}

// maxErrorMessageBytes bounds the message of a REST error, so that an error does not grow with
// the request it refuses; the service's own messages are shorter (see api.badRequest).
const maxErrorMessageBytes = 2 << 10

// retryAfterErrorHandler is grpc-gateway's error handler plus Retry-After when the status
// carries google.rpc.RetryInfo, with messages cut to maxErrorMessageBytes of valid UTF-8.
// (auth.GatewayErrorHandler adds the Bearer challenge on 401.)
func retryAfterErrorHandler(ctx context.Context, mux *runtime.ServeMux, m runtime.Marshaler, w http.ResponseWriter, r *http.Request, err error) {
	st := status.Convert(err)
	var hs *runtime.HTTPStatusError
	if errors.As(err, &hs) {
		st = status.Convert(hs.Err)
	}
	if msg := st.Message(); len(msg) > maxErrorMessageBytes || !utf8.ValidString(msg) {
		// A decoding error quotes what it refuses (an unknown field's name, a bad value), as long
		// as the request made it, and maybe invalid UTF-8, which the JSON error body cannot hold
		// (the gateway would answer 500 instead).
		if len(msg) > maxErrorMessageBytes {
			msg = msg[:maxErrorMessageBytes] + "…"
		}
		p := st.Proto()
		p.Message = strings.ToValidUTF8(msg, "\uFFFD")
		st = status.FromProto(p)
		if hs != nil {
			hs.Err = st.Err()
		} else {
			err = st.Err()
		}
	}
	for _, d := range st.Details() {
		if ri, ok := d.(*errdetails.RetryInfo); ok && ri.GetRetryDelay() != nil {
			secs := int64(ri.GetRetryDelay().AsDuration().Seconds() + 0.999)
			w.Header().Set("Retry-After", strconv.FormatInt(max(secs, 1), 10))
		}
	}
	runtime.DefaultHTTPErrorHandler(ctx, mux, m, w, r, err)
}

// routingErrorHandler answers 405 (not grpc-gateway's 501) to a known path with the wrong method.
func routingErrorHandler(errorHandler runtime.ErrorHandlerFunc) runtime.RoutingErrorHandlerFunc {
	return func(ctx context.Context, mux *runtime.ServeMux, m runtime.Marshaler, w http.ResponseWriter, r *http.Request, httpStatus int) {
		if httpStatus == http.StatusMethodNotAllowed {
			errorHandler(ctx, mux, m, w, r, &runtime.HTTPStatusError{
				HTTPStatus: httpStatus,
				Err:        status.Error(codes.Unimplemented, "method not allowed on this path"),
			})
			return
		}
		runtime.DefaultRoutingErrorHandler(ctx, mux, m, w, r, httpStatus)
	}
}
