package schedule

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dialgate/dialgate"
)

const declFile = `schema: dialgate.blackouts.v1
blackouts:
  - from: 2026-08-26T10:00:00-05:00
    until: 2026-08-28T15:00:00-05:00
    prefixes: ["+1225", "+1504"]
    reason: Hurricane Test, Proclamation 1 JBE 2026
    cite: {source: L, ref: La. R.S. 45:844.31(A)}
`

func mustDeclarations(t testing.TB, src string) Declarations {
	t.Helper()
	d, err := ParseDeclarations("emergency.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// attest judges a marketing dial to n at s and fails the test on an error.
func attest(t *testing.T, w *WindowCheck, n, s string) ([]dialgate.Reason, []dialgate.Evidence) {
	t.Helper()
	d := dialgate.Dial{To: dialgate.MustParseNumber(n), Purpose: dialgate.PurposeMarketing, At: at(t, s)}
	rs, ev, err := w.Attest(context.Background(), d)
	if err != nil {
		t.Fatal(err)
	}
	return rs, ev
}

func evidenceValue(ev []dialgate.Evidence, key string) (string, bool) {
	for _, e := range ev {
		if e.Key == key {
			return e.Value, true
		}
	}
	return "", false
}

func TestDeclareInForceAtOnce(t *testing.T) {
	w := mustCheck(t, usConfig())
	const inside = "2026-08-27T12:00:00-05:00"
	if rs, ev := attest(t, w, brNumber, inside); len(rs) != 0 {
		t.Fatalf("before any declaration: %+v", rs)
	} else if _, ok := evidenceValue(ev, EvidenceDeclarations); ok {
		t.Fatalf("evidence %+v names declarations before any was made", ev)
	}
	d := mustDeclarations(t, declFile)
	if err := w.Declare(d); err != nil {
		t.Fatal(err)
	}
	rs, _ := attest(t, w, brNumber, inside)
	if len(rs) != 1 || rs[0].Code != dialgate.CodeOutsideWindow {
		t.Fatalf("declared emergency: reasons %+v, want schedule.outside_window", rs)
	}
	for _, want := range []string{"Hurricane Test", "(blackouts[0], until 2026-08-28T15:00:00-05:00)", "next allowed at 2026-08-28T15:00:00-05:00"} {
		if !strings.Contains(rs[0].Message, want) {
			t.Errorf("message %q lacks %q", rs[0].Message, want)
		}
	}
	if v, ok := evidenceValue(rs[0].Evidence, EvidenceBlackout); !ok || v != "Hurricane Test, Proclamation 1 JBE 2026" {
		t.Errorf("deny evidence %+v", rs[0].Evidence)
	}
	if v, _ := evidenceValue(rs[0].Evidence, EvidenceDeclarations); v != d.Version() {
		t.Errorf("deny evidence %+v lacks %s=%s", rs[0].Evidence, EvidenceDeclarations, d.Version())
	}
	// A deny by the windows alone names the declarations too.
	if rs, _ := attest(t, w, nyNumber, "2026-08-27T23:00:00-04:00"); len(rs) != 1 {
		t.Fatalf("New York at 23:00: %+v", rs)
	} else if v, _ := evidenceValue(rs[0].Evidence, EvidenceDeclarations); v != d.Version() {
		t.Errorf("window deny evidence %+v lacks %s", rs[0].Evidence, EvidenceDeclarations)
	}
	// An allowed dial (outside the prefixes) names the declarations too.
	rs, ev := attest(t, w, nyNumber, "2026-08-27T12:00:00-04:00")
	if len(rs) != 0 {
		t.Fatalf("New York callee: %+v", rs)
	}
	if v, _ := evidenceValue(ev, EvidenceDeclarations); v != d.Version() {
		t.Fatalf("evidence %+v, want %s=%s", ev, EvidenceDeclarations, d.Version())
	}
	// Lifted: an empty list allows again, and still says which version.
	lifted := mustDeclarations(t, "schema: dialgate.blackouts.v1\nblackouts: []\n")
	if err := w.Declare(lifted); err != nil {
		t.Fatal(err)
	}
	rs, ev = attest(t, w, brNumber, inside)
	if len(rs) != 0 {
		t.Fatalf("lifted: %+v", rs)
	}
	if v, _ := evidenceValue(ev, EvidenceDeclarations); v != lifted.Version() || v == d.Version() {
		t.Fatalf("lifted evidence %+v", ev)
	}
}

func TestDeclareKeepsConfigBlackouts(t *testing.T) {
	w := mustCheck(t, usConfig(emergency(t, "2026-09-01T00:00:00-05:00", "2026-09-02T00:00:00-05:00")))
	if err := w.Declare(mustDeclarations(t, declFile)); err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"2026-08-27T12:00:00-05:00", "2026-09-01T12:00:00-05:00"} {
		if rs, _ := attest(t, w, nolNumber, s); len(rs) != 1 || rs[0].Code != dialgate.CodeOutsideWindow {
			t.Errorf("%s: %+v, want the %s blackout", s, rs, map[bool]string{true: "declared", false: "profile's"}[strings.HasPrefix(s, "2026-08")])
		}
	}
	rs, _ := attest(t, w, nolNumber, "2026-09-01T12:00:00-05:00")
	if !strings.Contains(rs[0].Message, "schedule.blackouts[0]") {
		t.Errorf("profile blackout message %q", rs[0].Message)
	}
}

func TestDeclareRegionalPlans(t *testing.T) {
	// A profile with regional holidays has one plan per region: the declared
	// periods must reach them too.
	cfg := usConfig()
	cfg.Holidays = &Holidays{Calendars: []string{"us-federal-2026"}, Forbid: true, Cite: citeU,
		Regional: []RegionalHolidays{{Prefixes: []string{"+1225"}, Calendars: []string{"us-la-2026"}}}}
	w := mustCheck(t, cfg)
	if err := w.Declare(mustDeclarations(t, declFile)); err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{brNumber, nolNumber} {
		if rs, _ := attest(t, w, n, "2026-08-27T12:00:00-05:00"); len(rs) != 1 || rs[0].Code != dialgate.CodeOutsideWindow {
			t.Errorf("%s: %+v, want the declared blackout", n, rs)
		}
	}
}

func TestDeclareInvalidChangesNothing(t *testing.T) {
	w := mustCheck(t, usConfig())
	if err := w.Declare(mustDeclarations(t, declFile)); err != nil {
		t.Fatal(err)
	}
	bad := mustDeclarations(t, declFile)
	bad.Blackouts[0].Until = time.Time{}
	err := w.Declare(bad)
	if !errors.Is(err, ErrInvalidConfig) || !strings.Contains(err.Error(), "blackouts[0].until: missing") {
		t.Fatalf("err = %v", err)
	}
	if rs, _ := attest(t, w, brNumber, "2026-08-27T12:00:00-05:00"); len(rs) != 1 {
		t.Fatalf("the declaration in force was lost: %+v", rs)
	}
}

func TestDeclarationsFailedDenies(t *testing.T) {
	cfg := usConfig()
	cfg.Purposes = []dialgate.Purpose{dialgate.PurposeMarketing}
	w := mustCheck(t, cfg)
	w.DeclarationsFailed(errors.New("emergency.yaml: no such file"))
	d := dialgate.Dial{To: dialgate.MustParseNumber(nyNumber), Purpose: dialgate.PurposeMarketing, At: at(t, "2026-08-27T12:00:00-04:00")}
	_, _, err := w.Attest(context.Background(), d)
	if !errors.Is(err, ErrDeclarationsUnavailable) || !strings.Contains(err.Error(), "emergency.yaml: no such file") {
		t.Fatalf("err = %v, want ErrDeclarationsUnavailable naming the cause", err)
	}
	// A purpose the schedule does not judge is unaffected.
	d.Purpose = dialgate.PurposeService
	if rs, _, err := w.Attest(context.Background(), d); err != nil || rs != nil {
		t.Fatalf("service dial: %+v, %v", rs, err)
	}
	// Through a Gate: denied with schedule.unavailable.
	g, err := dialgate.New([]dialgate.Checker{w}, dialgate.WithoutAuditLog())
	if err != nil {
		t.Fatal(err)
	}
	d.Purpose = dialgate.PurposeMarketing
	d.LeadID = "lead-1"
	dec, err := g.Check(context.Background(), d)
	if err != nil {
		t.Fatal(err)
	}
	if dec.Allowed || !dec.Has(dialgate.Code("schedule.unavailable")) {
		t.Fatalf("decision %+v, want a schedule.unavailable deny", dec)
	}
	w.DeclarationsFailed(nil) // no cause given: still failed
	if _, _, err := w.Attest(context.Background(), d); !errors.Is(err, ErrDeclarationsUnavailable) {
		t.Fatalf("nil cause: err = %v", err)
	}
	// A good copy clears the failure.
	if err := w.Declare(mustDeclarations(t, "schema: dialgate.blackouts.v1\nblackouts: []\n")); err != nil {
		t.Fatal(err)
	}
	if rs, _, err := w.Attest(context.Background(), d); err != nil || len(rs) != 0 {
		t.Fatalf("after a good copy: %+v, %v", rs, err)
	}
}

func TestDeclareConcurrent(t *testing.T) {
	w := mustCheck(t, usConfig())
	on, off := mustDeclarations(t, declFile), mustDeclarations(t, "schema: dialgate.blackouts.v1\nblackouts: []\n")
	if err := w.Declare(off); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			d := dialgate.Dial{To: dialgate.MustParseNumber(brNumber), Purpose: dialgate.PurposeMarketing, At: at(t, "2026-08-27T12:00:00-05:00")}
			for {
				select {
				case <-stop:
					return
				default:
				}
				rs, ev, err := w.Attest(context.Background(), d)
				if err != nil {
					t.Error(err)
					return
				}
				// A decision reads one state: its evidence and its verdict agree.
				v, _ := evidenceValue(ev, EvidenceDeclarations)
				if len(rs) == 0 && v != off.Version() {
					t.Errorf("allowed under %q", v)
					return
				}
			}
		}()
	}
	for i := range 200 {
		if err := w.Declare([]Declarations{on, off}[i%2]); err != nil {
			t.Fatal(err)
		}
	}
	close(stop)
	wg.Wait()
}

func TestParseDeclarationsErrors(t *testing.T) {
	for _, tt := range []struct{ name, src, want string }{
		{"empty", "", "emergency.yaml: empty document"},
		{"no blackouts key", "schema: dialgate.blackouts.v1\n", "blackouts: missing"},
		{"null blackouts", "schema: dialgate.blackouts.v1\nblackouts:\n", "blackouts: missing"},
		{"no schema", "blackouts: []\n", "schema: missing"},
		{"wrong schema", "schema: dialgate.profile.v1\nblackouts: []\n", `emergency.yaml:1: schema: "dialgate.profile.v1" is not "dialgate.blackouts.v1"`},
		{"unknown key", strings.Replace(declFile, "    reason:", "    reasn: x\n    reason:", 1), "reasn"},
		{"no until", strings.Replace(declFile, "    until: 2026-08-28T15:00:00-05:00\n", "", 1), "emergency.yaml:3: blackouts[0].until: missing"},
		{"bad prefix", strings.Replace(declFile, `"+1504"`, `"1504"`, 1), `emergency.yaml:5: blackouts[0].prefixes[1]: "1504" is not an E.164 prefix`},
		{"no cite", strings.Replace(declFile, "    cite: {source: L, ref: La. R.S. 45:844.31(A)}\n", "", 1), "blackouts[0].cite"},
		{"not a time", strings.Replace(declFile, "2026-08-26T10:00:00-05:00", "tomorrow", 1), "from"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseDeclarations("emergency.yaml", []byte(tt.src))
			if !errors.Is(err, ErrInvalidConfig) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want ErrInvalidConfig containing %q", err, tt.want)
			}
		})
	}
}

func TestDeclarationsVersion(t *testing.T) {
	a := mustDeclarations(t, declFile)
	b := mustDeclarations(t, strings.NewReplacer("2026-08-26T10:00:00-05:00", "2026-08-26T15:00:00Z",
		"2026-08-28T15:00:00-05:00", "2026-08-28T20:00:00Z").Replace(declFile))
	if a.Version() != b.Version() || !strings.HasPrefix(a.Version(), "blackouts@") || len(a.Version()) != len("blackouts@")+12 {
		t.Fatalf("versions %q, %q", a.Version(), b.Version())
	}
	c := mustDeclarations(t, strings.Replace(declFile, "Test", "Other", 1))
	if c.Version() == a.Version() {
		t.Fatal("a changed reason kept the version")
	}
}

func FuzzParseDeclarations(f *testing.F) {
	f.Add([]byte(declFile))
	f.Add([]byte("schema: dialgate.blackouts.v1\nblackouts: []\n"))
	f.Add([]byte("schema: dialgate.blackouts.v1\nblackouts: [{from: 1, until: 2}]\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		d, err := ParseDeclarations("f.yaml", b)
		if err != nil {
			if !errors.Is(err, ErrInvalidConfig) {
				t.Fatalf("error %v does not wrap ErrInvalidConfig", err)
			}
			return
		}
		if err := d.Validate(); err != nil {
			t.Fatalf("parsed declarations do not validate: %v", err)
		}
		w, err := NewWindowCheck(Config{Windows: []Window{{Days: []string{"mon-sun"}, Ranges: []string{"00:00-24:00"}, Cite: citeU}}})
		if err != nil {
			t.Fatal(err)
		}
		if err := w.Declare(d); err != nil {
			t.Fatalf("Declare refused what ParseDeclarations accepted: %v", err)
		}
	})
}
