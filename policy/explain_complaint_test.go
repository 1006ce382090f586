package policy

import (
	"strings"
	"testing"
)

// TestExplainComplaintZone: the complaint desk counts the deadlines' working
// days in complaint.zone, else schedule.default_zone, else UTC
// (NewComplaintDesk, ComplaintZone); explain named no zone, so a profile
// whose deadlines fell back to UTC read like cn's, counted in Asia/Shanghai.
func TestExplainComplaintZone(t *testing.T) {
	for _, tt := range []struct{ src, want string }{
		{"extends: cn\n", "Asia/Shanghai"},
		{"complaint: {forward_days: 3, cite: {source: U, ref: x}}\n", "UTC"},
		{"complaint: {forward_days: 3, cite: {source: U, ref: x}}\nschedule: {windows: [{days: [mon-sun], ranges: [\"09:00-18:00\"], cite: {source: U, ref: x}}], default_zone: {name: Europe/Paris, cite: {source: U, ref: x}}}\n", "Europe/Paris"},
	} {
		p, err := Parse("x.yaml", []byte("schema: dialgate.profile.v1\nname: x\n"+tt.src))
		if err != nil {
			t.Fatal(err)
		}
		z := ComplaintZone(p)
		if z == "" {
			z = "UTC"
		}
		if z != tt.want {
			t.Fatalf("ComplaintZone = %q, want %q", z, tt.want)
		}
		found := false
		for _, r := range Explain(p) {
			if r.Path == "complaint" {
				found = true
				if !strings.Contains(r.Text, "counted in "+tt.want+")") {
					t.Errorf("explain: %q, want the zone the deadlines are counted in (%s)", r.Text, tt.want)
				}
			}
		}
		if !found {
			t.Errorf("no complaint rule")
		}
	}
}
