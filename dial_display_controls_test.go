package dialgate

import (
	"errors"
	"strings"
	"testing"
)

// TestValidateRefusesDisplayControls: a text field of a dial holding a C1
// control (U+0085 NEL, U+009B CSI), a bidirectional embedding, override,
// isolate or mark (U+202E RLO, U+2066 LRI, U+200F RLM) or a line or
// paragraph separator is refused naming the field, as an ASCII control is:
// the decision record would show the tenant, campaign or lead id other than
// it is ("Trojan Source"), or split its line in two in audit and report
// output. Letters of any script and zero-width joiners stay valid.
func TestValidateRefusesDisplayControls(t *testing.T) {
	base := Dial{To: MustParseNumber("+8613900139000"), From: MustParseNumber("+861058001234"), Purpose: PurposeService}
	if err := base.Validate(); err != nil {
		t.Fatal(err)
	}
	fields := map[string]func(d *Dial, v string){
		"tenant":        func(d *Dial, v string) { d.Tenant = v },
		"industry":      func(d *Dial, v string) { d.Industry = v },
		"business_line": func(d *Dial, v string) { d.BusinessLine = v },
		"campaign":      func(d *Dial, v string) { d.Campaign = v },
		"subject":       func(d *Dial, v string) { d.Subject = v },
		"consent_id":    func(d *Dial, v string) { d.ConsentID = v },
		"lead_id":       func(d *Dial, v string) { d.LeadID = v },
	}
	for field, set := range fields {
		for _, v := range []string{"ab\u0085", "ab\u009b2J", "ab\u202ecd", "ab\u2066cd\u2069", "ab\u200f", "ab\u2028cd", "ab\u2029"} {
			d := base
			set(&d, v)
			err := d.Validate()
			var fe *FieldError
			if !errors.As(err, &fe) || fe.Field != field || !strings.Contains(fe.Problem, "at byte 2") || !errors.Is(err, ErrInvalidDial) {
				t.Errorf("%s = %+q: Validate() = %v, want an error naming %s at byte 2", field, v, err, field)
			}
		}
		for _, v := range []string{"客户-1", "عميل", "crm\u200d1", "Ünïcødé"} {
			d := base
			set(&d, v)
			if err := d.Validate(); err != nil {
				t.Errorf("%s = %+q: Validate() = %v, want nil", field, v, err)
			}
		}
	}
}
