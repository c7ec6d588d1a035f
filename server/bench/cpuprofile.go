package main

import (
	"context"
	"fmt"
	"io"
	"math"
	"net/http"
	"os"
	"path/filepath"
	"time"
)

// profiled wraps measure so that it also saves the server's CPU profile of the measured run
// into dir as <scenario>.pprof, fetched from the server's pprof endpoint (PROFILE_DEBUG_ADDR).
// The profile starts when the warm-up ends and lasts the run's duration rounded up to whole
// seconds. A profile that cannot be fetched is reported, not fatal. Sampling costs the server
// about one percent of CPU, so the profiled round's figures are a little high.
func profiled(measure measureFunc, dir string, logf func(string, ...any)) measureFunc {
	return func(ctx context.Context, st step, warmup, d time.Duration) (measurement, error) {
		if st.srv.DebugAddr == "" {
			return measure(ctx, st, warmup, d)
		}
		path := filepath.Join(dir, st.sc.name+".pprof")
		fetched := make(chan error, 1)
		go func() {
			if err := pause(ctx, warmup); err != nil {
				fetched <- err
				return
			}
			fetched <- fetchCPUProfile(ctx, st.srv.DebugAddr, d, path)
		}()
		m, err := measure(ctx, st, warmup, d)
		if perr := <-fetched; perr != nil && ctx.Err() == nil {
			logf("  %s: no CPU profile: %v", st.sc.name, perr)
		} else if perr == nil {
			logf("  %s: CPU profile in %s (go tool pprof -top %s)", st.sc.name, path, path)
		}
		return m, err
	}
}

// fetchCPUProfile records the CPU profile of the server at addr for d (whole seconds, at least
// one) and writes it to path.
func fetchCPUProfile(ctx context.Context, addr string, d time.Duration, path string) error {
	secs := max(1, int(math.Ceil(d.Seconds())))
	url := fmt.Sprintf("http://%s/debug/pprof/profile?seconds=%d", addr, secs)
	ctx, cancel := context.WithTimeout(ctx, time.Duration(secs)*time.Second+30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	_, err = io.Copy(f, resp.Body)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(path) // no truncated profile left behind
	}
	return err
}
