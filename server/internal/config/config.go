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

	"github.com/acme/progressive-profiling/server/internal/loginstep"
	"github.com/acme/progressive-profiling/server/internal/netaddr"
	"github.com/acme/progressive-profiling/server/internal/replicas"
	"github.com/acme/progressive-profiling/server/internal/store/auth0"
	"github.com/acme/progressive-profiling/server/internal/telemetry"
)

// Store backends.
const (
	StoreEmbedded = "embedded"
	StoreAuth0    = "auth0"
)

// Config is the whole configuration of the server command: every setting it reads, from flags,
// environment variables or both.
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
	// plan: without PROFILE_REDIS_URL they are this process's share (the plan divided by the
	// number of replicas); with it, the budget all replicas share.
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

	// Tracing is read from the OTEL_* variables (environment only).
	Tracing telemetry.Tracing
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

// DefaultDataDir is the folder of the embedded store when PROFILE_DATA_DIR is not set.
const DefaultDataDir = "./data"

// variable binds a flag to its environment variable.
type variable struct {
	flag, env, usage string
	def              string
	set              func(string) error
}

// usageHeader starts the help of the server command.
const usageHeader = `usage: server [flags]              serve gRPC and REST (flags win over environment variables)
       server import [flags] FILE  import users' root attributes into the embedded store (server import -h)

flags:
`

// tracingUsage ends the help of the server command: the variables without a flag.
const tracingUsage = `
tracing (OpenTelemetry, environment only; off unless OTEL_TRACES_EXPORTER or an OTLP endpoint
asks for it):
  OTEL_TRACES_EXPORTER         %s
  OTEL_EXPORTER_OTLP_ENDPOINT, OTEL_EXPORTER_OTLP_TRACES_ENDPOINT
                               where OTLP traces go (turn tracing on with the otlp exporter)
  OTEL_SDK_DISABLED            true turns tracing off whatever the others say
  OTEL_SERVICE_NAME            service.name of traces (default %s)
  other OTEL_* variables (protocol, headers, sampler, resource attributes) are read by the
  OpenTelemetry SDK
`

// Parse fills a Config from command-line arguments, falling back on the environment (getenv)
// and then on defaults, and validates it. Flags win over the environment. The help (-h), and a
// command line the flags refuse, print the usage to usageOut; the error itself is left to the
// caller to print.
func Parse(args []string, getenv func(string) string, usageOut io.Writer) (Config, error) {
	var c Config
	fs := newFlagSet("server", usageOut, func() { fmt.Fprint(usageOut, usageHeader) }, func() {
		fmt.Fprintf(usageOut, tracingUsage, strings.Join(telemetry.TraceExporters, ", "), telemetry.DefaultServiceName)
	})
	fill := bind(fs, c.variables(), getenv)
	insecure := fs.Bool("insecure-no-auth", false, "serve non-loopback addresses without caller authentication (env PROFILE_INSECURE_NO_AUTH=true); never in production")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if err := fill(); err != nil {
		return c, err
	}
	c.InsecureNoAuth = *insecure
	insecureGiven := false
	fs.Visit(func(f *flag.Flag) { insecureGiven = insecureGiven || f.Name == "insecure-no-auth" })
	if e := getenv("PROFILE_INSECURE_NO_AUTH"); e != "" && !insecureGiven {
		b, err := strconv.ParseBool(strings.TrimSpace(e))
		if err != nil {
			return c, fmt.Errorf("PROFILE_INSECURE_NO_AUTH: %q is not true or false", e)
		}
		c.InsecureNoAuth = b
	}
	tracing, err := telemetry.TracingFromEnv(getenv)
	if err != nil {
		return c, err
	}
	c.Tracing = tracing
	return c, c.Validate()
}

// Import is the configuration of the import command.
type Import struct {
	DataDir string // PROFILE_DATA_DIR
	// File is the JSON file to import, "-" for standard input.
	File string
}

// ParseImport reads the import command's arguments (those after "import"), as Parse does.
func ParseImport(args []string, getenv func(string) string, usageOut io.Writer) (Import, error) {
	var imp Import
	fs := newFlagSet("import", usageOut, func() {
		fmt.Fprintln(usageOut, "usage: server import [--data-dir DIR] FILE|-")
		fmt.Fprintln(usageOut, "Imports a JSON array of Auth0-shaped users into the embedded store (stop the server first).")
	}, nil)
	fill := bind(fs, []variable{dataDir(&imp.DataDir)}, getenv)
	if err := fs.Parse(args); err != nil {
		return imp, err
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return imp, errors.New("import needs exactly one FILE (or - for standard input)")
	}
	imp.File = fs.Arg(0)
	if err := fill(); err != nil {
		return imp, err
	}
	if imp.DataDir == "" {
		return imp, errors.New("PROFILE_DATA_DIR: must not be empty")
	}
	return imp, nil
}

// newFlagSet returns a flag set whose usage is head, the flags, then tail (when not nil), on
// usageOut. The flag package's own messages are dropped: the caller prints the error once.
func newFlagSet(name string, usageOut io.Writer, head, tail func()) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {
		head()
		fs.SetOutput(usageOut)
		fs.PrintDefaults()
		fs.SetOutput(io.Discard)
		if tail != nil {
			tail()
		}
	}
	return fs
}

// bind defines a flag for each variable on fs and returns the function that, after fs.Parse,
// sets each one from its flag if given, else from its environment variable if set, else from
// its default.
func bind(fs *flag.FlagSet, vars []variable, getenv func(string) string) func() error {
	values := make(map[string]*string, len(vars))
	for _, v := range vars {
		// The help shows the built-in default, never the environment's value (which may be a
		// secret such as AUTH0_CLIENT_SECRET).
		values[v.flag] = fs.String(v.flag, v.def, fmt.Sprintf("%s (env %s)", v.usage, v.env))
	}
	return func() error {
		given := map[string]bool{}
		fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
		for _, v := range vars {
			val := *values[v.flag]
			if e := getenv(v.env); e != "" && !given[v.flag] {
				val = e
			}
			if err := v.set(val); err != nil {
				return fmt.Errorf("%s (--%s): %w", v.env, v.flag, err)
			}
		}
		return nil
	}
}

// dataDir is the variable of the embedded store's folder, which the import command shares.
func dataDir(p *string) variable {
	return variable{"data-dir", "PROFILE_DATA_DIR", "folder of the embedded store", DefaultDataDir, str(p)}
}

// budgetUsage ends the help of the Management API budget settings: who shares them.
const budgetUsage = "; this process's own, or with PROFILE_REDIS_URL the budget all replicas share"

func (c *Config) variables() []variable {
	return []variable{
		{"grpc-addr", "PROFILE_GRPC_ADDR", "gRPC listen address", "127.0.0.1:9090", str(&c.GRPCAddr)},
		{"http-addr", "PROFILE_HTTP_ADDR", "REST gateway, health and metrics listen address", "127.0.0.1:8080", str(&c.HTTPAddr)},
		{"store", "PROFILE_STORE", "profile store: embedded or auth0", StoreEmbedded, str(&c.Store)},
		dataDir(&c.DataDir),
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
		{"auth0-reads-per-second", "AUTH0_READS_PER_SECOND", "Management API reads (GET) per second" + budgetUsage + " (self-service plan: 500/min)", formatFloat(auth0.DefaultReadsPerSecond), positiveFloat(&c.Auth0ReadsPerSecond)},
		{"auth0-read-burst", "AUTH0_READ_BURST", "Management API read burst" + budgetUsage, strconv.Itoa(auth0.DefaultReadBurst), positiveInt(&c.Auth0ReadBurst)},
		{"auth0-writes-per-second", "AUTH0_WRITES_PER_SECOND", "Management API writes (PATCH) per second" + budgetUsage + " (self-service plan: 200/min)", formatFloat(auth0.DefaultWritesPerSecond), positiveFloat(&c.Auth0WritesPerSecond)},
		{"auth0-write-burst", "AUTH0_WRITE_BURST", "Management API write burst" + budgetUsage, strconv.Itoa(auth0.DefaultWriteBurst), positiveInt(&c.Auth0WriteBurst)},
		{"login-step", "PROFILE_LOGIN_STEP", "serve the hosted login step at /login/profile for the Auth0 post-login Action: true or false", "false",
			parsed(&c.LoginStep, trimmed(strconv.ParseBool), func(bool) bool { return true }, "true or false")},
		{"login-secret", "PROFILE_LOGIN_SECRET", "secret shared with the Auth0 Action that signs the login step's tokens, at least 32 bytes (prefer the environment variable)", "", str(&c.LoginSecret)},
		{"login-domain", "PROFILE_LOGIN_DOMAIN", "domain users log in on (a custom domain, if any): the issuer of the Action's tokens and the host of /continue (default AUTH0_DOMAIN)", "", str(&c.LoginDomain)},
		{"login-token-ttl", "PROFILE_LOGIN_TOKEN_TTL", "lifetime of the token the login step sends back to Auth0's /continue (10s to 15m)", loginstep.DefaultTokenTTL.String(),
			parsed(&c.LoginTokenTTL, trimmed(time.ParseDuration), func(d time.Duration) bool { return d >= minLoginTokenTTL && d <= maxLoginTokenTTL }, "a duration between 10s and 15m")},
		{"redis-url", "PROFILE_REDIS_URL", "Redis shared by replicas on the auth0 store (redis:// or rediss://); one replica when empty", "", str(&c.RedisURL)},
		{"redis-prefix", "PROFILE_REDIS_PREFIX", "prefix of this deployment's Redis keys", replicas.DefaultPrefix, str(&c.RedisPrefix)},
		{"redis-lock-lease", "PROFILE_REDIS_LOCK_LEASE", "how long a replica's write lock on a user lasts unless released (at least 3s)", replicas.DefaultLease.String(),
			parsed(&c.RedisLockLease, time.ParseDuration, func(d time.Duration) bool { return d >= replicas.MinLease }, "a duration of at least "+replicas.MinLease.String())},
		{"debug-addr", "PROFILE_DEBUG_ADDR", "loopback address serving Go's pprof profiles at /debug/pprof/ (off when empty)", "", str(&c.DebugAddr)},
		{"log-level", "PROFILE_LOG_LEVEL", "log level: debug, info, warn or error", "info", str(&c.LogLevel)},
		{"shutdown-timeout", "PROFILE_SHUTDOWN_TIMEOUT", "how long graceful shutdown may take", "10s", positiveDuration(&c.ShutdownTimeout)},
		{"grpc-max-connections", "PROFILE_GRPC_MAX_CONNECTIONS", "most gRPC connections open at once; more wait to be accepted", "256", positiveInt(&c.GRPCMaxConnections)},
		{"grpc-max-streams", "PROFILE_GRPC_MAX_STREAMS", "most concurrent calls on one gRPC connection (HTTP/2 MAX_CONCURRENT_STREAMS)", "100", positiveInt(&c.GRPCMaxStreams)},
		{"grpc-max-calls", "PROFILE_GRPC_MAX_CALLS", "most concurrent gRPC calls, all connections together; more are refused with UNAVAILABLE", "1000", positiveInt(&c.GRPCMaxCalls)},
		{"grpc-handshake-timeout", "PROFILE_GRPC_HANDSHAKE_TIMEOUT", "time a new gRPC connection has to complete its handshake", "10s", positiveDuration(&c.GRPCHandshakeTimeout)},
		{"http-max-connections", "PROFILE_HTTP_MAX_CONNECTIONS", "most HTTP connections open at once; more wait to be accepted", "512", positiveInt(&c.HTTPMaxConnections)},
		{"max-body-bytes", "PROFILE_MAX_BODY_BYTES", "largest request accepted: REST body or gRPC message", "65536",
			parsed(&c.MaxBodyBytes, func(s string) (int64, error) { return strconv.ParseInt(s, 10, 64) }, func(n int64) bool { return n > 0 }, "a positive whole number")},
	}
}

// parsed returns a setter that parses a value, checks it with ok and stores it in *p; it fails
// with the value and want, what a valid value is.
func parsed[T any](p *T, parse func(string) (T, error), ok func(T) bool, want string) func(string) error {
	return func(s string) error {
		v, err := parse(s)
		if err != nil || !ok(v) {
			return fmt.Errorf("%q is not %s", s, want)
		}
		*p = v
		return nil
	}
}

// trimmed is parse applied to its input without surrounding spaces.
func trimmed[T any](parse func(string) (T, error)) func(string) (T, error) {
	return func(s string) (T, error) { return parse(strings.TrimSpace(s)) }
}

func str(p *string) func(string) error {
	return func(s string) error { *p = strings.TrimSpace(s); return nil }
}

func positiveFloat(p *float64) func(string) error {
	return parsed(p, func(s string) (float64, error) { return strconv.ParseFloat(s, 64) }, func(f float64) bool { return f > 0 }, "a positive number")
}

func positiveDuration(p *time.Duration) func(string) error {
	return parsed(p, time.ParseDuration, func(d time.Duration) bool { return d > 0 }, "a positive duration such as 10s")
}

func positiveInt(p *int) func(string) error {
	return parsed(p, strconv.Atoi, func(n int) bool { return n > 0 && n <= math.MaxInt32 }, "a positive whole number")
}

// formatFloat writes f as Parse reads it back, to the last digit.
func formatFloat(f float64) string { return strconv.FormatFloat(f, 'g', -1, 64) }

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
			if err != nil || u.Host == "" || netaddr.CheckScheme(u) != nil || !strings.HasSuffix(c.Auth0Issuer, "/") {
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
	c, err := Parse(nil, func(string) string { return "" }, io.Discard)
	if err != nil {
		panic(fmt.Sprintf("config: the defaults are not valid: %v", err))
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
