package procstat

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
)

// Machine is the machine-wide CPU time from the "cpu" line of /proc/stat, in clock ticks summed
// over all CPUs.
type Machine struct {
	// Total is all the time the line accounts for (user to steal; guest time is inside user).
	Total uint64
	// Busy is Total less idle and iowait.
	Busy uint64
	// Steal is the time a hypervisor ran something else while this machine wanted a CPU.
	Steal uint64
}

// StealShare is the fraction of the CPU time between m0 and m that was stolen, 0 when no time
// passed.
func (m Machine) StealShare(m0 Machine) float64 {
	if m.Total <= m0.Total {
		return 0
	}
	return float64(m.Steal-m0.Steal) / float64(m.Total-m0.Total)
}

// BusyShare is the fraction of the CPU time between m0 and m that was not idle, 0 when no time
// passed.
func (m Machine) BusyShare(m0 Machine) float64 {
	if m.Total <= m0.Total {
		return 0
	}
	return float64(m.Busy-m0.Busy) / float64(m.Total-m0.Total)
}

// ReadMachine reads the machine-wide CPU times from /proc/stat.
func ReadMachine() (Machine, error) {
	data, err := os.ReadFile("/proc/stat")
	if err != nil {
		return Machine{}, err
	}
	return ParseMachine(string(data))
}

// ParseMachine reads the first line of a /proc/stat file: "cpu" then user, nice, system, idle,
// iowait, irq, softirq and steal, in that order.
func ParseMachine(stat string) (Machine, error) {
	line, _, _ := strings.Cut(stat, "\n")
	fields := strings.Fields(line)
	const (
		idle, iowait, steal = 4, 5, 8
	)
	if len(fields) <= steal || fields[0] != "cpu" {
		return Machine{}, errors.New("procstat: /proc/stat does not start with a full cpu line")
	}
	var m Machine
	for i := 1; i <= steal; i++ {
		n, err := strconv.ParseUint(fields[i], 10, 64)
		if err != nil {
			return Machine{}, fmt.Errorf("procstat: /proc/stat cpu line: %w", err)
		}
		m.Total += n
		if i != idle && i != iowait {
			m.Busy += n
		}
		if i == steal {
			m.Steal = n
		}
	}
	return m, nil
}
