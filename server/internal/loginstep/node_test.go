package loginstep_test

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/acme/progressive-profiling/server/internal/app"
	"github.com/acme/progressive-profiling/server/internal/config"
	"github.com/acme/progressive-profiling/server/internal/testlog"
)

// The Action's own tests and the end-to-end test run with Node. They need node, and the browser
// test also Debian's chromium and the npm packages of client/auth0-action (npm ci); bash .ci/test
// installs them. Without them these tests skip, saying what is missing, except under
// PROFILE_TEST_STRICT=1 (set by .ci/test), where they fail.

// actionDir is client/auth0-action, from this package's folder.
func actionDir(t *testing.T) string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "..", "client", "auth0-action")
}

// need skips the test, or fails it under PROFILE_TEST_STRICT=1, when ok is false.
func need(t *testing.T, ok bool, what string) {
	t.Helper()
	if ok {
		return
	}
	if os.Getenv("PROFILE_TEST_STRICT") == "1" {
		t.Fatalf("%s (PROFILE_TEST_STRICT=1: prerequisites must be present; bash .ci/test installs them)", what)
	}
	t.Skipf("skipped: %s (bash .ci/test installs what is missing)", what)
}

func nodePath(t *testing.T) string {
	p, err := exec.LookPath("node")
	need(t, err == nil, "node is not installed")
	return p
}

// TestAuth0ActionWithNodeTestRunner runs the Action's tests (node --test) against the fakes of
// Auth0's event and api.
func TestAuth0ActionWithNodeTestRunner(t *testing.T) {
	node := nodePath(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, "--test", filepath.Join("test", "profile-step.test.js"))
	cmd.Dir = actionDir(t)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("node --test: %v\n%s", err, out)
	}
	t.Logf("node --test:\n%s", tail(string(out), 12))
}

// TestLoginStepInChromium serves the service (caller auth on, login step on) and runs the
// end-to-end test in headless Chromium against it, with the Auth0 stand-in listening on a
// socket this test opens and hands over. Screenshots go to PROFILE_SCREENSHOT_DIR when set, else
// to a temporary folder.
func TestLoginStepInChromium(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test: skipped with -short")
	}
	node := nodePath(t)
	dir := actionDir(t)
	_, err := os.Stat(filepath.Join(dir, "node_modules", "playwright-core", "package.json"))
	need(t, err == nil, "playwright-core is not installed: run npm ci in client/auth0-action")
	chromium := os.Getenv("CHROMIUM")
	if chromium == "" {
		chromium = "/usr/bin/chromium"
	}
	_, err = os.Stat(chromium)
	need(t, err == nil, chromium+" is missing: apt-get install chromium")

	const audience = "https://profiles.local/api"
	secret := "e2e-login-step-secret-" + fmt.Sprint(time.Now().UnixNano())
	standinLis := listen(t)
	standinURL := "http://" + standinLis.Addr().String()
	grpcLis, httpLis := listen(t), listen(t)
	serviceURL := "http://" + httpLis.Addr().String()

	cfg := config.Default()
	cfg.GRPCAddr, cfg.HTTPAddr = grpcLis.Addr().String(), httpLis.Addr().String()
	cfg.DataDir, cfg.ShutdownTimeout = t.TempDir(), 5*time.Second
	cfg.Auth0Domain, cfg.Auth0Audience = standinURL, audience
	cfg.LoginStep, cfg.LoginSecret = true, secret
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	logs := &testlog.Buffer{}
	srv, err := app.New(cfg, slog.New(slog.NewTextHandler(logs, nil)), app.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx, stop := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ctx, grpcLis, httpLis) }()
	t.Cleanup(func() {
		stop()
		if err := <-served; err != nil {
			t.Errorf("Serve: %v", err)
		}
		srv.Close()
	})

	shots := os.Getenv("PROFILE_SCREENSHOT_DIR")
	if shots == "" {
		shots = t.TempDir()
	} else if err := os.MkdirAll(shots, 0o755); err != nil {
		t.Fatal(err)
	}
	f, err := standinLis.(*net.TCPListener).File()
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	standinLis.Close() // the child holds its own copy of the socket

	runCtx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(runCtx, node, filepath.Join("e2e", "login-step.e2e.js"))
	cmd.Dir = dir
	cmd.ExtraFiles = []*os.File{f} // fd 3
	cmd.Env = append(os.Environ(),
		"STANDIN_FD=3", "PROFILE_SERVICE_URL="+serviceURL, "PROFILE_LOGIN_SECRET="+secret,
		"STANDIN_AUDIENCE="+audience, "SCREENSHOT_DIR="+shots, "CHROMIUM="+chromium)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("end-to-end test: %v\n%s\nservice logs:\n%s", err, out, tail(logs.String(), 30))
	}
	t.Logf("end-to-end test:\n%s\nscreenshots in %s", tail(string(out), 20), shots)
	if strings.Contains(logs.String(), secret) {
		t.Error("the service logged the login step's secret")
	}
}

func listen(t *testing.T) net.Listener {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return l
}

func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
