package schedule_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/schedule"
	"github.com/dialgate/dialgate/storage/memstore"
)

// The abandonment rule counts over a window as the caps do, and the same
// unit mistake ("30s" for 30 days, "1ns") made it count over seconds: the
// calls a person answered left the window at once, and the rate it caps
// was read from almost nothing. It is refused naming the field, as a cap's
// window under a minute is; a minute is accepted.
func TestAbandonConfigRefusesSubMinuteWindow(t *testing.T) {
	cite := dialgate.Citation{Source: dialgate.SourceConvention, Ref: "test"}
	for _, w := range []time.Duration{time.Nanosecond, time.Second, 30 * time.Second, time.Minute - time.Nanosecond} {
		cfg := schedule.AbandonConfig{MaxRate: 0.03, Window: dialgate.Duration(w), Cite: cite}
		err := cfg.Validate()
		if !errors.Is(err, schedule.ErrInvalidAbandon) || !strings.HasPrefix(err.Error(), "abandonment.window:") {
			t.Errorf("window %v: %v, want an error naming abandonment.window and wrapping ErrInvalidAbandon", w, err)
		}
		if _, err := schedule.NewAbandonCheck(cfg, memstore.New()); err == nil {
			t.Errorf("window %v: NewAbandonCheck accepted it", w)
		}
	}
	ok := schedule.AbandonConfig{MaxRate: 0.03, Window: dialgate.Duration(time.Minute), Cite: cite}
	if err := ok.Validate(); err != nil {
		t.Errorf("a one-minute window: %v", err)
	}
}
