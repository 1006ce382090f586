package consent

import (
	"errors"
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
