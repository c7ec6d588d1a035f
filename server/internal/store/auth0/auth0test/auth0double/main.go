// Command auth0double runs the Management API double of package auth0test as a process of its
// own, for benchmarks that start the service as processes too (see server/internal/serverproc).
// It serves the double on a loopback port and, on the loopback address given by -control, a
// small API to fill and steer it. It is for tests and benchmarks only.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/acme/progressive-profiling/server/internal/store/auth0/auth0test"
)

func main() {
	control := flag.String("control", "127.0.0.1:0", "loopback address of the control API")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, *control); err != nil {
		fmt.Fprintln(os.Stderr, "auth0double:", err)
		os.Exit(1)
	}
}

// run serves the double and its control API until ctx is done.
func run(ctx context.Context, control string) error {
	host, _, err := net.SplitHostPort(control)
	if ip := net.ParseIP(host); err != nil || ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("-control %q: want a loopback address", control)
	}
	dbl := auth0test.NewServer()
	defer dbl.Close()
	srv := &http.Server{Addr: control, Handler: controlAPI(dbl), ReadHeaderTimeout: 5 * time.Second}
	go func() {
		<-ctx.Done()
		_ = srv.Close()
	}()
	if err := srv.ListenAndServe(); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
