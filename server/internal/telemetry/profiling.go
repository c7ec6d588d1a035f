package telemetry

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/pprof"
	"time"

	"github.com/acme/progressive-profiling/server/internal/netaddr"
)

// ProfilingHandler serves Go's runtime profiles (CPU, heap, allocations, goroutines, execution
// traces) under /debug/pprof/, for `go tool pprof`. It has no authentication: serve it on a
// loopback address only. It answers only requests addressed to a loopback host, so that a web
// page whose host name an attacker points at 127.0.0.1 (DNS rebinding) cannot read the profiles
// or the command line, which may hold secrets given as flags. Importing net/http/pprof also
// registers these handlers on http.DefaultServeMux, which this server never serves (app tests
// check the public address).
func ProfilingHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index) // also serves the named profiles: heap, goroutine...
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !netaddr.IsLoopbackHostHeader(r.Host) {
			http.Error(w, "profiles are served to requests addressed to a loopback host (localhost, 127.0.0.1, [::1]) only", http.StatusForbidden)
			return
		}
		mux.ServeHTTP(w, r)
	})
}

// ServeProfiles serves ProfilingHandler on lis until ctx is done.
func ServeProfiles(ctx context.Context, lis net.Listener) error {
	srv := &http.Server{Handler: ProfilingHandler(), ReadHeaderTimeout: 5 * time.Second}
	stop := context.AfterFunc(ctx, func() { _ = srv.Close() })
	defer stop()
	if err := srv.Serve(lis); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
