package storetest

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dialgate/dialgate/recording"
	"github.com/dialgate/dialgate/storage"
)

// TestRecordings runs the recording.Store conformance suite as subtests.
func TestRecordings(t *testing.T, open func(t *testing.T) recording.Store, opts ...Option) {
	t.Helper()
	runT(t, recordingCases(), open, newConfig(opts))
}

// CheckRecordings runs the recording.Store conformance suite and joins every failure.
func CheckRecordings(ctx context.Context, open func() (recording.Store, error), opts ...Option) error {
	return checkAll(ctx, "Recordings", recordingCases(), open, newConfig(opts))
}

func recordingCases() []testCase[recording.Store] {
	return []testCase[recording.Store]{
		{"CreateGet", recCreateGet},
		{"DuplicateID", recDuplicate},
		{"NotFound", recNotFound},
		{"UpdateAtomic", recUpdate},
		{"DeleteOnlyWhenDeleting", recDelete},
		{"ListFilters", recList},
		{"ConcurrentHolds", recConcurrentHolds},
		{"RejectsInvalid", recInvalid},
		{"RejectsNotUTF8", recNotUTF8},
		{"RejectsNUL", recNUL},
		{"UnstorableKeysNotFound", recUnstorableKeys},
		{"Reopen", recReopen},
		{"EndedAt", recEndedAt},
		{"StoredRecords", recordingStored},
		{"DueAtExtremeInstants", recDueExtreme},
		{"TombstonesAtExtremeInstants", recTombstonesExtreme},
	}
}

func sampleRecording(id, callee string, started time.Time) recording.Recording {
	return recording.Recording{
		ID: id, DecisionID: "d-" + id, Tenant: "acme", Callee: callee,
		StartedAt: started, RetainUntil: started.Add(recording.MinRetention),
		MediaURI: "file:" + id + ".wav", State: recording.StateActive,
	}
}

func sameRecording(got, want recording.Recording) error {
	if got.ID != want.ID || got.DecisionID != want.DecisionID || got.Tenant != want.Tenant || got.Callee != want.Callee || got.CalleeAlias != want.CalleeAlias ||
		!got.StartedAt.Equal(want.StartedAt) || !got.EndedAt.Equal(want.EndedAt) || !got.RetainUntil.Equal(want.RetainUntil) || got.MediaURI != want.MediaURI ||
		got.State != want.State || got.StartEstimated != want.StartEstimated || len(got.Holds) != len(want.Holds) {
		return fmt.Errorf("got %+v, want %+v", got, want)
	}
	for i := range got.Holds {
		if got.Holds[i].ID != want.Holds[i].ID || got.Holds[i].Reason != want.Holds[i].Reason || !got.Holds[i].PlacedAt.Equal(want.Holds[i].PlacedAt) {
			return fmt.Errorf("hold %d: got %+v, want %+v", i, got.Holds[i], want.Holds[i])
		}
	}
	return nil
}

func recCreateGet(ctx context.Context, h harness[recording.Store]) error {
	s, err := h.open()
	if err != nil {
		return err
	}
	r := sampleRecording("r-1", "h:abc", t0)
	r.Holds = []recording.Hold{{ID: "complaint:1", Reason: "complaint", PlacedAt: t0}}
	// A recording an outcome linked before registration: its start is the
	// instant it became known, and an earlier end is taken (Manager.End).
	// A store that dropped the mark would refuse the recorder's real end.
	r.StartEstimated = true
	// The other spelling's hash (a French overseas line): a store that
	// dropped it would let a sweep miss a complaint filed under it.
	r.CalleeAlias = "h:alias"
	if err := s.CreateRecording(ctx, r); err != nil {
		return fmt.Errorf("CreateRecording: %w", err)
	}
	got, err := s.GetRecording(ctx, "r-1")
	if err != nil {
		return fmt.Errorf("GetRecording: %w", err)
	}
	if err := sameRecording(got, r); err != nil {
		return err
	}
	got.Holds[0].ID = "mutated" // the store must not share memory with callers
	again, _ := s.GetRecording(ctx, "r-1")
	return sameRecording(again, r)
}

func recDuplicate(ctx context.Context, h harness[recording.Store]) error {
	s, err := h.open()
	if err != nil {
		return err
	}
	r := sampleRecording("r-1", "h:abc", t0)
	if err := s.CreateRecording(ctx, r); err != nil {
		return err
	}
	other := sampleRecording("r-1", "h:other", t0.Add(time.Hour))
	err = s.CreateRecording(ctx, other)
	if !errors.Is(err, recording.ErrExists) || !errors.Is(err, storage.ErrConflict) {
		return fmt.Errorf("second CreateRecording with the same id: %v, want ErrExists", err)
	}
	got, _ := s.GetRecording(ctx, "r-1")
	return sameRecording(got, r)
}

func recNotFound(ctx context.Context, h harness[recording.Store]) error {
	s, err := h.open()
	if err != nil {
		return err
	}
	if _, err := s.GetRecording(ctx, "nope"); !errors.Is(err, recording.ErrNotFound) || !errors.Is(err, storage.ErrNotFound) {
		return fmt.Errorf("GetRecording(unknown): %v", err)
	}
	if err := s.UpdateRecording(ctx, "nope", func(*recording.Recording) error { return nil }); !errors.Is(err, recording.ErrNotFound) {
		return fmt.Errorf("UpdateRecording(unknown): %v", err)
	}
	if err := s.DeleteRecording(ctx, "nope", t0); !errors.Is(err, recording.ErrNotFound) {
		return fmt.Errorf("DeleteRecording(unknown): %v", err)
	}
	return nil
}

func recUpdate(ctx context.Context, h harness[recording.Store]) error {
	s, err := h.open()
	if err != nil {
		return err
	}
	r := sampleRecording("r-1", "h:abc", t0)
	if err := s.CreateRecording(ctx, r); err != nil {
		return err
	}
	boom := errors.New("boom")
	err = s.UpdateRecording(ctx, "r-1", func(x *recording.Recording) error {
		x.Holds = append(x.Holds, recording.Hold{ID: "h1", PlacedAt: t0})
		return boom
	})
	if !errors.Is(err, boom) {
		return fmt.Errorf("UpdateRecording returned %v, want the callback's error", err)
	}
	if got, _ := s.GetRecording(ctx, "r-1"); len(got.Holds) != 0 {
		return errors.New("a failed update was written")
	}
	if err := s.UpdateRecording(ctx, "r-1", func(x *recording.Recording) error {
		x.Holds = append(x.Holds, recording.Hold{ID: "h1", Reason: "legal", PlacedAt: t0})
		return nil
	}); err != nil {
		return err
	}
	r.Holds = []recording.Hold{{ID: "h1", Reason: "legal", PlacedAt: t0}}
	got, _ := s.GetRecording(ctx, "r-1")
	if err := sameRecording(got, r); err != nil {
		return err
	}
	err = s.UpdateRecording(ctx, "r-1", func(x *recording.Recording) error {
		x.RetainUntil = x.StartedAt.Add(time.Hour) // below the floor
		return nil
	})
	if !errors.Is(err, recording.ErrRetentionTooShort) {
		return fmt.Errorf("update shortening retention below 30 days: %v, want ErrRetentionTooShort", err)
	}
	got, _ = s.GetRecording(ctx, "r-1")
	return sameRecording(got, r)
}

func recDelete(ctx context.Context, h harness[recording.Store]) error {
	s, err := h.open()
	if err != nil {
		return err
	}
	if err := s.CreateRecording(ctx, sampleRecording("r-1", "h:abc", t0)); err != nil {
		return err
	}
	if err := s.DeleteRecording(ctx, "r-1", t0.Add(40*24*time.Hour)); !errors.Is(err, recording.ErrRetentionLocked) {
		return fmt.Errorf("DeleteRecording of an active recording: %v, want ErrRetentionLocked", err)
	}
	if _, err := s.GetRecording(ctx, "r-1"); err != nil {
		return fmt.Errorf("active recording lost: %w", err)
	}
	if err := s.UpdateRecording(ctx, "r-1", func(x *recording.Recording) error {
		x.State, x.DeleteToken = recording.StateDeleting, "tok-1"
		return nil
	}); err != nil {
		return err
	}
	// The token of the sweep that marked it must come back: a failed sweep
	// undoes only a deletion whose token is still its own.
	if got, err := s.GetRecording(ctx, "r-1"); err != nil || got.State != recording.StateDeleting || got.DeleteToken != "tok-1" {
		return fmt.Errorf("recording marked deleting reads back as %+v, %v: want state deleting, delete_token tok-1", got, err)
	}
	del := t0.Add(40 * 24 * time.Hour)
	if err := s.DeleteRecording(ctx, "r-1", del); err != nil {
		return fmt.Errorf("DeleteRecording of a deleting recording: %w", err)
	}
	if _, err := s.GetRecording(ctx, "r-1"); !errors.Is(err, recording.ErrNotFound) {
		return fmt.Errorf("deleted recording still there: %v", err)
	}
	if rs, _ := s.ListRecordings(ctx, recording.Filter{}); len(rs) != 0 {
		return fmt.Errorf("deleted recording still listed: %+v", rs)
	}
	for _, tc := range []struct {
		from, to time.Time
		n        int
	}{{time.Time{}, time.Time{}, 1}, {del, del.Add(time.Second), 1}, {del.Add(time.Nanosecond), time.Time{}, 0}, {time.Time{}, del, 0},
		{farPast, farFuture, 1}, {farFuture, time.Time{}, 0}, {time.Time{}, farPast, 0}} {
		ts, err := s.ListTombstones(ctx, tc.from, tc.to)
		if err != nil {
			return err
		}
		if len(ts) != tc.n {
			return fmt.Errorf("ListTombstones(%v, %v) = %+v, want %d", tc.from, tc.to, ts, tc.n)
		}
		if tc.n == 1 && (ts[0].ID != "r-1" || !ts[0].DeletedAt.Equal(del) || ts[0].DecisionID != "d-r-1") {
			return fmt.Errorf("tombstone %+v", ts[0])
		}
	}
	return nil
}

func recList(ctx context.Context, h harness[recording.Store]) error {
	s, err := h.open()
	if err != nil {
		return err
	}
	for i, c := range []string{"h:a", "h:b", "h:a"} {
		r := sampleRecording(fmt.Sprintf("r-%d", i), c, t0.Add(time.Duration(i)*24*time.Hour))
		if err := s.CreateRecording(ctx, r); err != nil {
			return err
		}
	}
	ids := func(f recording.Filter) (string, error) {
		rs, err := s.ListRecordings(ctx, f)
		if err != nil {
			return "", err
		}
		out := ""
		for _, r := range rs {
			out += r.ID + " "
		}
		return out, nil
	}
	for _, tc := range []struct {
		f    recording.Filter
		want string
	}{
		{recording.Filter{}, "r-0 r-1 r-2 "},
		{recording.Filter{Callee: "h:a"}, "r-0 r-2 "},
		{recording.Filter{DueBy: t0.Add(recording.MinRetention + 24*time.Hour)}, "r-0 r-1 "},
		{recording.Filter{DueBy: t0.Add(recording.MinRetention - time.Second)}, ""},
		{recording.Filter{DueBy: farFuture}, "r-0 r-1 r-2 "},
		{recording.Filter{DueBy: farPast}, ""},
		{recording.Filter{DecisionID: "d-r-2"}, "r-2 "},
		{recording.Filter{Callee: "h:b", DueBy: t0.Add(recording.MinRetention)}, ""},
	} {
		got, err := ids(tc.f)
		if err != nil {
			return err
		}
		if got != tc.want {
			return fmt.Errorf("ListRecordings(%+v) = %q, want %q", tc.f, got, tc.want)
		}
	}
	return nil
}

func recConcurrentHolds(ctx context.Context, h harness[recording.Store]) error {
	s, err := h.open()
	if err != nil {
		return err
	}
	if err := s.CreateRecording(ctx, sampleRecording("r-1", "h:abc", t0)); err != nil {
		return err
	}
	const n = 32
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- s.UpdateRecording(ctx, "r-1", func(x *recording.Recording) error {
				x.Holds = append(x.Holds, recording.Hold{ID: fmt.Sprintf("h%d", i), PlacedAt: t0})
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
	got, _ := s.GetRecording(ctx, "r-1")
	if len(got.Holds) != n {
		return fmt.Errorf("%d holds after %d concurrent updates: updates were lost", len(got.Holds), n)
	}
	return nil
}

func recInvalid(ctx context.Context, h harness[recording.Store]) error {
	s, err := h.open()
	if err != nil {
		return err
	}
	bad := sampleRecording("r-1", "h:abc", t0)
	bad.RetainUntil = t0.Add(7 * 24 * time.Hour)
	if err := s.CreateRecording(ctx, bad); !errors.Is(err, recording.ErrRetentionTooShort) {
		return fmt.Errorf("CreateRecording with 7-day retention: %v, want ErrRetentionTooShort", err)
	}
	if err := s.CreateRecording(ctx, sampleRecording("", "h:abc", t0)); !errors.Is(err, recording.ErrInvalid) {
		return fmt.Errorf("CreateRecording without id: %v, want ErrInvalid", err)
	}
	if _, err := s.GetRecording(ctx, "r-1"); !errors.Is(err, recording.ErrNotFound) {
		return fmt.Errorf("an invalid recording was stored: %v", err)
	}
	return nil
}

// recNotUTF8: a recording whose text is not UTF-8 is refused, naming the
// field. Stored, its JSON would carry U+FFFD where the bytes were: a key that
// its record does not name (every read and every listing of its callee then
// fails, so the sweep and a complaint's holds with them), a hold id no
// release can name, a media URI other than the file's.
func recNotUTF8(ctx context.Context, h harness[recording.Store]) error {
	s, err := h.open()
	if err != nil {
		return err
	}
	for field, mutate := range map[string]func(r *recording.Recording){
		"id":          func(r *recording.Recording) { r.ID = "r-\xff" },
		"decision_id": func(r *recording.Recording) { r.DecisionID = "d-\xff" },
		"tenant":      func(r *recording.Recording) { r.Tenant = "acme\xff" },
		"callee":      func(r *recording.Recording) { r.Callee = "h:\xff" },
		"media_uri":   func(r *recording.Recording) { r.MediaURI = "file:r\xff.wav" },
		"holds[0].id": func(r *recording.Recording) { r.Holds = []recording.Hold{{ID: "h\xff", PlacedAt: t0}} },
	} {
		bad := sampleRecording("r-1", "h:abc", t0)
		mutate(&bad)
		err := s.CreateRecording(ctx, bad)
		if !errors.Is(err, recording.ErrInvalid) || !strings.Contains(err.Error(), field) {
			return fmt.Errorf("CreateRecording with %s not UTF-8: %v, want ErrInvalid naming %s", field, err, field)
		}
	}
	if recs, err := s.ListRecordings(ctx, recording.Filter{}); err != nil || len(recs) != 0 {
		return fmt.Errorf("ListRecordings after refused recordings: %d, %v; want none, no error", len(recs), err)
	}
	if err := s.CreateRecording(ctx, sampleRecording("r-1", "h:abc", t0)); err != nil {
		return err
	}
	err = s.UpdateRecording(ctx, "r-1", func(r *recording.Recording) error {
		r.Holds = append(r.Holds, recording.Hold{ID: "h\xff", PlacedAt: t0})
		return nil
	})
	if !errors.Is(err, recording.ErrInvalid) || !strings.Contains(err.Error(), "holds[0].id") {
		return fmt.Errorf("UpdateRecording adding a hold whose id is not UTF-8: %v, want ErrInvalid naming holds[0].id", err)
	}
	if _, err := s.ListRecordings(ctx, recording.Filter{Callee: "h:abc"}); err != nil {
		return fmt.Errorf("ListRecordings after a refused update: %w", err)
	}
	return nil
}

// recNUL: a NUL byte (valid UTF-8) in a recording's text is refused by
// every store alike, naming the field, and nothing is stored. PostgreSQL
// cannot hold one in text or jsonb: pgstore answered an unavailable store
// (storage.ErrUnavailable, naming no field) where memstore and boltstore
// stored the recording.
func recNUL(ctx context.Context, h harness[recording.Store]) error {
	s, err := h.open()
	if err != nil {
		return err
	}
	for field, mutate := range map[string]func(r *recording.Recording){
		"id":           func(r *recording.Recording) { r.ID = "r-\x00" },
		"decision_id":  func(r *recording.Recording) { r.DecisionID = "d-\x00" },
		"tenant":       func(r *recording.Recording) { r.Tenant = "ac\x00me" },
		"callee":       func(r *recording.Recording) { r.Callee = "h:\x00" },
		"callee_alias": func(r *recording.Recording) { r.CalleeAlias = "h:\x00" },
		"media_uri":    func(r *recording.Recording) { r.MediaURI = "file:r\x00.wav" },
		"holds[0].id":  func(r *recording.Recording) { r.Holds = []recording.Hold{{ID: "h\x00", PlacedAt: t0}} },
		"holds[0].reason": func(r *recording.Recording) {
			r.Holds = []recording.Hold{{ID: "h1", Reason: "legal\x00", PlacedAt: t0}}
		},
	} {
		bad := sampleRecording("r-1", "h:abc", t0)
		mutate(&bad)
		err := s.CreateRecording(ctx, bad)
		if !errors.Is(err, recording.ErrInvalid) || !strings.Contains(err.Error(), field) {
			return fmt.Errorf("CreateRecording with a NUL in %s: %v, want ErrInvalid naming %s", field, err, field)
		}
	}
	if recs, err := s.ListRecordings(ctx, recording.Filter{}); err != nil || len(recs) != 0 {
		return fmt.Errorf("ListRecordings after refused recordings: %d, %v; want none, no error", len(recs), err)
	}
	want := sampleRecording("r-1", "h:abc", t0)
	if err := s.CreateRecording(ctx, want); err != nil {
		return err
	}
	err = s.UpdateRecording(ctx, "r-1", func(r *recording.Recording) error {
		r.Holds = append(r.Holds, recording.Hold{ID: "h1", Reason: "legal\x00", PlacedAt: t0})
		return nil
	})
	if !errors.Is(err, recording.ErrInvalid) || !strings.Contains(err.Error(), "holds[0].reason") {
		return fmt.Errorf("UpdateRecording adding a hold whose reason has a NUL: %v, want ErrInvalid naming holds[0].reason", err)
	}
	got, err := s.GetRecording(ctx, "r-1")
	if err != nil {
		return fmt.Errorf("GetRecording after a refused update: %w", err)
	}
	return sameRecording(got, want)
}

// recUnstorableKeys: a read or write naming an id, callee or decision no
// recording can have (not UTF-8, or with a NUL byte: refused on create) finds
// none, in every store alike: ErrNotFound, an empty listing. PostgreSQL
// refuses such text as a query parameter: pgstore answered an unavailable
// store (storage.ErrUnavailable) where memstore and boltstore found nothing,
// so a Link of such an id failed as an outage instead of being refused as
// bad input by the registration it falls back to.
func recUnstorableKeys(ctx context.Context, h harness[recording.Store]) error {
	s, err := h.open()
	if err != nil {
		return err
	}
	if err := s.CreateRecording(ctx, sampleRecording("r-1", "h:abc", t0)); err != nil {
		return err
	}
	for _, bad := range []string{"r-\x00", "r-\xff"} {
		if _, err := s.GetRecording(ctx, bad); !errors.Is(err, recording.ErrNotFound) {
			return fmt.Errorf("GetRecording(%q) = %v, want ErrNotFound", bad, err)
		}
		called := false
		err := s.UpdateRecording(ctx, bad, func(*recording.Recording) error { called = true; return nil })
		if !errors.Is(err, recording.ErrNotFound) || called {
			return fmt.Errorf("UpdateRecording(%q) = %v (fn called: %v), want ErrNotFound", bad, err, called)
		}
		if err := s.DeleteRecording(ctx, bad, t0); !errors.Is(err, recording.ErrNotFound) {
			return fmt.Errorf("DeleteRecording(%q) = %v, want ErrNotFound", bad, err)
		}
		for _, f := range []recording.Filter{{Callee: bad}, {DecisionID: bad}, {Callee: "h:abc", DecisionID: bad}} {
			if recs, err := s.ListRecordings(ctx, f); err != nil || len(recs) != 0 {
				return fmt.Errorf("ListRecordings(%+v) = %d, %v; want none, no error", f, len(recs), err)
			}
		}
	}
	if recs, err := s.ListRecordings(ctx, recording.Filter{}); err != nil || len(recs) != 1 {
		return fmt.Errorf("ListRecordings after the look-ups = %d, %v; want r-1", len(recs), err)
	}
	return nil
}

func recReopen(ctx context.Context, h harness[recording.Store]) error {
	s, err := h.open()
	if err != nil {
		return err
	}
	r := sampleRecording("r-1", "h:abc", t0)
	r.Holds = []recording.Hold{{ID: "h1", PlacedAt: t0}}
	if err := s.CreateRecording(ctx, r); err != nil {
		return err
	}
	s2, err := h.reopenOrSkip(s)
	if err != nil {
		return err
	}
	got, err := s2.GetRecording(ctx, "r-1")
	if err != nil {
		return fmt.Errorf("after reopen: %w", err)
	}
	return sameRecording(got, r)
}

// recEndedAt: the end of a call, which its retention is counted from,
// survives every write and a reopen, reaches the tombstone, and is the
// instant the store measures the 30-day floor from; a recording without one
// reads back without one.
func recEndedAt(ctx context.Context, h harness[recording.Store]) error {
	s, err := h.open()
	if err != nil {
		return err
	}
	end := t0.Add(2 * time.Hour)
	r := sampleRecording("r-end", "h:abc", t0)
	r.EndedAt, r.RetainUntil = end, end.Add(recording.MinRetention)
	if err := s.CreateRecording(ctx, r); err != nil {
		return fmt.Errorf("CreateRecording with ended_at: %w", err)
	}
	plain := sampleRecording("r-plain", "h:abc", t0)
	if err := s.CreateRecording(ctx, plain); err != nil {
		return err
	}
	if err := s.UpdateRecording(ctx, "r-end", func(x *recording.Recording) error {
		x.Holds = append(x.Holds, recording.Hold{ID: "h1", PlacedAt: t0})
		return nil
	}); err != nil {
		return err
	}
	r.Holds = []recording.Hold{{ID: "h1", PlacedAt: t0}}
	bad := sampleRecording("r-short", "h:abc", t0)
	bad.EndedAt = end // retain_until 30 days after the start: short of 30 days after the end
	if err := s.CreateRecording(ctx, bad); !errors.Is(err, recording.ErrRetentionTooShort) {
		return fmt.Errorf("CreateRecording kept 30 days from the start of a 2-hour call: %v, want ErrRetentionTooShort", err)
	}
	if h.reopen != nil { // a durable store keeps both as written
		if s, err = h.reopen(s); err != nil {
			return fmt.Errorf("reopen: %w", err)
		}
	}
	for _, want := range []recording.Recording{r, plain} {
		got, err := s.GetRecording(ctx, want.ID)
		if err != nil {
			return fmt.Errorf("GetRecording(%s): %w", want.ID, err)
		}
		if err := sameRecording(got, want); err != nil {
			return fmt.Errorf("%s: %w", want.ID, err)
		}
	}
	due, err := s.ListRecordings(ctx, recording.Filter{DueBy: t0.Add(recording.MinRetention + time.Hour)})
	if err != nil {
		return err
	}
	if len(due) != 1 || due[0].ID != "r-plain" {
		return fmt.Errorf("due an hour after 30 days from the start: %+v, want only r-plain", due)
	}
	if err := s.UpdateRecording(ctx, "r-end", func(x *recording.Recording) error {
		x.Holds, x.State, x.DeleteToken = nil, recording.StateDeleting, "tok"
		return nil
	}); err != nil {
		return err
	}
	del := end.Add(recording.MinRetention)
	if err := s.DeleteRecording(ctx, "r-end", del); err != nil {
		return err
	}
	ts, err := s.ListTombstones(ctx, del, del.Add(time.Second))
	if err != nil {
		return err
	}
	if len(ts) != 1 || ts[0].ID != "r-end" || !ts[0].EndedAt.Equal(end) || !ts[0].StartedAt.Equal(t0) || !ts[0].RetainUntil.Equal(r.RetainUntil) {
		return fmt.Errorf("tombstones %+v: want r-end with ended_at %s", ts, end)
	}
	return nil
}

// recDueExtreme: a recording whose retention ended centuries ago (a call
// registered with a start and end in 1500) is due now, and one kept until
// 2500 is not; after an update too. A store that indexes RetainUntil as Unix
// nanoseconds must clamp (int64 nanoseconds end in 1678 and 2262): wrapped,
// the 1500 recording read as due in 2103 and a sweep never found it.
func recDueExtreme(ctx context.Context, h harness[recording.Store]) error {
	s, err := h.open()
	if err != nil {
		return err
	}
	oldStart := time.Date(1500, 3, 1, 0, 0, 0, 0, time.UTC)
	old := sampleRecording("r-old", "h:abc", oldStart)
	old.EndedAt = oldStart.Add(time.Hour)
	old.RetainUntil = old.EndedAt.Add(recording.MinRetention)
	far := sampleRecording("r-far", "h:abc", t0)
	far.RetainUntil = time.Date(2500, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, r := range []recording.Recording{old, far} {
		if err := s.CreateRecording(ctx, r); err != nil {
			return fmt.Errorf("CreateRecording(%s): %w", r.ID, err)
		}
	}
	check := func(when string) error {
		for _, tc := range []struct {
			by   time.Time
			want string
		}{
			{t0, "r-old "},
			{time.Date(2262, 6, 1, 0, 0, 0, 0, time.UTC), "r-old "},
			{farFuture, "r-far r-old "},
			{oldStart, ""},
		} {
			rs, err := s.ListRecordings(ctx, recording.Filter{DueBy: tc.by})
			if err != nil {
				return fmt.Errorf("%s: ListRecordings(due by %s): %w", when, tc.by, err)
			}
			got := ""
			for _, r := range rs {
				got += r.ID + " "
			}
			if got != tc.want {
				return fmt.Errorf("%s: due by %s: %q, want %q", when, tc.by.Format(time.RFC3339), got, tc.want)
			}
		}
		return nil
	}
	if err := check("after create"); err != nil {
		return err
	}
	for _, id := range []string{"r-old", "r-far"} {
		if err := s.UpdateRecording(ctx, id, func(x *recording.Recording) error {
			x.Holds = append(x.Holds, recording.Hold{ID: "h1", PlacedAt: t0})
			return nil
		}); err != nil {
			return fmt.Errorf("UpdateRecording(%s): %w", id, err)
		}
	}
	return check("after update")
}

// recTombstonesExtreme deletes recordings at instants outside the years a
// Unix-nanosecond int64 holds (a sweep run with a clock set wrong): their
// tombstones must be found by the bounds that hold them. A store that
// kept the deletion instant as wrapped nanoseconds left the one deleted
// in 2500 out of a listing from 2400, and the one of 1500 out of a
// listing to 1600: deletions missing from the report.
func recTombstonesExtreme(ctx context.Context, h harness[recording.Store]) error {
	s, err := h.open()
	if err != nil {
		return err
	}
	y := func(year int) time.Time { return time.Date(year, 1, 1, 0, 0, 0, 0, time.UTC) }
	for id, at := range map[string]time.Time{"r-1500": y(1500), "r-now": t0, "r-2500": y(2500), "r-2400": y(2400).Add(time.Hour)} {
		r := sampleRecording(id, "h:abc", t0.AddDate(0, -2, 0))
		r.State, r.DeleteToken = recording.StateDeleting, "tok"
		if err := s.CreateRecording(ctx, r); err != nil {
			return fmt.Errorf("CreateRecording(%s): %w", id, err)
		}
		if err := s.DeleteRecording(ctx, id, at); err != nil {
			return fmt.Errorf("DeleteRecording(%s, %v): %w", id, at, err)
		}
	}
	var errs []error
	for _, tc := range []struct {
		from, to time.Time
		want     string
	}{
		{time.Time{}, time.Time{}, "r-1500 r-now r-2400 r-2500 "},
		{y(2400), time.Time{}, "r-2400 r-2500 "},
		{y(2450), farFuture, "r-2500 "},
		{y(2400), y(2450), "r-2400 "},
		{time.Time{}, y(1600), "r-1500 "},
		{farPast, y(1400), ""},
		{y(1600), y(2400), "r-now "},
	} {
		ts, err := s.ListTombstones(ctx, tc.from, tc.to)
		if err != nil {
			return fmt.Errorf("ListTombstones(%v, %v): %w", tc.from, tc.to, err)
		}
		got := ""
		for _, t := range ts {
			got += t.ID + " "
		}
		if got != tc.want {
			errs = append(errs, fmt.Errorf("ListTombstones(%v, %v) = %q, want %q", tc.from, tc.to, got, tc.want))
		}
	}
	return errors.Join(errs...)
}
