package yamlx

import (
	"errors"
	"os"
	"reflect"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"
)

type inner struct {
	Start string `json:"start"`
	End   string `json:"end"`
}

type base struct {
	Note string `json:"note,omitempty"`
}

type outer struct {
	base
	Name   string            `json:"name"`
	Count  int               `json:"count,omitempty"`
	When   time.Time         `json:"when,omitzero"`
	Ranges []inner           `json:"ranges,omitempty"`
	ByDay  map[string]inner  `json:"by_day,omitempty"`
	Ptr    *inner            `json:"ptr,omitempty"`
	Skip   string            `json:"-"`
	Labels map[string]string `json:"labels,omitempty"`
}

func TestCheckKeys(t *testing.T) {
	tests := []struct {
		name, src string
		line      int
		path, msg string // expected substrings; empty path means no error
	}{
		{"ok", "name: a\ncount: 2\nnote: n\nranges:\n  - {start: a, end: b}\n", 0, "", ""},
		{"top", "name: a\nnmae: b\n", 2, "nmae", `unknown key "nmae"`},
		{"case", "Name: a\n", 1, "Name", `did you mean "name"`},
		{"in list", "name: a\nranges:\n  - start: a\n    end: b\n  - start: c\n    ned: d\n", 6, "ranges[1].ned", `unknown key "ned"`},
		{"in map value", "by_day:\n  mon:\n    start: a\n    stop: b\n", 4, "by_day.mon.stop", "stop"},
		{"ptr", "ptr:\n  x: 1\n", 2, "ptr.x", `"x"`},
		{"dash tag", "Skip: x\n", 1, "Skip", "unknown key"},
		{"alias", "a: &r {start: a, bad: b}\n", 1, "a", "unknown"},
		{"merge", "ranges:\n  - &r {start: a, end: b}\n  - <<: *r\n    end: c\n", 0, "", ""},
		{"merge list", "ranges:\n  - &r {start: a, end: b}\n  - <<: [*r, {end: c}]\n", 0, "", ""},
		// The keys of mappings merged from a list are checked too: encoding/json
		// would take "Start" for "start" (and a strict decode of an unknown
		// key would not name its line).
		{"merge list case", "ranges:\n  - &r {start: a, end: b}\n  - <<: [*r, {Start: x}]\n", 3, "ranges[1].Start", `did you mean "start"`},
		{"merge list unknown", "ranges:\n  - <<: [{start: a},\n          {ned: x}]\n", 3, "ranges[0].ned", `unknown key "ned"`},
		{"free map", "labels: {anything: x, goes: y}\n", 0, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := Parse("f.yaml", []byte(tt.src))
			if err != nil {
				t.Fatal(err)
			}
			err = d.CheckKeys(d.Root, reflect.TypeFor[outer](), "")
			if tt.path == "" {
				if err != nil {
					t.Fatalf("unexpected error %v", err)
				}
				return
			}
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("got %v, want *Error", err)
			}
			if !errors.Is(err, ErrInvalid) {
				t.Errorf("error does not wrap ErrInvalid")
			}
			if tt.name == "alias" {
				return
			}
			if e.Line != tt.line || e.Path != tt.path || !strings.Contains(e.Msg, tt.msg) {
				t.Errorf("got line %d path %q msg %q; want line %d path %q msg containing %q", e.Line, e.Path, e.Msg, tt.line, tt.path, tt.msg)
			}
			if !strings.HasPrefix(err.Error(), "f.yaml:") {
				t.Errorf("error %q does not start with the file name", err)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct{ name, src, want string }{
		{"empty", "", "empty document"},
		{"comment only", "# nothing\n", "empty document"},
		{"scalar", "hello\n", "must be a mapping"},
		{"list", "- a\n", "must be a mapping"},
		{"syntax", "a: b\n c: d\n", "f.yaml:2: YAML syntax"},
		{"dup", "a: 1\na: 2\n", "already defined"},
		{"two docs", "a: 1\n---\nb: 2\n", "more than one YAML document"},
		{"bomb", "a: &a [x,x,x,x,x,x,x,x,x,x]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c,*c]\ne: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d,*d]\nf: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e,*e]\ng: [*f,*f,*f,*f,*f,*f,*f,*f,*f,*f]\n", "too large"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("f.yaml", []byte(tt.src))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got %v, want error containing %q", err, tt.want)
			}
			if !errors.Is(err, ErrInvalid) {
				t.Errorf("error does not wrap ErrInvalid")
			}
		})
	}
}

func TestDecode(t *testing.T) {
	src := "name: a\ncount: 2\nwhen: 2026-12-04T22:30:00+08:00\nranges:\n  - {start: 09:00, end: yes}\n"
	d, err := Parse("f.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	var o outer
	if err := d.Decode(d.Root, "", &o); err != nil {
		t.Fatal(err)
	}
	if o.Name != "a" || o.Count != 2 || o.Ranges[0].Start != "09:00" || o.Ranges[0].End != "yes" {
		t.Errorf("decoded %+v", o)
	}
	if want := time.Date(2026, 12, 4, 14, 30, 0, 0, time.UTC); !o.When.Equal(want) {
		t.Errorf("when = %v, want %v", o.When, want)
	}

	d, err = Parse("f.yaml", []byte("name: a\n\ncount: many\n"))
	if err != nil {
		t.Fatal(err)
	}
	err = d.Decode(d.Root, "top", &o)
	var e *Error
	if !errors.As(err, &e) || e.Line != 3 || e.Path != "top.count" || !strings.Contains(e.Msg, "an integer") {
		t.Fatalf("got %#v", err)
	}
}

func TestLineOf(t *testing.T) {
	d, err := Parse("", []byte("a:\n  b:\n    - c: 1\n      d: 2\n"))
	if err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]int{"": 1, "a": 2, "a.b": 3, "a.b.d": 4, "a.x": 2} {
		if got := LineOf(d.Root, path); got != want {
			t.Errorf("LineOf(%q) = %d, want %d", path, got, want)
		}
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"name: a\n", "ranges: [{start: a}]\n", "a: &x [1]\nb: *x\n", "- 1\n", "{"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		d, err := Parse("fuzz.yaml", data)
		if err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("error %v does not wrap ErrInvalid", err)
			}
			return
		}
		if err := d.CheckKeys(d.Root, reflect.TypeFor[outer](), ""); err != nil {
			return
		}
		var o outer
		_ = d.Decode(d.Root, "", &o)
	})
}

func TestLineOfPath(t *testing.T) {
	d, err := Parse("", []byte("a:\n  b:\n    - c: 1\n    - c: 2\n      d: [x, y]\n"))
	if err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]int{"a": 2, "a.b[1]": 4, "a.b[1].d[1]": 5, "a.b[7]": 3, "a.b[1].c": 4, "zz": 1, "a.b[x]": 3} {
		if got := LineOfPath(d.Root, path); got != want {
			t.Errorf("LineOfPath(%q) = %d, want %d", path, got, want)
		}
	}
}

// TestDecodeLocatesSelfDecodingValue: a value of a type that decodes itself
// (here time.Time, in a list inside a map) that fails is reported with its
// own line and key path, not the line of the subtree decoded.
func TestDecodeLocatesSelfDecodingValue(t *testing.T) {
	type item struct {
		At time.Time `json:"at"`
	}
	type doc struct {
		Name  string            `json:"name"`
		Items map[string][]item `json:"items"`
	}
	src := "name: x\nitems:\n  a:\n    - at: 2026-12-05T10:00:00Z\n    - at: yesterday\n"
	d, err := Parse("f.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	var o doc
	err = d.Decode(d.Root, "top", &o)
	var e *Error
	if !errors.As(err, &e) || e.Line != 5 || e.Path != "top.items.a[1].at" || !strings.Contains(e.Msg, "yesterday") {
		t.Fatalf("Decode: %v (%+v); want line 5, path top.items.a[1].at", err, e)
	}
}

// TestDecodeKeepsNumberSpelling: a plain scalar YAML reads as an integer in
// another spelling than plain decimal — a leading 0 (YAML 1.1 octal), 0x,
// 0o, 0b, digit-group underscores, a leading "+" — reaches a string field as
// written, not re-spelt in decimal: "to: 02167123456", a Shanghai number
// written nationally with its trunk 0, became "2402…", another country's
// number, instead of a number the parser refuses. Such a scalar is no integer
// for an integer field either.
func TestDecodeKeepsNumberSpelling(t *testing.T) {
	for _, s := range []string{"02167123456", "057123456712", "0x7d58e7f5510", "0o175261637652420", "0b1010", "8_613_800_138_000", "+8613800138000", "00"} {
		d, err := Parse("f.yaml", []byte("name: "+s+"\n"))
		if err != nil {
			t.Fatal(err)
		}
		var o outer
		if err := d.Decode(d.Root, "", &o); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
		if o.Name != s {
			t.Errorf("name: %s decoded as %q", s, o.Name)
		}
		d, err = Parse("f.yaml", []byte("count: "+s+"\n"))
		if err != nil {
			t.Fatal(err)
		}
		if err := d.Decode(d.Root, "", &o); err == nil {
			t.Errorf("count: %s decoded as the integer %d", s, o.Count)
		}
	}
	// Plain decimal integers are integers, and strings as written.
	for _, s := range []string{"0", "7", "8613800138000", "-12"} {
		d, err := Parse("f.yaml", []byte("name: "+s+"\ncount: "+s+"\n"))
		if err != nil {
			t.Fatal(err)
		}
		var o outer
		if err := d.Decode(d.Root, "", &o); err != nil || o.Name != s || strconv.Itoa(o.Count) != s {
			t.Errorf("%s: decoded %+v, %v", s, o, err)
		}
	}
}

// TestToJSONNamesNonFiniteNumber: JSON has no NaN or infinity, so a YAML
// .nan, .inf or -.inf cannot be converted; the error names the key's path
// and line instead of only "json: unsupported value: NaN".
func TestToJSONNamesNonFiniteNumber(t *testing.T) {
	for _, tc := range []struct {
		src, path string
		line      int
	}{
		{"a:\n  b: .nan\n", "a.b", 2},
		{"a:\n  - x: 1\n  - x: -.Inf\n", "a[1].x", 3},
		{"a: [1, .INF]\n", "a[1]", 1},
		{"? &n .nan\n: 1\nb: *n\n", "", 1},
	} {
		doc, err := Parse("f.yaml", []byte(tc.src))
		if err != nil {
			t.Fatal(err)
		}
		_, err = ToJSON(doc.Root)
		var ye *Error
		if !errors.As(err, &ye) || ye.Path != tc.path || ye.Line != tc.line || !strings.Contains(ye.Msg, "finite") {
			t.Errorf("%q: ToJSON error = %#v (%v), want path %s line %d", tc.src, ye, err, tc.path, tc.line)
		}
	}
	// A string that merely looks like one is no number.
	doc, err := Parse("f.yaml", []byte("a: \".nan\"\nb: 1.5\n"))
	if err != nil {
		t.Fatal(err)
	}
	if j, err := ToJSON(doc.Root); err != nil || string(j) != `{"a":".nan","b":1.5}` {
		t.Errorf("ToJSON = %s, %v", j, err)
	}
}

// TestReadFileEndlessDevice: a device that never ends is refused after
// MaxSize+1 bytes.
func TestReadFileEndlessDevice(t *testing.T) {
	if _, err := os.Stat("/dev/zero"); err != nil {
		t.Skip("no /dev/zero")
	}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, err := ReadFile("/dev/zero")
	runtime.ReadMemStats(&after)
	var ye *Error
	if !errors.As(err, &ye) || ye.File != "/dev/zero" || !strings.Contains(ye.Msg, "larger than") {
		t.Errorf("ReadFile(/dev/zero) = %v", err)
	}
	if n := after.TotalAlloc - before.TotalAlloc; n > 8*MaxSize {
		t.Errorf("ReadFile(/dev/zero) allocated %d MiB", n>>20)
	}
}

// LookupMerged finds a key written in place first, else through a merge key
// (one mapping or a list of them, nested merges too); Lookup does not.
func TestLookupMerged(t *testing.T) {
	doc, err := Parse("f", []byte("a: 1\n<<: [{b: 2}, {<<: {c: 3}, b: 9}]\n"))
	if err != nil {
		t.Fatal(err)
	}
	for key, want := range map[string]string{"a": "1", "b": "2", "c": "3"} {
		if n := LookupMerged(doc.Root, key); n == nil || n.Value != want {
			t.Errorf("LookupMerged(%q) = %v, want %s", key, n, want)
		}
	}
	if Lookup(doc.Root, "c") != nil || LookupMerged(doc.Root, "d") != nil || LookupMerged(nil, "a") != nil {
		t.Error("Lookup found a merged key, or LookupMerged found a missing one")
	}
}
