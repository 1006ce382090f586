package recording_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/recording"
	"github.com/dialgate/dialgate/storage/memstore"
)

var (
	day    = 24 * time.Hour
	start  = time.Date(2026, 12, 1, 10, 0, 0, 0, time.FixedZone("CST", 8*3600))
	callee = dialgate.MustParseNumber("+8613800138000")
)

// testHasher is a deterministic stand-in for the audit log's keyed hash.
type testHasher struct{}

func (testHasher) HashCallee(n dialgate.Number) string { return "h:" + n.Digits()[len(n.Digits())-4:] }

type fixture struct {
	mgr   *recording.Manager
	store *memstore.Store
	dir   string
	blob  recording.Blob
}

func newFixture(t *testing.T, cfg recording.Config, wrap func(recording.Blob) recording.Blob) *fixture {
	t.Helper()
	dir := t.TempDir()
	fsb, err := recording.NewFSBlob(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { fsb.Close() })
	var blob recording.Blob = fsb
	if wrap != nil {
		blob = wrap(fsb)
	}
	st := memstore.New()
	mgr, err := recording.NewManager(cfg, st, blob, testHasher{})
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{mgr: mgr, store: st, dir: dir, blob: blob}
}

func (f *fixture) register(t *testing.T, id string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(f.dir, id+".wav"), []byte("RIFF"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := f.mgr.Register(context.Background(), start, recording.Registration{
		ID: id, Callee: callee, StartedAt: start, MediaURI: "file:" + id + ".wav",
	}); err != nil {
		t.Fatal(err)
	}
}

func (f *fixture) mediaExists(id string) bool {
	_, err := os.Stat(filepath.Join(f.dir, id+".wav"))
	return err == nil
}

func TestConfigFloor(t *testing.T) {
	for _, tc := range []struct {
		ret string
		ok  bool
	}{
		{"7d", false}, {"-1d", false}, {"29d23h", false}, {"30d", true}, {"1825d", true}, {"", true},
	} {
		var c recording.Config
		if tc.ret != "" {
			d, err := dialgate.ParseDuration(tc.ret)
			if err != nil {
				t.Fatal(err)
			}
			c.Retention = d
		}
		err := c.Validate()
		if (err == nil) != tc.ok {
			t.Errorf("retention %q: err = %v, want ok=%v", tc.ret, err, tc.ok)
		}
		if err != nil && (!errors.Is(err, recording.ErrRetentionTooShort) || !strings.Contains(err.Error(), "recording.retention")) {
			t.Errorf("retention %q: error %q must wrap ErrRetentionTooShort and name recording.retention", tc.ret, err)
		}
	}
	if got := (recording.Config{}).RetentionPeriod(); got != recording.MinRetention {
		t.Errorf("zero Config keeps %v", got)
	}
	if _, err := recording.NewManager(recording.Config{Retention: dialgate.Duration(7 * day)}, memstore.New(), nil, testHasher{}); !errors.Is(err, recording.ErrRetentionTooShort) {
		t.Errorf("NewManager with 7 days: %v", err)
	}
}

func TestDeleteAcrossTheFloor(t *testing.T) {
	f := newFixture(t, recording.Config{}, nil)
	ctx := context.Background()
	f.register(t, "r-1")
	for _, d := range []time.Duration{29 * day, 30*day - time.Second} {
		if err := f.mgr.Delete(ctx, "r-1", start.Add(d)); !errors.Is(err, recording.ErrRetentionLocked) {
			t.Fatalf("delete after %v: %v, want ErrRetentionLocked", d, err)
		}
		if !f.mediaExists("r-1") {
			t.Fatal("media deleted before the floor")
		}
	}
	if err := f.mgr.Hold(ctx, "r-1", recording.Hold{ID: "legal-1", Reason: "litigation", PlacedAt: start.Add(day)}); err != nil {
		t.Fatal(err)
	}
	if err := f.mgr.Delete(ctx, "r-1", start.Add(31*day)); !errors.Is(err, recording.ErrHeld) {
		t.Fatalf("delete under hold on day 31: %v, want ErrHeld", err)
	}
	if err := f.mgr.ReleaseHold(ctx, "r-1", "legal-1"); err != nil {
		t.Fatal(err)
	}
	if err := f.mgr.ReleaseHold(ctx, "r-1", "legal-1"); !errors.Is(err, recording.ErrNotFound) {
		t.Fatalf("second release: %v", err)
	}
	if err := f.mgr.Delete(ctx, "r-1", start.Add(30*day)); err != nil {
		t.Fatalf("delete on day 30 exactly: %v", err)
	}
	if f.mediaExists("r-1") {
		t.Fatal("media still there")
	}
	if _, err := f.mgr.Get(ctx, "r-1"); !errors.Is(err, recording.ErrNotFound) {
		t.Fatalf("metadata still there: %v", err)
	}
	if err := f.mgr.Hold(ctx, "r-9", recording.Hold{ID: "x"}); !errors.Is(err, recording.ErrNotFound) {
		t.Fatalf("hold on unknown recording: %v", err)
	}
}

func TestRegisterValidation(t *testing.T) {
	f := newFixture(t, recording.Config{}, nil)
	ctx := context.Background()
	for _, tc := range []struct {
		reg   recording.Registration
		field string
	}{
		{recording.Registration{ID: "a", StartedAt: start}, "number"},
		{recording.Registration{ID: "a", Callee: callee}, "started_at"},
		{recording.Registration{ID: "a", Callee: callee, StartedAt: start.Add(time.Hour)}, "started_at"},
		{recording.Registration{ID: "a", Callee: callee, StartedAt: start, Retention: dialgate.Duration(7 * day)}, "retention"},
		{recording.Registration{Callee: callee, StartedAt: start}, "id"},
		{recording.Registration{ID: "a", Callee: callee, StartedAt: start, MediaURI: "file:../../etc/passwd"}, "media_uri"},
		{recording.Registration{ID: "a", Callee: callee, StartedAt: start, MediaURI: "s3://bucket/x"}, "media_uri"},
	} {
		_, err := f.mgr.Register(ctx, start, tc.reg)
		if err == nil || !strings.Contains(err.Error(), tc.field) {
			t.Errorf("Register(%+v): %v, want an error naming %s", tc.reg, err, tc.field)
		}
	}
	r, err := f.mgr.Register(ctx, start, recording.Registration{ID: "long", Callee: callee, StartedAt: start, Retention: dialgate.Duration(1825 * day)})
	if err != nil || !r.RetainUntil.Equal(start.Add(1825*day)) {
		t.Fatalf("5-year retention: %v %v", r.RetainUntil, err)
	}
	if strings.Contains(r.Callee, callee.Digits()) {
		t.Fatal("raw callee number stored")
	}
}

func TestSweepIdempotentAndReports(t *testing.T) {
	f := newFixture(t, recording.Config{}, nil)
	ctx := context.Background()
	for _, id := range []string{"a", "b", "c"} {
		f.register(t, id)
	}
	if err := f.mgr.Hold(ctx, "b", recording.Hold{ID: "complaint:1", PlacedAt: start}); err != nil {
		t.Fatal(err)
	}
	rep, err := f.mgr.Sweep(ctx, start.Add(29*day))
	if err != nil || len(rep.Deleted) != 0 || len(rep.Skipped) != 0 {
		t.Fatalf("sweep on day 29: %+v %v", rep, err)
	}
	rep, err = f.mgr.Sweep(ctx, start.Add(31*day))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(rep.Deleted, ",") != "a,c" || len(rep.Skipped) != 1 || rep.Skipped[0].ID != "b" || rep.Skipped[0].Reason != "held" {
		t.Fatalf("sweep on day 31: %+v", rep)
	}
	rep, err = f.mgr.Sweep(ctx, start.Add(31*day))
	if err != nil || len(rep.Deleted) != 0 || len(rep.Skipped) != 1 {
		t.Fatalf("second sweep: %+v %v", rep, err)
	}
	if !f.mediaExists("b") || f.mediaExists("a") || f.mediaExists("c") {
		t.Fatal("wrong media deleted")
	}
}

// crashingBlob deletes the media and then "crashes" (returns an error as a
// process killed after the unlink would have left things) for the first n deletes.
type crashingBlob struct {
	recording.Blob
	crashes int
}

var errCrash = errors.New("injected crash")

func (c *crashingBlob) Delete(ctx context.Context, uri string) error {
	if err := c.Blob.Delete(ctx, uri); err != nil {
		return err
	}
	if c.crashes > 0 {
		c.crashes--
		return errCrash
	}
	return nil
}

// failingBlob fails before deleting anything.
type failingBlob struct{ recording.Blob }

func (failingBlob) Delete(context.Context, string) error { return errCrash }

func TestSweepCrashRecovery(t *testing.T) {
	ctx := context.Background()
	t.Run("crash after media delete", func(t *testing.T) {
		var cb *crashingBlob
		f := newFixture(t, recording.Config{}, func(b recording.Blob) recording.Blob { cb = &crashingBlob{Blob: b, crashes: 1}; return cb })
		f.register(t, "a")
		f.register(t, "b")
		if err := f.mgr.Hold(ctx, "b", recording.Hold{ID: "h", PlacedAt: start}); err != nil {
			t.Fatal(err)
		}
		rep, err := f.mgr.Sweep(ctx, start.Add(31*day))
		if !errors.Is(err, errCrash) || len(rep.Failed) != 1 {
			t.Fatalf("crashed sweep: %+v %v", rep, err)
		}
		// State after the crash: the record is marked deleting, its media is gone.
		r, err := f.mgr.Get(ctx, "a")
		if err != nil || r.State != recording.StateDeleting || f.mediaExists("a") {
			t.Fatalf("after crash: %+v %v media=%v", r, err, f.mediaExists("a"))
		}
		// A hold can no longer be placed on it: its deletion was already decided.
		if err := f.mgr.Hold(ctx, "a", recording.Hold{ID: "late"}); !errors.Is(err, recording.ErrDeleting) {
			t.Fatalf("hold on a deleting recording: %v", err)
		}
		rep, err = f.mgr.Sweep(ctx, start.Add(31*day))
		if err != nil || strings.Join(rep.Deleted, ",") != "a" {
			t.Fatalf("recovery sweep: %+v %v", rep, err)
		}
		assertConsistent(t, f)
	})
	t.Run("failure before media delete", func(t *testing.T) {
		f := newFixture(t, recording.Config{}, func(b recording.Blob) recording.Blob { return failingBlob{b} })
		f.register(t, "a")
		if _, err := f.mgr.Sweep(ctx, start.Add(31*day)); !errors.Is(err, errCrash) {
			t.Fatalf("sweep: %v", err)
		}
		if _, err := f.mgr.Get(ctx, "a"); err != nil || !f.mediaExists("a") {
			t.Fatalf("nothing may be lost when the media delete fails: %v media=%v", err, f.mediaExists("a"))
		}
		// A complaint arriving now still holds it: the media is there, so the
		// failed sweep put the recording back to active, and the next sweep
		// leaves it alone.
		held, err := f.mgr.HoldCallee(ctx, callee, recording.Hold{ID: "complaint:late", PlacedAt: start.Add(31 * day)})
		if err != nil || strings.Join(held, ",") != "a" {
			t.Fatalf("hold after an interrupted sweep: %v %v", held, err)
		}
		if r, _ := f.mgr.Get(ctx, "a"); r.State != recording.StateActive || !r.Held() {
			t.Fatalf("recording after the hold: %+v", r)
		}
		if rep, _ := f.mgr.Sweep(ctx, start.Add(32*day)); len(rep.Deleted) != 0 || !f.mediaExists("a") {
			t.Fatalf("held recording swept: %+v", rep)
		}
	})
}

// assertConsistent checks that every metadata record that is not being deleted
// has its media, and every media file has a metadata record.
func assertConsistent(t *testing.T, f *fixture) {
	t.Helper()
	recs, err := f.store.ListRecordings(context.Background(), recording.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	have := map[string]bool{}
	for _, r := range recs {
		have[r.ID] = true
		if !f.mediaExists(r.ID) {
			t.Errorf("metadata %s (%s) without media", r.ID, r.State)
		}
	}
	entries, _ := os.ReadDir(f.dir)
	for _, e := range entries {
		if id := strings.TrimSuffix(e.Name(), ".wav"); !have[id] {
			t.Errorf("media %s without metadata", e.Name())
		}
	}
}

func TestHoldCallee(t *testing.T) {
	f := newFixture(t, recording.Config{}, nil)
	ctx := context.Background()
	f.register(t, "a")
	f.register(t, "b")
	other := dialgate.MustParseNumber("+8613900139001")
	if _, err := f.mgr.Register(ctx, start, recording.Registration{ID: "c", Callee: other, StartedAt: start}); err != nil {
		t.Fatal(err)
	}
	held, err := f.mgr.HoldCallee(ctx, callee, recording.Hold{ID: "complaint:cp-1", PlacedAt: start})
	if err != nil || strings.Join(held, ",") != "a,b" {
		t.Fatalf("HoldCallee: %v %v", held, err)
	}
	rep, _ := f.mgr.Sweep(ctx, start.Add(40*day))
	if strings.Join(rep.Deleted, ",") != "c" {
		t.Fatalf("sweep deleted %v", rep.Deleted)
	}
}

func TestCheck(t *testing.T) {
	ctx := context.Background()
	d := dialgate.Dial{To: callee, Purpose: dialgate.PurposeService}
	five := recording.Config{Required: true, Retention: dialgate.Duration(1825 * day)}
	// Not required: passes even without a manager.
	c, _ := recording.NewCheck(recording.Config{}, nil)
	if rs, err := c.Check(ctx, d); err != nil || len(rs) != 0 {
		t.Fatalf("not required: %v %v", rs, err)
	}
	c, _ = recording.NewCheck(five, nil)
	if rs, _ := c.Check(ctx, d); len(rs) != 1 || rs[0].Code != dialgate.CodeRecordingNotConfigured {
		t.Fatalf("required without manager: %v", rs)
	}
	short := newFixture(t, recording.Config{}, nil)
	c, _ = recording.NewCheck(five, short.mgr)
	if rs, _ := c.Check(ctx, d); len(rs) != 1 || rs[0].Code != dialgate.CodeRecordingNotConfigured {
		t.Fatalf("30-day store for a 5-year profile: %v", rs)
	}
	long := newFixture(t, five, nil)
	c, _ = recording.NewCheck(five, long.mgr)
	if rs, _ := c.Check(ctx, d); len(rs) != 0 {
		t.Fatalf("5-year store: %v", rs)
	}
	if _, err := recording.NewCheck(recording.Config{Retention: dialgate.Duration(day)}, nil); !errors.Is(err, recording.ErrRetentionTooShort) {
		t.Fatalf("NewCheck with 1 day: %v", err)
	}
}

func TestOutcomeLinksRecording(t *testing.T) {
	f := newFixture(t, recording.Config{}, nil)
	ctx := context.Background()
	g, err := dialgate.New(nil, dialgate.WithoutAuditLog())
	if err != nil {
		t.Fatal(err)
	}
	_ = g
	c, _ := recording.NewCheck(recording.Config{}, f.mgr)
	f.register(t, "r-1")
	if err := c.ObserveOutcome(ctx, dialgate.Outcome{DecisionID: "dec-1", At: start, RecordingID: "r-1", Dial: dialgate.Dial{To: callee}}); err != nil {
		t.Fatal(err)
	}
	if r, _ := f.mgr.Get(ctx, "r-1"); r.DecisionID != "dec-1" {
		t.Fatalf("not linked: %+v", r)
	}
	if err := c.ObserveOutcome(ctx, dialgate.Outcome{DecisionID: "dec-2", At: start, RecordingID: "r-1", Dial: dialgate.Dial{To: callee}}); !errors.Is(err, recording.ErrInvalid) {
		t.Fatalf("relinking to another decision: %v", err)
	}
	// An unregistered recording gets a metadata record, kept 30 days.
	if err := c.ObserveOutcome(ctx, dialgate.Outcome{DecisionID: "dec-3", At: start, RecordingID: "r-new", Dial: dialgate.Dial{To: callee}}); err != nil {
		t.Fatal(err)
	}
	if r, err := f.mgr.Get(ctx, "r-new"); err != nil || r.DecisionID != "dec-3" || !r.RetainUntil.Equal(start.Add(30*day)) {
		t.Fatalf("new recording: %+v %v", r, err)
	}
	// A recording registered by a dial's outcome keeps the dial's tenant, and
	// an outcome whose dial names another tenant cannot link it.
	if err := c.ObserveOutcome(ctx, dialgate.Outcome{DecisionID: "dec-4", At: start, RecordingID: "r-acme", Dial: dialgate.Dial{To: callee, Tenant: "acme"}}); err != nil {
		t.Fatal(err)
	}
	if r, err := f.mgr.Get(ctx, "r-acme"); err != nil || r.Tenant != "acme" {
		t.Fatalf("recording registered by an outcome: %+v %v", r, err)
	}
	if err := c.ObserveOutcome(ctx, dialgate.Outcome{DecisionID: "dec-4", At: start, RecordingID: "r-acme", Dial: dialgate.Dial{To: callee, Tenant: "globex"}}); !errors.Is(err, recording.ErrInvalid) {
		t.Fatalf("another tenant's outcome linked acme's recording: %v", err)
	}
}

// TestSweepDueDeletesOnlyTheListed: Due lists the recordings due, held or
// not (Deletable tells them apart); SweepDue deletes none but those it is
// given, so a caller that recorded what it is about to delete deletes no
// more; a hold placed after Due keeps its recording.
func TestSweepDueDeletesOnlyTheListed(t *testing.T) {
	f := newFixture(t, recording.Config{}, nil)
	ctx := context.Background()
	for _, id := range []string{"a", "b", "c"} {
		f.register(t, id)
	}
	if err := f.mgr.Hold(ctx, "b", recording.Hold{ID: "complaint:1", PlacedAt: start}); err != nil {
		t.Fatal(err)
	}
	at := start.Add(31 * day)
	due, err := f.mgr.Due(ctx, at)
	if err != nil {
		t.Fatal(err)
	}
	var ids, deletable []string
	for _, r := range due {
		ids = append(ids, r.ID)
		if r.Deletable() {
			deletable = append(deletable, r.ID)
		}
	}
	if strings.Join(ids, ",") != "a,b,c" || strings.Join(deletable, ",") != "a,c" {
		t.Fatalf("due %v, deletable %v", ids, deletable)
	}
	if err := f.mgr.Hold(ctx, "c", recording.Hold{ID: "litigation-1", PlacedAt: start}); err != nil {
		t.Fatal(err)
	}
	rep, err := f.mgr.SweepDue(ctx, at, due[:2]) // a and b
	if err != nil || strings.Join(rep.Deleted, ",") != "a" || len(rep.Skipped) != 1 || rep.Skipped[0].ID != "b" {
		t.Fatalf("SweepDue(a, b): %+v %v", rep, err)
	}
	if !f.mediaExists("c") || f.mediaExists("a") {
		t.Fatal("wrong media deleted")
	}
	rep, err = f.mgr.SweepDue(ctx, at, due[2:]) // c, held since Due
	if err != nil || len(rep.Deleted) != 0 || len(rep.Skipped) != 1 || rep.Skipped[0].Reason != "held" {
		t.Fatalf("SweepDue(c) after its hold: %+v %v", rep, err)
	}
}
