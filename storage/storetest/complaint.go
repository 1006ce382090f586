package storetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/dialgate/dialgate/complaint"
	"github.com/dialgate/dialgate/storage"
)

// TestComplaints runs the complaint.Store conformance suite as subtests.
func TestComplaints(t *testing.T, open func(t *testing.T) complaint.Store, opts ...Option) {
	t.Helper()
	runT(t, complaintCases(), open, newConfig(opts))
}

// CheckComplaints runs the complaint.Store conformance suite and joins every failure.
func CheckComplaints(ctx context.Context, open func() (complaint.Store, error), opts ...Option) error {
	return checkAll(ctx, "Complaints", complaintCases(), open, newConfig(opts))
}

func complaintCases() []testCase[complaint.Store] {
	return []testCase[complaint.Store]{
		{"CreateGet", cpCreateGet},
		{"DuplicateID", cpDuplicate},
		{"NotFound", cpNotFound},
		{"UpdateAtomic", cpUpdate},
		{"ListFiltersAndOrder", cpList},
		{"ConcurrentUpdates", cpConcurrent},
		{"Reopen", cpReopen},
		{"StoredRecords", complaintStored},
	}
}

func sampleComplaint(id, callee string, at time.Time) complaint.Complaint {
	return complaint.Complaint{
		ID: id, Tenant: "acme", Callee: callee, Segment: "1380013", Scope: "global", Channel: complaint.ChannelPhone,
		DecisionID: "d-" + id, ReceivedAt: at, ForwardBy: at.Add(72 * time.Hour), HandleBy: at.Add(20 * 24 * time.Hour),
		AnswerBy: at.Add(25 * 24 * time.Hour), Status: complaint.StatusOpen, DNCListed: true, HeldRecordings: []string{"r-1"},
	}
}

func sameComplaint(got, want complaint.Complaint) error {
	if got.ID != want.ID || got.Tenant != want.Tenant || got.Callee != want.Callee || got.Scope != want.Scope ||
		got.Channel != want.Channel || got.DecisionID != want.DecisionID || !got.ReceivedAt.Equal(want.ReceivedAt) ||
		!got.ForwardBy.Equal(want.ForwardBy) || !got.HandleBy.Equal(want.HandleBy) || !got.AnswerBy.Equal(want.AnswerBy) ||
		!got.HandledAt.Equal(want.HandledAt) || got.Resolution != want.Resolution || got.Status != want.Status ||
		got.DNCListed != want.DNCListed || fmt.Sprint(got.HeldRecordings) != fmt.Sprint(want.HeldRecordings) {
		return fmt.Errorf("got %+v, want %+v", got, want)
	}
	return nil
}

func cpCreateGet(ctx context.Context, h harness[complaint.Store]) error {
	s, err := h.open()
	if err != nil {
		return err
	}
	c := sampleComplaint("cp-1", "h:a", t0)
	if err := s.CreateComplaint(ctx, c); err != nil {
		return fmt.Errorf("CreateComplaint: %w", err)
	}
	got, err := s.GetComplaint(ctx, "cp-1")
	if err != nil {
		return err
	}
	return sameComplaint(got, c)
}

func cpDuplicate(ctx context.Context, h harness[complaint.Store]) error {
	s, err := h.open()
	if err != nil {
		return err
	}
	c := sampleComplaint("cp-1", "h:a", t0)
	if err := s.CreateComplaint(ctx, c); err != nil {
		return err
	}
	if err := s.CreateComplaint(ctx, sampleComplaint("cp-1", "h:b", t0)); !errors.Is(err, complaint.ErrExists) || !errors.Is(err, storage.ErrConflict) {
		return fmt.Errorf("duplicate CreateComplaint: %v", err)
	}
	got, _ := s.GetComplaint(ctx, "cp-1")
	return sameComplaint(got, c)
}

func cpNotFound(ctx context.Context, h harness[complaint.Store]) error {
	s, err := h.open()
	if err != nil {
		return err
	}
	if _, err := s.GetComplaint(ctx, "x"); !errors.Is(err, complaint.ErrNotFound) || !errors.Is(err, storage.ErrNotFound) {
		return fmt.Errorf("GetComplaint(unknown): %v", err)
	}
	if err := s.UpdateComplaint(ctx, "x", func(*complaint.Complaint) error { return nil }); !errors.Is(err, complaint.ErrNotFound) {
		return fmt.Errorf("UpdateComplaint(unknown): %v", err)
	}
	return nil
}

func cpUpdate(ctx context.Context, h harness[complaint.Store]) error {
	s, err := h.open()
	if err != nil {
		return err
	}
	c := sampleComplaint("cp-1", "h:a", t0)
	if err := s.CreateComplaint(ctx, c); err != nil {
		return err
	}
	boom := errors.New("boom")
	if err := s.UpdateComplaint(ctx, "cp-1", func(x *complaint.Complaint) error { x.Status = complaint.StatusHandled; return boom }); !errors.Is(err, boom) {
		return fmt.Errorf("UpdateComplaint returned %v, want the callback's error", err)
	}
	if err := s.UpdateComplaint(ctx, "cp-1", func(x *complaint.Complaint) error { x.Status = "bogus"; return nil }); !errors.Is(err, complaint.ErrInvalid) {
		return fmt.Errorf("update to an invalid status: %v", err)
	}
	got, _ := s.GetComplaint(ctx, "cp-1")
	if err := sameComplaint(got, c); err != nil {
		return fmt.Errorf("failed updates were written: %w", err)
	}
	if err := s.UpdateComplaint(ctx, "cp-1", func(x *complaint.Complaint) error {
		x.Status, x.HandledAt, x.Resolution = complaint.StatusHandled, t0.Add(time.Hour), "verified"
		return nil
	}); err != nil {
		return err
	}
	c.Status, c.HandledAt, c.Resolution = complaint.StatusHandled, t0.Add(time.Hour), "verified"
	got, _ = s.GetComplaint(ctx, "cp-1")
	return sameComplaint(got, c)
}

func cpList(ctx context.Context, h harness[complaint.Store]) error {
	s, err := h.open()
	if err != nil {
		return err
	}
	for _, c := range []complaint.Complaint{
		sampleComplaint("b", "h:1", t0.Add(2*time.Hour)),
		sampleComplaint("a", "h:2", t0.Add(time.Hour)),
		sampleComplaint("c", "h:1", t0.Add(2*time.Hour)),
	} {
		if err := s.CreateComplaint(ctx, c); err != nil {
			return err
		}
	}
	for _, tc := range []struct {
		f    complaint.Filter
		want string
	}{
		{complaint.Filter{}, "[a b c]"},
		{complaint.Filter{Callee: "h:1"}, "[b c]"},
		{complaint.Filter{From: t0.Add(2 * time.Hour)}, "[b c]"},
		{complaint.Filter{To: t0.Add(2 * time.Hour)}, "[a]"},
		// Bounds outside the years a Unix-nanosecond int64 holds (1678–2262).
		{complaint.Filter{From: farPast, To: farFuture}, "[a b c]"},
		{complaint.Filter{To: farPast}, "[]"},
		{complaint.Filter{From: farFuture}, "[]"},
		{complaint.Filter{Status: complaint.StatusHandled}, "[]"},
		{complaint.Filter{Tenant: "other"}, "[]"},
	} {
		cs, err := s.ListComplaints(ctx, tc.f)
		if err != nil {
			return err
		}
		ids := []string{}
		for _, c := range cs {
			ids = append(ids, c.ID)
		}
		if got := fmt.Sprint(ids); got != tc.want {
			return fmt.Errorf("ListComplaints(%+v) = %s, want %s", tc.f, got, tc.want)
		}
	}
	return nil
}

func cpConcurrent(ctx context.Context, h harness[complaint.Store]) error {
	s, err := h.open()
	if err != nil {
		return err
	}
	c := sampleComplaint("cp-1", "h:a", t0)
	c.HeldRecordings = nil
	if err := s.CreateComplaint(ctx, c); err != nil {
		return err
	}
	const n = 32
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- s.UpdateComplaint(ctx, "cp-1", func(x *complaint.Complaint) error {
				x.HeldRecordings = append(x.HeldRecordings, fmt.Sprintf("r-%d", i))
				return nil
			})
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			return err
		}
	}
	got, _ := s.GetComplaint(ctx, "cp-1")
	if len(got.HeldRecordings) != n {
		return fmt.Errorf("%d entries after %d concurrent updates: updates were lost", len(got.HeldRecordings), n)
	}
	return nil
}

func cpReopen(ctx context.Context, h harness[complaint.Store]) error {
	s, err := h.open()
	if err != nil {
		return err
	}
	c := sampleComplaint("cp-1", "h:a", t0)
	if err := s.CreateComplaint(ctx, c); err != nil {
		return err
	}
	s2, err := h.reopenOrSkip(s)
	if err != nil {
		return err
	}
	got, err := s2.GetComplaint(ctx, "cp-1")
	if err != nil {
		return fmt.Errorf("after reopen: %w", err)
	}
	return sameComplaint(got, c)
}
