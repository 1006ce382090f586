package policy

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/storage/memstore"
)

func TestBuiltins(t *testing.T) {
	names := Builtins()
	if len(names) == 0 || names[0] == "" {
		t.Fatalf("Builtins() = %v", names)
	}
	for _, name := range names {
		p, err := Builtin(name)
		if err != nil {
			t.Fatalf("Builtin(%q): %v", name, err)
		}
		if p.Name != name {
			t.Errorf("built-in file %s.yaml has name %q", name, p.Name)
		}
		if err := p.Validate(); err != nil {
			t.Errorf("%s: %v", name, err)
		}
		if !regexp.MustCompile(`^` + name + `@[0-9a-f]{12}$`).MatchString(p.Version()) {
			t.Errorf("Version() = %q", p.Version())
		}
		if p.Description == "" || p.Jurisdiction == "" {
			t.Errorf("%s: description and jurisdiction are required of a built-in", name)
		}
	}
	if _, err := Builtin("xx"); !errors.Is(err, ErrUnknownProfile) || !strings.Contains(err.Error(), "cn") {
		t.Errorf("Builtin(xx) = %v, want ErrUnknownProfile listing cn", err)
	}
	if _, err := Builtin("../x"); !errors.Is(err, ErrUnknownProfile) {
		t.Errorf("Builtin(../x) = %v", err)
	}
}

func TestVersionChangesWithContent(t *testing.T) {
	a, err := Builtin("cn")
	if err != nil {
		t.Fatal(err)
	}
	b := a.Clone()
	if a.Version() != b.Version() {
		t.Fatalf("clone changed the version")
	}
	b.Description += "."
	if a.Version() == b.Version() {
		t.Errorf("version did not change with the content")
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct{ name, src, want string }{
		{"unknown key", "schema: dialgate.profile.v1\nname: x\n\nfoo: 1\n", `p.yaml:4: foo: unknown key "foo"`},
		{"case", "schema: dialgate.profile.v1\nName: x\n", `did you mean "name"`},
		{"no schema", "name: x\n", "schema: missing"},
		{"bad schema", "schema: dialgate.profile.v9\nname: x\n", `"dialgate.profile.v9" is not supported`},
		{"no name", "schema: dialgate.profile.v1\n", "name: missing"},
		{"bad name", "schema: dialgate.profile.v1\nname: Big Name\n", "p.yaml:2: name:"},
		{"type", "schema: dialgate.profile.v1\nname: [x]\n", "p.yaml:2: name: cannot use a array here (want a string)"},
		{"extends unknown", "schema: dialgate.profile.v1\nname: x\nextends: nowhere\n", `p.yaml:3: extends "nowhere"`},
		{"syntax", "schema: [\n", "YAML syntax"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("p.yaml", []byte(tt.src))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got %v\nwant error containing %q", err, tt.want)
			}
			if !errors.Is(err, ErrInvalidProfile) {
				t.Errorf("error does not wrap ErrInvalidProfile")
			}
		})
	}
}

func TestExtends(t *testing.T) {
	cn, err := Builtin("cn")
	if err != nil {
		t.Fatal(err)
	}
	p, err := Parse("x.yaml", []byte("schema: dialgate.profile.v1\nname: cn-test\nextends: cn\ndescription: test overlay\n"))
	if err != nil {
		t.Fatal(err)
	}
	if p.Name != "cn-test" || p.Extends != "cn" || p.Description != "test overlay" || p.Jurisdiction != cn.Jurisdiction {
		t.Errorf("merged profile %+v", p)
	}
	// A null deletes the base's key.
	p, err = Parse("x.yaml", []byte("schema: dialgate.profile.v1\nname: cn-test\nextends: cn\njurisdiction: null\n"))
	if err != nil {
		t.Fatal(err)
	}
	if p.Jurisdiction != "" || p.Description != cn.Description {
		t.Errorf("null did not delete: %+v", p)
	}
}

func TestExtendsFiles(t *testing.T) {
	dir := t.TempDir()
	write := func(name, src string) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
		return path
	}
	write("base.yaml", "schema: dialgate.profile.v1\nname: base\nextends: cn\ndescription: base\n")
	top := write("top.yaml", "schema: dialgate.profile.v1\nname: top\nextends: base.yaml\n")
	p, err := LoadFile(top)
	if err != nil {
		t.Fatal(err)
	}
	if p.Name != "top" || p.Description != "base" || p.Jurisdiction != "CN" {
		t.Errorf("chain: %+v", p)
	}
	if q, err := Load(top); err != nil || q.Version() != p.Version() {
		t.Errorf("Load(path) = %v, %v", q, err)
	}

	a := write("a.yaml", "schema: dialgate.profile.v1\nname: a\nextends: b.yaml\n")
	write("b.yaml", "schema: dialgate.profile.v1\nname: b\nextends: a.yaml\n")
	if _, err := LoadFile(a); err == nil || !strings.Contains(err.Error(), "chain longer than") {
		t.Errorf("cycle: got %v", err)
	}
	// Parse (no directory) may extend built-ins only.
	if _, err := Parse("x.yaml", []byte("schema: dialgate.profile.v1\nname: x\nextends: base.yaml\n")); !errors.Is(err, ErrUnknownProfile) {
		t.Errorf("Parse extending a file: %v", err)
	}
	if _, err := Load("nosuch"); !errors.Is(err, ErrUnknownProfile) {
		t.Errorf("Load(nosuch) = %v", err)
	}
	if _, err := LoadFile(filepath.Join(dir, "missing.yaml")); err == nil || !strings.Contains(err.Error(), "missing.yaml") {
		t.Errorf("LoadFile(missing) = %v", err)
	}
}

func TestMerge(t *testing.T) {
	cn, err := Builtin("cn")
	if err != nil {
		t.Fatal(err)
	}
	p, err := Merge(cn, []byte(`{"description": "overridden"}`))
	if err != nil {
		t.Fatal(err)
	}
	if p.Description != "overridden" || cn.Description == "overridden" || p.Name != "cn" {
		t.Errorf("Merge: %+v (base %+v)", p, cn)
	}
	if p.Version() == cn.Version() {
		t.Errorf("override kept the version")
	}
	for src, want := range map[string]string{
		"schema: x\n":         "schema: may not be overridden",
		"extends: cn\n":       "extends: may not be overridden",
		"descripton: x\n":     `unknown key "descripton"`,
		"name: Not Valid\n":   "name:",
		"{}\n":                "",
		"description: null\n": "",
	} {
		_, err := Merge(cn, []byte(src))
		if want == "" {
			if err != nil {
				t.Errorf("Merge(%q): %v", src, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Merge(%q) = %v, want %q", src, err, want)
		}
	}
}

// RFC 7386 appendix A test cases.
func TestMergePatchRFC7386(t *testing.T) {
	cases := [][3]string{
		{`{"a":"b"}`, `{"a":"c"}`, `{"a":"c"}`},
		{`{"a":"b"}`, `{"b":"c"}`, `{"a":"b","b":"c"}`},
		{`{"a":"b"}`, `{"a":null}`, `{}`},
		{`{"a":"b","b":"c"}`, `{"a":null}`, `{"b":"c"}`},
		{`{"a":["b"]}`, `{"a":"c"}`, `{"a":"c"}`},
		{`{"a":"c"}`, `{"a":["b"]}`, `{"a":["b"]}`},
		{`{"a":{"b":"c"}}`, `{"a":{"b":"d","c":null}}`, `{"a":{"b":"d"}}`},
		{`{"a":[{"b":"c"}]}`, `{"a":[1]}`, `{"a":[1]}`},
		{`["a","b"]`, `["c","d"]`, `["c","d"]`},
		{`{"a":"b"}`, `["c"]`, `["c"]`},
		{`{"a":"foo"}`, `null`, `null`},
		{`{"a":"foo"}`, `"bar"`, `"bar"`},
		{`{"e":null}`, `{"a":1}`, `{"a":1,"e":null}`},
		{`[1,2]`, `{"a":"b","c":null}`, `{"a":"b"}`},
		{`{}`, `{"a":{"bb":{"ccc":null}}}`, `{"a":{"bb":{}}}`},
	}
	for _, c := range cases {
		got, err := mergePatch([]byte(c[0]), []byte(c[1]))
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != c[2] {
			t.Errorf("merge(%s, %s) = %s, want %s", c[0], c[1], got, c[2])
		}
	}
}

type citeFixture struct {
	Top    dialgate.Citation `json:"cite"`
	Ranges []struct {
		Start string            `json:"start"`
		Cite  dialgate.Citation `json:"cite"`
	} `json:"ranges"`
	ByName map[string]dialgate.Citation `json:"by_name"`
	Ptr    *dialgate.Citation           `json:"ptr,omitempty"`
}

func TestCitationWalk(t *testing.T) {
	var f citeFixture
	f.Top = dialgate.Citation{Source: dialgate.SourceLaw, Ref: "a"}
	f.Ranges = append(f.Ranges, struct {
		Start string            `json:"start"`
		Cite  dialgate.Citation `json:"cite"`
	}{Start: "x"})
	f.ByName = map[string]dialgate.Citation{"b": {Source: "Q", Ref: "r"}, "a": {Source: dialgate.SourceVendor, Ref: "v"}}
	var paths []string
	var bad []string
	walkCitations(reflect.ValueOf(&f), "sec", func(path string, c dialgate.Citation) {
		paths = append(paths, path)
		if err := c.Validate(path); err != nil {
			bad = append(bad, err.Error())
		}
	}, 0)
	want := []string{"sec.cite", "sec.ranges[0].cite", "sec.by_name.a", "sec.by_name.b"}
	if !reflect.DeepEqual(paths, want) {
		t.Errorf("paths = %q, want %q", paths, want)
	}
	wantBad := []string{"sec.ranges[0].cite.source: missing (want L, R, S, V or U)", `sec.by_name.b.source: unknown source tag "Q" (want L, R, S, V or U)`}
	if !reflect.DeepEqual(bad, wantBad) {
		t.Errorf("problems = %q, want %q", bad, wantBad)
	}
}

func TestBuild(t *testing.T) {
	p, err := Builtin("cn")
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 12, 4, 10, 0, 0, 0, time.FixedZone("CST", 8*3600))
	ms := memstore.New()
	g, err := Build(p, Deps{DNC: ms, Ledger: ms, Counters: ms, Consents: ms}, dialgate.WithoutAuditLog(), dialgate.WithClock(dialgate.ClockFunc(func() time.Time { return at })))
	if err != nil {
		t.Fatal(err)
	}
	if g.PolicyVersion() != p.Version() {
		t.Errorf("PolicyVersion = %q, want %q", g.PolicyVersion(), p.Version())
	}
	dec, err := g.Check(context.Background(), dialgate.Dial{To: dialgate.MustParseNumber("+8613800138000"), Purpose: dialgate.PurposeService, LeadID: "x"})
	if err != nil {
		t.Fatal(err)
	}
	if dec.PolicyVersion != p.Version() {
		t.Errorf("decision policy version %q", dec.PolicyVersion)
	}
	g, err = Build(p, Deps{DNC: ms, Ledger: ms, Counters: ms, Consents: ms}, dialgate.WithoutAuditLog(), dialgate.WithPolicyVersion("mine"))
	if err != nil || g.PolicyVersion() != "mine" {
		t.Errorf("explicit WithPolicyVersion: %v %v", g, err)
	}
	if _, err := Build(&Profile{}, Deps{}, dialgate.WithoutAuditLog()); !errors.Is(err, ErrInvalidProfile) {
		t.Errorf("Build(invalid) = %v", err)
	}
	if _, err := Build(nil, Deps{}, dialgate.WithoutAuditLog()); err == nil {
		t.Errorf("Build(nil) succeeded")
	}
}

func TestWriteExplain(t *testing.T) {
	p, err := Builtin("cn")
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	if err := WriteExplain(&b, p); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(b.String(), "cn ("+p.Version()+")\n") {
		t.Errorf("explain output:\n%s", b.String())
	}
	for _, r := range Explain(p) {
		if r.Text == "" || r.Cite.Validate(r.Path) != nil {
			t.Errorf("rule %+v: empty text or bad citation", r)
		}
	}
}

func FuzzParse(f *testing.F) {
	for _, name := range Builtins() {
		src, _ := BuiltinSource(name)
		f.Add(src)
	}
	f.Add([]byte("schema: dialgate.profile.v1\nname: x\nextends: cn\ndescription: null\n"))
	f.Add([]byte(laEmergency))
	f.Add([]byte("schema: dialgate.profile.v1\nname: x\nextends: us\nabandonment: {max_rate: .nan, window: -30d}\nring: {min: -.inf}\n"))
	f.Add([]byte("schema: dialgate.profile.v1\nname: x\nsweep:\n  stride: {min_run: 20, max_gap: 2, window: 24h, cite: {source: U, ref: x}}\n" +
		"  tenants:\n    acme: {stride: {min_run: 5, max_gap: 3, window: 48h, cite: {source: U, ref: y}}}\n"))
	f.Add([]byte("schema: dialgate.profile.v1\nname: x\nschedule:\n  windows: [{days: [mon-sun], ranges: [\"00:00-24:00\"], cite: {source: U, ref: x}}]\n" +
		"  blackouts: [{from: 2026-08-26T06:00:00-05:00, until: 2026-08-27T06:00:00Z, prefixes: [\"+1\"], reason: r, cite: {source: S, ref: x}}]\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := Parse("fuzz.yaml", data)
		if err != nil {
			if !errors.Is(err, ErrInvalidProfile) && !errors.Is(err, ErrUnknownProfile) {
				t.Fatalf("error %v wraps neither ErrInvalidProfile nor ErrUnknownProfile", err)
			}
			return
		}
		if err := p.Validate(); err != nil {
			t.Fatalf("Parse returned a profile that does not validate: %v", err)
		}
		if p.Extends != "" {
			return // re-applying a resolved overlay to its base is not the identity (nulls)
		}
		// The canonical form of a base profile parses back to the same version.
		j, err := p.JSON()
		if err != nil {
			t.Fatal(err)
		}
		q, err := Parse("canonical.json", j)
		if err != nil {
			t.Fatalf("canonical form %s does not parse: %v", j, err)
		}
		if q.Version() != p.Version() {
			t.Fatalf("round trip changed the version")
		}
	})
}
