package schedule_test

import (
	"context"
	"testing"
	"time"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/schedule"
	"github.com/dialgate/dialgate/storage/memstore"
)

// TestCapNextAllowedEvidenceIsExact: a decision instant has a fraction of a
// second (a real clock's), so the instant a cap frees up has one too. The
// evidence frequency.next_allowed_at is that instant to the nanosecond, as
// Reason.NextAllowedAt: written to the second, it named an instant up to 1 s
// before it, at which the dial is still capped.
func TestCapNextAllowedEvidenceIsExact(t *testing.T) {
	r := newRig(t, schedule.CapsCN(), memstore.New())
	d := dialgate.Dial{To: callee, From: from1, Campaign: "winter"}
	first := start.Add(700 * time.Millisecond)
	r.want(first, d, true)
	dec := r.want(first.Add(time.Minute), d, false)
	rs := dec.Reasons[0]
	if want := first.Add(6 * time.Minute); !rs.NextAllowedAt.Equal(want) {
		t.Fatalf("NextAllowedAt = %s, want %s", rs.NextAllowedAt, want)
	}
	ev := evidence(rs, "frequency.next_allowed_at")
	next, err := time.Parse(time.RFC3339Nano, ev)
	if err != nil {
		t.Fatalf("frequency.next_allowed_at %q: %v", ev, err)
	}
	if !next.Equal(rs.NextAllowedAt) {
		t.Errorf("frequency.next_allowed_at = %q, Reason.NextAllowedAt = %s", ev, rs.NextAllowedAt.Format(time.RFC3339Nano))
	}
	if dec := r.dial(next, d); !dec.Allowed {
		t.Errorf("dial at the evidence's next_allowed_at %s denied: %+v", ev, dec.Reasons)
	}
}

// TestWindowNextAllowedEvidenceIsExact: a declared no-call period may end at
// a fraction of a second (from and until are RFC 3339 instants); the
// evidence schedule.next_allowed_at and schedule.blackout_until name the
// exact instants, not the second before, which is still inside the period.
func TestWindowNextAllowedEvidenceIsExact(t *testing.T) {
	until := time.Date(2026, 12, 7, 10, 0, 0, 500_000_000, cst)
	w, err := schedule.NewWindowCheck(schedule.Config{
		Windows: []schedule.Window{{Days: []string{"mon-sun"}, Ranges: []string{"09:00-21:00"}, Cite: dialgate.Citation{Source: dialgate.SourceConvention, Ref: "test"}}},
		Blackouts: []schedule.Blackout{{From: until.Add(-2 * time.Hour), Until: until, Reason: "test emergency",
			Cite: dialgate.Citation{Source: dialgate.SourceConvention, Ref: "test"}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	d := dialgate.Dial{To: callee, Purpose: dialgate.PurposeMarketing, At: until.Add(-30 * time.Minute)}
	rs, err := w.Check(context.Background(), d)
	if err != nil || len(rs) != 1 {
		t.Fatalf("inside the blackout: %v %+v", err, rs)
	}
	if !rs[0].NextAllowedAt.Equal(until) {
		t.Fatalf("NextAllowedAt = %s, want %s", rs[0].NextAllowedAt.Format(time.RFC3339Nano), until.Format(time.RFC3339Nano))
	}
	for _, key := range []string{schedule.EvidenceNextAllowedAt, schedule.EvidenceBlackoutUntil} {
		ev := evidence(rs[0], key)
		got, err := time.Parse(time.RFC3339Nano, ev)
		if err != nil {
			t.Fatalf("%s %q: %v", key, ev, err)
		}
		if !got.Equal(until) {
			t.Errorf("%s = %q, want %s", key, ev, until.Format(time.RFC3339Nano))
		}
		d.At = got
		if rs, err := w.Check(context.Background(), d); err != nil || len(rs) != 0 {
			t.Errorf("dial at %s's %s denied: %v %+v", key, ev, err, rs)
		}
	}
}
