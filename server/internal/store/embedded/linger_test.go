package embedded

import (
	"testing"
)

// TestLingerGathersWritesOnlyUnderLoad: after a batch of one (a lone writer) the writer commits
// at once; after a bigger batch it first takes the writes already queued.
func TestLingerGathersWritesOnlyUnderLoad(t *testing.T) {
	s := &Store{reqs: make(chan *request, 8)}
	first := []*request{{}}
	for range 3 {
		s.reqs <- &request{}
	}

	s.lastBatch = 1
	if got := s.linger(first); len(got) != 1 {
		t.Errorf("after a lone write the batch grew to %d; want no waiting", len(got))
	}
	s.lastBatch = 5
	if got := s.linger(first); len(got) != 4 {
		t.Errorf("under load the batch has %d requests, want the 3 queued ones too (4)", len(got))
	}
}
