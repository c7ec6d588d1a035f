package telemetry

import (
	"bytes"
	"strings"
	"sync"
	"testing"
	"time"
)

type countingBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
	n  int
}

func (l *countingBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.n++
	return l.b.Write(p)
}

func (l *countingBuffer) snapshot() (string, int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String(), l.n
}

// TestBufferedLogsBatchInfoAndFlushWarnings: info lines wait for a flush (few writes), a
// warning goes out at once with what preceded it, and Close writes the rest.
func TestBufferedLogsBatchInfoAndFlushWarnings(t *testing.T) {
	out := &countingBuffer{}
	bw := NewBufferedWriter(out, time.Hour)
	logger := NewLogger(bw, "info")
	for range 100 {
		logger.Info("rpc", "code", "OK")
	}
	if got, writes := out.snapshot(); got != "" || writes != 0 {
		t.Fatalf("info lines written before any flush: %d writes", writes)
	}
	logger.Warn("store unavailable")
	got, writes := out.snapshot()
	if writes != 1 || strings.Count(got, "\n") != 101 || !strings.Contains(got, "store unavailable") {
		t.Errorf("after a warning: %d writes, %d lines; want everything in one write", writes, strings.Count(got, "\n"))
	}
	logger.Info("last")
	if err := bw.Close(); err != nil {
		t.Fatal(err)
	}
	if got, _ := out.snapshot(); !strings.Contains(got, `"msg":"last"`) {
		t.Errorf("Close did not flush the last line")
	}
}

// TestBufferedLogsFlushPeriodically: lines reach the output within the interval.
func TestBufferedLogsFlushPeriodically(t *testing.T) {
	out := &countingBuffer{}
	bw := NewBufferedWriter(out, 10*time.Millisecond)
	defer bw.Close()
	NewLogger(bw, "info").Info("hello")
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		if got, _ := out.snapshot(); strings.Contains(got, "hello") {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Error("the line was never flushed")
}
