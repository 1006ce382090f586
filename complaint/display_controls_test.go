package complaint_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/complaint"
	"github.com/dialgate/dialgate/recording"
)

// TestFileRefusesDisplayControls: a complaint filed with a C1 control, a
// bidirectional override, isolate or mark, or a line or paragraph separator
// in its id, tenant or decision id, or with a C1 control or an override in
// its details (free text for people: line breaks and right-to-left marks
// stay), is refused naming the field — after the number is listed, so the
// complainant's opt-out stands. A resolution is free text as the details.
func TestFileRefusesDisplayControls(t *testing.T) {
	e := newEnv(t, nil)
	ctx := context.Background()
	n := 0
	for field, edit := range map[string]func(f *complaint.Filing, bad string){
		"id":          func(f *complaint.Filing, bad string) { f.ID = "cp" + bad + "1" },
		"tenant":      func(f *complaint.Filing, bad string) { f.Tenant = "ac" + bad + "me" },
		"decision_id": func(f *complaint.Filing, bad string) { f.DecisionID = "d" + bad },
	} {
		for _, bad := range []string{"\u0085", "\u009b", "\u202e", "\u2066", "\u200f", "\u2028", "\u2029"} {
			n++
			f := complaint.Filing{ID: "cp-x", Number: callee, Channel: complaint.ChannelPhone}
			edit(&f, bad)
			_, err := e.desk.File(ctx, fri, f)
			if !errors.Is(err, complaint.ErrInvalid) || !strings.Contains(err.Error(), ": "+field+": ") {
				t.Errorf("%s with %+q: File = %v, want an error naming %s", field, bad, err, field)
			}
		}
	}
	for _, bad := range []string{"\u0085", "\u009b", "\u202e", "\u2066", "\x1b[2J"} {
		_, err := e.desk.File(ctx, fri, complaint.Filing{ID: "cp-d", Number: callee, Channel: complaint.ChannelPhone, Details: "rude" + bad})
		if !errors.Is(err, complaint.ErrInvalid) || !strings.Contains(err.Error(), ": details: ") {
			t.Errorf("details with %+q: File = %v, want an error naming details", bad, err)
		}
	}
	// The opt-out stands all the same.
	dial := dialgate.Dial{To: callee, Purpose: dialgate.PurposeService, LeadID: "x"}
	if dec, _ := e.gate.Check(ctx, dial); dec.Allowed {
		t.Error("the number of a refused filing is not listed")
	}
	if _, err := e.desk.File(ctx, fri, complaint.Filing{ID: "cp-ok", Number: callee, Channel: complaint.ChannelPhone,
		Details: "line one\u2028line two\n\u200fשלום"}); err != nil {
		t.Fatalf("details with line breaks and an RLM: %v", err)
	}
	if err := e.desk.Resolve(ctx, "cp-ok", fri.Add(time.Hour), "done\u202e"); !errors.Is(err, complaint.ErrInvalid) || !strings.Contains(err.Error(), "resolution") {
		t.Errorf("resolution with an override: Resolve = %v, want an error naming resolution", err)
	}
}

// TestFileRetryOfStoredComplaintWithDisplayControlsHolds: a complaint an
// earlier build stored with a C1 control in its details, whose recordings
// were not all held (File: "filed, but holding the recordings again (retry
// the filing)"), is retried with the same filing: the retry holds the
// callee's recordings and answers ErrExists, as any retry of a stored
// complaint does. The display check refused the retry first (its details
// are the stored ones), and the recordings stayed unheld.
func TestFileRetryOfStoredComplaintWithDisplayControlsHolds(t *testing.T) {
	e := newEnv(t, nil)
	ctx := context.Background()
	f := complaint.Filing{ID: "cp-old", Number: callee, Channel: complaint.ChannelPhone, Details: "rude\u0085agent"}
	old := complaint.Complaint{ID: f.ID, Callee: hasher{}.HashCallee(callee), Channel: f.Channel, Details: f.Details,
		Scope: "global", ReceivedAt: fri, Status: complaint.StatusOpen, ForwardBy: fri.Add(24 * time.Hour),
		HandleBy: fri.Add(48 * time.Hour), AnswerBy: fri.Add(72 * time.Hour), DNCListed: true}
	if err := e.store.CreateComplaint(ctx, old); err != nil {
		t.Fatal(err)
	}
	if _, err := e.recs.Register(ctx, fri, recording.Registration{ID: "r-late", Callee: callee, StartedAt: fri.Add(-time.Hour)}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.desk.File(ctx, fri.Add(time.Minute), f); !errors.Is(err, complaint.ErrExists) {
		t.Errorf("retry of the stored filing: File = %v, want ErrExists", err)
	}
	r, err := e.recs.Get(ctx, "r-late")
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Holds) == 0 {
		t.Error("the callee's recording is not held after the retry")
	}
}
