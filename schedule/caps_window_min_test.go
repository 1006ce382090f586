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

// A cap or pause window shorter than a minute is a unit mistake ("1ns",
// "30s" for 30 minutes): no rule counts calls over seconds, and such a cap
// holds back nothing but the allow lifetime. It is refused naming the
// field, as a zero or negative window is; a minute is accepted.
func TestCapsConfigRefusesSubMinuteWindows(t *testing.T) {
	cite := dialgate.Citation{Source: dialgate.SourceConvention, Ref: "test"}
	for _, w := range []time.Duration{time.Nanosecond, time.Millisecond, time.Second, 59 * time.Second, time.Minute - time.Nanosecond} {
		d := dialgate.Duration(w)
		for _, tc := range []struct {
			name  string
			cfg   schedule.CapsConfig
			field string
		}{
			{"cap", schedule.CapsConfig{Caps: []schedule.Cap{{Count: 1, Window: dialgate.Duration(time.Hour), Cite: cite}, {Count: 2, Window: d, Cite: cite}}}, "frequency.caps[1].window"},
			{"conversation pause", schedule.CapsConfig{PauseAfterConversation: &schedule.Pause{Window: d, Cite: cite}}, "frequency.pause_after_conversation.window"},
			{"abandoned pause", schedule.CapsConfig{PauseAfterAbandoned: &schedule.Pause{Window: d, Cite: cite}}, "frequency.pause_after_abandoned.window"},
			{"refusal pause", schedule.CapsConfig{PauseAfterRefusal: &schedule.Pause{Window: d, Cite: cite}}, "frequency.pause_after_refusal.window"},
		} {
			err := tc.cfg.Validate()
			if err == nil {
				t.Errorf("%s window %v: accepted", tc.name, w)
				continue
			}
			if !errors.Is(err, schedule.ErrInvalidCaps) || !strings.HasPrefix(err.Error(), tc.field+":") {
				t.Errorf("%s window %v: error %q, want one naming %s and wrapping ErrInvalidCaps", tc.name, w, err, tc.field)
			}
			if _, err := schedule.NewCapCheck(tc.cfg, memstore.New()); err == nil {
				t.Errorf("%s window %v: NewCapCheck accepted it", tc.name, w)
			}
		}
	}
	ok := schedule.CapsConfig{
		Caps:                   []schedule.Cap{{Count: 1, Window: dialgate.Duration(time.Minute), Cite: cite}},
		PauseAfterConversation: &schedule.Pause{Window: dialgate.Duration(time.Minute), Cite: cite},
	}
	if err := ok.Validate(); err != nil {
		t.Errorf("one-minute windows: %v", err)
	}
}
