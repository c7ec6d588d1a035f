package procstat_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/acme/progressive-profiling/server/bench/internal/procstat"
)

func TestParseMachineSumsTheCPULine(t *testing.T) {
	stat := "cpu  100 1 40 800 9 2 3 5 7 0\ncpu0 50 0 20 400 4 1 1 2 0 0\n"
	got, err := procstat.ParseMachine(stat)
	if err != nil {
		t.Fatalf("ParseMachine: %v", err)
	}
	want := procstat.Machine{Total: 960, Busy: 151, Steal: 5}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("ParseMachine (-want +got):\n%s", diff)
	}
}

func TestParseMachineRejectsOtherText(t *testing.T) {
	for _, stat := range []string{"", "cpu 1 2 3", "intr 1 2 3 4 5 6 7 8 9", "cpu 1 2 x 4 5 6 7 8"} {
		if _, err := procstat.ParseMachine(stat); err == nil {
			t.Errorf("ParseMachine(%q): got no error, want one", stat)
		}
	}
}

func TestStealShareIsStolenOverElapsedTicks(t *testing.T) {
	tests := []struct {
		name   string
		m0, m1 procstat.Machine
		want   float64
	}{
		{"a tenth stolen", procstat.Machine{Total: 100, Steal: 1}, procstat.Machine{Total: 300, Steal: 21}, 0.1},
		{"no time passed", procstat.Machine{Total: 100, Steal: 1}, procstat.Machine{Total: 100, Steal: 1}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.m1.StealShare(tt.m0); got != tt.want {
				t.Errorf("StealShare = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestBusyShareIsNonIdleOverElapsedTicks(t *testing.T) {
	m0 := procstat.Machine{Total: 100, Busy: 50}
	m1 := procstat.Machine{Total: 500, Busy: 350}
	if got, want := m1.BusyShare(m0), 0.75; got != want {
		t.Errorf("BusyShare = %v, want %v", got, want)
	}
}
