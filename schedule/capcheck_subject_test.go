package schedule_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strconv"
	"testing"
	"time"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/schedule"
	"github.com/dialgate/dialgate/storage"
)

// Suffixes of the built-in per-subject rules' counter keys.
const (
	flCapSuffix    = "|cap|callee_subject|marketing|24h"
	debtCapSuffix  = "|cap|subject|collections|7d"
	debtPauseSufix = "|pause|subject|collections|7d"
)

var flCallee = dialgate.MustParseNumber("+13055550101")

// speltSubjectKey is the counter key a release that counted a subject as
// spelt used for subject (per_subject when n is invalid, else
// per_callee_subject for n as given).
func speltSubjectKey(n dialgate.Number, tenant, subject, suffix string) string {
	m := hmac.New(sha256.New, testHK)
	if n.IsValid() {
		m.Write([]byte("callee_subject\x00" + tenant + "\x00" + strconv.FormatUint(n.Uint64(), 10) + "\x00" + subject))
	} else {
		m.Write([]byte("subject\x00" + tenant + "\x00" + subject))
	}
	return "frequency|" + hex.EncodeToString(m.Sum(nil)[:16]) + suffix
}

func solicit(n dialgate.Number, subject string) dialgate.Dial {
	return dialgate.Dial{To: n, From: dialgate.MustParseNumber("+13055550199"), Purpose: dialgate.PurposeMarketing, Tenant: "acme", Subject: subject}
}

func debtCall(n dialgate.Number, subject string) dialgate.Dial {
	return dialgate.Dial{To: n, From: from1, Purpose: dialgate.PurposeCollections, Tenant: "acme", Subject: subject}
}

func seed(t *testing.T, store storage.Counters, id string, at time.Time, l storage.Limit) {
	t.Helper()
	if ok, _, err := store.Reserve(context.Background(), id, at, []storage.Limit{l}); err != nil || !ok {
		t.Fatalf("seeding %s: %v %v", id, ok, err)
	}
}

// us-fl's "3 calls per 24 h on the same subject" counts a subject whatever
// its case, surrounding and inner white space, compatibility form or
// invisible characters: a dialer varying the spelling used to get a call
// per spelling.
func TestSubjectSpellingsShareOneCap(t *testing.T) {
	for name, open := range spellingStores(t) {
		t.Run(name, func(t *testing.T) {
			r := newRig(t, schedule.CapsUSFL(), open(t))
			for i, s := range []string{"solar", "Solar", " solar "} {
				r.want(start.Add(time.Duration(i)*time.Hour), solicit(flCallee, s), true)
			}
			for _, s := range []string{"SOLAR", "solar", "\u00a0Solar", "ｓｏｌａｒ", "so\u200blar"} {
				dec := r.want(start.Add(3*time.Hour), solicit(flCallee, s), false)
				if got := evidence(dec.Reasons[0], "frequency.count"); got != "3" {
					t.Errorf("%q: frequency.count = %q, want 3", s, got)
				}
			}
			// Inner white space is collapsed; another subject has its own count.
			for i, s := range []string{"solar panels", "Solar  Panels", " SOLAR PANELS"} {
				r.want(start.Add(time.Duration(4+i)*time.Hour), solicit(flCallee, s), true)
			}
			r.want(start.Add(7*time.Hour), solicit(flCallee, "solar\u3000panels"), false)
			r.want(start.Add(7*time.Hour), solicit(flCallee, "roofing"), true)
		})
	}
}

// us-collections' "7 calls in 7 days per debt" (per_subject) counts "D-1"
// and "d-1" as one debt, whichever number is called.
func TestSubjectSpellingsShareOneCapPerSubject(t *testing.T) {
	r := newRig(t, schedule.CapsUSCollections(), spellingStores(t)["memstore"](t))
	spellings := []string{"D-1", "d-1", " D-1", "d-1 ", "D-1", "d-1", "D-1"}
	for i, s := range spellings {
		r.want(start.Add(time.Duration(i)*time.Hour), debtCall([]dialgate.Number{callee, other}[i%2], s), true)
	}
	r.want(start.Add(8*time.Hour), debtCall(callee, "d-1"), false)
	r.want(start.Add(8*time.Hour), debtCall(other, " D-1 "), false)
	r.want(start.Add(8*time.Hour), debtCall(callee, "D-2"), true)
}

// A conversation about a debt reported under one spelling pauses calls
// about it under any other, and is also recorded under the spelling it was
// reported with, for hosts of a release that counted subjects as spelt.
func TestSubjectSpellingsSharePause(t *testing.T) {
	for name, open := range spellingStores(t) {
		t.Run(name, func(t *testing.T) {
			store := open(t)
			r := newRig(t, schedule.CapsUSCollections(), store)
			placed := r.want(start, debtCall(other, "Debt-3"), true)
			r.clock.set(start.Add(5 * time.Minute))
			if err := r.gate.ReportOutcome(context.Background(), dialgate.Outcome{DecisionID: placed.ID, Dial: placed.Dial, Answered: true, Conversation: true}); err != nil {
				t.Fatal(err)
			}
			end := start.Add(5*time.Minute + 7*day)
			for _, s := range []string{"debt-3", " DEBT-3 ", "Debt-3"} {
				dec := r.want(start.Add(time.Hour), debtCall(callee, s), false)
				if !dec.Reasons[0].NextAllowedAt.Equal(end) {
					t.Errorf("%q: next allowed at %s, want %s", s, dec.Reasons[0].NextAllowedAt, end)
				}
			}
			r.want(end, debtCall(callee, "debt-3"), true)
			us, err := store.Usage(context.Background(), start.Add(time.Hour), []storage.Limit{{Key: speltSubjectKey(dialgate.Number{}, "acme", "Debt-3", debtPauseSufix), Window: 7 * day, Max: 1}})
			if err != nil || len(us) != 1 || us[0].Count != 1 {
				t.Errorf("the conversation under the subject as spelt: %+v %v, want a count of 1", us, err)
			}
		})
	}
}

// Calls and conversations counted before the upgrade under a subject as
// spelt keep counting for dials spelling the subject that way; with a
// French overseas line, the count under the line's other spelling too, and
// the cap's room is what the sum of both leaves.
func TestSubjectSpellingsKeepCountsAsSpelt(t *testing.T) {
	for name, open := range spellingStores(t) {
		t.Run(name, func(t *testing.T) {
			t.Run("per callee and subject", func(t *testing.T) {
				store := open(t)
				for i := range 2 {
					seed(t, store, "frequency:old-"+strconv.Itoa(i), start.Add(time.Duration(i)*time.Minute),
						storage.Limit{Key: speltSubjectKey(flCallee, "acme", "Solar", flCapSuffix), Window: day, Max: 3})
				}
				r := newRig(t, schedule.CapsUSFL(), store)
				r.want(start.Add(time.Hour), solicit(flCallee, "Solar"), true)
				dec := r.want(start.Add(2*time.Hour), solicit(flCallee, "Solar"), false)
				if got := evidence(dec.Reasons[0], "frequency.count"); got != "3" {
					t.Errorf("frequency.count = %q, want 3", got)
				}
			})
			t.Run("per subject pause", func(t *testing.T) {
				store := open(t)
				seed(t, store, "old-outcome", start, storage.Limit{Key: speltSubjectKey(dialgate.Number{}, "acme", "D-9", debtPauseSufix), Window: 7 * day, Max: 1 << 30})
				r := newRig(t, schedule.CapsUSCollections(), store)
				dec := r.want(start.Add(time.Hour), debtCall(callee, "D-9"), false)
				if want := start.Add(7 * day); !dec.Reasons[0].NextAllowedAt.Equal(want) {
					t.Errorf("next allowed at %s, want %s", dec.Reasons[0].NextAllowedAt, want)
				}
			})
			t.Run("overseas line and subject as spelt", func(t *testing.T) {
				store := open(t)
				// Two calls under the +33 spelling and one under the
				// territory's, both with the subject as spelt: 3 of 3.
				for i, n := range []dialgate.Number{domFR, domFR, domOwn} {
					seed(t, store, "frequency:old-"+strconv.Itoa(i), start.Add(time.Duration(i)*time.Minute),
						storage.Limit{Key: speltSubjectKey(n, "acme", "Solar", flCapSuffix), Window: day, Max: 3})
				}
				r := newRig(t, schedule.CapsUSFL(), store)
				for _, n := range []dialgate.Number{domFR, domOwn} {
					dec := r.want(start.Add(time.Hour), solicit(n, "Solar"), false)
					if got := evidence(dec.Reasons[0], "frequency.count"); got != "3" {
						t.Errorf("%s: frequency.count = %q, want 3", n, got)
					}
				}
				if err := store.Release(context.Background(), "frequency:old-2"); err != nil {
					t.Fatal(err)
				}
				r.want(start.Add(2*time.Hour), solicit(domOwn, "Solar"), true)
				r.want(start.Add(2*time.Hour), solicit(domFR, "Solar"), false)
				r.want(start.Add(2*time.Hour), solicit(domOwn, "Solar"), false)
				// The known limit (CHANGELOG): the calls kept before the
				// upgrade under "Solar" are read for dials spelling it
				// "Solar" only; a dial spelling it "solar" sees the one
				// call counted since.
				dec := r.want(start.Add(2*time.Hour), solicit(domFR, "solar"), true)
				if got := dec.Evidence[0].Value; got != "1 of 3 calls per 24h per callee_subject (marketing)" {
					t.Errorf("evidence %q", got)
				}
			})
		})
	}
}

// A subject of white space or invisible characters alone names no matter:
// the dial is refused as one without a subject, and so is such an outcome.
func TestBlankSubjectIsNoSubject(t *testing.T) {
	for _, s := range []string{" ", "\u00a0", "\u200b", " \u3000 "} {
		r := newRig(t, schedule.CapsUSFL(), spellingStores(t)["memstore"](t))
		dec := r.dial(start, solicit(flCallee, s))
		if dec.Allowed || !dec.Has(dialgate.UnavailableCode("frequency")) {
			t.Errorf("subject %q: %+v, want frequency.unavailable", s, dec.Reasons)
		}
		r = newRig(t, schedule.CapsUSCollections(), spellingStores(t)["memstore"](t))
		err := r.caps.ObserveOutcome(context.Background(), dialgate.Outcome{DecisionID: "dg-1", At: start, Dial: debtCall(callee, s), Conversation: true})
		if !errors.Is(err, dialgate.ErrInvalidOutcome) {
			t.Errorf("outcome with subject %q: %v, want ErrInvalidOutcome", s, err)
		}
	}
}
