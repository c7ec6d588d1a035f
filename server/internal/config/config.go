package config

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"net"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/acme/progressive-profiling/server/internal/netaddr"
)

// Store backends.
const (
	StoreEmbedded = "embedded"
	StoreAuth0    = "auth0"
)

// Config is the whole configuration of the server.
type Config struct {
	GRPCAddr    string // PROFILE_GRPC_ADDR
	HTTPAddr    string // PROFILE_HTTP_ADDR
	Store       string // PROFILE_STORE
	DataDir     string // PROFILE_DATA_DIR
	CatalogPath string // PROFILE_CATALOG
	CORSOrigins []string

	Auth0Domain       string // AUTH0_DOMAIN
	Auth0ClientID     string // AUTH0_CLIENT_ID
	Auth0ClientSecret string // AUTH0_CLIENT_SECRET
	Auth0Audience     string // AUTH0_AUDIENCE
	Auth0Issuer       string // AUTH0_ISSUER

	// Auth0ReadsPerSecond, Auth0ReadBurst, Auth0WritesPerSecond and Auth0WriteBurst size the
	// client-side limiters on Management API reads (GET) and writes (PATCH) to the tenant's
	// plan, divided by the number of replicas.
	Auth0ReadsPerSecond  float64
	Auth0ReadBurst       int
	Auth0WritesPerSecond float64
	Auth0WriteBurst      int

	// RedisURL, when set, is the Redis that replicas share (PROFILE_REDIS_URL): per-user write
	// locks, cache invalidations, shared profile copies and the Management API budget. It may
	// hold a password: never log it.
	RedisURL string
	// RedisPrefix starts every Redis key of this deployment (PROFILE_REDIS_PREFIX).
	RedisPrefix string
	// RedisLockLease is how long a write lock lasts unless released (PROFILE_REDIS_LOCK_LEASE).
	RedisLockLease time.Duration

	// InsecureNoAuth allows serving non-loopback addresses without caller authentication.
	InsecureNoAuth bool

	LogLevel        string
	ShutdownTimeout time.Duration
	// MaxBodyBytes bounds a request: a REST body, or a gRPC message (PROFILE_MAX_BODY_BYTES).
	MaxBodyBytes int64

	// Resource limits of the listeners, so that memory stays bounded whatever callers do, with or
	// without a token (see docs/limits.md).
	GRPCMaxConnections   int           // PROFILE_GRPC_MAX_CONNECTIONS: open gRPC connections
	GRPCMaxStreams       int           // PROFILE_GRPC_MAX_STREAMS: concurrent calls per gRPC connection
	GRPCMaxCalls         int           // PROFILE_GRPC_MAX_CALLS: concurrent gRPC calls, all connections together
	GRPCHandshakeTimeout time.Duration // PROFILE_GRPC_HANDSHAKE_TIMEOUT: time to set up a gRPC connection
	HTTPMaxConnections   int           // PROFILE_HTTP_MAX_CONNECTIONS: open HTTP connections

	// DebugAddr serves Go's pprof profiles when set (PROFILE_DEBUG_ADDR); loopback only.
	DebugAddr string

	// LoginStep serves the hosted login step at /login/profile and lets GetLoginPrompt answer
	// (PROFILE_LOGIN_STEP).
	LoginStep bool
	// LoginSecret signs and checks the step's HS256 session tokens; the Auth0 Action holds the
	// same value (PROFILE_LOGIN_SECRET). Never logged.
	LoginSecret string
	// LoginDomain is the domain users log in on, the iss of the Action's tokens and the host of
	// the /continue endpoint (PROFILE_LOGIN_DOMAIN); AUTH0_DOMAIN when empty.
	LoginDomain string
	// LoginTokenTTL is the lifetime of the token the step sends back to /continue
	// (PROFILE_LOGIN_TOKEN_TTL).
	LoginTokenTTL time.Duration
}

// Limits of the login step's settings.
const (
	// MinLoginSecretBytes is the shortest shared secret accepted: 256 bits, HS256's key size.
	MinLoginSecretBytes = 32
	// MaxLoginSecretBytes is the longest, the size of an Auth0 Action secret.
	MaxLoginSecretBytes = 4096
	minLoginTokenTTL    = 10 * time.Second
	maxLoginTokenTTL    = 15 * time.Minute
)

// variable binds a flag to its environment variable.
type variable struct {
	flag, env, usage string
	def              string
	set              func(string) error
}

// Parse fills a Config from command-line arguments, falling back on the environment (getenv)
// and then on defaults, and validates it. Flags win over the environment.
func Parse(args []string, getenv func(string) string, usageOut io.Writer) (Config, error) {
	var c Config
	vars := c.variables()
	fs := flag.NewFlagSet("server", flag.ContinueOnError)
	fs.SetOutput(usageOut)
	values := make(map[string]*string, len(vars))
	for _, v := range vars {
		// The help shows the built-in default, never the environment's value (which may be a
		// secret such as AUTH0_CLIENT_SECRET).
		values[v.flag] = fs.String(v.flag, v.def, fmt.Sprintf("%s (env %s)", v.usage, v.env))
	}
	insecure := fs.Bool("insecure-no-auth", false, "serve non-loopback addresses without caller authentication (env PROFILE_INSECURE_NO_AUTH=true); never in production")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	for _, v := range vars {
		val := *values[v.flag]
		if e := getenv(v.env); e != "" && !given[v.flag] {
			val = e
		}
		if err := v.set(val); err != nil {
			return c, fmt.Errorf("%s (--%s): %w", v.env, v.flag, err)
		}
	}
	c.InsecureNoAuth = *insecure
	if e := getenv("PROFILE_INSECURE_NO_AUTH"); e != "" && !*insecure {
		b, err := strconv.ParseBool(e)
		if err != nil {
			return c, fmt.Errorf("PROFILE_INSECURE_NO_AUTH: %q is not true or false", e)
		}
		c.InsecureNoAuth = b
	}
	return c, c.Validate()
}

func (c *Config) variables() []variable {
	str := func(p *string) func(string) error {
		return func(s string) error { *p = strings.TrimSpace(s); return nil }
	}
	return []variable{
		{"grpc-addr", "PROFILE_GRPC_ADDR", "gRPC listen address", "127.0.0.1:9090", str(&c.GRPCAddr)},
		{"http-addr", "PROFILE_HTTP_ADDR", "REST gateway, health and metrics listen address", "127.0.0.1:8080", str(&c.HTTPAddr)},
		{"store", "PROFILE_STORE", "profile store: embedded or auth0", StoreEmbedded, str(&c.Store)},
		{"data-dir", "PROFILE_DATA_DIR", "folder of the embedded store", "./data", str(&c.DataDir)},
		{"catalog", "PROFILE_CATALOG", "path of the field catalog YAML (built-in catalog when empty)", "", str(&c.CatalogPath)},
		{"cors-origins", "PROFILE_CORS_ORIGINS", "comma-separated browser origins allowed on REST", "", func(s string) error {
			c.CORSOrigins = nil
			for _, o := range strings.Split(s, ",") {
				if o = strings.TrimSpace(o); o != "" {
					c.CORSOrigins = append(c.CORSOrigins, o)
				}
			}
			return nil
		}},
		{"auth0-domain", "AUTH0_DOMAIN", "Auth0 tenant domain, e.g. acme.eu.auth0.com", "", str(&c.Auth0Domain)},
		{"auth0-client-id", "AUTH0_CLIENT_ID", "Management API client id", "", str(&c.Auth0ClientID)},
		{"auth0-client-secret", "AUTH0_CLIENT_SECRET", "Management API client secret (prefer the environment variable)", "", str(&c.Auth0ClientSecret)},
		{"auth0-audience", "AUTH0_AUDIENCE", "API identifier callers' tokens must carry; turns caller auth on", "", str(&c.Auth0Audience)},
		{"auth0-issuer", "AUTH0_ISSUER", "expected token issuer (default https://AUTH0_DOMAIN/)", "", str(&c.Auth0Issuer)},
		{"auth0-reads-per-second", "AUTH0_READS_PER_SECOND", "Management API reads (GET) per second allowed to this process (self-service plan: 500/min)", "8.33", positiveFloat(&c.Auth0ReadsPerSecond)},
		{"auth0-read-burst", "AUTH0_READ_BURST", "Management API read burst allowed to this process", "40", positiveInt(&c.Auth0ReadBurst)},
		{"auth0-writes-per-second", "AUTH0_WRITES_PER_SECOND", "Management API writes (PATCH) per second allowed to this process (self-service plan: 200/min)", "3.33", positiveFloat(&c.Auth0WritesPerSecond)},
		{"auth0-write-burst", "AUTH0_WRITE_BURST", "Management API write burst allowed to this process", "20", positiveInt(&c.Auth0WriteBurst)},
		{"login-step", "PROFILE_LOGIN_STEP", "serve the hosted login step at /login/profile for the Auth0 post-login Action: true or false", "false", func(s string) error {
			b, err := strconv.ParseBool(strings.TrimSpace(s))
			if err != nil {
				return fmt.Errorf("%q is not true or false", s)
			}
			c.LoginStep = b
			return nil
		}},
		{"login-secret", "PROFILE_LOGIN_SECRET", "secret shared with the Auth0 Action that signs the login step's tokens, at least 32 bytes (prefer the environment variable)", "", str(&c.LoginSecret)},
		{"login-domain", "PROFILE_LOGIN_DOMAIN", "domain users log in on (a custom domain, if any): the issuer of the Action's tokens and the host of /continue (default AUTH0_DOMAIN)", "", str(&c.LoginDomain)},
		{"login-token-ttl", "PROFILE_LOGIN_TOKEN_TTL", "lifetime of the token the login step sends back to Auth0's /continue (10s to 15m)", "2m", func(s string) error {
			d, err := time.ParseDuration(strings.TrimSpace(s))
			if err != nil || d < minLoginTokenTTL || d > maxLoginTokenTTL {
				return fmt.Errorf("%q is not a duration between 10s and 15m", s)
			}
			c.LoginTokenTTL = d
			return nil
		}},
		{"redis-url", "PROFILE_REDIS_URL", "Redis shared by replicas on the auth0 store (redis:// or rediss://); one replica when empty", "", str(&c.RedisURL)},
		{"redis-prefix", "PROFILE_REDIS_PREFIX", "prefix of this deployment's Redis keys", "profile:", str(&c.RedisPrefix)},
		{"redis-lock-lease", "PROFILE_REDIS_LOCK_LEASE", "how long a replica's write lock on a user lasts unless released (at least 3s)", "15s", func(s string) error {
			d, err := time.ParseDuration(s)
			if err != nil || d < MinRedisLockLease {
				return fmt.Errorf("%q is not a duration of at least %s", s, MinRedisLockLease)
			}
			c.RedisLockLease = d
			return nil
		}},
		{"debug-addr", "PROFILE_DEBUG_ADDR", "loopback address serving Go's pprof profiles at /debug/pprof/ (off when empty)", "", str(&c.DebugAddr)},
		{"log-level", "PROFILE_LOG_LEVEL", "log level: debug, info, warn or error", "info", str(&c.LogLevel)},
		{"shutdown-timeout", "PROFILE_SHUTDOWN_TIMEOUT", "how long graceful shutdown may take", "10s", positiveDuration(&c.ShutdownTimeout)},
		{"grpc-max-connections", "PROFILE_GRPC_MAX_CONNECTIONS", "most gRPC connections open at once; more wait to be accepted", "256", positiveInt(&c.GRPCMaxConnections)},
		{"grpc-max-streams", "PROFILE_GRPC_MAX_STREAMS", "most concurrent calls on one gRPC connection (HTTP/2 MAX_CONCURRENT_STREAMS)", "100", positiveInt(&c.GRPCMaxStreams)},
		{"grpc-max-calls", "PROFILE_GRPC_MAX_CALLS", "most concurrent gRPC calls, all connections together; more are refused with UNAVAILABLE", "1000", positiveInt(&c.GRPCMaxCalls)},
		{"grpc-handshake-timeout", "PROFILE_GRPC_HANDSHAKE_TIMEOUT", "time a new gRPC connection has to complete its handshake", "10s", positiveDuration(&c.GRPCHandshakeTimeout)},
		{"http-max-connections", "PROFILE_HTTP_MAX_CONNECTIONS", "most HTTP connections open at once; more wait to be accepted", "512", positiveInt(&c.HTTPMaxConnections)},
		{"max-body-bytes", "PROFILE_MAX_BODY_BYTES", "largest request accepted: REST body or gRPC message", "65536", func(s string) error {
			n, err := strconv.ParseInt(s, 10, 64)
			if err != nil || n <= 0 {
				return fmt.Errorf("%q is not a positive whole number", s)
			}
			c.MaxBodyBytes = n
			return nil
		}},
	}
}

func positiveFloat(p *float64) func(string) error {
	return func(s string) error {
		f, err := strconv.ParseFloat(s, 64)
		if err != nil || f <= 0 {
			return fmt.Errorf("%q is not a positive number", s)
		}
		*p = f
		return nil
	}
}

func positiveDuration(p *time.Duration) func(string) error {
	return func(s string) error {
		d, err := time.ParseDuration(s)
		if err != nil || d <= 0 {
			return fmt.Errorf("%q is not a positive duration such as 10s", s)
		}
		*p = d
		return nil
	}
}

func positiveInt(p *int) func(string) error {
	return func(s string) error {
		n, err := strconv.Atoi(s)
		if err != nil || n <= 0 || n > math.MaxInt32 {
			return fmt.Errorf("%q is not a positive whole number", s)
		}
		*p = n
		return nil
	}
}

// MinRedisLockLease is the shortest write lock lease accepted: the store's work under a lock
// ends 2 s before the lease does, and needs at least a second.
const MinRedisLockLease = 3 * time.Second

// AuthEnabled reports whether callers must present Auth0 access tokens.
func (c Config) AuthEnabled() bool { return c.Auth0Audience != "" }

// Issuer is the expected token issuer: AUTH0_ISSUER, else https://AUTH0_DOMAIN/.
func (c Config) Issuer() string {
	if c.Auth0Issuer != "" {
		return c.Auth0Issuer
	}
	if u, err := netaddr.TenantURL(c.Auth0Domain); err == nil {
		return u.String() + "/"
	}
	return "https://" + c.Auth0Domain + "/"
}

// LoginTenant returns the base URL of the domain users log in on: PROFILE_LOGIN_DOMAIN, else
// AUTH0_DOMAIN. Its host is the issuer of the Action's tokens; /continue is under it.
func (c Config) LoginTenant() (*url.URL, error) {
	d := c.LoginDomain
	if d == "" {
		d = c.Auth0Domain
	}
	return netaddr.TenantURL(d)
}

// validateLogin checks the login step's settings.
func (c Config) validateLogin() []error {
	if !c.LoginStep {
		if c.LoginSecret != "" || c.LoginDomain != "" {
			return []error{errors.New("PROFILE_LOGIN_STEP: PROFILE_LOGIN_SECRET or PROFILE_LOGIN_DOMAIN is set but the login step is off; set PROFILE_LOGIN_STEP=true")}
		}
		return nil
	}
	var errs []error
	switch n := len(c.LoginSecret); {
	case n < MinLoginSecretBytes:
		errs = append(errs, fmt.Errorf("PROFILE_LOGIN_SECRET: must be at least %d bytes, it has %d (generate one with: openssl rand -base64 32)", MinLoginSecretBytes, n))
	case n > MaxLoginSecretBytes:
		errs = append(errs, fmt.Errorf("PROFILE_LOGIN_SECRET: must be at most %d bytes (an Auth0 Action secret's limit), it has %d", MaxLoginSecretBytes, n))
	}
	if c.LoginDomain == "" && c.Auth0Domain == "" {
		errs = append(errs, errors.New("PROFILE_LOGIN_DOMAIN: required with PROFILE_LOGIN_STEP=true (or set AUTH0_DOMAIN)"))
	} else if c.LoginDomain != "" {
		if _, err := netaddr.TenantURL(c.LoginDomain); err != nil {
			errs = append(errs, fmt.Errorf("PROFILE_LOGIN_DOMAIN: %w", err))
		}
	}
	return errs
}

// Validate checks the configuration as a whole; every error names the variable at fault.
func (c Config) Validate() error {
	errs := c.validateLogin()
	for _, a := range []struct{ env, addr string }{{"PROFILE_GRPC_ADDR", c.GRPCAddr}, {"PROFILE_HTTP_ADDR", c.HTTPAddr}} {
		if _, _, err := net.SplitHostPort(a.addr); err != nil {
			errs = append(errs, fmt.Errorf("%s: %q is not host:port", a.env, a.addr))
		}
	}
	switch c.Store {
	case StoreEmbedded:
		if c.DataDir == "" {
			errs = append(errs, errors.New("PROFILE_DATA_DIR: must not be empty with the embedded store"))
		}
	case StoreAuth0:
		for _, v := range []struct{ env, val string }{{"AUTH0_DOMAIN", c.Auth0Domain}, {"AUTH0_CLIENT_ID", c.Auth0ClientID}, {"AUTH0_CLIENT_SECRET", c.Auth0ClientSecret}} {
			if v.val == "" {
				errs = append(errs, fmt.Errorf("%s: required with PROFILE_STORE=auth0", v.env))
			}
		}
	default:
		errs = append(errs, fmt.Errorf("PROFILE_STORE: %q is not embedded or auth0", c.Store))
	}
	if c.Auth0Domain != "" {
		if _, err := netaddr.TenantURL(c.Auth0Domain); err != nil {
			errs = append(errs, fmt.Errorf("AUTH0_DOMAIN: %w", err))
		}
	}
	if c.AuthEnabled() {
		if c.Auth0Domain == "" && c.Auth0Issuer == "" {
			errs = append(errs, errors.New("AUTH0_DOMAIN: required when AUTH0_AUDIENCE is set (or set AUTH0_ISSUER)"))
		}
		if c.Auth0Issuer != "" {
			u, err := url.Parse(c.Auth0Issuer)
			if err != nil || u.Host == "" || (u.Scheme != "https" && !(u.Scheme == "http" && netaddr.IsLoopbackHost(u.Hostname()))) || !strings.HasSuffix(c.Auth0Issuer, "/") {
				errs = append(errs, fmt.Errorf("AUTH0_ISSUER: %q must be an https URL ending in / (http only for loopback hosts)", c.Auth0Issuer))
			}
		}
	} else if !c.InsecureNoAuth {
		for _, a := range []struct{ env, addr string }{{"PROFILE_GRPC_ADDR", c.GRPCAddr}, {"PROFILE_HTTP_ADDR", c.HTTPAddr}} {
			if host, _, err := net.SplitHostPort(a.addr); err == nil && !netaddr.IsLoopbackHost(host) {
				errs = append(errs, fmt.Errorf("%s: %q is not a loopback address; without AUTH0_AUDIENCE (caller authentication) the server only serves loopback addresses, unless --insecure-no-auth is given", a.env, a.addr))
			}
		}
	}
	if c.RedisURL != "" {
		if u, err := url.Parse(c.RedisURL); err != nil || (u.Scheme != "redis" && u.Scheme != "rediss") || u.Host == "" {
			// The value may hold a password: the message never repeats it.
			errs = append(errs, errors.New("PROFILE_REDIS_URL: not a redis:// or rediss:// URL with a host"))
		} else if strings.Contains(u.Path+u.RawQuery+u.Fragment, "@") {
			// A '/', '?' or '#' in the password ends the host early: what follows, password
			// included, would pass for the path or query that logs show.
			errs = append(errs, errors.New("PROFILE_REDIS_URL: percent-encode '/', '?', '#' and '@' in the user name and password (%2F, %3F, %23, %40)"))
		} else if c.Store != StoreAuth0 {
			errs = append(errs, errors.New("PROFILE_REDIS_URL: only the auth0 store uses Redis; the embedded store runs as one process"))
		}
		if c.RedisPrefix == "" {
			errs = append(errs, errors.New("PROFILE_REDIS_PREFIX: must not be empty"))
		}
	}
	if c.DebugAddr != "" && !isLoopbackIPPort(c.DebugAddr) {
		errs = append(errs, fmt.Errorf("PROFILE_DEBUG_ADDR: %q must be a loopback IP address and port such as 127.0.0.1:6060 or [::1]:6060 (profiles are served without authentication)", c.DebugAddr))
	}
	if len(c.CORSOrigins) > 0 {
		for _, o := range c.CORSOrigins {
			u, err := url.Parse(o)
			if o == "*" || err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || (u.Path != "" && u.Path != "/") {
				errs = append(errs, fmt.Errorf("PROFILE_CORS_ORIGINS: %q is not an origin such as https://app.example.com", o))
			}
		}
	}
	switch strings.ToLower(c.LogLevel) {
	case "debug", "info", "warn", "error":
	default:
		errs = append(errs, fmt.Errorf("PROFILE_LOG_LEVEL: %q is not debug, info, warn or error", c.LogLevel))
	}
	return errors.Join(errs...)
}

// isLoopbackIPPort reports whether addr is ip:port with a loopback IP. A name such as localhost
// is refused: what it resolves to depends on the machine, and the profiles have no other guard.
func isLoopbackIPPort(addr string) bool {
	ap, err := netip.ParseAddrPort(addr)
	return err == nil && ap.Addr().Unmap().IsLoopback()
}

// Default returns the configuration Parse gives without flags or environment variables.
func Default() Config {
	var c Config
	for _, v := range c.variables() {
		if err := v.set(v.def); err != nil {
			panic(fmt.Sprintf("config: default of %s: %v", v.env, err))
		}
	}
	return c
}

// WithLimitDefaults returns c with each resource limit and timeout left at zero set to its
// default, for configurations built in Go rather than parsed (tests, servertest).
func (c Config) WithLimitDefaults() Config {
	d := Default()
	for _, f := range []struct{ p, def *int }{
		{&c.GRPCMaxConnections, &d.GRPCMaxConnections}, {&c.GRPCMaxStreams, &d.GRPCMaxStreams},
		{&c.GRPCMaxCalls, &d.GRPCMaxCalls}, {&c.HTTPMaxConnections, &d.HTTPMaxConnections},
	} {
		if *f.p == 0 {
			*f.p = *f.def
		}
	}
	for _, f := range []struct{ p, def *time.Duration }{
		{&c.GRPCHandshakeTimeout, &d.GRPCHandshakeTimeout}, {&c.ShutdownTimeout, &d.ShutdownTimeout},
	} {
		if *f.p == 0 {
			*f.p = *f.def
		}
	}
	if c.MaxBodyBytes == 0 {
		c.MaxBodyBytes = d.MaxBodyBytes
	}
	return c
}
