// Package serverproc builds the server command and the Management API double's command and runs
// them as processes of their own on loopback ports, for benchmarks and for tests that need several
// real replicas. It is not for production.
package serverproc

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// readyTimeout bounds the wait for a started process to answer its readiness URL.
const readyTimeout = 30 * time.Second

// stopTimeout is how long a process gets to stop after SIGTERM before it is killed.
const stopTimeout = 10 * time.Second

// BinName is the name Build gives the server binary.
const BinName = "profile-server"

// Proc is a command started as its own process on loopback ports: a server or a double.
type Proc struct {
	// GRPCAddr and HTTPAddr are a server's listen addresses, host:port.
	GRPCAddr, HTTPAddr string

	cmd     *exec.Cmd
	logPath string
	exited  chan struct{}
	waitErr error
}

// Build compiles the server command into dir and returns the binary's path.
func Build(ctx context.Context, dir string) (string, error) {
	return build(ctx, dir, "./server", BinName)
}

// build compiles the command in pkg, relative to the module root, into dir/name.
func build(ctx context.Context, dir, pkg, name string) (string, error) {
	root, err := ModuleRoot(ctx)
	if err != nil {
		return "", err
	}
	bin := filepath.Join(dir, name)
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, pkg)
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build %s: %w\n%s", pkg, err, out)
	}
	return bin, nil
}

// ModuleRoot is the folder of the go.mod governing the working directory.
func ModuleRoot(ctx context.Context) (string, error) {
	out, err := exec.CommandContext(ctx, "go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	gomod := strings.TrimSpace(string(out))
	if gomod == "" || gomod == os.DevNull {
		return "", errors.New("run inside the repository (no go.mod found)")
	}
	return filepath.Dir(gomod), nil
}

// ImportUsers runs "server import" to load the users file into the embedded store in dataDir.
func ImportUsers(ctx context.Context, bin, dataDir, usersFile string) error {
	cmd := exec.CommandContext(ctx, bin, "import", "--data-dir", dataDir, usersFile)
	cmd.Env = Env(nil)
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("server import: %w\n%s", err, out)
	}
	return nil
}

// Start starts bin on two free loopback ports with env added to a cleaned environment (see
// Env), logging to logPath, and waits until /readyz answers 200.
func Start(ctx context.Context, bin string, env map[string]string, logPath string) (*Proc, error) {
	grpcAddr, err := FreeAddr()
	if err != nil {
		return nil, err
	}
	httpAddr, err := FreeAddr()
	if err != nil {
		return nil, err
	}
	all := map[string]string{"PROFILE_GRPC_ADDR": grpcAddr, "PROFILE_HTTP_ADDR": httpAddr}
	for k, v := range env {
		all[k] = v
	}
	p, err := start(ctx, exec.Command(bin), all, logPath, "http://"+httpAddr+"/readyz")
	if err != nil {
		return nil, err
	}
	p.GRPCAddr, p.HTTPAddr = grpcAddr, httpAddr
	return p, nil
}

// start runs cmd with env added to a cleaned environment, logging to logPath, and waits until
// readyURL answers 200.
func start(ctx context.Context, cmd *exec.Cmd, env map[string]string, logPath, readyURL string) (*Proc, error) {
	logFile, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	defer logFile.Close() // the child holds its own descriptor
	cmd.Env = Env(env)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.SysProcAttr = childAttrs()
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", filepath.Base(cmd.Path), err)
	}
	p := &Proc{cmd: cmd, logPath: logPath, exited: make(chan struct{})}
	go func() {
		p.waitErr = cmd.Wait()
		close(p.exited)
	}()
	if err := p.waitReady(ctx, readyURL); err != nil {
		p.Stop()
		return nil, fmt.Errorf("%w\nlog:\n%s", err, p.LogTail())
	}
	return p, nil
}

// Env is this process's environment without PROFILE_* and AUTH0_* variables, plus vars.
func Env(vars map[string]string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "PROFILE_") && !strings.HasPrefix(kv, "AUTH0_") {
			env = append(env, kv)
		}
	}
	for k, v := range vars {
		env = append(env, k+"="+v)
	}
	return env
}

// FreeAddr returns a loopback address with a port that was free a moment ago.
func FreeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}

// PID is the process id.
func (p *Proc) PID() int { return p.cmd.Process.Pid }

func (p *Proc) waitReady(ctx context.Context, url string) error {
	ctx, cancel := context.WithTimeout(ctx, readyTimeout)
	defer cancel()
	client := &http.Client{Timeout: time.Second}
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		if resp, err := client.Get(url); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-p.exited:
			return fmt.Errorf("exited before it was ready: %v", p.waitErr)
		case <-ctx.Done():
			return fmt.Errorf("not ready on %s: %w", url, ctx.Err())
		case <-tick.C:
		}
	}
}

// Stop sends SIGTERM, waits for a graceful exit, and kills the process when it takes too long.
// It is safe to call more than once.
func (p *Proc) Stop() {
	select {
	case <-p.exited:
		return
	default:
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.exited:
	case <-time.After(stopTimeout):
		_ = p.cmd.Process.Kill()
		<-p.exited
	}
}

// Kill ends the process at once with SIGKILL, as a crash would: nothing is released.
func (p *Proc) Kill() {
	_ = p.cmd.Process.Kill()
	<-p.exited
}

// LogTail returns the last lines of the process's log, for error messages.
func (p *Proc) LogTail() string {
	data, _ := os.ReadFile(p.logPath)
	lines := bytes.Split(bytes.TrimSpace(data), []byte("\n"))
	if len(lines) > 20 {
		lines = lines[len(lines)-20:]
	}
	return string(bytes.Join(lines, []byte("\n")))
}
