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
	"github.com/dialgate/dialgate/recording"
)

// flakyHolder fails the fail-th call to HoldCallee (counted from 1), after
// running before(n) ahead of each call.
type flakyHolder struct {
	inner  complaint.RecordingHolder
	calls  int
	fail   int
	before func(n int)
}

func (f *flakyHolder) HoldCallee(ctx context.Context, n dialgate.Number, h recording.Hold) ([]string, error) {
	f.calls++
	if f.before != nil {
		f.before(f.calls)
	}
	if f.calls == f.fail {
		return nil, errors.New("recording store unavailable")
	}
	return f.inner.HoldCallee(ctx, n, h)
}

// A filing whose second hold (after the complaint is stored, for a recording
// registered while it was being filed) fails returns an error, and its
// retry — which finds the complaint stored (ErrExists, which the sidecar
// acknowledges as the complaint on record) — must not leave that recording
// unheld: the retry holds the callee's recordings again before it answers.
func TestRetryAfterHalfWayHoldHoldsRecordings(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, nil)
	if _, err := e.recs.Register(ctx, fri, recording.Registration{ID: "r-before", Callee: callee, StartedAt: fri.Add(-time.Hour)}); err != nil {
		t.Fatal(err)
	}
	h := &flakyHolder{inner: e.recs, fail: 2}
	h.before = func(n int) {
		if n == 2 { // registered before the complaint was found in the store: no hold
			if _, err := e.recs.Register(ctx, fri, recording.Registration{ID: "r-during", Callee: callee, StartedAt: fri.Add(-time.Minute)}); err != nil {
				t.Fatal(err)
			}
		}
	}
	desk, err := complaint.NewDesk(complaint.Config{}, e.store, e.check, h, hasher{}, nil, cst)
	if err != nil {
		t.Fatal(err)
	}
	f := complaint.Filing{ID: "cp-1", Number: callee, Channel: complaint.ChannelPhone}
	if _, err := desk.File(ctx, fri, f); err == nil {
		t.Fatal("File succeeded although holding the recordings again failed")
	}
	_, err = desk.File(ctx, fri, f) // the client's retry
	if !errors.Is(err, complaint.ErrExists) {
		t.Fatalf("retry: %v, want ErrExists", err)
	}
	r, err := e.recs.Get(ctx, "r-during")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(r.Holds, func(h recording.Hold) bool { return h.ID == complaint.HoldPrefix+"cp-1" }) {
		t.Errorf("recording r-during %+v: not held after the retry the sidecar acknowledges", r.Holds)
	}
	c, err := desk.Get(ctx, "cp-1")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(c.HeldRecordings, "r-during") || !slices.Contains(c.HeldRecordings, "r-before") {
		t.Errorf("complaint held recordings %v, want r-before and r-during", c.HeldRecordings)
	}

	// A retry whose hold fails is not ErrExists (which would be taken for
	// the complaint fully on record).
	h.calls, h.fail, h.before = 0, 1, nil
	if _, err := desk.File(ctx, fri, f); err == nil || errors.Is(err, complaint.ErrExists) {
		t.Errorf("retry with a failing hold: %v, want an error that is not ErrExists", err)
	}
}

// noWorkdays is a broken calendar: no day is a working day.
type noWorkdays struct{}

func (noWorkdays) IsWorkday(int, time.Month, int) bool { return false }

// A calendar without working days (a misconfigured one) must not hang the
// filing — the number is listed before the deadlines are needed, but the
// complaint would never be stored nor the call return. After a year without
// a working day the days are counted as calendar days: earlier deadlines,
// never later ones.
func TestAddWorkdaysWithoutWorkingDays(t *testing.T) {
	done := make(chan time.Time, 1)
	go func() { done <- complaint.AddWorkdays(fri, 3, noWorkdays{}, cst) }()
	select {
	case got := <-done:
		if limit := fri.AddDate(2, 0, 0); got.After(limit) || !got.After(fri) {
			t.Errorf("AddWorkdays = %v, want a deadline after %v and within two years", got, fri)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("AddWorkdays did not return with a calendar that has no working days")
	}
}

// A resolution of only white space says nothing about how the complaint was
// handled: it is refused, naming the field, as an empty one is.
func TestResolveBlankResolution(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, nil)
	if _, err := e.desk.File(ctx, fri, complaint.Filing{ID: "cp-1", Number: callee, Channel: complaint.ChannelPhone}); err != nil {
		t.Fatal(err)
	}
	if err := e.desk.Resolve(ctx, "cp-1", fri.Add(time.Hour), " \t\n"); !errors.Is(err, complaint.ErrInvalid) {
		t.Errorf("Resolve with a blank resolution: %v, want ErrInvalid naming resolution", err)
	}
	if c, _ := e.desk.Get(ctx, "cp-1"); c.Status != complaint.StatusOpen {
		t.Errorf("complaint %s after a refused resolution, want open", c.Status)
	}
}

// A filing whose first recording hold fails is not filed, but its number is
// listed: the error says both, so that an operator neither takes the
// complaint for filed nor the opt-out for lost, and retries it.
func TestFirstHoldFailsSaysNotFiled(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, nil)
	h := &flakyHolder{inner: e.recs, fail: 1}
	desk, err := complaint.NewDesk(complaint.Config{}, e.store, e.check, h, hasher{}, nil, cst)
	if err != nil {
		t.Fatal(err)
	}
	_, err = desk.File(ctx, fri, complaint.Filing{ID: "cp-1", Number: callee, Channel: complaint.ChannelPhone})
	if err == nil || !strings.Contains(err.Error(), "not filed") || !strings.Contains(err.Error(), "number is listed") {
		t.Errorf("File: %v, want an error saying the complaint is not filed and the number is listed", err)
	}
	if _, err := desk.Get(ctx, "cp-1"); !errors.Is(err, complaint.ErrNotFound) {
		t.Errorf("Get: %v, want ErrNotFound", err)
	}
	dec, err := e.gate.Check(ctx, dialgate.Dial{To: callee, Purpose: dialgate.PurposeMarketing, LeadID: "l"})
	if err != nil || dec.Allowed {
		t.Errorf("Check after the failed filing: %+v %v, want a deny (the number is listed)", dec, err)
	}
}
