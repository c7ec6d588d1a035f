package rest

import (
	"mime"
	"net"
	"net/http"
	"strings"

	"google.golang.org/grpc/codes"

	"github.com/acme/progressive-profiling/server/internal/netaddr"
)

// requireJSON answers 415 to a request that sends a body (POST, PUT, PATCH) without declaring
// it as JSON: Content-Type application/json, with no parameter but an optional
// charset=utf-8. The gateway would otherwise decode any body as JSON; refusing the others
// means a page on another origin cannot write through a "simple" cross-origin request
// (text/plain, form encodings), which browsers send without a CORS preflight.
func requireJSON(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.Method {
		case http.MethodPost, http.MethodPut, http.MethodPatch:
			if !isJSONContentType(r.Header.Values("Content-Type")) {
				writeStatus(w, http.StatusUnsupportedMediaType, codes.InvalidArgument,
					"Content-Type must be application/json (optionally with charset=utf-8)")
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

func isJSONContentType(values []string) bool {
	if len(values) != 1 {
		return false
	}
	mediaType, params, err := mime.ParseMediaType(values[0])
	if err != nil || mediaType != "application/json" {
		return false
	}
	for k, v := range params {
		if k != "charset" || !strings.EqualFold(v, "utf-8") {
			return false
		}
	}
	return true
}

// loopbackHostOnly answers 403 to a request whose Host is not a loopback name or address
// (localhost, 127.0.0.0/8, [::1], with or without a port). It guards a server that trusts
// every caller because it listens on loopback without caller authentication: a page whose
// host name an attacker points at 127.0.0.1 (DNS rebinding) sends its own host name, and is
// refused.
func loopbackHostOnly(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !netaddr.IsLoopbackHostHeader(r.Host) {
			writeStatus(w, http.StatusForbidden, codes.PermissionDenied,
				"without caller authentication this server only answers requests addressed to a loopback host (localhost, 127.0.0.1, [::1])")
			return
		}
		next.ServeHTTP(w, r)
	})
}

// IsLoopbackListener reports whether l accepts connections on a loopback address only.
func IsLoopbackListener(l net.Listener) bool {
	a, ok := l.Addr().(*net.TCPAddr)
	return ok && a.IP.IsLoopback()
}
