package auth0

import (
	"cmp"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/acme/progressive-profiling/server/internal/netaddr"
	"github.com/acme/progressive-profiling/server/internal/replicas"
)

// Defaults applied by New to zero Config fields. The limiter defaults follow Auth0's
// self-service plans: reading users 500 a minute with a burst of 40, writing 200 a minute with a
// burst of 20. Other clients of the same tenant share those budgets, so deployments with several
// replicas or other Management API users should configure less.
const (
	DefaultCacheSize       = 10000
	DefaultCacheTTL        = 30 * time.Second
	DefaultReadsPerSecond  = 500.0 / 60
	DefaultReadBurst       = 40
	DefaultWritesPerSecond = 200.0 / 60
	DefaultWriteBurst      = 20
	DefaultAttemptTimeout  = 5 * time.Second
)

// Config configures the Auth0 store.
type Config struct {
	// Domain is the tenant domain, "acme.eu.auth0.com" (reached over https), or, for loopback
	// hosts only, a full "http://127.0.0.1:PORT" URL (a local Management API look-alike).
	Domain string
	// ClientID and ClientSecret are the client credentials of a machine-to-machine application
	// allowed to read:users and update:users on the Management API.
	ClientID, ClientSecret string

	// CacheSize bounds the number of cached profiles; CacheTTL bounds their age.
	CacheSize int
	CacheTTL  time.Duration

	// ReadsPerSecond and ReadBurst size the client-side limiter of reads (GET user).
	ReadsPerSecond float64
	ReadBurst      int
	// WritesPerSecond and WriteBurst size the client-side limiter of writes (PATCH user).
	WritesPerSecond float64
	WriteBurst      int

	// AttemptTimeout bounds each upstream attempt, token fetches included; the caller's
	// deadline, when shorter, bounds it too.
	AttemptTimeout time.Duration

	// Coordinator is what the store shares with the other replicas of the service (see package
	// replicas); the store closes it. Nil means a process on its own, with the budgets above.
	Coordinator replicas.Coordinator

	// Logger receives warnings about upstream failures; nil discards them.
	Logger *slog.Logger
	// HTTPClient, when set, supplies the transport used for Auth0 (tests); its Timeout is ignored.
	HTTPClient *http.Client
}

// Validate reports missing or inconsistent settings, naming the environment variable (or, for
// settings without one, the Config field) at fault. It never includes the secret.
func (c Config) Validate() error {
	var errs []error
	if _, err := netaddr.TenantURL(c.Domain); err != nil {
		errs = append(errs, fmt.Errorf("AUTH0_DOMAIN: %w", err))
	}
	if strings.TrimSpace(c.ClientID) == "" {
		errs = append(errs, errors.New("AUTH0_CLIENT_ID: required"))
	}
	if c.ClientSecret == "" {
		errs = append(errs, errors.New("AUTH0_CLIENT_SECRET: required"))
	}
	for _, n := range []struct {
		name string
		neg  bool
	}{
		{"CacheSize", c.CacheSize < 0},
		{"CacheTTL", c.CacheTTL < 0},
		{"ReadsPerSecond", c.ReadsPerSecond < 0},
		{"ReadBurst", c.ReadBurst < 0},
		{"WritesPerSecond", c.WritesPerSecond < 0},
		{"WriteBurst", c.WriteBurst < 0},
		{"AttemptTimeout", c.AttemptTimeout < 0},
	} {
		if n.neg {
			errs = append(errs, fmt.Errorf("auth0 store: %s must not be negative", n.name))
		}
	}
	return errors.Join(errs...)
}

// withDefaults returns c with zero settings replaced by the defaults.
func (c Config) withDefaults() Config {
	c.CacheSize = cmp.Or(c.CacheSize, DefaultCacheSize)
	c.CacheTTL = cmp.Or(c.CacheTTL, DefaultCacheTTL)
	c.ReadsPerSecond = cmp.Or(c.ReadsPerSecond, DefaultReadsPerSecond)
	c.ReadBurst = cmp.Or(c.ReadBurst, DefaultReadBurst)
	c.WritesPerSecond = cmp.Or(c.WritesPerSecond, DefaultWritesPerSecond)
	c.WriteBurst = cmp.Or(c.WriteBurst, DefaultWriteBurst)
	c.AttemptTimeout = cmp.Or(c.AttemptTimeout, DefaultAttemptTimeout)
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return c
}

// readRate and writeRate are the configured budgets of reads and writes.
func (c Config) readRate() replicas.Rate {
	return replicas.Rate{PerSecond: c.ReadsPerSecond, Burst: c.ReadBurst}
}

func (c Config) writeRate() replicas.Rate {
	return replicas.Rate{PerSecond: c.WritesPerSecond, Burst: c.WriteBurst}
}
