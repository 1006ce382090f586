package auditlog

import (
	"strings"
	"testing"
)

// toScript writes the ASCII digits of s with the digits of the script whose
// zero is zero.
func toScript(s string, zero rune) string {
	return strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' {
			return zero + r - '0'
		}
		return r
	}, s)
}

// The callee's number is redacted from every string of a record in
// whatever digits it is written: a dialer or a CRM in an Arabic, Persian or
// Hindi locale writes it with its own (Unicode decimal digits, as
// unicode.IsDigit knows them), as a Chinese input method writes full-width
// ones.
func TestScrubCalleeInOtherDigitScripts(t *testing.T) {
	r, err := NewRedactor(testKey, "k-test", "")
	if err != nil {
		t.Fatal(err)
	}
	for _, zero := range []rune{'٠', '۰', '०', '০', '０', '𝟎'} {
		d := sampleDecision(1)
		national := strings.TrimPrefix(d.Dial.To.String(), "+86")
		d.Dial.LeadID = "lead " + toScript(national, zero)
		d.Dial.Campaign = "call back " + toScript(national[:3]+" "+national[3:7]+"-"+national[7:], zero)
		rec, err := r.Decision(d)
		if err != nil {
			t.Fatal(err)
		}
		if rec.LeadID != redactedMark || rec.Campaign != redactedMark {
			t.Errorf("digits from %U: lead_id %q, campaign %q: want both redacted", zero, rec.LeadID, rec.Campaign)
		}
	}
	// Other numbers in those digits are kept.
	d := sampleDecision(1)
	d.Dial.LeadID = "lead " + toScript("4005550100", '٠')
	rec, err := r.Decision(d)
	if err != nil {
		t.Fatal(err)
	}
	if rec.LeadID != d.Dial.LeadID {
		t.Errorf("lead_id %q recorded as %q", d.Dial.LeadID, rec.LeadID)
	}
}
