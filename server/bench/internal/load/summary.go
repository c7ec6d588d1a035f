package load

import (
	"math"
	"slices"
	"time"
)

// merge sums the workers' tallies, with the latencies sorted.
func merge(workers []Tally, elapsed time.Duration) Result {
	res := Result{Elapsed: elapsed}
	n := 0
	for _, w := range workers {
		n += len(w.Latencies)
	}
	res.Latencies = make([]time.Duration, 0, n)
	for _, w := range workers {
		res.Latencies = append(res.Latencies, w.Latencies...)
		res.Errors += w.Errors
		if res.FirstError == nil {
			res.FirstError = w.FirstError
		}
	}
	res.Requests = len(res.Latencies) + res.Errors
	slices.Sort(res.Latencies)
	return res
}

// Throughput is the number of successful calls per second.
func (r Result) Throughput() float64 {
	if r.Elapsed <= 0 {
		return 0
	}
	return float64(len(r.Latencies)) / r.Elapsed.Seconds()
}

// Percentile returns the latency below which the fraction q (0 to 1) of the successful calls
// fall, by the nearest-rank method; zero when no call succeeded. The latencies must be sorted,
// as they are in a Result.
func (t Tally) Percentile(q float64) time.Duration {
	return Percentile(t.Latencies, q)
}

// Percentile returns the nearest-rank q-quantile (0 to 1) of sorted; zero when it is empty.
func Percentile(sorted []time.Duration, q float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	rank := int(math.Ceil(q*float64(len(sorted)))) - 1
	rank = max(0, min(rank, len(sorted)-1))
	return sorted[rank]
}
