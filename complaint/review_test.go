package complaint_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/complaint"
	"github.com/dialgate/dialgate/policy"
	"github.com/dialgate/dialgate/recording"
	"github.com/dialgate/dialgate/storage/memstore"
)

// wiredDesk is the desk as the sidecar and the CLI wire it
// (policy.NewComplaintDesk over the recording Manager).
func wiredDesk(t *testing.T, e *env) *complaint.Desk {
	t.Helper()
	p, err := policy.Builtin("cn")
	if err != nil {
		t.Fatal(err)
	}
	d, err := policy.NewComplaintDesk(p, e.store, e.check, e.recs, hasher{})
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// A complaint holds the callee's recordings as evidence until it is answered
// — including a recording registered after the complaint was filed: the
// call a complaint was made during (channel agent) is registered when it
// ends, and a dialer may upload its recordings late. Such a recording used to
// get no hold and went at the 30-day floor, while the complaint (3 + 15 + 3
// working days, more over a holiday) could still be open.
func TestRecordingRegisteredAfterComplaintIsHeld(t *testing.T) {
	e := newEnv(t, nil)
	desk := wiredDesk(t, e)
	ctx := context.Background()
	if _, err := desk.File(ctx, fri, complaint.Filing{ID: "cp-1", Number: callee, Channel: complaint.ChannelAgent}); err != nil {
		t.Fatal(err)
	}
	// The call the complaint was made during ends and is registered.
	if _, err := e.recs.Register(ctx, fri.Add(5*time.Minute), recording.Registration{ID: "r-call", Callee: callee, StartedAt: fri.Add(-10 * time.Minute)}); err != nil {
		t.Fatal(err)
	}
	r, err := e.recs.Get(ctx, "r-call")
	if err != nil || len(r.Holds) != 1 || r.Holds[0].ID != complaint.HoldPrefix+"cp-1" {
		t.Fatalf("recording registered after the complaint: %+v %v, want the complaint's hold", r, err)
	}
	if err := e.recs.Delete(ctx, "r-call", fri.Add(45*24*time.Hour)); !errors.Is(err, recording.ErrHeld) {
		t.Fatalf("delete of the complained call's recording on day 45: %v, want ErrHeld", err)
	}
	if err := e.recs.ReleaseHold(ctx, "r-call", complaint.HoldPrefix+"cp-1"); !errors.Is(err, recording.ErrHoldProtected) {
		t.Fatalf("release while the complaint is open: %v, want ErrHoldProtected", err)
	}
	// Another callee's recording is not held; nor, once the complaint is
	// answered, a later recording of this callee.
	other := dialgate.MustParseNumber("+8613800138999")
	if r, err := e.recs.Register(ctx, fri.Add(6*time.Minute), recording.Registration{ID: "r-other", Callee: other, StartedAt: fri}); err != nil || r.Held() {
		t.Fatalf("another callee's recording: %+v %v", r, err)
	}
	if err := desk.Resolve(ctx, "cp-1", fri.Add(time.Hour), "verified"); err != nil {
		t.Fatal(err)
	}
	if err := desk.Answer(ctx, "cp-1", fri.Add(2*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if r, err := e.recs.Register(ctx, fri.Add(3*time.Hour), recording.Registration{ID: "r-after", Callee: callee, StartedAt: fri.Add(3 * time.Hour)}); err != nil || r.Held() {
		t.Fatalf("recording after the complaint was answered: %+v %v", r, err)
	}
	if c, _ := desk.Get(ctx, "cp-1"); strings.Contains(strings.Join(c.HeldRecordings, ","), "r-after") {
		t.Fatalf("complaint %+v", c)
	}
}

// hookRecordings runs before() once, just before a recording is created.
type hookRecordings struct {
	*memstore.Store
	before func()
}

func (h *hookRecordings) CreateRecording(ctx context.Context, r recording.Recording) error {
	if f := h.before; f != nil {
		h.before = nil
		f()
	}
	return h.Store.CreateRecording(ctx, r)
}

// hookComplaints runs before() once, just before a complaint is created.
type hookComplaints struct {
	*memstore.Store
	before func()
}

func (h *hookComplaints) CreateComplaint(ctx context.Context, c complaint.Complaint) error {
	if f := h.before; f != nil {
		h.before = nil
		f()
	}
	return h.Store.CreateComplaint(ctx, c)
}

// A registration and a complaint about the same callee at the same moment:
// whichever way their steps interleave, the recording ends up held.
func TestRecordingRacingComplaintIsHeld(t *testing.T) {
	ctx := context.Background()
	p, err := policy.Builtin("cn")
	if err != nil {
		t.Fatal(err)
	}
	reg := recording.Registration{ID: "r-1", Callee: callee, StartedAt: fri.Add(-10 * time.Minute)}
	filing := complaint.Filing{ID: "cp-1", Number: callee, Channel: complaint.ChannelWeb}
	wire := func(t *testing.T, recStore recording.Store, cpStore complaint.Store, e *env) (*recording.Manager, *complaint.Desk) {
		t.Helper()
		m, err := recording.NewManager(recording.Config{}, recStore, nil, hasher{})
		if err != nil {
			t.Fatal(err)
		}
		d, err := policy.NewComplaintDesk(p, cpStore, e.check, m, hasher{})
		if err != nil {
			t.Fatal(err)
		}
		return m, d
	}
	held := func(t *testing.T, m *recording.Manager) {
		t.Helper()
		r, err := m.Get(ctx, "r-1")
		if err != nil || !slices.ContainsFunc(r.Holds, func(h recording.Hold) bool { return h.ID == complaint.HoldPrefix+"cp-1" }) {
			t.Fatalf("recording %+v %v: want the complaint's hold", r, err)
		}
	}
	t.Run("complaint filed between the registration's look-up and its write", func(t *testing.T) {
		e := newEnv(t, nil)
		rs := &hookRecordings{Store: e.store}
		m, d := wire(t, rs, e.store, e)
		rs.before = func() {
			if _, err := d.File(ctx, fri, filing); err != nil {
				t.Error(err)
			}
		}
		if _, err := m.Register(ctx, fri, reg); err != nil {
			t.Fatal(err)
		}
		held(t, m)
	})
	t.Run("recording registered between the complaint's holds and its write", func(t *testing.T) {
		e := newEnv(t, nil)
		cs := &hookComplaints{Store: e.store}
		m, d := wire(t, e.store, cs, e)
		cs.before = func() {
			if _, err := m.Register(ctx, fri, reg); err != nil {
				t.Error(err)
			}
		}
		c, err := d.File(ctx, fri, filing)
		if err != nil {
			t.Fatal(err)
		}
		held(t, m)
		if stored, _ := d.Get(ctx, "cp-1"); strings.Join(c.HeldRecordings, ",") != "r-1" || strings.Join(stored.HeldRecordings, ",") != "r-1" {
			t.Fatalf("complaint %+v, stored %+v: want r-1 held", c, stored)
		}
	})
}
