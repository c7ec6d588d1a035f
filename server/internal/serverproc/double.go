package serverproc

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os/exec"
	"time"
)

// DoubleBinName is the name BuildDouble gives the Management API double's binary.
const DoubleBinName = "auth0-double"

// BuildDouble compiles the command that runs the Management API double of package auth0test
// (its auth0double folder) into dir and returns the binary's path.
func BuildDouble(ctx context.Context, dir string) (string, error) {
	return build(ctx, dir, "./server/internal/store/auth0/auth0test/auth0double", DoubleBinName)
}

// Double is the Management API double running as its own process, steered through its control
// API. Its users, latency and rate limits are those of an auth0test.Server.
type Double struct {
	*Proc
	// Domain, ClientID and ClientSecret reach the double as the service does.
	Domain       string `json:"domain"`
	ClientID     string `json:"client_id"`
	ClientSecret string `json:"client_secret"`

	control string
}

// DoubleCalls are the requests a double received, as auth0test.Counts: token requests, GETs and
// PATCHes of users, and the requests refused with 429 by the tenant's rate limit.
type DoubleCalls struct {
	Token, Get, Patch, Throttled int
}

// StartDouble starts the double built by BuildDouble, logging to logPath, and waits until its
// control API answers.
func StartDouble(ctx context.Context, bin, logPath string) (*Double, error) {
	addr, err := FreeAddr()
	if err != nil {
		return nil, err
	}
	control := "http://" + addr
	p, err := start(ctx, exec.Command(bin, "-control", addr), nil, logPath, control+"/config")
	if err != nil {
		return nil, err
	}
	d := &Double{Proc: p, control: control}
	if err := d.call(ctx, http.MethodGet, "/config", nil, d); err != nil {
		p.Stop()
		return nil, err
	}
	return d, nil
}

// StoreEnv is the server configuration of the Auth0 store against the double.
func (d *Double) StoreEnv() map[string]string {
	return map[string]string{
		"PROFILE_STORE": "auth0", "AUTH0_DOMAIN": d.Domain,
		"AUTH0_CLIENT_ID": d.ClientID, "AUTH0_CLIENT_SECRET": d.ClientSecret,
	}
}

// AddUsers creates or replaces users, Auth0 user objects each with its user_id.
func (d *Double) AddUsers(ctx context.Context, users []map[string]any) error {
	return d.call(ctx, http.MethodPost, "/users", users, nil)
}

// SetLatency delays every Management API response (not the token endpoint) by latency.
func (d *Double) SetLatency(ctx context.Context, latency time.Duration) error {
	return d.call(ctx, http.MethodPut, "/latency", latency.String(), nil)
}

// SetRateLimit gives the tenant one bucket of burst requests refilled at perSecond.
func (d *Double) SetRateLimit(ctx context.Context, burst int, perSecond float64) error {
	return d.call(ctx, http.MethodPut, "/rate-limit", map[string]any{"Burst": burst, "PerSecond": perSecond}, nil)
}

// Calls returns the requests the double received so far.
func (d *Double) Calls(ctx context.Context) (DoubleCalls, error) {
	var c DoubleCalls
	err := d.call(ctx, http.MethodGet, "/calls", nil, &c)
	return c, err
}

// call sends body, when not nil, as JSON to the control API and decodes the answer into out,
// when not nil.
func (d *Double) call(ctx context.Context, method, path string, body, out any) error {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, d.control+path, rd)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("double %s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 300))
		return fmt.Errorf("double %s %s: %s: %s", method, path, resp.Status, bytes.TrimSpace(msg))
	}
	if out == nil {
		return nil
	}
	return json.NewDecoder(resp.Body).Decode(out)
}
