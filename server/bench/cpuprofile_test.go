package main

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/acme/progressive-profiling/server/internal/serverproc"
)

func TestProfiledSavesTheServersCPUProfileOfTheMeasuredRun(t *testing.T) {
	asked := make(chan string, 1)
	debug := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		asked <- r.URL.String()
		w.Write([]byte("pprof bytes"))
	}))
	defer debug.Close()
	dir := filepath.Join(t.TempDir(), "profiles")
	measured := 0
	measure := func(context.Context, step, time.Duration, time.Duration) (measurement, error) {
		measured++
		return measurement{}, nil
	}
	st := step{sc: scenario{name: "grpc-health"}, srv: &serverproc.Proc{DebugAddr: strings.TrimPrefix(debug.URL, "http://")}}

	if _, err := profiled(measure, dir, t.Logf)(t.Context(), st, 0, 1500*time.Millisecond); err != nil {
		t.Fatalf("profiled measure: %v", err)
	}
	if measured != 1 {
		t.Errorf("measure ran %d times, want 1", measured)
	}
	if got, want := <-asked, "/debug/pprof/profile?seconds=2"; got != want {
		t.Errorf("profile asked as %q, want %q (the run's duration rounded up)", got, want)
	}
	got, err := os.ReadFile(filepath.Join(dir, "grpc-health.pprof"))
	if err != nil || string(got) != "pprof bytes" {
		t.Errorf("saved profile = %q, %v; want the server's bytes", got, err)
	}
}

func TestProfiledMeasuresServersWithoutProfilesAsUsual(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "profiles")
	measured := 0
	measure := func(context.Context, step, time.Duration, time.Duration) (measurement, error) {
		measured++
		return measurement{}, nil
	}
	st := step{sc: scenario{name: "grpc-health"}, srv: &serverproc.Proc{}}
	if _, err := profiled(measure, dir, t.Logf)(t.Context(), st, 0, time.Second); err != nil || measured != 1 {
		t.Fatalf("profiled measure: %v, measured %d times", err, measured)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("profile folder exists (%v) though the server serves no profiles", err)
	}
}
