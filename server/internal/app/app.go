package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
	"golang.org/x/net/netutil"
	"golang.org/x/sync/errgroup"
	"google.golang.org/grpc"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	profilev1 "github.com/acme/progressive-profiling/gen/profile/v1"
	"github.com/acme/progressive-profiling/server/internal/api"
	"github.com/acme/progressive-profiling/server/internal/auth"
	"github.com/acme/progressive-profiling/server/internal/config"
	"github.com/acme/progressive-profiling/server/internal/engine"
	"github.com/acme/progressive-profiling/server/internal/loginstep"
	"github.com/acme/progressive-profiling/server/internal/netaddr"
	"github.com/acme/progressive-profiling/server/internal/replicas"
	"github.com/acme/progressive-profiling/server/internal/rest"
	"github.com/acme/progressive-profiling/server/internal/store"
	"github.com/acme/progressive-profiling/server/internal/store/auth0"
	"github.com/acme/progressive-profiling/server/internal/store/embedded"
	"github.com/acme/progressive-profiling/server/internal/telemetry"
)

// Server is the assembled service, ready to serve on listeners.
type Server struct {
	cfg      config.Config
	logger   *slog.Logger
	store    store.Store
	engine   *engine.Engine
	verifier *auth.Verifier
	metrics  *telemetry.Metrics
	// traceOpt installs tracing on the gRPC server when the configuration asks for it (else nil);
	// traceShutdown flushes spans.
	traceOpt      grpc.ServerOption
	traceShutdown func(context.Context) error
	grpc          *grpc.Server
	health        *health.Server
	// svc is the service and chain the interceptors every call goes through.
	svc   profilev1.ProfileServiceServer
	chain grpc.UnaryServerInterceptor
	// budget bounds the requests held decoded, over gRPC and REST together.
	budget *requestBudget
	// step is the hosted login step, nil when PROFILE_LOGIN_STEP is off.
	step *loginstep.Handler

	// redis is the client of the Redis that replicas share, nil without PROFILE_REDIS_URL.
	redis *redis.Client

	cancel    context.CancelFunc
	closeOnce sync.Once
}

// Options are the dependencies a test may inject; zero values mean the defaults.
type Options struct {
	// Store replaces the store chosen by the configuration.
	Store store.Store
	// Now replaces the clock.
	Now func() time.Time
	// Once replaces the login step's one-time token record (in-process by default).
	Once loginstep.Once
}

// New builds the service from the configuration: it loads the catalog, opens the store and
// builds the gRPC server. It does not listen; see Serve.
func New(cfg config.Config, logger *slog.Logger, opts Options) (*Server, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	cfg = cfg.WithLimitDefaults()
	catalog := engine.DefaultCatalog()
	if cfg.CatalogPath != "" {
		c, err := engine.LoadCatalog(cfg.CatalogPath)
		if err != nil {
			return nil, fmt.Errorf("PROFILE_CATALOG: %w", err)
		}
		catalog = c
	}
	ctx, cancel := context.WithCancel(context.Background())
	s := &Server{cfg: cfg, logger: logger, engine: engine.New(catalog, opts.Now), cancel: cancel, store: opts.Store,
		budget: newRequestBudget(cfg.MaxBodyBytes)}
	if s.store == nil {
		st, err := s.openStore(ctx)
		if err != nil {
			s.Close()
			return nil, err
		}
		s.store = st
	}
	if cfg.AuthEnabled() {
		v, err := auth.NewVerifier(ctx, auth.Config{Issuer: cfg.Issuer(), Audience: cfg.Auth0Audience, Logger: logger})
		if err != nil {
			s.Close()
			return nil, fmt.Errorf("AUTH0_AUDIENCE: %w", err)
		}
		s.verifier = v
	}
	traceOpt, traceShutdown, err := telemetry.SetupTracing(ctx, cfg.Tracing)
	if err != nil {
		s.Close()
		return nil, err
	}
	s.traceOpt, s.traceShutdown = traceOpt, traceShutdown
	s.metrics = telemetry.NewMetrics()
	s.registerStoreMetrics()
	s.health = health.NewServer()
	var apiOpts []api.Option
	if cfg.LoginStep {
		if err := s.newLoginStep(opts); err != nil {
			s.Close()
			return nil, err
		}
		apiOpts = append(apiOpts, api.WithLoginStep())
	}
	s.svc = api.New(s.engine, s.store, logger, cfg.AuthEnabled(), apiOpts...)
	s.chain = s.interceptors()
	s.grpc = s.newGRPCServer(s.svc)
	s.metrics.InitializeMetrics(s.grpc)
	return s, nil
}

// newLoginStep builds the hosted login step from the configuration.
func (s *Server) newLoginStep(opts Options) error {
	tenant, err := s.cfg.LoginTenant()
	if err != nil {
		return fmt.Errorf("PROFILE_LOGIN_DOMAIN: %w", err)
	}
	// Behind a custom domain (PROFILE_LOGIN_DOMAIN), the tenant's own domain names it too.
	var others []string
	if u, err := netaddr.TenantURL(s.cfg.Auth0Domain); err == nil && u.Host != tenant.Host {
		others = append(others, u.Host)
	}
	step, err := loginstep.New(loginstep.Config{
		Secret: []byte(s.cfg.LoginSecret), Tenant: tenant, OtherIssuers: others, TokenTTL: s.cfg.LoginTokenTTL,
		Engine: s.engine, Once: s.loginOnce(opts), Logger: s.logger, Now: opts.Now,
	})
	if err != nil {
		return fmt.Errorf("PROFILE_LOGIN_STEP: %w", err)
	}
	s.step = step
	if s.cfg.Store != config.StoreAuth0 {
		s.logger.Warn("the login step is on with the embedded store: answers given at login go to Auth0 through the Action, and this store does not see them")
	}
	s.logger.Info("serving the login step", "path", loginstep.Path, "login_domain", tenant.Host)
	return nil
}

// loginOnce is the record of the login step's used tokens: the test's, else one in the Redis
// that replicas share, else nil (the step keeps one in this process).
func (s *Server) loginOnce(opts Options) loginstep.Once {
	switch {
	case opts.Once != nil:
		return opts.Once
	case s.redis != nil:
		return replicas.NewOnce(s.redis, s.cfg.RedisPrefix+"login-token:")
	}
	return nil
}

// openStore opens the store the configuration names; with PROFILE_REDIS_URL the Auth0 store
// shares its locks, invalidations, copies and budget with the other replicas through Redis.
func (s *Server) openStore(ctx context.Context) (store.Store, error) {
	cfg, logger := s.cfg, s.logger
	switch cfg.Store {
	case config.StoreAuth0:
		acfg := auth0.Config{
			Domain:          cfg.Auth0Domain,
			ClientID:        cfg.Auth0ClientID,
			ClientSecret:    cfg.Auth0ClientSecret,
			ReadsPerSecond:  cfg.Auth0ReadsPerSecond,
			ReadBurst:       cfg.Auth0ReadBurst,
			WritesPerSecond: cfg.Auth0WritesPerSecond,
			WriteBurst:      cfg.Auth0WriteBurst,
			Logger:          logger,
		}
		if cfg.RedisURL != "" {
			coord, err := s.openRedis(ctx, acfg)
			if err != nil {
				return nil, err
			}
			acfg.Coordinator = coord
		}
		st, err := auth0.New(ctx, acfg)
		if err != nil {
			if acfg.Coordinator != nil {
				_ = acfg.Coordinator.Close()
			}
			return nil, fmt.Errorf("auth0 store: %w", err)
		}
		return st, nil
	default:
		st, err := embedded.Open(embedded.Options{Dir: cfg.DataDir, Logger: logger})
		if err != nil {
			return nil, fmt.Errorf("PROFILE_DATA_DIR: %w", err)
		}
		return st, nil
	}
}

// openRedis connects to the replicas' Redis and starts the coordinator of the Auth0 store acfg.
// The server keeps the client and closes it after the store.
func (s *Server) openRedis(ctx context.Context, acfg auth0.Config) (replicas.Coordinator, error) {
	client, err := replicas.NewClient(s.cfg.RedisURL)
	if err != nil {
		return nil, fmt.Errorf("PROFILE_REDIS_URL: %w", err)
	}
	s.redis = client
	pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	coord, err := replicas.NewRedis(pctx, replicas.RedisConfig{
		Client:  client,
		Prefix:  s.cfg.RedisPrefix,
		Lease:   s.cfg.RedisLockLease,
		CopyTTL: auth0.DefaultCacheTTL,
		Reads:   replicas.Rate{PerSecond: s.cfg.Auth0ReadsPerSecond, Burst: s.cfg.Auth0ReadBurst},
		Writes:  replicas.Rate{PerSecond: s.cfg.Auth0WritesPerSecond, Burst: s.cfg.Auth0WriteBurst},
		Logger:  s.logger,
	})
	if err != nil {
		return nil, fmt.Errorf("PROFILE_REDIS_URL (%s): %w", replicas.Describe(s.cfg.RedisURL), err)
	}
	s.logger.Info("replicas share locks, invalidations and the Management API budget through Redis",
		"redis", replicas.Describe(s.cfg.RedisURL), "prefix", s.cfg.RedisPrefix, "lock_lease", s.cfg.RedisLockLease)
	return coord, nil
}

// Serve serves gRPC on grpcLis and REST, health and docs on httpLis until ctx is done, then
// shuts both down gracefully within the configured timeout. The gateway calls the service
// in-process through the same interceptor chain as the gRPC server, so every check also runs
// for REST calls.
func (s *Server) Serve(ctx context.Context, grpcLis, httpLis net.Listener) error {
	// Without caller auth every caller is trusted, which the server allows on loopback only:
	// there, requests must also be addressed to a loopback host (DNS rebinding).
	loopbackOnly := !s.cfg.AuthEnabled() && rest.IsLoopbackListener(httpLis)
	handler, err := s.restHandler(ctx, loopbackOnly)
	if err != nil {
		return err
	}
	httpSrv := &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    32 << 10,
		ErrorLog:          slog.NewLogLogger(s.logger.Handler(), slog.LevelWarn),
	}
	// Connections past the limits wait in the listen backlog: each one served costs memory.
	grpcLis = netutil.LimitListener(grpcLis, s.cfg.GRPCMaxConnections)
	httpLis = netutil.LimitListener(httpLis, s.cfg.HTTPMaxConnections)
	s.health.SetServingStatus("", healthpb.HealthCheckResponse_SERVING)
	s.health.SetServingStatus(profilev1.ProfileService_ServiceDesc.ServiceName, healthpb.HealthCheckResponse_SERVING)

	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error {
		if err := s.grpc.Serve(grpcLis); err != nil && !errors.Is(err, grpc.ErrServerStopped) {
			return fmt.Errorf("grpc: %w", err)
		}
		return nil
	})
	g.Go(func() error {
		if err := httpSrv.Serve(httpLis); err != nil && !errors.Is(err, http.ErrServerClosed) {
			return fmt.Errorf("http: %w", err)
		}
		return nil
	})
	g.Go(func() error {
		<-gctx.Done()
		s.shutdown(httpSrv)
		return nil
	})
	return g.Wait()
}

// shutdown stops taking new work, lets calls in flight finish within the timeout, then stops.
func (s *Server) shutdown(httpSrv *http.Server) {
	s.health.Shutdown()
	ctx, cancel := context.WithTimeout(context.Background(), s.cfg.ShutdownTimeout)
	defer cancel()
	if err := httpSrv.Shutdown(ctx); err != nil {
		s.logger.Warn("http shutdown timed out; closing connections", "error", err)
		_ = httpSrv.Close()
	}
	stopped := make(chan struct{})
	go func() {
		s.grpc.GracefulStop()
		close(stopped)
	}()
	select {
	case <-stopped:
	case <-ctx.Done():
		s.logger.Warn("grpc graceful stop timed out; stopping")
		s.grpc.Stop()
		<-stopped
	}
}

// Close releases the store and background work. Call it after Serve returns.
func (s *Server) Close() error {
	var err error
	s.closeOnce.Do(func() {
		s.cancel()
		if s.traceShutdown != nil {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			if terr := s.traceShutdown(ctx); terr != nil {
				s.logger.Warn("flushing traces failed", "error", terr)
			}
			cancel()
		}
		if s.store != nil {
			err = s.store.Close()
		}
		if s.redis != nil {
			_ = s.redis.Close()
		}
	})
	return err
}

// registerStoreMetrics exposes the counters of a store that keeps them on /metrics, read at
// each scrape.
func (s *Server) registerStoreMetrics() {
	st, ok := s.store.(store.Metered)
	if !ok {
		return
	}
	if err := s.metrics.RegisterStore(st); err != nil {
		s.logger.Warn("store metrics not registered", "error", err)
	}
}
