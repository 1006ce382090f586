package schedule

import (
	"slices"
	"testing"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/storage/memstore"
)

func TestNormSubject(t *testing.T) {
	for in, want := range map[string]string{
		"solar": "solar", "Solar": "solar", " solar ": "solar", "SOLAR": "solar",
		"solar  panels": "solar panels", "\u00a0Solar\u3000Panels ": "solar panels",
		"ｓｏｌａｒ": "solar", "so\u200blar": "solar", "STRASSE": "strasse", "Straße": "strasse",
		"D-1": "d-1", "债务 1": "债务 1", " ": "", "\u200b": "", "": "",
	} {
		if got := normSubject(in); got != want {
			t.Errorf("normSubject(%q) = %q, want %q", in, got, want)
		}
		if got := blankSubject(in); got != (want == "") {
			t.Errorf("blankSubject(%q) = %v", in, got)
		}
	}
}

// Counting a subject under its normalised spelling costs nothing for a
// subject already so, and nothing for a dial no per-subject rule counts,
// however its subject is spelt.
func TestSubjectNormalisationAllocations(t *testing.T) {
	if a := testing.AllocsPerRun(100, func() { _ = normSubject("debt-1 of acme"); _ = blankSubject("d-1") }); a != 0 {
		t.Errorf("normSubject of a normal subject: %v allocations", a)
	}
	c, err := NewCapCheck(CapsCN(), memstore.New())
	if err != nil {
		t.Fatal(err)
	}
	d := dialgate.Dial{To: dialgate.MustParseNumber("+8613800138000"), Tenant: "acme", Purpose: dialgate.PurposeService}
	want, _, _ := c.limits(d)
	d.Subject = " Solar  Panels "
	if a := testing.AllocsPerRun(100, func() { _ = c.needSubject(d) }); a != 0 {
		t.Errorf("needSubject of a dial no per-subject rule counts: %v allocations", a)
	}
	// (limits allocates through a sync.Pool, which the race detector
	// empties at random: compare what it builds, not its allocations.)
	if got, _, beside := c.limits(d); !slices.Equal(got, want) || beside != nil {
		t.Errorf("limits of a dial with a subject no rule counts: %v, %v; want %v", got, beside, want)
	}
}
