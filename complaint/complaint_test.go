package complaint_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/complaint"
	"github.com/dialgate/dialgate/dnc"
	"github.com/dialgate/dialgate/recording"
	"github.com/dialgate/dialgate/storage/memstore"
)

var (
	cst    = time.FixedZone("CST", 8*3600)
	callee = dialgate.MustParseNumber("+8613800138000")
	// Friday 2026-12-04 10:00 in Shanghai.
	fri = time.Date(2026, 12, 4, 10, 0, 0, 0, cst)
)

type hasher struct{}

func (hasher) HashCallee(n dialgate.Number) string { return "h:" + n.Digits()[len(n.Digits())-4:] }

type env struct {
	desk  *complaint.Desk
	gate  *dialgate.Gate
	recs  *recording.Manager
	store *memstore.Store
	check *dnc.Check
}

func newEnv(t *testing.T, cal complaint.Calendar) *env {
	t.Helper()
	ctx := context.Background()
	st := memstore.New()
	lists, err := dnc.NewLists(ctx, st, dnc.ListsOptions{})
	if err != nil {
		t.Fatal(err)
	}
	check, err := dnc.New(dnc.Config{}, lists)
	if err != nil {
		t.Fatal(err)
	}
	recs, err := recording.NewManager(recording.Config{}, st, nil, hasher{})
	if err != nil {
		t.Fatal(err)
	}
	desk, err := complaint.NewDesk(complaint.Config{}, st, check, recs, hasher{}, cal, cst)
	if err != nil {
		t.Fatal(err)
	}
	gate, err := dialgate.New([]dialgate.Checker{check}, dialgate.WithoutAuditLog(), dialgate.WithClock(dialgate.ClockFunc(func() time.Time { return fri.Add(time.Hour) })))
	if err != nil {
		t.Fatal(err)
	}
	return &env{desk: desk, gate: gate, recs: recs, store: st, check: check}
}

func TestFileListsAtOnceAndHoldsRecordings(t *testing.T) {
	e := newEnv(t, nil)
	ctx := context.Background()
	if _, err := e.recs.Register(ctx, fri, recording.Registration{ID: "r-1", Callee: callee, StartedAt: fri.Add(-time.Hour)}); err != nil {
		t.Fatal(err)
	}
	dial := dialgate.Dial{To: callee, Purpose: dialgate.PurposeService, LeadID: "x"}
	if dec, _ := e.gate.Check(ctx, dial); !dec.Allowed {
		t.Fatalf("allowed before the complaint: %v", dec.Codes())
	}
	c, err := e.desk.File(ctx, fri, complaint.Filing{ID: "cp-1", Number: callee, Channel: complaint.ChannelPhone, DecisionID: "d-1", Tenant: "acme"})
	if err != nil {
		t.Fatal(err)
	}
	if !c.DNCListed || strings.Join(c.HeldRecordings, ",") != "r-1" || c.Scope != "global" || c.Segment != "1380013" {
		t.Fatalf("complaint %+v", c)
	}
	if strings.Contains(c.Callee, callee.Digits()) {
		t.Fatal("raw number stored")
	}
	// The listing is dated at the filing: the profile's removal hold runs
	// from its added_at, so an earlier date would release it early.
	es, err := e.store.DNCEntries(ctx, callee)
	if err != nil || len(es) != 1 || !es[0].AddedAt.Equal(fri) || es[0].Source != "complaint" {
		t.Fatalf("listing after the complaint: %+v %v, want one entry added at %s by the complaint", es, err, fri)
	}
	dec, _ := e.gate.Check(ctx, dial)
	if dec.Allowed || !dec.Has(dialgate.CodeDNCListed) {
		t.Fatalf("dial after complaint: %v", dec.Codes())
	}
	if err := e.recs.Delete(ctx, "r-1", fri.Add(60*24*time.Hour)); !errors.Is(err, recording.ErrHeld) {
		t.Fatalf("held recording deletable: %v", err)
	}
	if _, err := e.desk.File(ctx, fri, complaint.Filing{ID: "cp-1", Number: callee, Channel: complaint.ChannelPhone}); !errors.Is(err, complaint.ErrExists) {
		t.Fatalf("duplicate complaint id: %v", err)
	}
}

// A filing refused because its id is taken still lists its number: a client
// that takes ErrExists for "already filed" must not lose the opt-out of a
// second complainant whose filing reused the id.
func TestDuplicateIDStillLists(t *testing.T) {
	e := newEnv(t, nil)
	ctx := context.Background()
	if _, err := e.desk.File(ctx, fri, complaint.Filing{ID: "cp-1", Number: callee, Channel: complaint.ChannelPhone}); err != nil {
		t.Fatal(err)
	}
	other := dialgate.MustParseNumber("+8613800138999")
	dial := dialgate.Dial{To: other, Purpose: dialgate.PurposeService, LeadID: "x"}
	if dec, _ := e.gate.Check(ctx, dial); !dec.Allowed {
		t.Fatalf("allowed before the complaint: %v", dec.Codes())
	}
	if _, err := e.desk.File(ctx, fri, complaint.Filing{ID: "cp-1", Number: other, Channel: complaint.ChannelPhone}); !errors.Is(err, complaint.ErrExists) {
		t.Fatalf("duplicate complaint id: %v", err)
	}
	if dec, _ := e.gate.Check(ctx, dial); dec.Allowed || !dec.Has(dialgate.CodeDNCListed) {
		t.Fatalf("dial after a complaint refused for its id: %v", dec.Codes())
	}
}

func TestDeadlinesAndOverdue(t *testing.T) {
	e := newEnv(t, nil)
	ctx := context.Background()
	c, err := e.desk.File(ctx, fri, complaint.Filing{ID: "cp-1", Number: callee, Channel: complaint.ChannelWeb})
	if err != nil {
		t.Fatal(err)
	}
	// Friday + 3 working days = end of Wednesday 9 December.
	if want := time.Date(2026, 12, 10, 0, 0, 0, 0, cst); !c.ForwardBy.Equal(want) {
		t.Errorf("forward by %v, want %v", c.ForwardBy, want)
	}
	// Then 15 working days: 10 Dec … 30 Dec → end of Wednesday 30 December.
	if want := time.Date(2026, 12, 31, 0, 0, 0, 0, cst); !c.HandleBy.Equal(want) {
		t.Errorf("handle by %v, want %v", c.HandleBy, want)
	}
	// Then 3 working days: 31 Dec, 1 Jan (Fri), 4 Jan (Mon) with the weekday calendar.
	if want := time.Date(2027, 1, 5, 0, 0, 0, 0, cst); !c.AnswerBy.Equal(want) {
		t.Errorf("answer by %v, want %v", c.AnswerBy, want)
	}
	list := func(at time.Time) string {
		ls, err := e.desk.List(ctx, at, complaint.Filter{})
		if err != nil || len(ls) != 1 {
			t.Fatalf("List: %v %v", ls, err)
		}
		return strings.Join(ls[0].Overdue, ",")
	}
	if got := list(c.ForwardBy.Add(-time.Second)); got != "" {
		t.Errorf("overdue before the deadline: %s", got)
	}
	if got := list(c.ForwardBy); got != "forward" {
		t.Errorf("at the forward deadline: %q", got)
	}
	if err := e.desk.Answer(ctx, "cp-1", fri); !errors.Is(err, complaint.ErrState) {
		t.Errorf("answer before handling: %v", err)
	}
	if err := e.desk.Resolve(ctx, "cp-1", fri, ""); !errors.Is(err, complaint.ErrInvalid) {
		t.Errorf("resolve without resolution: %v", err)
	}
	if err := e.desk.Forward(ctx, "cp-1", c.ForwardBy.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if got := list(c.HandleBy); got != "handle" {
		t.Errorf("at the handle deadline: %q", got)
	}
	if err := e.desk.Resolve(ctx, "cp-1", c.HandleBy.Add(-time.Hour), "verified; agent retrained"); err != nil {
		t.Fatal(err)
	}
	if err := e.desk.Answer(ctx, "cp-1", c.AnswerBy.Add(-time.Hour)); err != nil {
		t.Fatal(err)
	}
	if got := list(c.AnswerBy.Add(time.Hour)); got != "" {
		t.Errorf("closed complaint overdue: %q", got)
	}
	if err := e.desk.Forward(ctx, "nope", fri); !errors.Is(err, complaint.ErrNotFound) {
		t.Errorf("forward unknown: %v", err)
	}
}

// holidays marks 2026-12-07 to 2026-12-09 as holidays and Saturday 12 December a make-up working day.
type holidays struct{}

func (holidays) IsWorkday(y int, m time.Month, d int) bool {
	if y == 2026 && m == 12 && d == 12 {
		return true
	}
	if y == 2026 && m == 12 && d >= 7 && d <= 9 {
		return false
	}
	return complaint.Weekdays{}.IsWorkday(y, m, d)
}

func TestCalendarWithHolidays(t *testing.T) {
	// Friday + 3 working days with Mon–Wed off: Thu 10, Fri 11, Sat 12 (make-up) → end of Saturday.
	got := complaint.AddWorkdays(fri, 3, holidays{}, cst)
	if want := time.Date(2026, 12, 13, 0, 0, 0, 0, cst); !got.Equal(want) {
		t.Fatalf("AddWorkdays = %v, want %v", got, want)
	}
}

func TestValidation(t *testing.T) {
	e := newEnv(t, nil)
	ctx := context.Background()
	for _, tc := range []struct {
		f     complaint.Filing
		field string
	}{
		{complaint.Filing{ID: "a", Channel: complaint.ChannelPhone}, "number"},
		{complaint.Filing{ID: "a", Number: callee, Channel: "fax"}, "channel"},
		{complaint.Filing{Number: callee, Channel: complaint.ChannelPhone}, "id"},
	} {
		if _, err := e.desk.File(ctx, fri, tc.f); !errors.Is(err, complaint.ErrInvalid) || !strings.Contains(err.Error(), tc.field) {
			t.Errorf("File(%+v): %v, want an error naming %s", tc.f, err, tc.field)
		}
	}
	if err := (complaint.Config{HandleDays: -1}).Validate(); err == nil || !strings.Contains(err.Error(), "handle_days") {
		t.Errorf("negative handle_days: %v", err)
	}
	if err := (complaint.Config{Zone: "Asia/Nowhere"}).Validate(); !errors.Is(err, complaint.ErrInvalid) || !strings.Contains(err.Error(), "complaint.zone") {
		t.Errorf("unknown zone: %v, want an error naming complaint.zone", err)
	}
	if err := (complaint.Config{Zone: "Asia/Shanghai"}).Validate(); err != nil {
		t.Errorf("Asia/Shanghai: %v", err)
	}
	if _, err := complaint.NewDesk(complaint.Config{}, memstore.New(), nil, nil, hasher{}, nil, cst); err == nil {
		t.Error("a desk without a do-not-call lister was accepted")
	}
}
