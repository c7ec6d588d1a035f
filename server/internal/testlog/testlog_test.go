package testlog

import (
	"log/slog"
	"sync"
	"testing"
)

func TestBufferTakesRecordsWrittenConcurrently(t *testing.T) {
	var b Buffer
	log := b.JSONLogger(slog.LevelInfo)
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Go(func() { log.Info("hello", "n", i) })
	}
	log.Debug("below the level")
	wg.Wait()
	if got := len(b.Records(t)); got != 20 {
		t.Fatalf("Records: got %d records, want 20", got)
	}
	if got := len(b.Take(t)); got != 20 {
		t.Fatalf("Take: got %d records, want 20", got)
	}
	log.Info("after", "reason", "x")
	recs := b.Take(t)
	if len(recs) != 1 || recs[0]["reason"] != "x" {
		t.Fatalf("Take after Take: got %v, want the one record written since", recs)
	}
}
