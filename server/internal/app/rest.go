package app

import (
	"context"
	"net/http"

	"github.com/acme/progressive-profiling/server/internal/rest"
)

// restHandler returns the HTTP side of the server (see package rest), calling the service
// through the gRPC server's interceptor chain. loopbackOnly restricts it to loopback Host values.
func (s *Server) restHandler(ctx context.Context, loopbackOnly bool) (http.Handler, error) {
	cfg := rest.Config{
		Service:      s.svc,
		Interceptor:  s.chain,
		Auth:         s.verifier != nil,
		Audience:     s.cfg.Auth0Audience,
		MaxBodyBytes: s.cfg.MaxBodyBytes,
		Budget:       s.budget,
		Health:       s.health,
		Metrics:      s.metrics.Handler(),
		Tracing:      s.traceOpt != nil,
		CORSOrigins:  s.cfg.CORSOrigins,
		LoopbackOnly: loopbackOnly,
	}
	if s.step != nil {
		cfg.LoginStep = s.step
	}
	return rest.NewHandler(ctx, cfg)
}
