package sidecar

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/dialgate/dialgate"
)

// TestFleetRaceVerifyFailedReleaseThatTookEffect checks frVerify's model of
// a Release racing an outcome under faults: a Release that returned an error
// other than ErrPlaced after the release guard had marked it released (its
// Committers then gave the capacity back, and a later step failed: a
// Committer's DELETE committed before the connection was cut, or the audit
// write), with the outcome acknowledged as one after a release (recounted).
// Between the give-back and the recount another dial of the callee may take
// the slot, so that four allows of a cap of three are legal. The same history
// whose outcome was not after a release (the guard never saw the release:
// nothing was given back) is a violation.
func TestFleetRaceVerifyFailedReleaseThatTookEffect(t *testing.T) {
	n := dialgate.MustParseNumber("+14055560010")
	t0 := time.Date(2026, 12, 6, 4, 0, 0, 0, time.UTC)
	history := func(after int) *frHistory {
		h := &frHistory{outcomes: map[string]error{}, after: map[string]int{}}
		for i, id := range []string{"d-raced", "d-1", "d-2", "d-3"} {
			at := t0.Add(time.Duration(i) * time.Second)
			h.checks = append(h.checks, frCheck{gate: i % 2, dial: dialgate.Dial{To: n, Purpose: dialgate.PurposeService, Tenant: "acme"},
				start: at, end: at.Add(time.Millisecond), dec: dialgate.Decision{ID: id, Allowed: true}})
		}
		cut := errors.New("release frequency: pgstore: release: unexpected EOF: store unavailable")
		// The racing Release (given back, then failed), and its retry
		// (failed too, in the same outage).
		h.releases = append(h.releases,
			frRelease{id: "d-raced", gate: 0, start: t0.Add(1500 * time.Millisecond), end: t0.Add(1600 * time.Millisecond), err: cut},
			frRelease{id: "d-raced", gate: 1, start: t0.Add(1700 * time.Millisecond), end: t0.Add(1800 * time.Millisecond), err: cut})
		h.outcomes["d-raced"] = nil
		h.races = append(h.races, frRace{id: "d-raced", release: cut, retry: cut, relGate: 0, outGate: 1, retryGate: 1})
		if after > 0 {
			h.after["d-raced"] = after
		}
		return h
	}
	if bad := frVerify(history(1)); len(bad) > 0 {
		t.Errorf("a failed Release that took effect (outcome after the release): frVerify reports %q, want nothing", bad)
	}
	bad := frVerify(history(0))
	if len(bad) != 1 || !strings.Contains(bad[0], "4 dials allowed and not released, cap 3") {
		t.Errorf("a failed Release that took no effect (outcome first): frVerify reports %q, want the callee over its cap", bad)
	}
}
