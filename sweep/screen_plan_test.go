package sweep

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/dialgate/dialgate"
)

// TestScreenNumberNoDialCanReach: a list line whose number its plan cannot
// hold — a mobile with an extension digit, a national number cut short
// (read with the list's country code), a UK number with an extension — is
// one Gate.Check refuses as dial.invalid (Dial.Validate). The screen called
// it allowed: a verdict the dial would not get, on a number that is not the
// line the dialer reaches, and outside every segment, so a sweep written
// with extension digits showed no run. It is list.invalid, naming the line
// and the plan, never echoing the digits.
func TestScreenNumberNoDialCanReach(t *testing.T) {
	in := "number\n" +
		"+86 138 0013 8000 1\n" + // line 2: mobile with an extra digit
		"1380013800\n" + // line 3: a mobile one digit short (country 86)
		"+44 7911 123456 7\n" + // line 4: UK mobile with an extra digit
		"+8613800138000\n" // line 5: fine
	items := readAll(t, in, ListOptions{Country: 86})
	rep, err := Screen(context.Background(), items, cnCfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rep.Results {
		switch r.Line {
		case 5:
			if !r.Allowed() {
				t.Errorf("line 5: %+v, want allowed", r)
			}
		default:
			if r.Findings != FindingInvalid || r.Err == nil || !errors.Is(r.Err, dialgate.ErrInvalidNumber) {
				t.Errorf("line %d: %+v, want list.invalid wrapping ErrInvalidNumber", r.Line, r)
				continue
			}
			if msg := r.Err.Error(); !strings.Contains(msg, "line") || strings.Contains(msg, "0013800") || strings.Contains(msg, "7911123456") {
				t.Errorf("line %d: error %q does not name the line or echoes the number", r.Line, msg)
			}
		}
	}
	if rep.Invalid != 3 || rep.Allowed != 1 {
		t.Errorf("counts: invalid %d allowed %d, want 3 and 1", rep.Invalid, rep.Allowed)
	}
	// Items built by a caller get the same verdict.
	n := dialgate.MustParseNumber("+86 10 5800 1234 5")
	rep, err = Screen(context.Background(), []Item{{Line: 1, Number: n}}, cnCfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	if r := rep.Results[0]; r.Findings != FindingInvalid || r.Err == nil {
		t.Errorf("caller's item: %+v, want list.invalid", r)
	}
}
