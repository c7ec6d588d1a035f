package embedded

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/acme/progressive-profiling/server/internal/store"
)

func TestWritesSurviveReopening(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(Options{Dir: dir})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	const id = "samlp|conn|a@b.c"
	seed(t, s, id, map[string]any{"given_name": "Ada", "logins_count": 3})
	if _, err := s.Update(t.Context(), id, func(*store.Profile) (store.Patch, error) {
		return store.Patch{
			UserMetadata: map[string]any{"company": "Analytical Engines"},
			AppMetadata:  map[string]any{"declined": map[string]any{"title": "2026-11-25T10:00:00Z"}},
		}, nil
	}); err != nil {
		t.Fatalf("Update: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}

	got, err := openTestStore(t, dir).Get(t.Context(), id)
	if err != nil {
		t.Fatalf("Get after reopening: %v", err)
	}
	want := &store.Profile{
		UserID:       id,
		Attributes:   map[string]any{"given_name": "Ada", "logins_count": float64(3)},
		UserMetadata: map[string]any{"company": "Analytical Engines"},
		AppMetadata:  map[string]any{"declined": map[string]any{"title": "2026-11-25T10:00:00Z"}},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("profile after reopening (-want +got):\n%s", diff)
	}
}

// crashDirEnv tells the test binary, re-executed as a child, to run as the crash helper.
const crashDirEnv = "EMBEDDED_STORE_CRASH_DIR"

const (
	crashWriters = 8
	crashAcks    = 300 // acknowledged writes to see before killing the child
)

// TestHelperProcess is the child of TestAcknowledgedWritesSurviveKill: it writes until killed
// and prints "ack <writer> <i>" after each write the store acknowledged.
func TestHelperProcess(t *testing.T) {
	dir := os.Getenv(crashDirEnv)
	if dir == "" {
		t.Skip("runs only as the child of TestAcknowledgedWritesSurviveKill")
	}
	s, err := Open(Options{Dir: dir})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	var mu sync.Mutex
	for w := range crashWriters {
		go func() {
			for i := 0; ; i++ {
				_, err := s.Update(t.Context(), fmt.Sprintf("auth0|w%d", w), setUser(map[string]any{fmt.Sprint(i): i}))
				if err != nil {
					fmt.Fprintln(os.Stderr, err)
					os.Exit(2)
				}
				mu.Lock()
				fmt.Printf("ack %d %d\n", w, i)
				mu.Unlock()
			}
		}()
	}
	select {} // until killed
}

func TestAcknowledgedWritesSurviveKill(t *testing.T) {
	if testing.Short() {
		t.Skip("re-executes the test binary")
	}
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperProcess$")
	cmd.Env = append(os.Environ(), crashDirEnv+"="+dir)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting the child: %v", err)
	}
	// A safety net for a child that hangs, not an assertion on speed.
	watchdog := time.AfterFunc(time.Minute, func() { _ = cmd.Process.Kill() })
	defer watchdog.Stop()

	acked := map[int][]int{}
	n := 0
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		var w, i int
		if _, err := fmt.Sscanf(sc.Text(), "ack %d %d", &w, &i); err != nil {
			continue // other test output
		}
		acked[w] = append(acked[w], i)
		if n++; n == crashAcks {
			_ = cmd.Process.Kill() // SIGKILL: no chance to close or flush anything
		}
	}
	_ = cmd.Wait()
	if n < crashAcks {
		t.Fatalf("child stopped after %d acknowledged writes; stderr:\n%s", n, stderr.String())
	}

	s := openTestStore(t, dir)
	for w, is := range acked {
		p, err := s.Get(t.Context(), fmt.Sprintf("auth0|w%d", w))
		if err != nil {
			t.Fatalf("Get: %v", err)
		}
		for _, i := range is {
			if got := p.UserMetadata[fmt.Sprint(i)]; got != float64(i) {
				t.Errorf("writer %d write %d: got %v after the crash, want %d", w, i, got, i)
			}
		}
	}
	t.Logf("%d acknowledged writes checked after SIGKILL", n)
}
