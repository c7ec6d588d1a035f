package load

import (
	"context"
	"sync"
	"time"
)

// Op is one call of the load. It returns an error when the call failed.
type Op func(ctx context.Context) error

// NewOp returns the operation worker w (0-based) calls in a loop. It is called once per worker
// before the clock starts, so per-worker state (a user set, a counter) lives in the closure.
type NewOp func(worker int) Op

// Config sizes a run.
type Config struct {
	// Concurrency is the number of workers, each with at most one call in flight.
	Concurrency int
	// Duration is how long workers keep starting new calls.
	Duration time.Duration
}

// Tally is the outcome of calls: the latencies of the successful ones and the failures.
type Tally struct {
	// Latencies are the durations of the successful calls; sorted ascending in a Result.
	Latencies []time.Duration
	// Errors is the number of failed calls.
	Errors int
	// FirstError is the first failure seen, nil when none failed.
	FirstError error
}

// Record counts one call that took d and failed with err, or succeeded when err is nil.
func (t *Tally) Record(d time.Duration, err error) {
	if err != nil {
		t.Errors++
		if t.FirstError == nil {
			t.FirstError = err
		}
		return
	}
	t.Latencies = append(t.Latencies, d)
}

// Result is what a run measured. Calls started before the deadline are all counted, so
// Elapsed may slightly exceed Config.Duration.
type Result struct {
	Tally
	// Requests is the number of calls made, failed ones included.
	Requests int
	// Elapsed is the time from the first call to the end of the last one.
	Elapsed time.Duration
}

// Run starts cfg.Concurrency workers calling the operations newOp returns until cfg.Duration
// has passed or ctx is done, waits for the calls in flight and returns what it measured.
func Run(ctx context.Context, cfg Config, newOp NewOp) Result {
	ops := make([]Op, cfg.Concurrency)
	for w := range ops {
		ops[w] = newOp(w)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	perWorker := make([]Tally, cfg.Concurrency)
	var wg sync.WaitGroup
	start := time.Now()
	deadline := start.Add(cfg.Duration)
	for w := range ops {
		wg.Add(1)
		go func() {
			defer wg.Done()
			perWorker[w] = loop(ctx, ops[w], deadline)
		}()
	}
	wg.Wait()
	return merge(perWorker, time.Since(start))
}

// loop calls op until the deadline or until ctx is done. The calls themselves get a context
// that is not cut at the deadline, so the last one completes normally.
func loop(ctx context.Context, op Op, deadline time.Time) Tally {
	t := Tally{Latencies: make([]time.Duration, 0, 4096)}
	callCtx := context.WithoutCancel(ctx)
	for ctx.Err() == nil {
		t0 := time.Now()
		if !t0.Before(deadline) {
			break
		}
		err := op(callCtx)
		t.Record(time.Since(t0), err)
	}
	return t
}
