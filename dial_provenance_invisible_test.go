package dialgate

import "testing"

// TestHasProvenanceInvisibleIDs: a consent or lead id made of invisible
// characters only (a zero-width space, a byte-order mark, a word joiner, a
// soft hyphen, a variation selector), alone or with white space, names no
// record either: it is as blank as " " and must not pass the blind-dial
// guard (CN-S4b) as provenance.
func TestHasProvenanceInvisibleIDs(t *testing.T) {
	for _, id := range []string{"\u200b", "\ufeff", "\u2060", "\u00ad", " \u200b\u3000", "\u200c\u200d", "\ufe0f", "\u180e", "\U000e0001"} {
		for _, d := range []Dial{{LeadID: id}, {ConsentID: id}} {
			if d.HasProvenance() {
				t.Errorf("HasProvenance(%+q) = true, want false", d.LeadID+d.ConsentID)
			}
		}
	}
	for _, id := range []string{"crm-1", "\u200bcrm-1", "客户1", "٠"} {
		if !(Dial{LeadID: id}).HasProvenance() {
			t.Errorf("lead id %+q is provenance", id)
		}
	}
}
