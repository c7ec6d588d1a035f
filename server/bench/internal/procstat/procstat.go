package procstat

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// ClockTicks is the unit of utime and stime in /proc/<pid>/stat (USER_HZ, sysconf(_SC_CLK_TCK)),
// 100 on every Linux architecture Go supports.
const ClockTicks = 100

// CPUTime returns the user and system CPU time process pid has used so far, threads included.
func CPUTime(pid int) (user, system time.Duration, err error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, 0, err
	}
	return ParseStat(string(data))
}

// ParseStat extracts utime and stime (fields 14 and 15) from the content of a /proc/<pid>/stat
// file. The command name (field 2) is in parentheses and may itself hold spaces and
// parentheses, so fields are counted from the last ')'.
func ParseStat(stat string) (user, system time.Duration, err error) {
	i := strings.LastIndexByte(stat, ')')
	if i < 0 {
		return 0, 0, errors.New("procstat: no command name in stat line")
	}
	// After ")": field 3 (state) is the first; utime is field 14, stime field 15.
	fields := strings.Fields(stat[i+1:])
	const utime, stime = 14 - 3, 15 - 3
	if len(fields) <= stime {
		return 0, 0, fmt.Errorf("procstat: stat line has %d fields after the command name, want more than %d", len(fields), stime)
	}
	u, err1 := strconv.ParseUint(fields[utime], 10, 64)
	s, err2 := strconv.ParseUint(fields[stime], 10, 64)
	if err := errors.Join(err1, err2); err != nil {
		return 0, 0, fmt.Errorf("procstat: %w", err)
	}
	return ticks(u), ticks(s), nil
}

func ticks(n uint64) time.Duration { return time.Duration(n) * time.Second / ClockTicks }

// Memory returns the resident set size of process pid and its peak so far (VmRSS and VmHWM of
// /proc/<pid>/status), in bytes.
func Memory(pid int) (rss, peak int64, err error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, 0, err
	}
	return ParseStatusMemory(string(data))
}

// ParseStatusMemory extracts VmRSS and VmHWM, in bytes, from the content of a
// /proc/<pid>/status file, where they are given in kB ("VmHWM:	  31220 kB").
func ParseStatusMemory(status string) (rss, peak int64, err error) {
	found := 0
	for _, line := range strings.Split(status, "\n") {
		name, value, ok := strings.Cut(line, ":")
		if !ok || (name != "VmRSS" && name != "VmHWM") {
			continue
		}
		f := strings.Fields(value)
		if len(f) != 2 || f[1] != "kB" {
			return 0, 0, fmt.Errorf("procstat: unexpected %s line %q", name, line)
		}
		kb, err := strconv.ParseInt(f[0], 10, 64)
		if err != nil {
			return 0, 0, fmt.Errorf("procstat: %s: %w", name, err)
		}
		if name == "VmRSS" {
			rss = kb << 10
		} else {
			peak = kb << 10
		}
		found++
	}
	if found != 2 {
		return 0, 0, errors.New("procstat: no VmRSS and VmHWM lines")
	}
	return rss, peak, nil
}
