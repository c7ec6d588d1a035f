// Command server runs the progressive-profiling service: gRPC on PROFILE_GRPC_ADDR and the REST
// gateway, health checks and API docs on PROFILE_HTTP_ADDR.
//
// Usage:
//
//	server [flags]                 serve (flags and environment variables: server -h)
//	server import [flags] FILE     import users' root attributes into the embedded store
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/acme/progressive-profiling/server/internal/app"
	"github.com/acme/progressive-profiling/server/internal/config"
	"github.com/acme/progressive-profiling/server/internal/store/embedded"
	"github.com/acme/progressive-profiling/server/internal/telemetry"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	var err error
	if len(os.Args) > 1 && os.Args[1] == "import" {
		err = runImport(ctx, os.Args[2:], os.Stdout, os.Stderr)
	} else {
		err = run(ctx, os.Args[1:], os.Stderr)
	}
	switch {
	case errors.Is(err, flag.ErrHelp):
		// -h printed the usage: not a failure.
	case err != nil:
		// The one place an error is printed: the flag sets print only the usage.
		fmt.Fprintln(os.Stderr, "error:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stderr io.Writer) error {
	cfg, err := config.Parse(args, os.Getenv, stderr)
	if err != nil {
		return err
	}
	// Logs to a terminal go out line by line; elsewhere they are batched (see BufferedWriter).
	logOut := stderr
	if !telemetry.IsTerminal(stderr) {
		bw := telemetry.NewBufferedWriter(stderr, 200*time.Millisecond)
		defer bw.Close()
		logOut = bw
	}
	logger := telemetry.NewLogger(logOut, cfg.LogLevel)
	srv, err := app.New(cfg, logger, app.Options{})
	if err != nil {
		return err
	}
	defer srv.Close()
	grpcLis, err := net.Listen("tcp", cfg.GRPCAddr)
	if err != nil {
		return fmt.Errorf("PROFILE_GRPC_ADDR: %w", err)
	}
	httpLis, err := net.Listen("tcp", cfg.HTTPAddr)
	if err != nil {
		grpcLis.Close()
		return fmt.Errorf("PROFILE_HTTP_ADDR: %w", err)
	}
	if !cfg.AuthEnabled() {
		logger.Warn("caller authentication is OFF (AUTH0_AUDIENCE is not set): every caller is trusted as a service; only safe on loopback",
			"insecure_no_auth", cfg.InsecureNoAuth)
	}
	// The profiles server stops with the others, also when they fail on their own.
	ctx, stopDebug := context.WithCancel(ctx)
	debugDone := make(chan struct{})
	defer func() { stopDebug(); <-debugDone }()
	if cfg.DebugAddr == "" {
		close(debugDone)
	} else {
		debugLis, err := net.Listen("tcp", cfg.DebugAddr)
		if err != nil {
			close(debugDone)
			grpcLis.Close()
			httpLis.Close()
			return fmt.Errorf("PROFILE_DEBUG_ADDR: %w", err)
		}
		logger.Info("serving Go profiles", "debug", debugLis.Addr().String())
		go func() {
			defer close(debugDone)
			if err := telemetry.ServeProfiles(ctx, debugLis); err != nil {
				logger.Error("profiles server stopped", "error", err)
			}
		}()
	}
	logger.Info("serving", "grpc", grpcLis.Addr().String(), "http", httpLis.Addr().String(), "store", cfg.Store)
	err = srv.Serve(ctx, grpcLis, httpLis)
	logger.Info("stopped")
	return err
}

func runImport(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	imp, err := config.ParseImport(args, os.Getenv, stderr)
	if err != nil {
		return err
	}
	var in io.Reader = os.Stdin
	if imp.File != "-" {
		f, err := os.Open(imp.File)
		if err != nil {
			return err
		}
		defer f.Close()
		in = f
	}
	users, err := embedded.ParseImport(in)
	if err != nil {
		return err
	}
	st, err := embedded.Open(embedded.Options{Dir: imp.DataDir})
	if err != nil {
		return fmt.Errorf("PROFILE_DATA_DIR: %w", err)
	}
	defer st.Close()
	n, err := st.ImportUsers(ctx, users)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "imported %d users into %s\n", n, imp.DataDir)
	return nil
}
