package dialgate

import "testing"

// TestHasProvenanceBlankIDs: a consent or lead id of only spaces names no
// record; it must not pass the blind-dial guard (CN-S4b) as provenance.
func TestHasProvenanceBlankIDs(t *testing.T) {
	for _, d := range []Dial{{LeadID: " "}, {ConsentID: "\u00a0"}, {LeadID: "  ", ConsentID: " "}} {
		if d.HasProvenance() {
			t.Errorf("HasProvenance(%+v) = true, want false", d)
		}
	}
	if !(Dial{LeadID: "crm-1"}).HasProvenance() {
		t.Error("a lead id is provenance")
	}
}
