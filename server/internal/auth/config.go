package auth

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/acme/progressive-profiling/server/internal/netaddr"
)

// Defaults applied by NewVerifier to zero-valued Config fields.
const (
	// DefaultSkew is the clock skew tolerated on exp, nbf and iat.
	DefaultSkew = 30 * time.Second
	// DefaultMinRefreshInterval is the shortest time between two JWKS fetches.
	DefaultMinRefreshInterval = 5 * time.Second
	// DefaultHTTPTimeout bounds one JWKS fetch when Config.HTTPClient is nil.
	DefaultHTTPTimeout = 10 * time.Second
)

// Config configures a Verifier. Issuer and Audience are required; every other field has a default.
type Config struct {
	// Issuer is the exact expected "iss" claim, e.g. "https://acme.eu.auth0.com/".
	Issuer string
	// Audience is the API identifier that must appear in the "aud" claim (string or array).
	Audience string
	// JWKSURL is where signing keys are fetched; it defaults to Issuer + ".well-known/jwks.json".
	// It must be https, except on loopback hosts (local test servers).
	JWKSURL string
	// Skew is the clock skew tolerated on exp, nbf and iat; zero means DefaultSkew.
	Skew time.Duration
	// MinRefreshInterval is the shortest time between two JWKS fetches, however many tokens with
	// unknown key ids arrive; zero means DefaultMinRefreshInterval.
	MinRefreshInterval time.Duration
	// HTTPClient fetches the JWKS; nil means a client with DefaultHTTPTimeout.
	HTTPClient *http.Client
	// Logger receives JWKS fetch failures (warn) and token rejection reasons (debug, never the
	// token itself); nil discards.
	Logger *slog.Logger
	// Now returns the current time; nil means time.Now. Tests set it to drive expiry and refresh.
	Now func() time.Time
}

// withDefaults validates c and returns a copy with every default filled in.
func (c Config) withDefaults() (Config, error) {
	if c.Issuer == "" {
		return c, errors.New("auth: Config.Issuer is required")
	}
	if c.Audience == "" {
		return c, errors.New("auth: Config.Audience is required")
	}
	if c.Skew < 0 || c.MinRefreshInterval < 0 {
		return c, errors.New("auth: Config.Skew and Config.MinRefreshInterval must not be negative")
	}
	if c.JWKSURL == "" {
		c.JWKSURL = strings.TrimSuffix(c.Issuer, "/") + "/.well-known/jwks.json"
	}
	if err := checkJWKSURL(c.JWKSURL); err != nil {
		return c, err
	}
	if c.Skew == 0 {
		c.Skew = DefaultSkew
	}
	if c.MinRefreshInterval == 0 {
		c.MinRefreshInterval = DefaultMinRefreshInterval
	}
	if c.HTTPClient == nil {
		c.HTTPClient = &http.Client{Timeout: DefaultHTTPTimeout}
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return c, nil
}

// checkJWKSURL accepts https URLs, and http URLs only on loopback hosts.
func checkJWKSURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return fmt.Errorf("auth: JWKS URL %q is not an absolute URL", raw)
	}
	if netaddr.CheckScheme(u) != nil {
		return fmt.Errorf("auth: JWKS URL %q must use https (http is allowed for loopback hosts only)", raw)
	}
	return nil
}
