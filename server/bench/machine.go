package main

import (
	"bufio"
	"context"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"time"
)

// machine describes where the benchmark ran.
type machine struct {
	cpus      int
	model     string
	goVersion string
	kernel    string
	// loadavg is the 1-minute load average when the run started: other work on the machine
	// moves throughput (not CPU per request) from run to run.
	loadavg string
	date    time.Time
}

func describeMachine(ctx context.Context) machine {
	m := machine{cpus: runtime.NumCPU(), model: cpuModel(), goVersion: runtime.Version(), date: time.Now().UTC()}
	if out, err := exec.CommandContext(ctx, "go", "version").Output(); err == nil {
		m.goVersion = strings.TrimPrefix(strings.TrimSpace(string(out)), "go version ")
	}
	if data, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m.kernel = "Linux " + strings.TrimSpace(string(data))
	} else {
		m.kernel = runtime.GOOS
	}
	m.loadavg = loadAverage()
	return m
}

// loadAverage is the 1-minute load average from /proc/loadavg, "" when unknown.
func loadAverage() string {
	data, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return ""
	}
	if f := strings.Fields(string(data)); len(f) > 0 {
		return f[0]
	}
	return ""
}

// cpuModel is the first "model name" of /proc/cpuinfo, or "unknown".
func cpuModel() string {
	f, err := os.Open("/proc/cpuinfo")
	if err != nil {
		return "unknown"
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return "unknown"
}
