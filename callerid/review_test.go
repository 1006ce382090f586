package callerid

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/dialgate/dialgate"
)

// TestReviewSubscriberSpellings: every spelling of a subscriber mobile that
// ParseNumber accepts is the same Number, denied as a subscriber number; the
// spellings it refuses (national form, 0086, full-width digits, a trunk 0
// after +86) never reach the check as another number. Foreign mobiles and
// numbers the ledger does not hold are not in the ledger.
func TestReviewSubscriberSpellings(t *testing.T) {
	c, err := New(cnConfig, newFakeStore(ledger()...))
	if err != nil {
		t.Fatal(err)
	}
	sub := []dialgate.Code{dialgate.CodeCallerIDSubscriber, dialgate.CodeCallerIDNotInLedger}
	for _, s := range []string{"+8613800138002", "8613800138002", "+86 138-0013-8002", "+86 138 0013 8002", "86-138-0013-8002"} {
		n, err := dialgate.ParseNumber(s)
		if err != nil {
			t.Fatalf("%q: %v", s, err)
		}
		d := dial(mobileSub, "service")
		d.From = n
		t.Run(s, func(t *testing.T) { attestWant(t, c, d, sub) })
	}
	for _, s := range []string{
		"13800138002",       // national form: ambiguous with NANP
		"008613800138002",   // 00 international prefix
		"+86013800138002",   // trunk 0 after +86
		"+86 010 5800 1234", // trunk 0 after +86 (a fixed line)
		"＋８６１３８００１３８００２",         // full-width
		"+86 138 0013 8002 ",     // trailing separator
		"+86\u00a0138 0013 8002", // no-break space
		"+86.138.0013.8002",
	} {
		if n, err := dialgate.ParseNumber(s); err == nil {
			t.Errorf("ParseNumber(%q) = %s, want an error (a caller ID is E.164)", s, n)
		}
	}
	for _, tc := range []struct{ name, from string }{
		{"UK 07 mobile", "+447700900123"},
		{"US number not held", "+12025550123"},
		{"HK mobile", "+85261234567"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			attestWant(t, c, dial(tc.from, "service"), []dialgate.Code{dialgate.CodeCallerIDNotInLedger})
		})
	}
	for _, tc := range []struct{ name, from string }{
		{"IoT 13-digit 144", "+861440123456789"},
		{"12 digits after 138", "+86138001380021"},
		{"short code 10086", "+8610086"},
		{"customer code 12315", "+8612315"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			attestWant(t, c, dial(tc.from, "service"), []dialgate.Code{dialgate.CodeCallerIDInvalid})
		})
	}
}

// TestReviewInternationalRouteEveryClass: a +86 caller ID over an
// international route is invalid whatever its class, in the ledger or not.
func TestReviewInternationalRouteEveryClass(t *testing.T) {
	c, err := New(cnConfig, newFakeStore(ledger()...))
	if err != nil {
		t.Fatal(err)
	}
	for _, from := range []string{fixedLine, mobileBiz, mobileSub, num400, num800, num95, "+8696110", "+8617012345678", "+8613491234567"} {
		d := dial(from, "service")
		d.Route = dialgate.RouteInternational
		t.Run(from, func(t *testing.T) { attestWant(t, c, d, []dialgate.Code{dialgate.CodeCallerIDInvalid}) })
	}
	// A foreign caller ID over an international route is judged by the
	// ledger (not held: denied).
	d := dial("+447700900123", "service")
	d.Route = dialgate.RouteInternational
	attestWant(t, c, d, []dialgate.Code{dialgate.CodeCallerIDNotInLedger})
}

// TestReviewValidityBoundaries: valid_from is the first instant allowed,
// valid_until the first instant denied, compared as instants whatever the
// offsets of the entry and of the dial.
func TestReviewValidityBoundaries(t *testing.T) {
	from := time.Date(2026, 12, 1, 0, 0, 0, 0, time.FixedZone("CST", 8*3600))
	until := time.Date(2027, 1, 1, 0, 0, 0, 0, time.FixedZone("CST", 8*3600))
	n := "+861058009999"
	c, err := New(cnConfig, newFakeStore(Entry{Tenant: "acme", Number: dialgate.MustParseNumber(n), Holder: "Acme Ltd",
		Purposes: []dialgate.Purpose{"service"}, ValidFrom: from, ValidUntil: until}))
	if err != nil {
		t.Fatal(err)
	}
	exp := []dialgate.Code{dialgate.CodeCallerIDExpired}
	for _, tc := range []struct {
		name string
		at   time.Time
		want []dialgate.Code
	}{
		{"1ns before valid_from", from.Add(-time.Nanosecond), exp},
		{"at valid_from (UTC)", from.UTC(), nil},
		{"1ns before valid_until (UTC)", until.Add(-time.Nanosecond).UTC(), nil},
		{"at valid_until", until, exp},
		{"at valid_until (UTC)", until.UTC(), exp},
		{"at valid_until (New York)", until.In(time.FixedZone("EST", -5*3600)), exp},
	} {
		d := dial(n, "service")
		d.At = tc.at
		t.Run(tc.name, func(t *testing.T) { attestWant(t, c, d, tc.want) })
	}
}

// TestReviewPurposeEveryPair: an entry registered for one purpose passes that
// purpose only, callback included; an office-use-only entry listing every
// purpose passes none.
func TestReviewPurposeEveryPair(t *testing.T) {
	all := []dialgate.Purpose{dialgate.PurposeMarketing, dialgate.PurposeService, dialgate.PurposeCallback, dialgate.PurposeCollections, dialgate.PurposeSurvey}
	var entries []Entry
	for i, p := range all {
		entries = append(entries, Entry{Tenant: "acme", Number: dialgate.MustParseNumber("+86105800200" + itoa(i)), Holder: "Acme Ltd", Purposes: []dialgate.Purpose{p}})
	}
	office := Entry{Tenant: "acme", Number: dialgate.MustParseNumber("+861058003000"), Holder: "Acme Ltd", Purposes: all, OfficeUseOnly: true}
	c, err := New(cnConfig, newFakeStore(append(entries, office)...))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		for _, p := range all {
			var want []dialgate.Code
			if p != e.Purposes[0] {
				want = []dialgate.Code{dialgate.CodeCallerIDPurposeMismatch}
			}
			d := dial(e.Number.String(), p)
			t.Run(string(e.Purposes[0])+"/"+string(p), func(t *testing.T) { attestWant(t, c, d, want) })
		}
	}
	for _, p := range all {
		d := dial(office.Number.String(), p)
		t.Run("office/"+string(p), func(t *testing.T) {
			attestWant(t, c, d, []dialgate.Code{dialgate.CodeCallerIDPurposeMismatch})
		})
	}
}

// listStore is a Store whose ListLedger returns a fixed listing as it is,
// without the checks the real stores make: what a faulty or foreign Store
// implementation may hand the check.
type listStore struct {
	fakeStore
	list []Entry
}

func (s *listStore) ListLedger(context.Context) ([]Entry, error) { return slices.Clone(s.list), nil }

// TestReviewUnfitListingFailsClosed: the check does not rely on the store
// alone to refuse damaged entries: an entry that fails Validate, or two
// entries for one (tenant, number), make the load fail (callerid.unavailable
// through the gate) instead of allowing on a partial or contradictory entry.
func TestReviewUnfitListingFailsClosed(t *testing.T) {
	good := ledger()[0]
	good.Type = TypeFixed // what Normalize gives it
	noHolder := good
	noHolder.Holder = ""
	wrongType := ledger()[1] // the mobile business line, typed as a fixed line
	wrongType.Type = TypeFixed
	badPurpose := good
	badPurpose.Purposes = []dialgate.Purpose{"service", "telepathy"}
	twin := good
	twin.Purposes = []dialgate.Purpose{"collections"}
	for _, tc := range []struct {
		name string
		list []Entry
		from string
	}{
		{"no holder", []Entry{noHolder}, fixedLine},
		{"type of another class", []Entry{wrongType}, mobileBiz},
		{"unknown purpose", []Entry{badPurpose}, fixedLine},
		{"one number twice", []Entry{good, twin}, fixedLine},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := &listStore{fakeStore: fakeStore{m: map[key]Entry{}, version: 1}, list: tc.list}
			c, err := New(cnConfig, s)
			if err != nil {
				t.Fatal(err)
			}
			rs, ev, err := c.Attest(context.Background(), dial(tc.from, "service"))
			if err == nil {
				t.Fatalf("no error for an unfit listing: reasons %v, evidence %v", rs, ev)
			}
			if !errors.Is(err, ErrInvalidEntry) || !strings.Contains(err.Error(), "callerid: load ledger") {
				t.Errorf("error %q: want a load error wrapping ErrInvalidEntry", err)
			}
		})
	}
}

// TestNormalizeEntries: a batch that gives one (tenant, number) twice is
// refused naming the entry and the field; the caller's entries are not
// changed.
func TestNormalizeEntries(t *testing.T) {
	a := ledger()[0]
	b := a
	b.Type = TypeFixed
	in := []Entry{a, ledger()[1], b}
	_, err := NormalizeEntries(in)
	if !errors.Is(err, ErrInvalidEntry) || !strings.HasPrefix(err.Error(), "entries[2]: number: ") || !strings.Contains(err.Error(), "entries[0]") {
		t.Fatalf("err = %v, want entries[2]: number: … already given as entries[0]", err)
	}
	other := a
	other.Tenant = "globex"
	out, err := NormalizeEntries([]Entry{a, other})
	if err != nil || len(out) != 2 || out[0].Type != TypeFixed {
		t.Fatalf("two tenants: %v, %v", out, err)
	}
	if in[0].Type != "" {
		t.Error("NormalizeEntries changed the caller's entry")
	}
	out[0].Purposes[0] = "survey"
	if a.Purposes[0] == "survey" {
		t.Error("NormalizeEntries shares the caller's purposes")
	}
	if _, err := NormalizeEntries([]Entry{a, {Tenant: "acme"}}); !errors.Is(err, ErrInvalidEntry) || !strings.HasPrefix(err.Error(), "entries[1]: number: missing") {
		t.Errorf("invalid entry: %v", err)
	}
}

func TestChangedFields(t *testing.T) {
	a, _ := ledger()[0].Normalize()
	b := a
	b.Purposes = []dialgate.Purpose{"service", "marketing"} // same set
	b.ValidUntil = a.ValidUntil.UTC()                       // same instant
	if got := a.ChangedFields(b); got != nil {
		t.Fatalf("same entry: %v", got)
	}
	b.Holder = "Other Co"
	b.Purposes = []dialgate.Purpose{"service", "survey"}
	b.ValidUntil = b.ValidUntil.Add(time.Second)
	b.OfficeUseOnly = true
	if got, want := a.ChangedFields(b), []string{"holder", "purposes", "valid_until", "office_use_only"}; !slices.Equal(got, want) {
		t.Fatalf("ChangedFields = %v, want %v", got, want)
	}
	c := a
	c.Purposes = []dialgate.Purpose{"marketing", "marketing"}
	if got := a.ChangedFields(c); !slices.Equal(got, []string{"purposes"}) {
		t.Fatalf("purposes with a duplicate: %v", got)
	}
}

// TestEvidenceNamesTheEntry: a passing dial's evidence holds the facts of
// the ledger entry the decision relied on — number, type, holder, purposes
// and validity — and not only the ledger version: the ledger keeps no
// history, so a version cannot be looked up once the entry changes
// (REQUIREMENTS §5, "caller ID and its ledger entry").
func TestEvidenceNamesTheEntry(t *testing.T) {
	c, err := New(cnConfig, newFakeStore(ledger()...))
	if err != nil {
		t.Fatal(err)
	}
	_, ev, err := c.Attest(context.Background(), dial(fixedLine, "marketing"))
	if err != nil {
		t.Fatal(err)
	}
	want := []dialgate.Evidence{
		{Key: "callerid.number", Value: fixedLine},
		{Key: "callerid.type", Value: "fixed"},
		{Key: "callerid.holder", Value: "Acme Ltd"},
		{Key: "callerid.purposes", Value: "marketing,service"},
		{Key: "callerid.valid_from", Value: t0.AddDate(-1, 0, 0).Format(time.RFC3339)},
		{Key: "callerid.valid_until", Value: t0.AddDate(1, 0, 0).Format(time.RFC3339)},
		{Key: "callerid.ledger_version", Value: "1"},
	}
	if !slices.Equal(ev, want) {
		t.Fatalf("evidence\n%v\nwant\n%v", ev, want)
	}
	// Open bounds are left out.
	_, ev, _ = c.Attest(context.Background(), dial(num95, "collections"))
	for _, e := range ev {
		if e.Key == "callerid.valid_from" || e.Key == "callerid.valid_until" {
			t.Errorf("open-ended entry: evidence %v", e)
		}
	}
}

// TestNormalizeForeignNumberNamesNumber: a foreign number without a type is
// refused for its number (the ledger holds +86 numbers), not for the type.
func TestNormalizeForeignNumberNamesNumber(t *testing.T) {
	for _, n := range []string{"+447700900123", "+12025550123"} {
		_, err := Entry{Tenant: "acme", Number: dialgate.MustParseNumber(n), Holder: "A", Purposes: []dialgate.Purpose{"service"}}.Normalize()
		if !errors.Is(err, ErrInvalidEntry) || !strings.HasPrefix(err.Error(), "number: ") {
			t.Errorf("%s: %v, want an error naming number", n, err)
		}
	}
}

// TestEvidenceAppendDoesNotLeak: the evidence a passing dial gets is shared
// by every dial on the same ledger entry (computed once per reload). A
// caller that appends to it — a composite check adding its own item, as
// one may with a slice it was handed — must not write into the evidence
// another dial was given: the spare capacity of the shared slice made two
// callers' appends land in one slot, the later dial's item replacing the
// earlier's in its decision record (and a data race).
func TestEvidenceAppendDoesNotLeak(t *testing.T) {
	c, err := New(cnConfig, newFakeStore(ledger()...))
	if err != nil {
		t.Fatal(err)
	}
	for _, from := range []string{fixedLine, num95} {
		_, a, err := c.Attest(context.Background(), dial(from, "service"))
		if err != nil {
			t.Fatal(err)
		}
		a = append(a, dialgate.Evidence{Key: "x.dial", Value: "A"})
		_, b, err := c.Attest(context.Background(), dial(from, "service"))
		if err != nil {
			t.Fatal(err)
		}
		_ = append(b, dialgate.Evidence{Key: "x.dial", Value: "B"})
		if got := a[len(a)-1]; got.Value != "A" {
			t.Errorf("%s: the first caller's appended evidence reads %v after another caller appended to its own", from, got)
		}
	}
}
