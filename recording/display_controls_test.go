package recording_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/dialgate/dialgate/recording"
)

// TestRegisterAndHoldRefuseDisplayControls: a recording registered with a
// C1 control, a bidirectional override, isolate or mark, or a line or
// paragraph separator in its id, decision id or tenant, and a hold whose id
// holds one, is refused naming the field (a hold listing "lit\u202eagation"
// reads other than the hold a release must name). A hold's reason, written
// for people, keeps line breaks (U+2028) and right-to-left marks but not C1
// controls or overrides. A recording an earlier build stored with such an id
// can still be held: the check is on what is written new.
func TestRegisterAndHoldRefuseDisplayControls(t *testing.T) {
	f := newFixture(t, recording.Config{}, nil)
	ctx := context.Background()
	bads := []string{"\u0085", "\u009b", "\u202e", "\u2066", "\u200f", "\u2028", "\u2029"}
	for field, edit := range map[string]func(r *recording.Registration, bad string){
		"id":          func(r *recording.Registration, bad string) { r.ID = "rec" + bad + "1" },
		"decision_id": func(r *recording.Registration, bad string) { r.DecisionID = "d" + bad },
		"tenant":      func(r *recording.Registration, bad string) { r.Tenant = "ac" + bad + "me" },
	} {
		for _, bad := range bads {
			reg := recording.Registration{ID: "r-ok", Callee: callee, StartedAt: start}
			edit(&reg, bad)
			_, err := f.mgr.Register(ctx, start, reg)
			if !errors.Is(err, recording.ErrInvalid) || !strings.Contains(err.Error(), ": "+field+": ") {
				t.Errorf("%s with %+q: Register = %v, want an error naming %s", field, bad, err, field)
			}
		}
	}
	if _, err := f.mgr.Register(ctx, start, recording.Registration{ID: "r-1", Callee: callee, StartedAt: start}); err != nil {
		t.Fatal(err)
	}
	for _, bad := range bads {
		err := f.mgr.Hold(ctx, "r-1", recording.Hold{ID: "lit" + bad, PlacedAt: start})
		if !errors.Is(err, recording.ErrInvalid) || !strings.Contains(err.Error(), "hold") {
			t.Errorf("hold id with %+q: Hold = %v, want an error naming the hold id", bad, err)
		}
	}
	for _, bad := range []string{"\u0085", "\u009b", "\u202e", "\u2066", "\x1b[2J"} {
		err := f.mgr.Hold(ctx, "r-1", recording.Hold{ID: "h", Reason: "lit" + bad, PlacedAt: start})
		if !errors.Is(err, recording.ErrInvalid) || !strings.Contains(err.Error(), "reason") {
			t.Errorf("hold reason with %+q: Hold = %v, want an error naming the reason", bad, err)
		}
	}
	if err := f.mgr.Hold(ctx, "r-1", recording.Hold{ID: "h", Reason: "line one\u2028line two\n\u200fשלום", PlacedAt: start}); err != nil {
		t.Errorf("hold reason with line breaks and an RLM: %v", err)
	}
	// Stored by an earlier build, which took any of these in an id.
	old := recording.Recording{ID: "old\u202e1", Callee: testHasher{}.HashCallee(callee), StartedAt: start,
		RetainUntil: start.Add(recording.MinRetention), State: recording.StateActive}
	if err := f.store.CreateRecording(ctx, old); err != nil {
		t.Fatal(err)
	}
	if err := f.mgr.Hold(ctx, old.ID, recording.Hold{ID: "lit", PlacedAt: start}); err != nil {
		t.Errorf("holding a recording stored with %+q in its id: %v", old.ID, err)
	}
	if _, err := f.store.GetRecording(ctx, old.ID); err != nil {
		t.Errorf("loading it: %v", err)
	}
}
