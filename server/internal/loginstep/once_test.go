package loginstep

import (
	"context"
	"fmt"
	"testing"
	"time"
)

func TestMemoryOnce(t *testing.T) {
	now := t0
	o := NewMemoryOnce(func() time.Time { return now })
	ctx := context.Background()
	if first, _ := o.Use(ctx, "a", time.Minute); !first {
		t.Fatal("first use of a: not first")
	}
	if first, _ := o.Use(ctx, "a", time.Minute); first {
		t.Error("second use of a: first")
	}
	if used, _ := o.Used(ctx, "b"); used {
		t.Error("b used before any use")
	}
	now = now.Add(time.Minute)
	if used, _ := o.Used(ctx, "a"); used {
		t.Error("a still used after its ttl")
	}
	// Many uses: expired entries are swept, live ones kept.
	for i := 0; i < 5000; i++ {
		_, _ = o.Use(ctx, fmt.Sprint(i), time.Second)
		now = now.Add(time.Millisecond)
	}
	m := o.(*memoryOnce)
	if n := len(m.expires); n > 2100 {
		t.Errorf("%d entries kept after 5000 uses of 1 s each, 1 ms apart; want about 1000-2000", n)
	}
	if used, _ := o.Used(ctx, "4999"); !used {
		t.Error("the latest use was forgotten")
	}
}
