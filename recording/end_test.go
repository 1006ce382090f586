package recording_test

import (
	"context"
	"encoding/json"
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

// registerCall registers recording id of a call from start to ended (zero:
// not given), registered at at, with media.
func (f *fixture) registerCall(t *testing.T, id string, ended, at time.Time) recording.Recording {
	t.Helper()
	if err := os.WriteFile(filepath.Join(f.dir, id+".wav"), []byte("RIFF"), 0o600); err != nil {
		t.Fatal(err)
	}
	r, err := f.mgr.Register(context.Background(), at, recording.Registration{
		ID: id, Callee: callee, StartedAt: start, EndedAt: ended, MediaURI: "file:" + id + ".wav",
	})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// A two-hour call is kept 30 days from its end (337号 CN-S6: the retention
// is of the call), not from its start: counted from the start, its
// recording was deletable two hours early.
func TestLongCallKeptThirtyDaysFromItsEnd(t *testing.T) {
	f := newFixture(t, recording.Config{}, nil)
	ctx := context.Background()
	end := start.Add(2 * time.Hour)
	r := f.registerCall(t, "long", end, end.Add(5*time.Minute))
	if !r.EndedAt.Equal(end) || !r.RetainUntil.Equal(end.Add(30*day)) {
		t.Fatalf("registered %+v: want ended_at %s, retain_until %s", r, end, end.Add(30*day))
	}
	for _, at := range []time.Time{start.Add(30 * day), end.Add(30*day - time.Second)} {
		if err := f.mgr.Delete(ctx, "long", at); !errors.Is(err, recording.ErrRetentionLocked) {
			t.Fatalf("delete at %s (30 days after the start, not the end): %v, want ErrRetentionLocked", at, err)
		}
		if !f.mediaExists("long") {
			t.Fatalf("media deleted at %s, before 30 days after the call ended", at)
		}
	}
	if err := f.mgr.Delete(ctx, "long", end.Add(30*day)); err != nil {
		t.Fatalf("delete 30 days after the end: %v", err)
	}
	if f.mediaExists("long") {
		t.Fatal("media still there 30 days after the end")
	}
}

// The sweeper goes by the same instant: a short and a long call started
// together are swept 30 days after each one's end (and SweepMargin).
func TestSweepCountsFromTheEnd(t *testing.T) {
	f := newFixture(t, recording.Config{}, nil)
	ctx := context.Background()
	short, long := start.Add(time.Minute), start.Add(2*time.Hour)
	f.registerCall(t, "short", short, long)
	f.registerCall(t, "long", long, long)
	rep, err := f.mgr.Sweep(ctx, short.Add(30*day+recording.SweepMargin))
	if err != nil || strings.Join(rep.Deleted, ",") != "short" {
		t.Fatalf("sweep 30 days after the short call: %+v, %v; want only short deleted", rep, err)
	}
	rep, err = f.mgr.Sweep(ctx, start.Add(30*day+time.Hour))
	if err != nil || len(rep.Deleted) != 0 || !f.mediaExists("long") {
		t.Fatalf("sweep 30 days and an hour after the long call's start: %+v, %v; want nothing deleted", rep, err)
	}
	rep, err = f.mgr.Sweep(ctx, long.Add(30*day+recording.SweepMargin))
	if err != nil || strings.Join(rep.Deleted, ",") != "long" || f.mediaExists("long") {
		t.Fatalf("sweep 30 days after the long call's end: %+v, %v; want long deleted", rep, err)
	}
}

// Without ended_at the registration instant stands for the end: a
// recording registered after its call is kept at least 30 days after the
// call ended, however long the call was.
func TestRegisterWithoutEndCountsFromRegistration(t *testing.T) {
	f := newFixture(t, recording.Config{}, nil)
	ctx := context.Background()
	at := start.Add(2*time.Hour + 5*time.Minute)
	r := f.registerCall(t, "late", time.Time{}, at)
	if !r.EndedAt.IsZero() || !r.RetainUntil.Equal(at.Add(30*day)) {
		t.Fatalf("registered %+v: want no ended_at, retain_until %s", r, at.Add(30*day))
	}
	if err := f.mgr.Delete(ctx, "late", start.Add(30*day+2*time.Hour)); !errors.Is(err, recording.ErrRetentionLocked) {
		t.Fatalf("delete 30 days after the call's (unknown) end: %v, want ErrRetentionLocked", err)
	}
	if err := f.mgr.Delete(ctx, "late", at.Add(30*day)); err != nil {
		t.Fatalf("delete 30 days after the registration: %v", err)
	}
	// Registered before it started (within the clock skew): from the start.
	r, err := f.mgr.Register(ctx, start.Add(-30*time.Second), recording.Registration{ID: "early", Callee: callee, StartedAt: start})
	if err != nil || !r.RetainUntil.Equal(start.Add(30*day)) {
		t.Fatalf("registered before its start: %+v, %v; want retain_until %s", r, err, start.Add(30*day))
	}
}

func TestRegisterEndedAtValidation(t *testing.T) {
	f := newFixture(t, recording.Config{}, nil)
	ctx := context.Background()
	at := start.Add(time.Hour)
	for _, ended := range []time.Time{start.Add(-time.Second), at.Add(time.Minute + time.Second), at.Add(48 * time.Hour)} {
		_, err := f.mgr.Register(ctx, at, recording.Registration{ID: "bad", Callee: callee, StartedAt: start, EndedAt: ended})
		if !errors.Is(err, recording.ErrInvalid) || !strings.Contains(err.Error(), "ended_at") {
			t.Errorf("ended_at %s (started %s, registered %s): %v, want ErrInvalid naming ended_at", ended, start, at, err)
		}
	}
	if _, err := f.mgr.Get(ctx, "bad"); !errors.Is(err, recording.ErrNotFound) {
		t.Fatalf("a refused registration was stored: %v", err)
	}
	for i, ended := range []time.Time{start, at.Add(time.Minute)} {
		id := []string{"zero-length", "skew"}[i]
		r, err := f.mgr.Register(ctx, at, recording.Registration{ID: id, Callee: callee, StartedAt: start, EndedAt: ended})
		if err != nil || !r.RetainUntil.Equal(ended.Add(30*day)) {
			t.Errorf("ended_at %s: %+v, %v; want retain_until %s", ended, r, err, ended.Add(30*day))
		}
	}
}

// Validate measures the 30-day floor from the end.
func TestValidateMeasuresFromTheEnd(t *testing.T) {
	end := start.Add(2 * time.Hour)
	r := recording.Recording{ID: "r", Callee: "h:1", StartedAt: start, EndedAt: end, RetainUntil: start.Add(30 * day), State: recording.StateActive}
	if err := r.Validate(); !errors.Is(err, recording.ErrRetentionTooShort) || !strings.Contains(err.Error(), "ended_at") {
		t.Errorf("30 days from the start of a 2-hour call: %v, want ErrRetentionTooShort measured from ended_at", err)
	}
	r.RetainUntil = end.Add(30 * day)
	if err := r.Validate(); err != nil {
		t.Errorf("30 days from the end: %v", err)
	}
	r.EndedAt = start.Add(-time.Second)
	if err := r.Validate(); !errors.Is(err, recording.ErrInvalid) || !strings.Contains(err.Error(), "ended_at") {
		t.Errorf("ended before it started: %v, want ErrInvalid naming ended_at", err)
	}
	// A store refuses an update that would shorten it below the floor.
	st := memstore.New()
	ctx := context.Background()
	r.EndedAt = end
	if err := st.CreateRecording(ctx, r); err != nil {
		t.Fatal(err)
	}
	err := st.UpdateRecording(ctx, "r", func(x *recording.Recording) error { x.RetainUntil = start.Add(30 * day); return nil })
	if !errors.Is(err, recording.ErrRetentionTooShort) {
		t.Fatalf("update to 30 days from the start: %v, want ErrRetentionTooShort", err)
	}
}

// A record stored before ended_at existed still loads, validates and keeps
// its retain_until: the change shortens nothing and lengthens nothing on
// record, and the record re-encodes without an ended_at.
func TestRecordWithoutEndedAtUnchanged(t *testing.T) {
	old := `{"id":"r-old","callee":"h:8000","started_at":"2026-12-01T10:00:00+08:00",` +
		`"retain_until":"2026-12-31T10:00:00+08:00","media_uri":"file:r-old.wav","state":"active"}`
	var r recording.Recording
	if err := json.Unmarshal([]byte(old), &r); err != nil {
		t.Fatal(err)
	}
	if err := r.Validate(); err != nil {
		t.Fatalf("old record: %v", err)
	}
	if !r.EndedAt.IsZero() || !r.RetainUntil.Equal(start.Add(30*day)) {
		t.Fatalf("old record read as %+v", r)
	}
	js, err := json.Marshal(r)
	if err != nil || strings.Contains(string(js), "ended_at") {
		t.Fatalf("old record re-encoded as %s, %v: want no ended_at", js, err)
	}
	f := newFixture(t, recording.Config{}, nil)
	ctx := context.Background()
	if err := os.WriteFile(filepath.Join(f.dir, "r-old.wav"), []byte("RIFF"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := f.store.CreateRecording(ctx, r); err != nil {
		t.Fatal(err)
	}
	if err := f.mgr.Delete(ctx, "r-old", start.Add(30*day-time.Second)); !errors.Is(err, recording.ErrRetentionLocked) {
		t.Fatalf("old record deleted early: %v", err)
	}
	if got, _ := f.mgr.Get(ctx, "r-old"); !got.RetainUntil.Equal(r.RetainUntil) || !got.EndedAt.IsZero() {
		t.Fatalf("old record changed: %+v", got)
	}
	rep, err := f.mgr.Sweep(ctx, start.Add(30*day+recording.SweepMargin))
	if err != nil || strings.Join(rep.Deleted, ",") != "r-old" {
		t.Fatalf("sweep at the old record's retain_until + SweepMargin: %+v, %v", rep, err)
	}
}

// A tombstone keeps the end its recording's retention was counted from.
func TestTombstoneKeepsEnd(t *testing.T) {
	end := start.Add(2 * time.Hour)
	r := recording.Recording{ID: "r", StartedAt: start, EndedAt: end, RetainUntil: end.Add(30 * day)}
	if ts := recording.TombstoneOf(r, end.Add(31*day)); !ts.EndedAt.Equal(end) {
		t.Fatalf("tombstone %+v: want ended_at %s", ts, end)
	}
}

// A recording registered as its call started (the recorder's first moment)
// is kept 30 days from the end End records, not from the registration.
func TestEndAfterRegistrationAtStart(t *testing.T) {
	f := newFixture(t, recording.Config{}, nil)
	ctx := context.Background()
	f.registerCall(t, "started", time.Time{}, start)
	end := start.Add(2 * time.Hour)
	r, err := f.mgr.End(ctx, end.Add(time.Minute), "started", end)
	if err != nil {
		t.Fatal(err)
	}
	if !r.EndedAt.Equal(end) || !r.RetainUntil.Equal(end.Add(30*day)) {
		t.Fatalf("ended: %+v, want ended_at %s, retain_until %s", r, end, end.Add(30*day))
	}
	if err := f.mgr.Delete(ctx, "started", start.Add(30*day)); !errors.Is(err, recording.ErrRetentionLocked) {
		t.Fatalf("delete 30 days after the start: %v, want ErrRetentionLocked", err)
	}
	if err := f.mgr.Delete(ctx, "started", end.Add(30*day)); err != nil {
		t.Fatalf("delete 30 days after the end: %v", err)
	}
}

// End never shortens: an earlier end than the one recorded keeps the later
// one and its retention; a longer retention asked at registration is kept
// from the new end.
func TestEndOnlyLengthens(t *testing.T) {
	f := newFixture(t, recording.Config{}, nil)
	ctx := context.Background()
	end := start.Add(time.Hour)
	f.registerCall(t, "ended", end, end)
	r, err := f.mgr.End(ctx, end, "ended", start.Add(time.Minute))
	if err != nil || !r.EndedAt.Equal(end) || !r.RetainUntil.Equal(end.Add(30*day)) {
		t.Fatalf("earlier end: %+v, %v; want the recorded end and retention kept", r, err)
	}
	if r, err = f.mgr.End(ctx, end, "ended", end); err != nil || !r.RetainUntil.Equal(end.Add(30*day)) {
		t.Fatalf("same end again: %+v, %v", r, err)
	}

	if _, err := f.mgr.Register(ctx, start, recording.Registration{
		ID: "long-kept", Callee: callee, StartedAt: start, Retention: dialgate.Duration(365 * day),
	}); err != nil {
		t.Fatal(err)
	}
	r, err = f.mgr.End(ctx, end, "long-kept", end)
	if err != nil || !r.RetainUntil.Equal(end.Add(365*day)) {
		t.Fatalf("a year's retention: %+v, %v; want retain_until %s", r, err, end.Add(365*day))
	}
}

func TestEndValidation(t *testing.T) {
	f := newFixture(t, recording.Config{}, nil)
	ctx := context.Background()
	f.registerCall(t, "r", time.Time{}, start)
	for name, tt := range map[string]struct {
		id        string
		at, ended time.Time
		want      error
		field     string
	}{
		"missing end":      {"r", start, time.Time{}, recording.ErrInvalid, "ended_at: missing"},
		"before the start": {"r", start, start.Add(-time.Second), recording.ErrInvalid, "ended_at"},
		"in the future":    {"r", start, start.Add(2 * time.Minute), recording.ErrInvalid, "ended_at"},
		"unknown":          {"nope", start, start, recording.ErrNotFound, ""},
	} {
		_, err := f.mgr.End(ctx, tt.at, tt.id, tt.ended)
		if !errors.Is(err, tt.want) || !strings.Contains(err.Error(), tt.field) {
			t.Errorf("%s: %v, want %v naming %q", name, err, tt.want, tt.field)
		}
	}
	if r, err := f.mgr.Get(ctx, "r"); err != nil || !r.EndedAt.IsZero() || !r.RetainUntil.Equal(start.Add(30*day)) {
		t.Errorf("a refused End changed the recording: %+v, %v", r, err)
	}
}

// A recording an outcome named before it was registered (Link: its
// started_at is the report's instant, an estimate) takes its real end,
// earlier than that estimate, from End: the end is recorded, the start
// moved back to it (still no earlier than the real start could be said to
// be), and the retention is never shortened. A recording registered with
// its real start still refuses an end before it.
func TestEndBeforeEstimatedStart(t *testing.T) {
	f := newFixture(t, recording.Config{}, nil)
	ctx := context.Background()
	reported := start.Add(3 * time.Hour)
	if err := f.mgr.Link(ctx, reported, "linked", "dec-1", callee, ""); err != nil {
		t.Fatal(err)
	}
	r, err := f.mgr.Get(ctx, "linked")
	if err != nil || !r.StartEstimated || !r.StartedAt.Equal(reported) {
		t.Fatalf("linked: %+v, %v; want started_at %s, estimated", r, err, reported)
	}
	end := start.Add(2 * time.Hour)
	r, err = f.mgr.End(ctx, reported.Add(time.Minute), "linked", end)
	if err != nil {
		t.Fatalf("end before the estimated start: %v", err)
	}
	if !r.EndedAt.Equal(end) || !r.StartedAt.Equal(end) || !r.RetainUntil.Equal(reported.Add(30*day)) {
		t.Fatalf("ended: %+v; want ended_at and started_at %s, retain_until %s kept", r, end, reported.Add(30*day))
	}
	if got, err := f.mgr.Get(ctx, "linked"); err != nil || !got.EndedAt.Equal(end) || got.Validate() != nil {
		t.Fatalf("stored: %+v, %v", got, err)
	}
	f.registerCall(t, "real", time.Time{}, start)
	if _, err := f.mgr.End(ctx, start, "real", start.Add(-time.Second)); !errors.Is(err, recording.ErrInvalid) {
		t.Fatalf("end before a real start: %v, want ErrInvalid", err)
	}
}
