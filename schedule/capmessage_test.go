package schedule_test

import (
	"testing"
	"time"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/schedule"
	"github.com/dialgate/dialgate/storage/memstore"
)

// TestCapMessageCountsInAgreement: a cap of one call said "frequency cap
// reached: 1 calls in the window, cap 1 call per 5m per callee". The count
// agrees in number ("1 call", "2 calls").
func TestCapMessageCountsInAgreement(t *testing.T) {
	r := newRig(t, schedule.CapsCN(), memstore.New())
	d := dialgate.Dial{To: callee, From: from1}
	r.want(start, d, true)
	dec := r.want(start.Add(time.Minute), d, false)
	if got, want := dec.Reasons[0].Message, "frequency cap reached: 1 call in the window, cap 1 call per 5m per callee (counted over 6m: an allow may be dialled up to 1m after its decision)"; got != want {
		t.Errorf("message %q, want %q", got, want)
	}
	r.want(start.Add(6*time.Minute), d, true) // the 5m cap counts over 6m (the allow lifetime)
	dec = r.want(start.Add(time.Hour), d, false)
	if got, want := dec.Reasons[0].Message, "frequency cap reached: 2 calls in the window, cap 2 calls per 24h per callee (counted over 24h1m: an allow may be dialled up to 1m after its decision)"; got != want {
		t.Errorf("message %q, want %q", got, want)
	}
}
