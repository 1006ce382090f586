package callerid

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/numbering"
)

// Fixed-line shapes numbering.Classify calls fixed lines (it takes any 2- or
// 3-digit area code in range, with 7 or 8 local digits, so that a callee of
// an odd shape still gets a segment) but that are no line of the Chinese
// numbering plan: a caller ID of one is malformed (不规范主叫, CN-S10/11).
var notInPlan = []struct{ name, from string }{
	{"unassigned area code 0301", "+863012345678"},
	{"unassigned area code 0600", "+8660023456789"},
	{"Xiamen line (7 local digits) with a digit more", "+8659223456789"},
	{"Shenzhen (8 local digits) with a digit less", "+867552345678"},
	{"Beijing (8 local digits) with a digit less", "+86102345678"},
	{"Shanghai (8 local digits) with a digit less", "+86212345678"},
}

// inPlan are fixed lines of the plan: they keep passing.
var inPlan = []string{"+861058001234", "+862158001234", "+8675523456789", "+865922345678", "+8685122345678", "+868512345678"}

// TestCallerIDFixedLineNotInPlan: a +86 caller ID of the fixed-line shape
// whose area code is not in use, or whose local number has a length the
// area's lines do not have, is callerid.invalid, whether the ledger rule is
// off (subscriber_number alone) or the ledger holds it (an entry an earlier
// build stored). Such numbers used to pass as fixed lines.
func TestCallerIDFixedLineNotInPlan(t *testing.T) {
	subOnly := cnConfig
	subOnly.Ledger = nil
	c, err := New(subOnly, newFakeStore())
	if err != nil {
		t.Fatal(err)
	}
	invalid := []dialgate.Code{dialgate.CodeCallerIDInvalid}
	for _, tc := range notInPlan {
		t.Run("subscriber rule only/"+tc.name, func(t *testing.T) { attestWant(t, c, dial(tc.from, "service"), invalid) })
	}
	for _, from := range inPlan {
		t.Run("subscriber rule only/in plan "+from, func(t *testing.T) { attestWant(t, c, dial(from, "service"), nil) })
	}

	// Held by the ledger (written before Normalize refused them): loaded,
	// and denied as invalid.
	s := &fakeStore{m: map[key]Entry{}, version: 1}
	for _, tc := range append(notInPlan, struct{ name, from string }{"in plan", fixedLine}) {
		n := dialgate.MustParseNumber(tc.from)
		s.m[key{"acme", n}] = Entry{Tenant: "acme", Number: n, Type: TypeFixed, Holder: "Acme Ltd", Purposes: []dialgate.Purpose{"service"}}
	}
	c, err = New(cnConfig, s)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range notInPlan {
		t.Run("in the ledger/"+tc.name, func(t *testing.T) { attestWant(t, c, dial(tc.from, "service"), invalid) })
	}
	attestWant(t, c, dial(fixedLine, "service"), nil)
}

// TestNormalizeRefusesFixedLineNotInPlan: the ledger's writers (file
// import, CLI, AdminService, scenario) refuse such a number, naming the
// field; entries stored earlier still load (Validate).
func TestNormalizeRefusesFixedLineNotInPlan(t *testing.T) {
	for _, tc := range notInPlan {
		for _, typ := range []ResourceType{"", TypeFixed} {
			e := Entry{Tenant: "acme", Number: dialgate.MustParseNumber(tc.from), Type: typ, Holder: "Acme Ltd", Purposes: []dialgate.Purpose{"service"}}
			_, err := e.Normalize()
			if err == nil || !errors.Is(err, ErrInvalidEntry) || !strings.HasPrefix(err.Error(), "number: ") {
				t.Errorf("%s, type %q: Normalize: %v, want a number error wrapping ErrInvalidEntry", tc.name, typ, err)
			}
			e.Type = TypeFixed
			if err := e.Validate(); err != nil {
				t.Errorf("%s: Validate (load) refuses a stored entry: %v", tc.name, err)
			}
		}
	}
	for _, from := range inPlan {
		e := Entry{Tenant: "acme", Number: dialgate.MustParseNumber(from), Holder: "Acme Ltd", Purposes: []dialgate.Purpose{"service"}}
		if _, err := e.Normalize(); err != nil {
			t.Errorf("%s: %v", from, err)
		}
	}
}

// FuzzCheckCallerIDPlan: a +86 caller ID the check passes (the ledger rule
// off, so that no ledger vouches for it) is a possible number of the plan
// as the root package judges a callee (dialgate.CheckCallee: a mobile of 11
// digits, a 2-digit area code with at most 8 local digits, a 7-digit area's
// line without a digit after it, …) and, when numbering calls it a fixed
// line, a line of an area code in use.
func FuzzCheckCallerIDPlan(f *testing.F) {
	for _, tc := range notInPlan {
		f.Add(dialgate.MustParseNumber(tc.from).Uint64())
	}
	for _, s := range inPlan {
		f.Add(dialgate.MustParseNumber(s).Uint64())
	}
	for _, v := range []uint64{8695566, 86961234, 864001234567, 86106901234, 8613800138000, 8659123456789, 8693123456789} {
		f.Add(v)
	}
	cfg := cnConfig
	cfg.Ledger = nil
	cfg.SubscriberNumber = nil
	cfg.InboundOnly = nil
	c, err := New(cfg, nil)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, v uint64) {
		n, ok := cnNumber(v)
		if !ok {
			return
		}
		d := dial(fixedLine, "service")
		d.From = n
		rs, err := c.Check(context.Background(), d)
		if err != nil {
			t.Fatal(err)
		}
		if rs != nil {
			if len(rs) != 1 || rs[0].Code != dialgate.CodeCallerIDInvalid && rs[0].Code != dialgate.CodeCallerIDMissing {
				t.Fatalf("%v: reasons %v", n, rs)
			}
			return
		}
		if err := dialgate.CheckCallee(n); err != nil {
			t.Fatalf("caller ID %v passed, but it is no possible number: %v", n, err)
		}
		if numbering.Classify(n).Class == numbering.ClassFixed && !numbering.AssignedFixedLine(n) {
			t.Fatalf("caller ID %v passed as a fixed line not in the plan", n)
		}
	})
}

// cnNumber reads v as a +86 number: v itself when it starts with 86,
// otherwise +86 followed by v's digits (up to 13), so that the fuzzer's
// integers are Chinese numbers.
func cnNumber(v uint64) (dialgate.Number, bool) {
	if n, err := dialgate.NumberFromUint64(v); err == nil && n.CountryCode() == 86 {
		return n, true
	}
	v %= 1e13
	p := uint64(86)
	for x := v; x > 0; x /= 10 {
		p *= 10
	}
	n, err := dialgate.NumberFromUint64(p + v)
	return n, err == nil && n.CountryCode() == 86
}
