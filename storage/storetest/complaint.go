package storetest

import (
	"context"
	"errors"
	"fmt"
	"strings"
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
		{"ListAfterPages", cpListAfter},
		{"ListAfterEqualReceiptsAndMoves", cpListAfterEqual},
		{"ReceivedAtExtremeInstants", cpReceivedExtreme},
		{"ConcurrentUpdates", cpConcurrent},
		{"Reopen", cpReopen},
		{"StoredRecords", complaintStored},
		{"RepairDamaged", cpRepair},
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
		// a's forwarding deadline (received + 72h) has passed, not b's or c's.
		{complaint.Filter{OverdueAt: t0.Add(73 * time.Hour)}, "[a]"},
		{complaint.Filter{OverdueAt: t0.Add(72 * time.Hour)}, "[]"},
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

// complaintIDs lists the ids of cs.
func complaintIDs(cs []complaint.Complaint) string {
	ids := []string{}
	for _, c := range cs {
		ids = append(ids, c.ID)
	}
	return fmt.Sprint(ids)
}

// cpListAfter: ListComplaintsAfter pages through ListComplaints' order
// (receipt, then id in byte order: "Z" before "a", whatever the database's
// collation), keyed on the last complaint's Position, not on an offset: a
// complaint stored between pages before the Position is not listed (and
// shifts nothing), one after it is; every filter applies; a limit that is
// not positive is refused.
func cpListAfter(ctx context.Context, h harness[complaint.Store]) error {
	s, err := h.open()
	if err != nil {
		return err
	}
	at := func(h int) time.Time { return t0.Add(time.Duration(h) * time.Hour) }
	for _, c := range []complaint.Complaint{
		sampleComplaint("a", "h:1", at(2)),
		sampleComplaint("Z", "h:2", at(2)),
		sampleComplaint("m", "h:1", at(1)),
		sampleComplaint("b", "h:2", at(3)),
		sampleComplaint("c", "h:1", at(4)),
	} {
		if err := s.CreateComplaint(ctx, c); err != nil {
			return err
		}
	}
	pages := func(f complaint.Filter, limit int) (string, error) {
		var (
			after complaint.Position
			out   []string
		)
		for range 10 {
			cs, err := s.ListComplaintsAfter(ctx, f, after, limit)
			if err != nil {
				return "", err
			}
			if len(cs) > limit {
				return "", fmt.Errorf("ListComplaintsAfter(limit %d) returned %d", limit, len(cs))
			}
			out = append(out, complaintIDs(cs))
			if len(cs) < limit {
				return fmt.Sprint(out), nil
			}
			after = complaint.PositionOf(cs[len(cs)-1])
		}
		return "", fmt.Errorf("ListComplaintsAfter(%+v, limit %d) never ended: %v", f, limit, out)
	}
	for _, tc := range []struct {
		f     complaint.Filter
		limit int
		want  string
	}{
		{complaint.Filter{}, 2, "[[m Z] [a b] [c]]"},
		{complaint.Filter{}, 5, "[[m Z a b c] []]"},
		{complaint.Filter{}, 6, "[[m Z a b c]]"},
		{complaint.Filter{}, 1, "[[m] [Z] [a] [b] [c] []]"},
		{complaint.Filter{Callee: "h:1"}, 2, "[[m a] [c]]"},
		{complaint.Filter{Tenant: "acme", From: at(2), To: at(4)}, 2, "[[Z a] [b]]"},
		{complaint.Filter{Tenant: "other"}, 2, "[[]]"},
		{complaint.Filter{Status: complaint.StatusHandled}, 2, "[[]]"},
		{complaint.Filter{From: farPast, To: farFuture}, 3, "[[m Z a] [b c]]"},
		// m's and Z's and a's forwarding deadlines have passed, not b's.
		{complaint.Filter{OverdueAt: at(74)}, 2, "[[m Z] [a]]"},
	} {
		got, err := pages(tc.f, tc.limit)
		if err != nil {
			return err
		}
		if got != tc.want {
			return fmt.Errorf("pages of ListComplaintsAfter(%+v, limit %d) = %s, want %s", tc.f, tc.limit, got, tc.want)
		}
	}
	// A Position need not be a stored complaint's: the page starts after it.
	cs, err := s.ListComplaintsAfter(ctx, complaint.Filter{}, complaint.Position{ReceivedAt: at(2), ID: "b"}, 10)
	if err != nil {
		return err
	}
	if got := complaintIDs(cs); got != "[b c]" {
		return fmt.Errorf("after (receipt of a, id b): %s, want [b c]", got)
	}
	// Complaints stored between two pages: one before the Position
	// reached is not listed and moves nothing; one after it is.
	first, err := s.ListComplaintsAfter(ctx, complaint.Filter{}, complaint.Position{}, 2)
	if err != nil {
		return err
	}
	for _, c := range []complaint.Complaint{sampleComplaint("0-early", "h:3", at(1)), sampleComplaint("Y", "h:3", at(3))} {
		if err := s.CreateComplaint(ctx, c); err != nil {
			return err
		}
	}
	rest, err := s.ListComplaintsAfter(ctx, complaint.Filter{}, complaint.PositionOf(first[len(first)-1]), 10)
	if err != nil {
		return err
	}
	if got := complaintIDs(first) + complaintIDs(rest); got != "[m Z][a Y b c]" {
		return fmt.Errorf("pages with complaints stored between them: %s, want [m Z][a Y b c]", got)
	}
	for _, limit := range []int{0, -1} {
		if _, err := s.ListComplaintsAfter(ctx, complaint.Filter{}, complaint.Position{}, limit); !errors.Is(err, complaint.ErrInvalid) {
			return fmt.Errorf("ListComplaintsAfter(limit %d): %v, want an error wrapping complaint.ErrInvalid", limit, err)
		}
	}
	return nil
}

// cpListAfterEqual: many complaints received at one instant (some given
// in another zone) page in id byte order, whichever page boundary falls
// among them; an update that changes a complaint's receipt lists it at its
// new place only, once.
func cpListAfterEqual(ctx context.Context, h harness[complaint.Store]) error {
	s, err := h.open()
	if err != nil {
		return err
	}
	at := t0.Add(time.Hour)
	shanghai := time.FixedZone("CST", 8*3600)
	for i, id := range []string{"b", "B", "a", "c", "0", "Z", "aa"} {
		when := at
		if i%2 == 1 {
			when = at.In(shanghai)
		}
		if err := s.CreateComplaint(ctx, sampleComplaint(id, "h:1", when)); err != nil {
			return err
		}
	}
	for _, c := range []complaint.Complaint{sampleComplaint("early", "h:1", at.Add(-time.Nanosecond)), sampleComplaint("late", "h:1", at.Add(time.Nanosecond))} {
		if err := s.CreateComplaint(ctx, c); err != nil {
			return err
		}
	}
	pages := func(limit int) (string, error) {
		var (
			after complaint.Position
			out   []string
		)
		for range 20 {
			cs, err := s.ListComplaintsAfter(ctx, complaint.Filter{}, after, limit)
			if err != nil {
				return "", err
			}
			out = append(out, complaintIDs(cs))
			if len(cs) < limit {
				return fmt.Sprint(out), nil
			}
			after = complaint.PositionOf(cs[len(cs)-1])
		}
		return "", fmt.Errorf("ListComplaintsAfter(limit %d) never ended: %v", limit, out)
	}
	for _, tc := range []struct {
		limit int
		want  string
	}{
		{2, "[[early 0] [B Z] [a aa] [b c] [late]]"},
		{3, "[[early 0 B] [Z a aa] [b c late] []]"},
		{4, "[[early 0 B Z] [a aa b c] [late]]"},
	} {
		got, err := pages(tc.limit)
		if err != nil {
			return err
		}
		if got != tc.want {
			return fmt.Errorf("pages of %d over equal receipts = %s, want %s", tc.limit, got, tc.want)
		}
	}
	// A Position at the shared instant, given in another zone.
	cs, err := s.ListComplaintsAfter(ctx, complaint.Filter{}, complaint.Position{ReceivedAt: at.In(shanghai), ID: "a"}, 2)
	if err != nil {
		return err
	}
	if got := complaintIDs(cs); got != "[aa b]" {
		return fmt.Errorf("after (the shared instant in UTC+8, a): %s, want [aa b]", got)
	}
	// Receipts corrected by updates: "0" moves last, "late" first.
	for id, when := range map[string]time.Time{"0": at.Add(time.Hour), "late": at.Add(-time.Hour)} {
		if err := s.UpdateComplaint(ctx, id, func(c *complaint.Complaint) error { c.ReceivedAt = when; return nil }); err != nil {
			return err
		}
	}
	got, err := pages(2)
	if err != nil {
		return err
	}
	if want := "[[late early] [B Z] [a aa] [b c] [0]]"; got != want {
		return fmt.Errorf("pages of 2 after receipts were changed = %s, want %s", got, want)
	}
	return nil
}

// cpReceivedExtreme: complaints received outside the years a
// Unix-nanosecond int64 holds (1678–2262: a clock set wrong, a complaint
// entered with a mistyped date) are listed in receipt order like any
// other, found by the receipt bounds of a filter, and paged without being
// skipped or repeated (ids out of receipt order among them): a store that
// kept the receipt as wrapped nanoseconds listed a complaint of 1500
// after one of 2026, missed the complaints of 2400 and 2500 in a listing
// from 2300, and a page that ended on one of them skipped every complaint
// of 2026 after it, with their deadlines.
func cpReceivedExtreme(ctx context.Context, h harness[complaint.Store]) error {
	s, err := h.open()
	if err != nil {
		return err
	}
	for _, c := range []complaint.Complaint{
		sampleComplaint("a-far", "h:x", time.Date(2500, 1, 1, 0, 0, 0, 0, time.UTC)),
		sampleComplaint("z-old", "h:x", time.Date(1500, 3, 1, 0, 0, 0, 0, time.UTC)),
		sampleComplaint("z-far2", "h:x", time.Date(2400, 1, 1, 0, 0, 0, 0, time.UTC)),
		sampleComplaint("now", "h:x", t0),
		sampleComplaint("a-old2", "h:x", time.Date(1600, 1, 1, 0, 0, 0, 0, time.UTC)),
	} {
		if err := s.CreateComplaint(ctx, c); err != nil {
			return fmt.Errorf("CreateComplaint(%s): %w", c.ID, err)
		}
	}
	var errs []error
	for _, callee := range []string{"", "h:x"} {
		for _, tc := range []struct {
			from, to time.Time
			want     string
		}{
			{time.Time{}, time.Time{}, "[z-old a-old2 now z-far2 a-far]"},
			{time.Date(2300, 1, 1, 0, 0, 0, 0, time.UTC), time.Time{}, "[z-far2 a-far]"},
			{time.Date(2450, 1, 1, 0, 0, 0, 0, time.UTC), time.Time{}, "[a-far]"},
			{time.Time{}, time.Date(1550, 1, 1, 0, 0, 0, 0, time.UTC), "[z-old]"},
			{time.Time{}, time.Date(1650, 1, 1, 0, 0, 0, 0, time.UTC), "[z-old a-old2]"},
			{time.Date(1550, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2450, 1, 1, 0, 0, 0, 0, time.UTC), "[a-old2 now z-far2]"},
		} {
			f := complaint.Filter{Callee: callee, From: tc.from, To: tc.to}
			cs, err := s.ListComplaints(ctx, f)
			if err != nil {
				return fmt.Errorf("ListComplaints(%+v): %w", f, err)
			}
			if got := complaintIDs(cs); got != tc.want {
				errs = append(errs, fmt.Errorf("ListComplaints(callee %q, from %v, to %v) = %s, want %s", callee, tc.from, tc.to, got, tc.want))
			}
			var pages []string
			after := complaint.Position{}
			for range 10 {
				cs, err := s.ListComplaintsAfter(ctx, f, after, 2)
				if err != nil {
					return fmt.Errorf("ListComplaintsAfter(%+v, %+v): %w", f, after, err)
				}
				pages = append(pages, complaintIDs(cs))
				if len(cs) < 2 {
					break
				}
				after = complaint.PositionOf(cs[len(cs)-1])
			}
			got := strings.ReplaceAll(strings.Join(pages, ""), "][", " ")
			got = strings.ReplaceAll(got, " ]", "]")
			if got != tc.want {
				errs = append(errs, fmt.Errorf("pages of 2 (callee %q, from %v, to %v) = %v, want %s", callee, tc.from, tc.to, pages, tc.want))
			}
		}
	}
	return errors.Join(errs...)
}
