package consent

import (
	"context"
	"errors"
	"github.com/dialgate/dialgate/storage"
	"strings"
	"testing"
	"time"
)

// TestRevokedRecord: the revocation every store records. A withdrawal dated
// before the grant (clock skew, a wrong zone offset) is never refused: the
// record is revoked as of its grant and the event keeps the instant asked for.
func TestRevokedRecord(t *testing.T) {
	tests := []struct {
		name          string
		at            time.Time
		wantRevokedAt time.Time
		wantRequested time.Time // zero: the instant was taken as given
	}{
		{"after the grant", t0.Add(time.Hour), t0.Add(time.Hour), time.Time{}},
		{"at the grant", t0, t0, time.Time{}},
		{"a second before the grant", t0.Add(-time.Second), t0, t0.Add(-time.Second)},
		{"a day before the grant", t0.Add(-24 * time.Hour), t0, t0.Add(-24 * time.Hour)},
		{"before the grant, other zone", t0.UTC().Add(-8 * time.Hour), t0, t0.UTC().Add(-8 * time.Hour)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := goodRecord()
			got, ev, err := RevokedRecord(r, tc.at, "sms")
			if err != nil {
				t.Fatalf("RevokedRecord: %v", err)
			}
			if !got.Revoked() || !got.RevokedAt.Equal(tc.wantRevokedAt) || got.RevocationChannel != "sms" {
				t.Errorf("record = revoked_at %s channel %q, want %s sms", got.RevokedAt, got.RevocationChannel, tc.wantRevokedAt)
			}
			if err := got.Validate(); err != nil {
				t.Errorf("revoked record does not validate: %v", err)
			}
			for _, at := range []time.Time{tc.at, t0.Add(-time.Hour), t0, t0.Add(time.Hour), t0.AddDate(0, 6, 0)} {
				if got.ValidAt(at) {
					t.Errorf("revoked record is valid at %s", at)
				}
			}
			want := Event{Type: EventRevoked, ConsentID: r.ID, Number: r.Number, At: tc.wantRevokedAt, Channel: "sms", RequestedAt: tc.wantRequested}
			if ev.Type != want.Type || ev.ConsentID != want.ConsentID || ev.Number != want.Number || !ev.At.Equal(want.At) ||
				ev.Channel != want.Channel || !ev.RequestedAt.Equal(want.RequestedAt) || ev.Seq != 0 {
				t.Errorf("event = %+v, want %+v", ev, want)
			}
			if r.Revoked() {
				t.Error("RevokedRecord changed its argument")
			}
		})
	}
}

func TestRevokedRecordKeepsFirstWithdrawal(t *testing.T) {
	r := goodRecord()
	r.RevokedAt, r.RevocationChannel = t0.Add(time.Hour), "call"
	got, ev, err := RevokedRecord(r, t0.Add(-time.Hour), "web")
	if err != nil || got != r || ev != (Event{}) {
		t.Errorf("RevokedRecord(revoked) = %+v, %+v, %v; want the record unchanged, no event, nil", got, ev, err)
	}
}

func TestRevokedRecordErrors(t *testing.T) {
	r := goodRecord()
	if _, _, err := RevokedRecord(r, time.Time{}, "sms"); !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "revoked_at") {
		t.Errorf("zero instant: %v, want a revoked_at error wrapping ErrInvalid", err)
	}
	if _, _, err := RevokedRecord(r, t0.Add(time.Hour), "sms\n"); !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "revocation_channel") {
		t.Errorf("bad channel: %v, want a revocation_channel error wrapping ErrInvalid", err)
	}
}

// TestRevokedRecordOfMalformedRecord: a withdrawal is never refused for what
// is wrong with the record as stored — written by a newer build (a capture
// method this build does not know), or damaged. Refusing it kept in force a
// consent the person had withdrawn; the check does not validate the records
// it reads, so such a record went on allowing dials.
func TestRevokedRecordOfMalformedRecord(t *testing.T) {
	for name, spoil := range map[string]func(*Record){
		"unknown method":       func(r *Record) { r.Method = "sms_reply" },
		"missing hash":         func(r *Record) { r.DisclosureSHA256 = "" },
		"scope with space":     func(r *Record) { r.Scope = "industry:finance " },
		"expires before grant": func(r *Record) { r.ExpiresAt = r.GrantedAt.Add(-time.Hour) },
	} {
		t.Run(name, func(t *testing.T) {
			r := goodRecord()
			spoil(&r)
			if r.Validate() == nil {
				t.Fatal("the spoiled record validates")
			}
			got, ev, err := RevokedRecord(r, t0.Add(time.Hour), "sms")
			if err != nil {
				t.Fatalf("RevokedRecord: %v; a withdrawal must not be refused for the stored record", err)
			}
			if !got.Revoked() || !got.RevokedAt.Equal(t0.Add(time.Hour)) || got.RevocationChannel != "sms" || ev.Type != EventRevoked || ev.ConsentID != r.ID {
				t.Errorf("got %+v, %+v", got, ev)
			}
		})
	}
}

// storeWithMalformed returns a store holding one granted record this build
// finds malformed (a capture method written by a newer build), put there
// without validation, as a newer build would.
func storeWithMalformed() (*fakeStore, Record) {
	s := newFakeStore()
	r := goodRecord()
	r.Method = "sms_reply"
	s.mu.Lock()
	s.recs[r.ID] = r
	s.appendLocked(Event{Type: EventGranted, ConsentID: r.ID, Number: r.Number, At: r.GrantedAt})
	s.mu.Unlock()
	return s, r
}

// A record this build finds malformed (here: written by a newer build with a
// capture method it does not know) that allows dials can be withdrawn, and
// then denies.
func TestRevokeMalformedStoredRecord(t *testing.T) {
	ctx := context.Background()
	s, r := storeWithMalformed()
	c := mustCheck(t, cnConfig(), s)
	d := marketing(t0.Add(time.Hour))
	if _, err := s.RevokeConsent(ctx, r.ID, t0.Add(30*time.Minute), "call"); err != nil {
		t.Fatalf("RevokeConsent: %v", err)
	}
	if rs, _, err := c.Attest(ctx, d); err != nil || codes(rs) != "consent.revoked" {
		t.Fatalf("after the revocation: %+v %v, want consent.revoked", rs, err)
	}
}

// A stored record this build finds malformed never allows a dial: the check
// cannot decide on it (consent.unavailable through the Gate), with or
// without the cache, until the record is withdrawn.
func TestMalformedStoredRecordDoesNotAllow(t *testing.T) {
	for _, size := range []int{DefaultCacheSize, 0} {
		ctx := context.Background()
		s, r := storeWithMalformed()
		c := mustCheck(t, cnConfig(), s, WithCacheSize(size))
		d := marketing(t0.Add(time.Hour))
		for _, id := range []string{"", r.ID} {
			d.ConsentID = id
			rs, _, err := c.Attest(ctx, d)
			if err == nil || !errors.Is(err, storage.ErrCorrupt) || !strings.Contains(err.Error(), "method") {
				t.Fatalf("cache %d, consent_id %q: %+v %v, want an error wrapping storage.ErrCorrupt naming the method", size, id, rs, err)
			}
		}
		if _, err := s.RevokeConsent(ctx, r.ID, t0.Add(30*time.Minute), "call"); err != nil {
			t.Fatal(err)
		}
		if rs, _, err := c.Attest(ctx, d); err != nil || codes(rs) != "consent.revoked" {
			t.Fatalf("cache %d, after the revocation: %+v %v, want consent.revoked", size, rs, err)
		}
	}
}

// TestRevokedRecordRejectsUnkeptValues: a withdrawal at an instant no store
// can keep (outside years 0000–9999, an offset with seconds), or with a
// channel that is not valid UTF-8, is refused alike by every store, naming
// the field: the JSON stores failed the first with a back-end error
// (boltstore: "storage: unavailable", which a caller retries forever) and
// stored the channel as U+FFFD, while the memstore kept both.
func TestRevokedRecordRejectsUnkeptValues(t *testing.T) {
	r := goodRecord()
	for _, tc := range []struct {
		at      time.Time
		channel string
		field   string
	}{
		{time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC), "sms", "revoked_at"},
		{time.Date(-1, 1, 1, 0, 0, 0, 0, time.UTC), "sms", "revoked_at"},
		{t0.Add(time.Hour).In(time.FixedZone("LMT", 8*3600+5*60+43)), "sms", "revoked_at"},
		{t0.Add(time.Hour), "sms\xff", "revocation_channel"},
	} {
		var fe *FieldError
		if _, _, err := RevokedRecord(r, tc.at, tc.channel); !errors.Is(err, ErrInvalid) || !errors.As(err, &fe) || fe.Field != tc.field {
			t.Errorf("RevokedRecord(%v, %q) = %v, want an error naming %s", tc.at, tc.channel, err, tc.field)
		}
	}
	// Before the grant but keepable: revoked as of the grant, as before.
	if got, ev, err := RevokedRecord(r, time.Date(1, 1, 2, 0, 0, 0, 0, time.UTC), "短信"); err != nil || !got.RevokedAt.Equal(r.GrantedAt) || ev.RequestedAt.Year() != 1 {
		t.Errorf("RevokedRecord(year 1) = %+v, %+v, %v; want revoked as of the grant", got, ev, err)
	}
}
