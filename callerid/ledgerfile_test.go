package callerid

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/dialgate/dialgate"
)

func TestParseLedgerCSV(t *testing.T) {
	in := "\xEF\xBB\xBFnumber,holder,purposes,type,valid_until,office_use_only,access,qualification\n" +
		"# comment line\n" +
		"+861058001234,Acme Ltd,marketing;service,,2027-12-31T00:00:00+08:00,false,China Telecom SIP trunk,B2-20190001\n" +
		"\n" +
		"+8613800138001,Acme Ltd,service,mobile_business,,yes,,\n" +
		"+864001234567,\"Acme, Ltd\",service|callback,400,,,,\n"
	es, err := ParseLedger(strings.NewReader(in), "acme")
	if err != nil {
		t.Fatal(err)
	}
	if len(es) != 3 {
		t.Fatalf("%d entries, want 3: %+v", len(es), es)
	}
	if es[0].Type != TypeFixed || es[0].Tenant != "acme" || len(es[0].Purposes) != 2 || es[0].ValidUntil.IsZero() || es[0].Access == "" {
		t.Errorf("entry 0: %+v", es[0])
	}
	if !es[1].OfficeUseOnly || es[1].Type != TypeMobileBusiness {
		t.Errorf("entry 1: %+v", es[1])
	}
	if es[2].Holder != "Acme, Ltd" || es[2].Purposes[1] != dialgate.PurposeCallback {
		t.Errorf("entry 2: %+v", es[2])
	}

	// Round trip through WriteLedgerCSV.
	var buf bytes.Buffer
	if err := WriteLedgerCSV(&buf, es); err != nil {
		t.Fatal(err)
	}
	back, err := ParseLedger(&buf, "acme")
	if err != nil {
		t.Fatal(err)
	}
	if len(back) != 3 || back[2].Holder != es[2].Holder || !back[0].ValidUntil.Equal(es[0].ValidUntil) {
		t.Errorf("round trip: %+v", back)
	}
}

func TestParseLedgerJSON(t *testing.T) {
	in := `
{"number": "+861058001234", "holder": "Acme Ltd", "purposes": ["marketing"], "valid_from": "2026-01-01T00:00:00+08:00"}
# comment
{"number": "+8695566", "type": "95", "holder": "Acme Ltd", "purposes": ["service"], "office_use_only": true}
`
	es, err := ParseLedger(strings.NewReader(in), "acme")
	if err != nil {
		t.Fatal(err)
	}
	if len(es) != 2 || es[0].Type != TypeFixed || es[0].ValidFrom.IsZero() || !es[1].OfficeUseOnly {
		t.Fatalf("%+v", es)
	}
}

func TestParseLedgerErrors(t *testing.T) {
	const h = "number,holder,purposes,type,valid_from,valid_until\n"
	tests := []struct {
		name, in string
		line     int
		want     string
	}{
		{"unknown column", "number,holder,purposes,colour\n", 1, `unknown column "colour"`},
		{"missing column", "number,holder\n", 1, `missing column "purposes"`},
		{"duplicate column", "number,holder,purposes,holder\n", 1, `column "holder" twice`},
		{"bad number", h + "+861058001234,A,service,,,\n13800138000,A,service,,,\n", 3, "number:"},
		{"missing holder", h + "\n\n+861058001234,,service,,,\n", 4, "holder: missing"},
		{"missing purposes", h + "+861058001234,A,,,,\n", 2, "purposes: missing"},
		{"unknown purpose", h + "+861058001234,A,service;spam,,,\n", 2, `purposes[1]: unknown purpose "spam"`},
		{"dup purpose", h + "+861058001234,A,service;service,,,\n", 2, `purposes[1]: duplicate`},
		{"unknown type", h + "+861058001234,A,service,998,,\n", 2, `type: unknown resource type "998"`},
		{"type mismatch", h + "+861058001234,A,service,400,,\n", 2, "number: +861058001234 is not a 400 number"},
		{"mobile without type", h + "+8613800138000,A,service,,,\n", 2, "type: missing for mobile number"},
		// A 400 number with a digit after it is no fixed line: as one it
		// would be presented past the inbound-only rule.
		{"400 as fixed", h + "+8640023456789,A,service,fixed,,\n", 2, "is not a fixed number"},
		{"800 without type", h + "+8680023456789,A,service,,,\n", 2, "type: missing, and +8680023456789 is not"},
		{"foreign", h + "+12125550100,A,service,fixed,,\n", 2, "not a Chinese (+86) number"},
		{"bad time", h + "+861058001234,A,service,,2026-01-01,\n", 2, "valid_from: \"2026-01-01\" is not an RFC 3339 time"},
		{"until before from", h + "+861058001234,A,service,,2026-01-02T00:00:00Z,2026-01-01T00:00:00Z\n", 2, "valid_until:"},
		{"field count", h + "+861058001234,A\n", 2, "2 fields, the header has 6"},
		{"bad quote", h + "+861058001234,\"A,service,,,\n", 2, ""},
		{"duplicate number", h + "+861058001234,A,service,,,\n+86 10 5800 1234,A,service,,,\n", 3, "already listed on line 2"},
		{"bad office flag", "number,holder,purposes,office_use_only\n+861058001234,A,service,maybe\n", 2, "office_use_only:"},
		{"json unknown key", "{\"number\":\"+861058001234\",\"holder\":\"A\",\"purposes\":[\"service\"]}\n{\"number\":\"+861058001235\",\"colour\":1}\n", 2, "colour"},
		{"json tenant key", "{\"number\":\"+861058001234\",\"tenant\":\"x\",\"holder\":\"A\",\"purposes\":[\"service\"]}\n", 1, "tenant"},
		{"json bad type", "{\"number\":\"+861058001234\",\"holder\":\"A\",\"purposes\":\"service\"}\n", 1, "purposes"},
		{"json trailing", "{\"number\":\"+861058001234\",\"holder\":\"A\",\"purposes\":[\"service\"]} {}\n", 1, "text after"},
		// A closing bracket after the object is no value for dec.More to see:
		// the line must still be refused, not read as the object before it.
		{"json trailing brace", "{\"number\":\"+861058001234\",\"holder\":\"A\",\"purposes\":[\"service\"]}}\n", 1, "text after"},
		{"json trailing bracket", "{\"number\":\"+861058001234\",\"holder\":\"A\",\"purposes\":[\"service\"]} ]\n", 1, "text after"},
		{"json missing number", "{\"holder\":\"A\",\"purposes\":[\"service\"]}\n", 1, "number: missing"},
		{"control char", h + "+861058001234,A\x01,service,,,\n", 2, "holder: control character"},
		// encoding/json would keep the last of two keys, matched in any case:
		// the service-only number would become a marketing caller ID.
		{"json key twice", "{\"number\":\"+861058001234\",\"holder\":\"A\",\"purposes\":[\"service\"],\"purposes\":[\"marketing\"]}\n", 1, "purposes: given twice"},
		{"json key case", "{\"number\":\"+861058001234\",\"holder\":\"A\",\"purposes\":[\"service\"],\"Purposes\":[\"marketing\"]}\n", 1, "Purposes: unknown key"},
		{"json office flag case", "{\"number\":\"+861058001234\",\"holder\":\"A\",\"purposes\":[\"service\"],\"office_use_only\":true,\"Office_Use_Only\":false}\n", 1, "Office_Use_Only"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseLedger(strings.NewReader(tt.in), "acme")
			var le *LineError
			if !errors.As(err, &le) {
				t.Fatalf("err = %v, want a *LineError", err)
			}
			if le.Line != tt.line {
				t.Errorf("line = %d, want %d (%v)", le.Line, tt.line, err)
			}
			if !strings.Contains(err.Error(), tt.want) || !errors.Is(err, ErrInvalidEntry) {
				t.Errorf("err = %q, want it to contain %q and wrap ErrInvalidEntry", err, tt.want)
			}
		})
	}
}

func TestParseLedgerEmpty(t *testing.T) {
	for _, in := range []string{"", "\n\n", "number,holder,purposes\n"} {
		es, err := ParseLedger(strings.NewReader(in), "t")
		if err != nil || len(es) != 0 {
			t.Errorf("%q: %v, %v", in, es, err)
		}
	}
}

func FuzzParseLedger(f *testing.F) {
	f.Add("number,holder,purposes\n+861058001234,Acme,service\n")
	f.Add("number,holder,purposes,type,valid_from,valid_until,office_use_only\n+8613800138001,A,marketing;service,mobile_business,2026-01-01T00:00:00Z,2027-01-01T00:00:00Z,true\n")
	f.Add(`{"number":"+864001234567","holder":"A","purposes":["service"]}`)
	f.Add("number,holder,purposes\n\"+86 10\n")
	f.Fuzz(func(t *testing.T, in string) {
		es, err := ParseLedger(strings.NewReader(in), "t")
		if err != nil {
			var le *LineError
			if !errors.As(err, &le) || le.Line < 1 || !errors.Is(err, ErrInvalidEntry) {
				t.Fatalf("error %v is not a *LineError with a line, wrapping ErrInvalidEntry", err)
			}
			return
		}
		for _, e := range es {
			if err := e.Validate(); err != nil {
				t.Fatalf("parsed entry fails Validate: %v", err)
			}
		}
		// What was read writes back and reads the same.
		var buf bytes.Buffer
		if err := WriteLedgerCSV(&buf, es); err != nil {
			t.Fatal(err)
		}
		back, err := ParseLedger(&buf, "t")
		if err != nil {
			t.Fatalf("re-read: %v\n%s", err, buf.String())
		}
		if len(back) != len(es) {
			t.Fatalf("re-read %d entries, want %d", len(back), len(es))
		}
		for i := range es {
			if diff := es[i].ChangedFields(back[i]); diff != nil {
				t.Fatalf("entry %d re-read with another %v\n%s", i, diff, buf.String())
			}
		}
	})
}

// TestWriteLedgerCSVKeepsSubsecondValidity: WriteLedgerCSV writes what
// ParseLedger reads back as the same entry, validity bounds included to the
// nanosecond. A bound written to the second moved valid_from up to a second
// earlier (the number usable before it was registered) and could make a
// valid entry unreadable: valid_from …00.2 and valid_until …00.7 both came
// back as …00, "valid_until is not after valid_from".
func TestWriteLedgerCSVKeepsSubsecondValidity(t *testing.T) {
	from := time.Date(2026, 12, 5, 10, 0, 0, 200_000_000, time.FixedZone("CST", 8*3600))
	es := []Entry{
		{Tenant: "acme", Number: dialgate.MustParseNumber("+861058001234"), Type: TypeFixed, Holder: "Acme Ltd",
			Purposes: []dialgate.Purpose{dialgate.PurposeService}, ValidFrom: from, ValidUntil: from.Add(500 * time.Millisecond)},
		{Tenant: "acme", Number: dialgate.MustParseNumber("+862158001234"), Type: TypeFixed, Holder: "Acme Ltd",
			Purposes: []dialgate.Purpose{dialgate.PurposeService}, ValidFrom: from.Add(123 * time.Nanosecond), ValidUntil: from.Add(48 * time.Hour)},
	}
	var buf bytes.Buffer
	if err := WriteLedgerCSV(&buf, es); err != nil {
		t.Fatal(err)
	}
	back, err := ParseLedger(&buf, "acme")
	if err != nil {
		t.Fatalf("re-read: %v\n%s", err, buf.String())
	}
	if len(back) != len(es) {
		t.Fatalf("re-read %d entries, want %d", len(back), len(es))
	}
	for i := range es {
		if diff := es[i].ChangedFields(back[i]); diff != nil {
			t.Errorf("entry %d: re-read with another %v: wrote %v–%v, read %v–%v", i, diff,
				es[i].ValidFrom, es[i].ValidUntil, back[i].ValidFrom, back[i].ValidUntil)
		}
	}
}
