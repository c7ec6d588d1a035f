package auth

import (
	"context"
	"net/http"
	"strings"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"github.com/rs/cors"
)

// Challenge returns the RFC 6750 WWW-Authenticate value for realm; tokenGiven adds
// error="invalid_token" (a request with no credentials gets the bare challenge).
func Challenge(realm string, tokenGiven bool) string {
	c := `Bearer realm="` + quoteEscaper.Replace(realm) + `"`
	if tokenGiven {
		c += `, error="invalid_token"`
	}
	return c
}

var quoteEscaper = strings.NewReplacer(`\`, `\\`, `"`, `\"`)

// GatewayErrorHandler wraps a grpc-gateway error handler (nil means
// runtime.DefaultHTTPErrorHandler) so that every HTTP 401 it writes carries
// `WWW-Authenticate: Bearer realm="<realm>"`, plus `error="invalid_token"` when the request had
// credentials. (The default handler alone would put the status message in that header.) Wire it
// with runtime.NewServeMux(runtime.WithErrorHandler(auth.GatewayErrorHandler(audience, nil))).
func GatewayErrorHandler(realm string, next runtime.ErrorHandlerFunc) runtime.ErrorHandlerFunc {
	if next == nil {
		next = runtime.DefaultHTTPErrorHandler
	}
	return func(ctx context.Context, mux *runtime.ServeMux, m runtime.Marshaler, w http.ResponseWriter, r *http.Request, err error) {
		cw := &challengeWriter{ResponseWriter: w, challenge: Challenge(realm, r.Header.Get("Authorization") != "")}
		next(ctx, mux, m, cw, r, err)
	}
}

// challengeWriter sets the Bearer challenge just before a 401 status line is written.
type challengeWriter struct {
	http.ResponseWriter
	challenge string
}

func (w *challengeWriter) WriteHeader(code int) {
	if code == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", w.challenge)
	}
	w.ResponseWriter.WriteHeader(code)
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (w *challengeWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// CORS returns middleware that lets the browser origins listed (compared exactly, after
// trimming spaces and a trailing slash, case-insensitively; no wildcards) call the REST API with GET and POST and
// the Authorization and Content-Type headers. Other origins get no CORS headers, and an empty
// list adds none at all.
func CORS(origins []string) func(http.Handler) http.Handler {
	allowed := map[string]bool{}
	for _, o := range origins {
		if o = strings.ToLower(strings.TrimSuffix(strings.TrimSpace(o), "/")); o != "" {
			allowed[o] = true
		}
	}
	if len(allowed) == 0 {
		return func(h http.Handler) http.Handler { return h }
	}
	c := cors.New(cors.Options{
		AllowOriginFunc: func(origin string) bool { return allowed[strings.ToLower(origin)] },
		AllowedMethods:  []string{http.MethodGet, http.MethodPost, http.MethodOptions},
		AllowedHeaders:  []string{"Authorization", "Content-Type"},
		ExposedHeaders:  []string{"WWW-Authenticate", "Retry-After", "X-Request-Id"},
		MaxAge:          600,
	})
	return c.Handler
}
