package procstat_test

import (
	"os"
	"testing"
	"time"

	"github.com/acme/progressive-profiling/server/bench/internal/procstat"
)

func TestParseStatReadsUtimeAndStime(t *testing.T) {
	tests := []struct {
		name             string
		stat             string
		wantUser, wantSy time.Duration
	}{
		{
			name:     "plain command name",
			stat:     "1546 (cat) R 1501 1501 29514 0 -1 4194304 100 0 0 0 250 37 0 0 20 0 1 0 1971207",
			wantUser: 2500 * time.Millisecond, wantSy: 370 * time.Millisecond,
		},
		{
			name:     "command name with spaces and parentheses",
			stat:     "7 (a (b) c) S 1 1 1 0 -1 0 0 0 0 0 3 4 0 0 20 0 1 0 5",
			wantUser: 30 * time.Millisecond, wantSy: 40 * time.Millisecond,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u, s, err := procstat.ParseStat(tt.stat)
			if err != nil {
				t.Fatalf("ParseStat: %v", err)
			}
			if u != tt.wantUser || s != tt.wantSy {
				t.Errorf("ParseStat = %v, %v; want %v, %v", u, s, tt.wantUser, tt.wantSy)
			}
		})
	}
}

func TestParseStatRejectsTruncatedLines(t *testing.T) {
	for _, stat := range []string{"", "1 (x) R 1 2", "1 x R 1 2 3 4 5 6 7 8 9 10 11 12 13"} {
		if _, _, err := procstat.ParseStat(stat); err == nil {
			t.Errorf("ParseStat(%q): got no error, want one", stat)
		}
	}
}

func TestCPUTimeReadsOwnProcess(t *testing.T) {
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		t.Skip("no /proc on this system")
	}
	if _, _, err := procstat.CPUTime(os.Getpid()); err != nil {
		t.Errorf("CPUTime(self): %v", err)
	}
}

func TestParseStatusMemory(t *testing.T) {
	status := "Name:\tserver\nVmPeak:\t 1000 kB\nVmHWM:\t   31220 kB\nVmRSS:\t   30000 kB\nThreads:\t7\n"
	rss, peak, err := procstat.ParseStatusMemory(status)
	if err != nil || rss != 30000<<10 || peak != 31220<<10 {
		t.Errorf("got (%d, %d, %v), want (%d, %d, nil)", rss, peak, err, 30000<<10, 31220<<10)
	}
	if _, _, err := procstat.ParseStatusMemory("Name:\tserver\n"); err == nil {
		t.Error("status without memory lines: got no error")
	}
}

func TestMemoryOfThisProcess(t *testing.T) {
	rss, peak, err := procstat.Memory(os.Getpid())
	if err != nil || rss <= 0 || peak < rss {
		t.Errorf("Memory: got (%d, %d, %v), want 0 < rss <= peak", rss, peak, err)
	}
}
