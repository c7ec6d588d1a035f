// Package testlog captures log output for tests: a buffer that a server's goroutines may write
// while the test reads it, and a decoder for the JSON lines written into it. Only tests import it.
package testlog

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"strings"
	"sync"
	"testing"
)

// Buffer collects log output; it is safe for concurrent writers and readers.
type Buffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

// Write appends p.
func (b *Buffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// String returns everything written so far.
func (b *Buffer) String() string { return b.read(false) }

// JSONLogger returns a logger that writes JSON records at level and above into b.
func (b *Buffer) JSONLogger(level slog.Level) *slog.Logger {
	return slog.New(slog.NewJSONHandler(b, &slog.HandlerOptions{Level: level}))
}

// Records decodes every JSON line written so far; a line that is not JSON fails the test.
func (b *Buffer) Records(t testing.TB) []map[string]any {
	t.Helper()
	return Lines(t, b.String())
}

// Take is Records, and then empties the buffer, so that the next call sees only what comes after.
func (b *Buffer) Take(t testing.TB) []map[string]any {
	t.Helper()
	return Lines(t, b.read(true))
}

// read returns everything written so far, and empties the buffer if reset.
func (b *Buffer) read(reset bool) string {
	b.mu.Lock()
	defer b.mu.Unlock()
	text := b.buf.String()
	if reset {
		b.buf.Reset()
	}
	return text
}

// Lines decodes text made of JSON log lines, one record per line; blank lines are skipped and a
// line that is not JSON fails the test.
func Lines(t testing.TB, text string) []map[string]any {
	t.Helper()
	var out []map[string]any
	for line := range strings.Lines(text) {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("log line %q is not JSON: %v", line, err)
		}
		out = append(out, rec)
	}
	return out
}
