package audittest_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/audittest"
)

var _ dialgate.Clock = (*audittest.Clock)(nil)

func TestClock(t *testing.T) {
	var zero audittest.Clock
	if !zero.Now().IsZero() {
		t.Errorf("zero Clock reads %v", zero.Now())
	}
	t0 := time.Date(2026, 12, 4, 9, 0, 0, 0, time.UTC)
	c := audittest.NewClock(t0)
	if got := c.Now(); !got.Equal(t0) {
		t.Errorf("Now = %v, want %v", got, t0)
	}
	if got := c.Advance(90 * time.Minute); !got.Equal(t0.Add(90*time.Minute)) || !c.Now().Equal(got) {
		t.Errorf("Advance = %v, Now = %v", got, c.Now())
	}
	c.Advance(-time.Hour)
	if got := c.Now(); !got.Equal(t0.Add(30 * time.Minute)) {
		t.Errorf("after going back: %v", got)
	}
	c.Set(t0)
	if got := c.Now(); !got.Equal(t0) {
		t.Errorf("after Set: %v", got)
	}
}

func TestClockConcurrent(t *testing.T) {
	c := audittest.NewClock(time.Unix(0, 0))
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 1000 {
				c.Advance(time.Second)
				_ = c.Now()
			}
		}()
	}
	wg.Wait()
	if got := c.Now(); !got.Equal(time.Unix(8000, 0)) {
		t.Errorf("after 8000 concurrent advances: %v", got)
	}
}

// A Gate on a test Clock decides at the instant the test sets.
func ExampleClock() {
	clock := audittest.NewClock(time.Date(2026, 12, 4, 22, 30, 0, 0, time.FixedZone("CST", 8*3600)))
	g, _ := dialgate.New(nil, dialgate.WithoutAuditLog(), dialgate.WithClock(clock))
	d := dialgate.Dial{To: dialgate.MustParseNumber("+8613800138000"), Purpose: dialgate.PurposeService}

	dec, _ := g.Check(context.Background(), d)
	fmt.Println(dec.At.Format(time.RFC3339))
	clock.Advance(11*time.Hour + 30*time.Minute)
	dec, _ = g.Check(context.Background(), d)
	fmt.Println(dec.At.Format(time.RFC3339))
	// Output:
	// 2026-12-04T22:30:00+08:00
	// 2026-12-05T10:00:00+08:00
}
