package config

import (
	"errors"
	"flag"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/acme/progressive-profiling/server/internal/loginstep"
	"github.com/acme/progressive-profiling/server/internal/replicas"
	"github.com/acme/progressive-profiling/server/internal/store/auth0"
	"github.com/acme/progressive-profiling/server/internal/telemetry"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestDefaultsServeLoopbackOnTheEmbeddedStore(t *testing.T) {
	c, err := Parse(nil, env(nil), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if c.GRPCAddr != "127.0.0.1:9090" || c.HTTPAddr != "127.0.0.1:8080" || c.Store != StoreEmbedded || c.DataDir != "./data" || c.AuthEnabled() {
		t.Errorf("defaults = %+v", c)
	}
}

func TestFlagsWinOverEnvironment(t *testing.T) {
	c, err := Parse([]string{"--grpc-addr", "127.0.0.1:7000"}, env(map[string]string{"PROFILE_GRPC_ADDR": "127.0.0.1:6000", "PROFILE_HTTP_ADDR": "127.0.0.1:6001"}), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if c.GRPCAddr != "127.0.0.1:7000" || c.HTTPAddr != "127.0.0.1:6001" {
		t.Errorf("grpc %s http %s, want the flag for gRPC and the environment for HTTP", c.GRPCAddr, c.HTTPAddr)
	}
}

// TestInsecureFlagWinsOverEnvironment: --insecure-no-auth=false wins over
// PROFILE_INSECURE_NO_AUTH=true, as every flag wins over its variable.
func TestInsecureFlagWinsOverEnvironment(t *testing.T) {
	for _, tt := range []struct {
		args []string
		env  string
		want bool
	}{
		{nil, "true", true},
		{nil, " true ", true},
		{[]string{"--insecure-no-auth"}, "false", true},
		{[]string{"--insecure-no-auth=false"}, "true", false},
	} {
		c, err := Parse(tt.args, env(map[string]string{"PROFILE_INSECURE_NO_AUTH": tt.env}), io.Discard)
		if err != nil || c.InsecureNoAuth != tt.want {
			t.Errorf("Parse(%q) with PROFILE_INSECURE_NO_AUTH=%q: InsecureNoAuth %v, %v; want %v", tt.args, tt.env, c.InsecureNoAuth, err, tt.want)
		}
	}
}

func TestInvalidConfigurationNamesTheVariable(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		args []string
		want string
	}{
		{"unknown store", map[string]string{"PROFILE_STORE": "redis"}, nil, "PROFILE_STORE"},
		{"auth0 store without credentials", map[string]string{"PROFILE_STORE": "auth0", "AUTH0_DOMAIN": "acme.eu.auth0.com"}, nil, "AUTH0_CLIENT_ID"},
		{"auth0 store without domain", map[string]string{"PROFILE_STORE": "auth0", "AUTH0_CLIENT_ID": "id", "AUTH0_CLIENT_SECRET": "s"}, nil, "AUTH0_DOMAIN"},
		{"http URL for a remote host", map[string]string{"AUTH0_DOMAIN": "http://acme.eu.auth0.com"}, nil, "AUTH0_DOMAIN"},
		{"domain with a path", map[string]string{"AUTH0_DOMAIN": "acme.eu.auth0.com/api"}, nil, "AUTH0_DOMAIN"},
		{"public address without auth", map[string]string{"PROFILE_HTTP_ADDR": "0.0.0.0:8080"}, nil, "PROFILE_HTTP_ADDR"},
		{"empty host without auth", map[string]string{"PROFILE_GRPC_ADDR": ":9090"}, nil, "PROFILE_GRPC_ADDR"},
		{"audience without domain", map[string]string{"AUTH0_AUDIENCE": "https://api"}, nil, "AUTH0_DOMAIN"},
		{"bad CORS origin", map[string]string{"PROFILE_CORS_ORIGINS": "*"}, nil, "PROFILE_CORS_ORIGINS"},
		{"bad address", map[string]string{"PROFILE_GRPC_ADDR": "nonsense"}, nil, "PROFILE_GRPC_ADDR"},
		{"bad log level", map[string]string{"PROFILE_LOG_LEVEL": "loud"}, nil, "PROFILE_LOG_LEVEL"},
		{"bad shutdown timeout", map[string]string{"PROFILE_SHUTDOWN_TIMEOUT": "soon"}, nil, "PROFILE_SHUTDOWN_TIMEOUT"},
		{"bad insecure flag value", map[string]string{"PROFILE_INSECURE_NO_AUTH": "maybe"}, nil, "PROFILE_INSECURE_NO_AUTH"},
		{"profiles on a public address, even with auth", map[string]string{"PROFILE_DEBUG_ADDR": "0.0.0.0:6060", "AUTH0_AUDIENCE": "https://api", "AUTH0_DOMAIN": "acme.eu.auth0.com"}, nil, "PROFILE_DEBUG_ADDR"},
		{"profiles on every interface", nil, []string{"--debug-addr", ":6060", "--insecure-no-auth"}, "PROFILE_DEBUG_ADDR"},
		{"profiles on a name, even localhost", map[string]string{"PROFILE_DEBUG_ADDR": "localhost:6060"}, nil, "PROFILE_DEBUG_ADDR"},
		{"profiles on a name that looks loopback", map[string]string{"PROFILE_DEBUG_ADDR": "127.0.0.1.nip.io:6060"}, nil, "PROFILE_DEBUG_ADDR"},
		{"profiles without a port", map[string]string{"PROFILE_DEBUG_ADDR": "127.0.0.1"}, nil, "PROFILE_DEBUG_ADDR"},
		{"login step without a secret", map[string]string{"PROFILE_LOGIN_STEP": "true", "AUTH0_DOMAIN": "acme.eu.auth0.com"}, nil, "PROFILE_LOGIN_SECRET: must be at least 32 bytes, it has 0"},
		{"login step with a short secret", map[string]string{"PROFILE_LOGIN_STEP": "true", "AUTH0_DOMAIN": "acme.eu.auth0.com", "PROFILE_LOGIN_SECRET": strings.Repeat("k", 31)}, nil, "PROFILE_LOGIN_SECRET: must be at least 32 bytes, it has 31"},
		{"login step without a domain", map[string]string{"PROFILE_LOGIN_STEP": "true", "PROFILE_LOGIN_SECRET": loginSecret}, nil, "PROFILE_LOGIN_DOMAIN: required"},
		{"login domain with a path", map[string]string{"PROFILE_LOGIN_STEP": "true", "PROFILE_LOGIN_SECRET": loginSecret, "PROFILE_LOGIN_DOMAIN": "login.acme.com/x"}, nil, "PROFILE_LOGIN_DOMAIN"},
		{"login secret with the step off", map[string]string{"PROFILE_LOGIN_SECRET": loginSecret}, nil, "PROFILE_LOGIN_STEP"},
		{"login step not a boolean", map[string]string{"PROFILE_LOGIN_STEP": "yes please"}, nil, "PROFILE_LOGIN_STEP"},
		{"login token lifetime too long", nil, []string{"--login-token-ttl", "1h"}, "PROFILE_LOGIN_TOKEN_TTL"},
		{"redis URL of another scheme", auth0Env(map[string]string{"PROFILE_REDIS_URL": "http://127.0.0.1:6379"}), nil, "PROFILE_REDIS_URL"},
		{"redis URL without a host", auth0Env(map[string]string{"PROFILE_REDIS_URL": "redis://"}), nil, "PROFILE_REDIS_URL"},
		{"redis with the embedded store", map[string]string{"PROFILE_REDIS_URL": "redis://127.0.0.1:6379"}, nil, "PROFILE_REDIS_URL"},
		{"lock lease too short", auth0Env(map[string]string{"PROFILE_REDIS_LOCK_LEASE": "1s"}), nil, "PROFILE_REDIS_LOCK_LEASE"},
		{"empty redis prefix", auth0Env(map[string]string{"PROFILE_REDIS_URL": "redis://127.0.0.1:6379"}), []string{"--redis-prefix", ""}, "PROFILE_REDIS_PREFIX"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse(tt.args, env(tt.env), io.Discard)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error = %v, want one naming %s", err, tt.want)
			}
		})
	}
}

func TestAcceptedConfigurations(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		args []string
	}{
		{"public address with auth", map[string]string{"PROFILE_HTTP_ADDR": "0.0.0.0:8080", "PROFILE_GRPC_ADDR": "0.0.0.0:9090", "AUTH0_AUDIENCE": "https://api", "AUTH0_DOMAIN": "acme.eu.auth0.com"}, nil},
		{"public address with the explicit insecure flag", map[string]string{"PROFILE_HTTP_ADDR": "0.0.0.0:8080"}, []string{"--insecure-no-auth"}},
		{"loopback Management API look-alike", map[string]string{"PROFILE_STORE": "auth0", "AUTH0_DOMAIN": "http://127.0.0.1:4000", "AUTH0_CLIENT_ID": "id", "AUTH0_CLIENT_SECRET": "s"}, nil},
		{"localhost and IPv6 loopback", map[string]string{"PROFILE_HTTP_ADDR": "localhost:8080", "PROFILE_GRPC_ADDR": "[::1]:9090"}, nil},
		{"CORS origins", map[string]string{"PROFILE_CORS_ORIGINS": "https://app.example.com, http://localhost:3000"}, nil},
		{"profiles on loopback", map[string]string{"PROFILE_DEBUG_ADDR": "127.0.0.1:6060"}, nil},
		{"profiles on IPv6 loopback", map[string]string{"PROFILE_DEBUG_ADDR": "[::1]:6060"}, nil},
		{"profiles on IPv4-mapped loopback", map[string]string{"PROFILE_DEBUG_ADDR": "[::ffff:127.0.0.1]:6060"}, nil},
		{"login step on the tenant domain", map[string]string{"PROFILE_LOGIN_STEP": "true", "PROFILE_LOGIN_SECRET": loginSecret, "AUTH0_DOMAIN": "acme.eu.auth0.com"}, nil},
		{"login step on a custom domain", map[string]string{"PROFILE_LOGIN_STEP": "1", "PROFILE_LOGIN_SECRET": loginSecret, "PROFILE_LOGIN_DOMAIN": "login.acme.com"}, []string{"--login-token-ttl", "30s"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := Parse(tt.args, env(tt.env), io.Discard); err != nil {
				t.Errorf("Parse: %v", err)
			}
		})
	}
}

const loginSecret = "0123456789abcdef0123456789abcdef"

func TestLoginTenantDefaultsToTheDomain(t *testing.T) {
	for _, tt := range []struct {
		c    Config
		want string
	}{
		{Config{Auth0Domain: "acme.eu.auth0.com"}, "https://acme.eu.auth0.com"},
		{Config{Auth0Domain: "acme.eu.auth0.com", LoginDomain: "login.acme.com"}, "https://login.acme.com"},
		{Config{LoginDomain: "http://127.0.0.1:4000"}, "http://127.0.0.1:4000"},
	} {
		u, err := tt.c.LoginTenant()
		if err != nil || u.String() != tt.want {
			t.Errorf("LoginTenant(%+v) = %v, %v; want %s", tt.c, u, err, tt.want)
		}
	}
	c, err := Parse(nil, env(map[string]string{"PROFILE_LOGIN_STEP": "true", "PROFILE_LOGIN_SECRET": loginSecret, "AUTH0_DOMAIN": "acme.eu.auth0.com"}), io.Discard)
	if err != nil || !c.LoginStep || c.LoginTokenTTL.String() != "2m0s" {
		t.Errorf("login step defaults = %v, %v, %v; want on with a 2m token lifetime", c.LoginStep, c.LoginTokenTTL, err)
	}
}

func TestIssuerDefaultsToTheDomain(t *testing.T) {
	for _, tt := range []struct {
		c    Config
		want string
	}{
		{Config{Auth0Domain: "acme.eu.auth0.com"}, "https://acme.eu.auth0.com/"},
		{Config{Auth0Domain: "http://127.0.0.1:4000"}, "http://127.0.0.1:4000/"},
		{Config{Auth0Domain: "acme.eu.auth0.com", Auth0Issuer: "https://login.acme.com/"}, "https://login.acme.com/"},
	} {
		if got := tt.c.Issuer(); got != tt.want {
			t.Errorf("Issuer(%+v) = %q, want %q", tt.c, got, tt.want)
		}
	}
}

// TestHelpNeverShowsTheEnvironment: -h lists the built-in defaults, so a secret set in the
// environment is never printed.
func TestHelpNeverShowsTheEnvironment(t *testing.T) {
	var out strings.Builder
	_, err := Parse([]string{"-h"}, env(map[string]string{"AUTH0_CLIENT_SECRET": "s3cr3t-value", "PROFILE_LOGIN_SECRET": "s3cr3t-login-value-of-32-bytes-at-least", "PROFILE_GRPC_ADDR": "127.0.0.1:7777"}), &out)
	if !errors.Is(err, flag.ErrHelp) {
		t.Fatalf("Parse(-h) error = %v, want flag.ErrHelp", err)
	}
	if strings.Contains(out.String(), "s3cr3t") || strings.Contains(out.String(), "7777") {
		t.Errorf("help shows values from the environment:\n%s", out.String())
	}
	if !strings.Contains(out.String(), "AUTH0_CLIENT_SECRET") || !strings.Contains(out.String(), "PROFILE_LOGIN_SECRET") {
		t.Errorf("help does not name the variables:\n%s", out.String())
	}
}

// auth0Env is env with the settings of the auth0 store added.
func auth0Env(env map[string]string) map[string]string {
	out := map[string]string{"PROFILE_STORE": "auth0", "AUTH0_DOMAIN": "acme.eu.auth0.com", "AUTH0_CLIENT_ID": "id", "AUTH0_CLIENT_SECRET": "s"}
	for k, v := range env {
		out[k] = v
	}
	return out
}

func TestRedisURLNeverShowsInErrors(t *testing.T) {
	_, err := Parse(nil, env(auth0Env(map[string]string{"PROFILE_REDIS_URL": "redis-tls://user:hunter2secret@cache:6379"})), io.Discard)
	if err == nil || strings.Contains(err.Error(), "hunter2secret") {
		t.Errorf("error = %v, want a refusal that does not repeat the password", err)
	}
}

// TestRedisPasswordWithReservedCharactersIsRefused checks that a password holding an unescaped
// '/', '?' or '#' (base64 passwords often hold '/'), which cuts the URL's host short and would put
// the rest of the password in what logs show of the URL, is refused without being repeated.
func TestRedisPasswordWithReservedCharactersIsRefused(t *testing.T) {
	for _, u := range []string{
		"redis://default:2024/Xy9secret@cache:6379/0",
		"rediss://default:2024?Xy9secret@cache:6380",
		"redis://default:2024#Xy9secret@cache:6379",
	} {
		_, err := Parse(nil, env(auth0Env(map[string]string{"PROFILE_REDIS_URL": u})), io.Discard)
		if err == nil || !strings.Contains(err.Error(), "PROFILE_REDIS_URL") || strings.Contains(err.Error(), "Xy9secret") || strings.Contains(err.Error(), "2024") {
			t.Errorf("%s: error = %v, want PROFILE_REDIS_URL refused without repeating the password", u, err)
		}
	}
}

func TestRedisSettings(t *testing.T) {
	c, err := Parse(nil, env(auth0Env(map[string]string{"PROFILE_REDIS_URL": "rediss://:pw@cache.internal:6380/2", "PROFILE_REDIS_LOCK_LEASE": "20s"})), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if c.RedisURL != "rediss://:pw@cache.internal:6380/2" || c.RedisPrefix != "profile:" || c.RedisLockLease != 20*time.Second {
		t.Errorf("redis settings = %q %q %v", c.RedisURL, c.RedisPrefix, c.RedisLockLease)
	}
}

func TestResourceLimits(t *testing.T) {
	c, err := Parse(nil, func(string) string { return "" }, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	got := []any{c.GRPCMaxConnections, c.GRPCMaxStreams, c.GRPCMaxCalls, c.GRPCHandshakeTimeout, c.HTTPMaxConnections, c.MaxBodyBytes}
	want := []any{256, 100, 1000, 10 * time.Second, 512, int64(65536)}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("defaults (-want +got):\n%s", diff)
	}
	f := Config{}.WithLimitDefaults()
	filled := []any{f.GRPCMaxConnections, f.GRPCMaxStreams, f.GRPCMaxCalls, f.GRPCHandshakeTimeout, f.HTTPMaxConnections, f.MaxBodyBytes}
	if diff := cmp.Diff(want, filled); diff != "" {
		t.Errorf("WithLimitDefaults (-want +got):\n%s", diff)
	}
	bad := map[string]string{"PROFILE_GRPC_MAX_STREAMS": "0", "PROFILE_GRPC_HANDSHAKE_TIMEOUT": "soon"}
	if _, err := Parse(nil, env(bad), io.Discard); err == nil || !strings.Contains(err.Error(), "PROFILE_GRPC_MAX_STREAMS") {
		t.Errorf("a zero stream limit: got %v, want an error naming PROFILE_GRPC_MAX_STREAMS", err)
	}
}

// TestDefaultsComeFromTheirPackages: the defaults of settings that a package owns are that
// package's own.
func TestDefaultsComeFromTheirPackages(t *testing.T) {
	c := Default()
	got := []any{c.Auth0ReadsPerSecond, c.Auth0ReadBurst, c.Auth0WritesPerSecond, c.Auth0WriteBurst,
		c.RedisPrefix, c.RedisLockLease, c.LoginTokenTTL, c.Tracing}
	want := []any{auth0.DefaultReadsPerSecond, auth0.DefaultReadBurst, auth0.DefaultWritesPerSecond, auth0.DefaultWriteBurst,
		replicas.DefaultPrefix, replicas.DefaultLease, loginstep.DefaultTokenTTL,
		telemetry.Tracing{ServiceName: telemetry.DefaultServiceName}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("defaults (-want +got):\n%s", diff)
	}
}

func TestHelpNamesTheImportCommandAndTheTracingVariables(t *testing.T) {
	var out strings.Builder
	if _, err := Parse([]string{"-h"}, env(nil), &out); !errors.Is(err, flag.ErrHelp) {
		t.Fatalf("Parse(-h) error = %v, want flag.ErrHelp", err)
	}
	for _, want := range []string{"server import", "OTEL_TRACES_EXPORTER", "OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_SDK_DISABLED", "OTEL_SERVICE_NAME", "with PROFILE_REDIS_URL the budget all replicas share"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("help does not say %q:\n%s", want, out.String())
		}
	}
}

// TestARefusedCommandLineLeavesItsErrorToTheCaller: the usage is printed, the error is returned
// and not printed, so that the command prints it once.
func TestARefusedCommandLineLeavesItsErrorToTheCaller(t *testing.T) {
	for _, args := range [][]string{{"--no-such-flag"}, {"--grpc-max-calls"}} {
		var out strings.Builder
		_, err := Parse(args, env(nil), &out)
		if err == nil {
			t.Fatalf("Parse(%q): got nil error", args)
		}
		if strings.Contains(out.String(), err.Error()) || !strings.Contains(out.String(), "usage: server") {
			t.Errorf("Parse(%q) printed:\n%s\nwant the usage without the error %q", args, out.String(), err)
		}
	}
	var out strings.Builder
	_, err := ParseImport([]string{"--no-such-flag", "users.json"}, env(nil), &out)
	if err == nil || strings.Contains(out.String(), err.Error()) || !strings.Contains(out.String(), "usage: server import") {
		t.Errorf("ParseImport printed:\n%s\nwant the usage without the error %v", out.String(), err)
	}
}

func TestTracingSettings(t *testing.T) {
	c, err := Parse(nil, env(map[string]string{"OTEL_TRACES_EXPORTER": "console", "OTEL_SERVICE_NAME": "profiles-eu"}), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if want := (telemetry.Tracing{Enabled: true, ServiceName: "profiles-eu"}); c.Tracing != want {
		t.Errorf("Tracing = %+v, want %+v", c.Tracing, want)
	}
	if _, err := Parse(nil, env(map[string]string{"OTEL_TRACES_EXPORTER": "zipkin"}), io.Discard); err == nil || !strings.Contains(err.Error(), "OTEL_TRACES_EXPORTER") {
		t.Errorf("an unknown exporter: got %v, want an error naming OTEL_TRACES_EXPORTER", err)
	}
	if _, err := Parse(nil, env(map[string]string{"OTEL_TRACES_EXPORTER": "zipkin", "OTEL_SDK_DISABLED": "true"}), io.Discard); err != nil {
		t.Errorf("an unknown exporter with tracing disabled: got %v, want no error", err)
	}
}

func TestImportSettings(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		env     map[string]string
		want    Import
		wantErr string
	}{
		{"default folder", []string{"users.json"}, nil, Import{DataDir: DefaultDataDir, File: "users.json"}, ""},
		{"folder from the environment", []string{"-"}, map[string]string{"PROFILE_DATA_DIR": "/var/lib/profiles"}, Import{DataDir: "/var/lib/profiles", File: "-"}, ""},
		{"the flag wins", []string{"--data-dir", "/tmp/p", "users.json"}, map[string]string{"PROFILE_DATA_DIR": "/var/lib/profiles"}, Import{DataDir: "/tmp/p", File: "users.json"}, ""},
		{"no file", nil, nil, Import{}, "exactly one FILE"},
		{"two files", []string{"a.json", "b.json"}, nil, Import{}, "exactly one FILE"},
		{"empty folder", []string{"--data-dir", "", "users.json"}, nil, Import{}, "PROFILE_DATA_DIR"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseImport(tt.args, env(tt.env), io.Discard)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Errorf("ParseImport(%q): got error %v, want one saying %q", tt.args, err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("ParseImport(%q) = %+v, %v; want %+v", tt.args, got, err, tt.want)
			}
		})
	}
}
