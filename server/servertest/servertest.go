// Package servertest runs the whole service in-process on loopback ports, for tests and
// examples outside the server (the Go client's examples, benchmarks). It is not for production.
package servertest

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"os"
	"time"

	"github.com/acme/progressive-profiling/server/internal/app"
	"github.com/acme/progressive-profiling/server/internal/config"
	"github.com/acme/progressive-profiling/server/internal/store/embedded"
)

// Server is a running service on an embedded store in a temporary folder.
type Server struct {
	// GRPCAddr is the gRPC listen address, host:port.
	GRPCAddr string
	// HTTPURL is the REST base URL, http://host:port.
	HTTPURL string

	dir    string
	store  *embedded.Store
	cancel context.CancelFunc
	done   chan error
	srv    *app.Server
}

// User is a user's root attributes as Auth0 holds them, to seed the store with.
type User struct {
	ID         string
	Attributes map[string]any
}

// Start runs the service with the built-in catalog (or catalogPath when not empty) and the
// given users imported. Call Close when done.
func Start(catalogPath string, users ...User) (*Server, error) {
	dir, err := os.MkdirTemp("", "profile-servertest-")
	if err != nil {
		return nil, err
	}
	s := &Server{dir: dir, done: make(chan error, 1)}
	if err := s.start(catalogPath, users); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	return s, nil
}

func (s *Server) start(catalogPath string, users []User) error {
	st, err := embedded.Open(embedded.Options{Dir: s.dir})
	if err != nil {
		return err
	}
	s.store = st
	var imports []embedded.UserAttributes
	for _, u := range users {
		imports = append(imports, embedded.UserAttributes{UserID: u.ID, Attributes: u.Attributes})
	}
	if len(imports) > 0 {
		if _, err := st.ImportUsers(context.Background(), imports); err != nil {
			st.Close()
			return fmt.Errorf("import: %w", err)
		}
	}
	cfg := config.Default()
	cfg.GRPCAddr, cfg.HTTPAddr = "127.0.0.1:0", "127.0.0.1:0"
	cfg.DataDir, cfg.CatalogPath, cfg.LogLevel, cfg.ShutdownTimeout = s.dir, catalogPath, "error", 5*time.Second
	srv, err := app.New(cfg, slog.New(slog.DiscardHandler), app.Options{Store: st})
	if err != nil {
		st.Close()
		return err
	}
	grpcLis, err := net.Listen("tcp", cfg.GRPCAddr)
	if err != nil {
		srv.Close()
		return err
	}
	httpLis, err := net.Listen("tcp", cfg.HTTPAddr)
	if err != nil {
		grpcLis.Close()
		srv.Close()
		return err
	}
	s.srv = srv
	s.GRPCAddr = grpcLis.Addr().String()
	s.HTTPURL = "http://" + httpLis.Addr().String()
	ctx, cancel := context.WithCancel(context.Background())
	s.cancel = cancel
	go func() { s.done <- srv.Serve(ctx, grpcLis, httpLis) }()
	return nil
}

// Close stops the service and removes its data.
func (s *Server) Close() error {
	s.cancel()
	err := <-s.done
	if cerr := s.srv.Close(); err == nil {
		err = cerr
	}
	os.RemoveAll(s.dir)
	return err
}
