package auditlog

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

// fakeRecorder records the results it is given and fails as told.
type fakeRecorder struct {
	results []string
	codes   []string
	fail    func(c Change) error
}

func (f *fakeRecorder) RecordChange(ctx context.Context, c Change) error {
	if f.fail != nil {
		if err := f.fail(c); err != nil {
			return err
		}
	}
	f.results = append(f.results, c.Result)
	f.codes = append(f.codes, c.ErrorCode)
	return nil
}

// TestApplyThenRecordOrder: apply runs first; its failure records nothing;
// a record failing after it leaves the change applied and says so.
func TestApplyThenRecordOrder(t *testing.T) {
	ctx := context.Background()
	c := &Change{Op: OpDNCAdd, At: time.Now()}
	r := &fakeRecorder{}
	boom := errors.New("boom")
	if aerr, rerr := ApplyThenRecord(ctx, r, c, func() error { return boom }); aerr != boom || rerr != nil || len(r.results) != 0 {
		t.Fatalf("apply failed: %v %v %v", aerr, rerr, r.results)
	}
	applied := false
	r.fail = func(Change) error { return ErrClosed }
	if aerr, rerr := ApplyThenRecord(ctx, r, c, func() error { applied = true; c.ID = "late"; return nil }); aerr != nil || rerr != ErrClosed || !applied {
		t.Fatalf("record failed: %v %v %v", aerr, rerr, applied)
	}
	r.fail = func(c Change) error {
		if c.ID != "late" || c.Result != ResultApplied {
			return errors.New("not completed by apply")
		}
		return nil
	}
	if aerr, rerr := ApplyThenRecord(ctx, r, c, func() error { return nil }); aerr != nil || rerr != nil || strings.Join(r.results, ",") != ResultApplied {
		t.Fatalf("ok: %v %v %v", aerr, rerr, r.results)
	}
}

// TestRecordThenApplyOrder: a requested record that fails keeps apply from
// running (and, when ctx ended, is followed by a failed record); apply's
// error is recorded as failed with its code; success as applied.
func TestRecordThenApplyOrder(t *testing.T) {
	c := Change{Op: OpDNCRemove, ChangeID: "chg-1", At: time.Now()}
	code := func(err error) string {
		if errors.Is(err, context.Canceled) {
			return "Canceled"
		}
		return "NotFound"
	}
	ran := false
	apply := func() error { ran = true; return nil }
	r := &fakeRecorder{fail: func(c Change) error {
		if c.Result == ResultRequested {
			return ErrFailed
		}
		return nil
	}}
	if q, a, res := RecordThenApply(context.Background(), r, c, code, apply); q != ErrFailed || a != nil || res != nil || ran || len(r.results) != 0 {
		t.Fatalf("request failed: %v %v %v ran=%v %v", q, a, res, ran, r.results)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	r.fail = func(c Change) error {
		if c.Result == ResultRequested {
			return context.Canceled
		}
		return nil
	}
	if q, _, _ := RecordThenApply(ctx, r, c, code, apply); q == nil || ran || strings.Join(r.results, ",") != ResultFailed || r.codes[0] != "Canceled" {
		t.Fatalf("request canceled: %v ran=%v %v %v", q, ran, r.results, r.codes)
	}
	r = &fakeRecorder{}
	if q, a, res := RecordThenApply(context.Background(), r, c, code, func() error { return errors.New("gone") }); q != nil || a == nil || res != nil ||
		strings.Join(r.results, ",") != "requested,failed" || r.codes[1] != "NotFound" {
		t.Fatalf("apply failed: %v %v %v %v %v", q, a, res, r.results, r.codes)
	}
	r = &fakeRecorder{}
	if q, a, res := RecordThenApply(context.Background(), r, c, code, apply); q != nil || a != nil || res != nil || !ran || strings.Join(r.results, ",") != "requested,applied" {
		t.Fatalf("ok: %v %v %v %v", q, a, res, r.results)
	}
}
