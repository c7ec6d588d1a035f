package main

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/acme/progressive-profiling/server/bench/internal/load"
)

// call is one call of a fake measureFunc.
type call struct {
	name             string
	warmup, duration time.Duration
}

// fakeRounds returns rounds whose measurements are recorded in calls instead of run.
func fakeRounds(n int, warmupPass time.Duration, calls *[]call, fail string) rounds {
	return rounds{
		n: n, warmupPass: warmupPass, warmup: 5 * time.Millisecond, duration: time.Second,
		measure: func(_ context.Context, st step, warmup, d time.Duration) (measurement, error) {
			*calls = append(*calls, call{st.sc.name, warmup, d})
			if st.sc.name == fail {
				return measurement{}, errors.New("boom")
			}
			return measurement{sc: st.sc, res: load.Result{Requests: len(*calls)}}, nil
		},
		logf: func(string, ...any) {},
	}
}

func stepsOf(names ...string) []step {
	out := make([]step, len(names))
	for i, n := range names {
		out[i] = step{sc: scenario{name: n}}
	}
	return out
}

func TestRoundsWarmEveryScenarioThenMeasureEachOncePerRoundInOneOrder(t *testing.T) {
	var calls []call
	runs, err := fakeRounds(2, 50*time.Millisecond, &calls, "").run(context.Background(), stepsOf("a", "b"))
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	pass, meas := call{warmup: 0, duration: 50 * time.Millisecond}, call{warmup: 5 * time.Millisecond, duration: time.Second}
	named := func(c call, n string) call { c.name = n; return c }
	wantCalls := []call{named(pass, "a"), named(pass, "b"), named(meas, "a"), named(meas, "b"), named(meas, "a"), named(meas, "b")}
	if diff := cmp.Diff(wantCalls, calls, cmp.AllowUnexported(call{})); diff != "" {
		t.Errorf("measure calls (-want +got):\n%s", diff)
	}
	var got []string
	for _, m := range runs {
		got = append(got, fmt.Sprintf("%s@%d", m.sc.name, m.round))
	}
	if diff := cmp.Diff([]string{"a@1", "b@1", "a@2", "b@2"}, got); diff != "" {
		t.Errorf("kept runs (-want +got):\n%s", diff)
	}
}

func TestRoundsSkipTheWarmUpPassWhenItIsZero(t *testing.T) {
	var calls []call
	if _, err := fakeRounds(1, 0, &calls, "").run(context.Background(), stepsOf("a")); err != nil {
		t.Fatalf("run: %v", err)
	}
	if len(calls) != 1 || calls[0].duration != time.Second {
		t.Errorf("measure calls = %+v, want only the measured run", calls)
	}
}

func TestRoundsStopAtTheFirstFailureNamingRoundAndScenario(t *testing.T) {
	tests := []struct {
		name       string
		warmupPass time.Duration
		want       string
	}{
		{"in the warm-up pass", time.Millisecond, "warm-up pass, b: boom"},
		{"in a round", 0, "round 1, b: boom"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var calls []call
			_, err := fakeRounds(2, tt.warmupPass, &calls, "b").run(context.Background(), stepsOf("a", "b", "c"))
			if err == nil || err.Error() != tt.want {
				t.Errorf("run error = %v, want %q", err, tt.want)
			}
		})
	}
}
