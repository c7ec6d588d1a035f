// Package sleep waits for a time or for a context, whichever ends first. It is the one such
// wait of the stores and of what replicas share.
package sleep

import (
	"context"
	"time"
)

// For waits for d and returns nil, or returns ctx.Err() as soon as ctx is done.
func For(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
