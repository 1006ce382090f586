package sweep

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/numbering"
)

func readAll(t testing.TB, in string, opts ListOptions) []Item {
	t.Helper()
	var items []Item
	if err := ReadList(strings.NewReader(in), opts, func(it Item) error { items = append(items, it); return nil }); err != nil {
		t.Fatal(err)
	}
	return items
}

func TestReadList(t *testing.T) {
	plain := "\xEF\xBB\xBF# campaign winter\n+8613900139000\n\n13900139001\n010 5800 1234\n+1 212 555 0100\nnot-a-number\n+86139001390001234\n"
	items := readAll(t, plain, ListOptions{Country: 86})
	var got []string
	for _, it := range items {
		if it.Err != nil {
			got = append(got, fmt.Sprintf("%d:err", it.Line))
		} else {
			got = append(got, fmt.Sprintf("%d:%s", it.Line, it.Number))
		}
	}
	want := []string{"2:+8613900139000", "4:+8613900139001", "5:+861058001234", "6:+12125550100", "7:err", "8:err"}
	if !slices.Equal(got, want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	if !strings.Contains(items[4].Err.Error(), "line 7") {
		t.Errorf("error %v does not name the line", items[4].Err)
	}
	// Without a country, national forms are errors.
	if items := readAll(t, "13900139001\n", ListOptions{}); items[0].Err == nil {
		t.Error("national number accepted without a country")
	}

	csv := "name,\"phone\",city\n\"Li, Wei\",+8613900139000,Beijing\nWang,13900139001,Shanghai\nZhao,,Shenzhen\n"
	items = readAll(t, csv, ListOptions{Country: 86})
	if len(items) != 3 || items[0].Number.String() != "+8613900139000" || items[1].Number.String() != "+8613900139001" || items[2].Err == nil || items[2].Line != 4 {
		t.Fatalf("csv: %+v", items)
	}
	// Headerless CSV: first column.
	items = readAll(t, "+8613900139000,a\n+8613900139001,b\n", ListOptions{})
	if len(items) != 2 || items[1].Err != nil {
		t.Fatalf("headerless: %+v", items)
	}
	// A header without a number column is a bad list.
	err := ReadList(strings.NewReader("name,city\nx,y\n"), ListOptions{}, func(Item) error { return nil })
	if !errors.Is(err, ErrBadList) || !strings.Contains(err.Error(), "line 1") {
		t.Fatalf("no number column: %v", err)
	}
}

// TestReadListNational: with a country, a number written without "+" is a
// national number of that country, also without a trunk prefix; read as
// international it would be another country's number, and the DNC wash would
// pass the listed callee.
func TestReadListNational(t *testing.T) {
	for _, tt := range []struct {
		in      string
		country int
		want    string
	}{
		{"2125550100", 1, "+12125550100"},
		{"212-555-0101", 1, "+12125550101"},
		{"12125550102", 1, "+12125550102"}, // NANP trunk prefix 1
		{"7911 123456", 44, "+447911123456"},
		{"07911 123457", 44, "+447911123457"},
		{"412 345 678", 61, "+61412345678"},
		{"1058001234", 86, "+861058001234"},
		{"13900139000", 86, "+8613900139000"},
		{"8613900139001", 86, "+8613900139001"}, // international without "+", as before
		{"+1 212 555 0103", 86, "+12125550103"},
		// The trunk 0 written after "+86" is read as the dnc importer reads
		// it: the callee washed is the one dialled.
		{"+86 010 5800 1235", 86, "+861058001235"},
		{"+86 010 5800 1236", 0, "+861058001236"},
	} {
		items := readAll(t, tt.in+"\n", ListOptions{Country: tt.country})
		if len(items) != 1 || items[0].Err != nil || items[0].Number.String() != tt.want {
			t.Errorf("%q with country %d: %+v, want %s", tt.in, tt.country, items, tt.want)
		}
	}
}

func TestScreen(t *testing.T) {
	var b strings.Builder
	b.WriteString("number\n")
	for i := range 25 { // a run of 25 in 1390013, with gaps of 1
		fmt.Fprintf(&b, "+861390013%04d\n", 100+i*2)
	}
	b.WriteString("+8613800138000\n") // allowed
	b.WriteString("+8613800138000\n") // duplicate
	b.WriteString("garbage\n")        // invalid
	b.WriteString("+8613700137000\n") // on DNC
	for i := range 19 {               // 19 in a row: below the run threshold
		fmt.Fprintf(&b, "+861370014%04d\n", 5000+i)
	}
	items := readAll(t, b.String(), ListOptions{Country: 86})
	dnc := func(n dialgate.Number) (bool, error) { return n.String() == "+8613700137000", nil }
	cfg := cnCfg
	cfg.Coverage = &Coverage{MaxPerSegment: 20, Cite: uCite}
	rep, err := Screen(context.Background(), items, cfg, dnc)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Total != 48 || rep.Sequential != 25 || rep.Duplicate != 1 || rep.Invalid != 1 || rep.DNC != 1 || rep.Coverage != 25 || rep.Allowed != 20 {
		t.Fatalf("counts: %+v", *rep)
	}
	byLine := map[int]Result{}
	for _, r := range rep.Results {
		byLine[r.Line] = r
	}
	if r := byLine[2]; r.Findings != FindingSequential|FindingCoverage || r.Run != 25 || r.Segment.String() != "1390013" {
		t.Errorf("line 2: %+v", r)
	}
	if r := byLine[27]; !r.Allowed() {
		t.Errorf("line 27: %+v", r)
	}
	if r := byLine[28]; r.Findings != FindingDuplicate {
		t.Errorf("line 28: %+v", r)
	}
	if r := byLine[29]; r.Findings != FindingInvalid || !strings.Contains(r.Err.Error(), "line 29") {
		t.Errorf("line 29: %+v", r)
	}
	if r := byLine[30]; r.Findings != FindingDNC {
		t.Errorf("line 30: %+v", r)
	}
	if len(rep.Segments) != 1 || rep.Segments[0].Segment != "1390013" || rep.Segments[0].LongestRun != 25 || !rep.Segments[0].Covered {
		t.Errorf("segments: %+v", rep.Segments)
	}

	// Outputs.
	var js bytes.Buffer
	if err := rep.WriteJSON(&js); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Summary jsonSummary  `json:"summary"`
		Results []jsonResult `json:"results"`
	}
	if err := json.Unmarshal(js.Bytes(), &doc); err != nil {
		t.Fatalf("JSON output does not parse: %v\n%s", err, js.String())
	}
	if doc.Summary.Sequential != 25 || len(doc.Results) != 48 || doc.Results[0].Codes[0] != "sweep.sequential" {
		t.Errorf("JSON: %+v", doc.Summary)
	}
	var csv bytes.Buffer
	if err := rep.WriteCSV(&csv); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(csv.String()), "\n")
	if len(lines) != 49 || lines[1] != "2,+8613900130100,1390013,denied,sweep.sequential;sweep.segment_coverage,25," {
		t.Errorf("CSV: %d lines, first %q", len(lines), lines[1])
	}
	var txt bytes.Buffer
	if err := rep.WriteText(&txt, false); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(txt.String(), "48 numbers: 20 allowed") {
		t.Errorf("text:\n%s", txt.String())
	}
}

// realLooking returns n random numbers that look like a real lead list:
// mobile numbers over the networks in use, random HLR codes and suffixes, with
// some fixed lines.
func realLooking(n int, seed uint64) []Item {
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	nets := []uint64{130, 131, 132, 133, 134, 135, 136, 137, 138, 139, 145, 147, 150, 151, 152, 153, 155, 156, 157, 158, 159,
		166, 170, 171, 173, 175, 176, 177, 178, 180, 181, 182, 183, 184, 185, 186, 187, 188, 189, 191, 198, 199}
	areas := []uint64{10, 21, 22, 23, 24, 25, 27, 28, 29, 20, 755, 571, 512, 532}
	items := make([]Item, n)
	for i := range items {
		var v uint64
		if rng.IntN(10) == 0 {
			a := areas[rng.IntN(len(areas))]
			local := 20000000 + rng.Uint64N(70000000)
			if a >= 100 {
				v = 86*1e11 + a*1e8 + local
			} else {
				v = 86*1e10 + a*1e8 + local
			}
		} else {
			v = 86*1e11 + nets[rng.IntN(len(nets))]*1e8 + rng.Uint64N(1e8)
		}
		num, err := dialgate.NumberFromUint64(v)
		if err != nil {
			panic(err)
		}
		items[i] = Item{Line: i + 1, Number: num}
	}
	return items
}

func TestNoFalseSequentialOnRandomList(t *testing.T) {
	for _, seed := range []uint64{1, 2, 3} {
		items := realLooking(100_000, seed)
		rep, err := Screen(context.Background(), items, cnCfg, nil)
		if err != nil {
			t.Fatal(err)
		}
		if rep.Sequential != 0 {
			t.Fatalf("seed %d: %d numbers falsely in sequential runs: %+v", seed, rep.Sequential, rep.Segments)
		}
		if rep.Invalid != 0 {
			t.Fatalf("seed %d: %d invalid numbers in the generated list", seed, rep.Invalid)
		}
	}
	// The same at run time: dialling the list through the check never trips
	// sweep.sequential.
	cfg := cnCfg
	cfg.SegmentRate = nil
	h := newHarness(t, cfg)
	for _, it := range realLooking(20_000, 9) {
		if dec := h.dial(it.Number); dec.Has(dialgate.CodeSweepSequential) {
			t.Fatalf("random number tripped sweep.sequential: %v", dec.Reasons)
		}
	}
}

func BenchmarkScreen(b *testing.B) {
	const n = 1_000_000
	var buf bytes.Buffer
	for _, it := range realLooking(n, 7) {
		if numbering.Classify(it.Number).Class == numbering.ClassFixed {
			buf.WriteByte('0') // fixed lines are written with their trunk 0
		}
		buf.WriteString(it.Number.National())
		buf.WriteByte('\n')
	}
	data := buf.Bytes()
	b.SetBytes(int64(len(data)))
	b.ResetTimer()
	for b.Loop() {
		items := make([]Item, 0, n)
		if err := ReadList(bytes.NewReader(data), ListOptions{Country: 86}, func(it Item) error { items = append(items, it); return nil }); err != nil {
			b.Fatal(err)
		}
		rep, err := Screen(context.Background(), items, cnCfg, nil)
		if err != nil {
			b.Fatal(err)
		}
		if err := rep.WriteCSV(discard{}); err != nil {
			b.Fatal(err)
		}
		if rep.Invalid != 0 {
			b.Fatalf("%d invalid", rep.Invalid)
		}
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "numbers/s")
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }

func FuzzReadList(f *testing.F) {
	f.Add("+8613900139000\n13900139001\n")
	f.Add("name,phone\n\"a,b\",+8613900139000\n")
	f.Add("号码\n010-5800-1234\n")
	f.Add("a,b\n")
	f.Add("1058001234\n0086 13900139000\n8613900139000\n")
	f.Add("+86 138 0013 8000 1\n+44 7911 123456 7\n+86 592 218 6000 1\n")
	f.Fuzz(func(t *testing.T, in string) {
		last := 0
		var items []Item
		err := ReadList(strings.NewReader(in), ListOptions{Country: 86}, func(it Item) error {
			items = append(items, it)
			if it.Line <= last {
				t.Fatalf("line %d after line %d", it.Line, last)
			}
			last = it.Line
			if it.Err == nil && !it.Number.IsValid() {
				t.Fatalf("line %d: no error and no number", it.Line)
			}
			if it.Err != nil && !strings.Contains(it.Err.Error(), fmt.Sprintf("line %d", it.Line)) {
				t.Fatalf("error %q does not name line %d", it.Err, it.Line)
			}
			return nil
		})
		if err != nil && !errors.Is(err, ErrBadList) {
			t.Fatalf("unexpected error kind: %v", err)
		}
		// The screen allows only numbers a dial can be made to.
		rep, err := Screen(context.Background(), items, cnCfg, nil)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range rep.Results {
			if r.Findings&FindingInvalid == 0 {
				if err := (dialgate.Dial{To: r.Number, Purpose: dialgate.PurposeService}).Validate(); err != nil {
					t.Fatalf("line %d: %v screened as a number, but a dial to it is invalid: %v", r.Line, r.Number, err)
				}
			}
		}
	})
}

// RequirePlus without a Country makes a number written without "+" a bad
// line instead of an international number ("4055550100" is not +40…); with a
// Country it is read as that country's national number.
func TestReadListRequirePlus(t *testing.T) {
	read := func(opts ListOptions) []Item {
		var items []Item
		if err := ReadList(strings.NewReader("+14055550100\n4055550101\n"), opts, func(it Item) error {
			items = append(items, it)
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		return items
	}
	items := read(ListOptions{RequirePlus: true})
	if items[0].Err != nil || items[0].Number.String() != "+14055550100" || !errors.Is(items[1].Err, ErrNoPlus) {
		t.Fatalf("RequirePlus without a country: %+v", items)
	}
	items = read(ListOptions{RequirePlus: true, Country: 1})
	if items[1].Err != nil || items[1].Number.String() != "+14055550101" {
		t.Fatalf("RequirePlus with country 1: %+v", items)
	}
	// Without RequirePlus a bare number reads as international, but a
	// North American national one is ambiguous (dialgate.ParseNumber): read
	// so it would be Romania's +40 5555 0101.
	if items = read(ListOptions{}); items[1].Err == nil || !errors.Is(items[1].Err, dialgate.ErrInvalidNumber) || !strings.Contains(items[1].Err.Error(), "ambiguous") {
		t.Fatalf("without RequirePlus a bare North American national number: %+v, want an ambiguity error", items)
	}
}

// A list whose run straddles a segment boundary is flagged, every number of
// the run, whatever the order of the lines.
func TestScreenRunAcrossSegmentBoundary(t *testing.T) {
	for _, bc := range boundaryCases {
		t.Run(bc.name, func(t *testing.T) {
			var b strings.Builder
			for i := 19; i >= 0; i-- {
				fmt.Fprintf(&b, "%s\n", bc.number(i))
			}
			b.WriteString("+8613900139000\n") // unrelated
			rep, err := Screen(context.Background(), readAll(t, b.String(), ListOptions{}), cnCfg, nil)
			if err != nil {
				t.Fatal(err)
			}
			if rep.Sequential != 20 || rep.Allowed != 1 {
				t.Fatalf("sequential %d allowed %d, want 20 and 1: %+v", rep.Sequential, rep.Allowed, rep.Segments)
			}
			for _, r := range rep.Results[:20] {
				if r.Findings != FindingSequential || r.Run != 20 {
					t.Errorf("line %d: %+v", r.Line, r)
				}
			}
			if len(rep.Segments) != 2 {
				t.Fatalf("segments: %+v", rep.Segments)
			}
			for _, s := range rep.Segments {
				if s.InRuns != 10 || s.LongestRun != 20 {
					t.Errorf("segment %+v: want 10 in runs, longest 20", s)
				}
			}
		})
	}
}

// A list writing French overseas lines in both spellings holds one run, and
// a line written both ways is a duplicate.
func TestScreenOverseasSpellings(t *testing.T) {
	var b strings.Builder
	for i := range 20 {
		fmt.Fprintf(&b, "%s\n", overseasSpelling(i))
	}
	b.WriteString("+596596120000\n") // line 21: the first number again, spelt with +596
	rep, err := Screen(context.Background(), readAll(t, b.String(), ListOptions{}), cnCfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Sequential != 20 || rep.Duplicate != 1 || rep.Allowed != 0 {
		t.Fatalf("sequential %d duplicate %d allowed %d, want 20, 1 and 0: %+v", rep.Sequential, rep.Duplicate, rep.Allowed, rep.Segments)
	}
	if r := rep.Results[20]; r.Findings != FindingDuplicate {
		t.Errorf("line 21: %+v", r)
	}
}
