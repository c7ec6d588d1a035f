package embedded

import (
	"fmt"
	"runtime"
	"sync/atomic"
	"testing"
)

func BenchmarkGetCached(b *testing.B) {
	s := newTestStore(b)
	const id = "google-oauth2|1"
	seed(b, s, id, map[string]any{"given_name": "Ada", "family_name": "Lovelace", "logins_count": 3})
	if _, err := s.Update(b.Context(), id, setUser(map[string]any{"company": "Analytical", "title": "Countess"})); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := s.Get(b.Context(), id); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// BenchmarkUpdateParallel measures durable updates from about 64 goroutines, each on its own
// user, as a busy server would issue them; writes/commit shows how well group commit batches
// them.
func BenchmarkUpdateParallel(b *testing.B) {
	s := newTestStore(b)
	var next atomic.Int64
	b.SetParallelism(max(1, 64/runtime.GOMAXPROCS(0)))
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		id := fmt.Sprintf("auth0|%d", next.Add(1))
		for i := 0; pb.Next(); i++ {
			if _, err := s.Update(b.Context(), id, setUser(map[string]any{"n": i})); err != nil {
				b.Error(err)
				return
			}
		}
	})
	if st := s.Stats(); st.Commits > 0 {
		b.ReportMetric(float64(st.Writes)/float64(st.Commits), "writes/commit")
	}
}
