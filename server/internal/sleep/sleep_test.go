package sleep

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestForWaitsTheDuration(t *testing.T) {
	start := time.Now()
	if err := For(context.Background(), 20*time.Millisecond); err != nil {
		t.Fatalf("For: %v", err)
	}
	if d := time.Since(start); d < 20*time.Millisecond {
		t.Errorf("For returned after %v, want at least 20ms", d)
	}
}

func TestForEndsWithTheContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	start := time.Now()
	if err := For(ctx, time.Hour); !errors.Is(err, context.Canceled) {
		t.Fatalf("For with a done context: got %v, want context.Canceled", err)
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("For returned after %v, want at once", d)
	}
}
