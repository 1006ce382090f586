package sidecar

import (
	"context"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"
)

type countingExpirer struct{ n atomic.Int64 }

func (c *countingExpirer) ExpireCounters(context.Context, time.Time) (int, error) {
	c.n.Add(1)
	return 0, nil
}

func TestExpireCountersRunsAndStops(t *testing.T) {
	ex := &countingExpirer{}
	stop := expireCounters(ex, nil, time.Millisecond, slog.New(slog.DiscardHandler))
	deadline := time.Now().Add(5 * time.Second)
	for ex.n.Load() < 3 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	if ex.n.Load() < 3 {
		t.Fatalf("expiry ran %d times", ex.n.Load())
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	after := ex.n.Load()
	time.Sleep(10 * time.Millisecond)
	if ex.n.Load() != after {
		t.Fatal("expiry still running after stop")
	}
}
