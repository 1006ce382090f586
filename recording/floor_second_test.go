package recording_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/recording"
)

// The 30-day floor holds to the second: a retention one second short is
// refused wherever it can be given — a registration's own retention and a
// record's retain_until, measured from its end or, without one, its start.
// A floor loosened by an hour or a day passed every test that tried only
// days-short values.
func TestFloorToTheSecond(t *testing.T) {
	short := dialgate.Duration(recording.MinRetention - time.Second)
	f := newFixture(t, recording.Config{}, nil)
	ctx := context.Background()
	at := start.Add(time.Hour)
	_, err := f.mgr.Register(ctx, at, recording.Registration{ID: "short", Callee: callee, StartedAt: start, EndedAt: at, Retention: short})
	if !errors.Is(err, recording.ErrRetentionTooShort) {
		t.Errorf("registration asking %s: %v, want ErrRetentionTooShort", short, err)
	}
	r, err := f.mgr.Register(ctx, at, recording.Registration{ID: "floor", Callee: callee, StartedAt: start, EndedAt: at,
		Retention: dialgate.Duration(recording.MinRetention)})
	if err != nil || !r.RetainUntil.Equal(at.Add(recording.MinRetention)) {
		t.Errorf("registration asking 30 days: %+v, %v", r, err)
	}

	end := start.Add(2 * time.Hour)
	for _, tc := range []struct {
		name       string
		ended, ref time.Time // ref: what the floor is measured from
	}{
		{"from ended_at", end, end},
		{"from started_at, no ended_at", time.Time{}, start},
	} {
		rec := recording.Recording{ID: "r", Callee: "h:1", StartedAt: start, EndedAt: tc.ended,
			RetainUntil: tc.ref.Add(recording.MinRetention - time.Second), State: recording.StateActive}
		if err := rec.Validate(); !errors.Is(err, recording.ErrRetentionTooShort) {
			t.Errorf("%s: retain_until a second short of 30 days: %v, want ErrRetentionTooShort", tc.name, err)
		}
		rec.RetainUntil = tc.ref.Add(recording.MinRetention)
		if err := rec.Validate(); err != nil {
			t.Errorf("%s: retain_until at 30 days: %v", tc.name, err)
		}
	}
}
