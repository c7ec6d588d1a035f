package load_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/acme/progressive-profiling/server/bench/internal/load"
)

func TestPercentileUsesNearestRank(t *testing.T) {
	ms := func(ns ...int) []time.Duration {
		out := make([]time.Duration, len(ns))
		for i, n := range ns {
			out[i] = time.Duration(n) * time.Millisecond
		}
		return out
	}
	sorted := ms(1, 2, 3, 4, 5, 6, 7, 8, 9, 10)
	tests := []struct {
		name   string
		sorted []time.Duration
		q      float64
		want   time.Duration
	}{
		{"median of ten", sorted, 0.5, 5 * time.Millisecond},
		{"p90 of ten", sorted, 0.9, 9 * time.Millisecond},
		{"p99 of ten is the largest", sorted, 0.99, 10 * time.Millisecond},
		{"p0 is the smallest", sorted, 0, 1 * time.Millisecond},
		{"empty is zero", nil, 0.5, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := load.Percentile(tt.sorted, tt.q); got != tt.want {
				t.Errorf("Percentile(q=%v) = %v, want %v", tt.q, got, tt.want)
			}
		})
	}
}

func TestRunCountsEveryCallAndEveryError(t *testing.T) {
	var calls atomic.Int64
	errBoom := errors.New("boom")
	res := load.Run(context.Background(), load.Config{Concurrency: 3, Duration: 300 * time.Millisecond}, func(w int) load.Op {
		n := 0
		return func(context.Context) error {
			calls.Add(1)
			n++
			if w == 0 && n%2 == 1 { // worker 0 fails its first call, whatever the scheduling
				return errBoom
			}
			return nil
		}
	})
	got := struct{ Requests, Latencies int }{res.Requests, len(res.Latencies) + res.Errors}
	want := struct{ Requests, Latencies int }{int(calls.Load()), int(calls.Load())}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("counts (-want +got):\n%s", diff)
	}
	if res.Errors == 0 || !errors.Is(res.FirstError, errBoom) {
		t.Errorf("Errors = %d, FirstError = %v; want some errors and %v", res.Errors, res.FirstError, errBoom)
	}
}

func TestRunStopsWhenContextIsDone(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	res := load.Run(ctx, load.Config{Concurrency: 2, Duration: time.Hour}, func(int) load.Op {
		return func(context.Context) error { return nil }
	})
	if res.Requests != 0 {
		t.Errorf("Requests = %d after a cancelled context, want 0", res.Requests)
	}
}
