package scenario

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dialgate/dialgate/internal/yamlx"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata")

const head = "schema: dialgate.scenario.v1\nname: t\nprofile: cn\n"

func TestParseErrors(t *testing.T) {
	step := "  - at: 2026-12-04T10:00:00+08:00\n"
	dial := "    dial: {to: \"+8613800138000\", purpose: service}\n"
	tests := []struct{ name, src, want string }{
		{"unknown top key", head + "stepz: []\n", `s.yaml:4: stepz: unknown key "stepz"`},
		{"dnc entry without scope", head + "dnc:\n  - {number: \"+8613800138000\", added_at: 2026-01-01T00:00:00+08:00}\nsteps:\n" + step + dial + "    want: {allowed: true}\n", "s.yaml:5: dnc: [0].scope: missing"},
		{"dnc entry bad number", head + "dnc:\n  - {number: \"+86abc\", scope: global, added_at: 2026-01-01T00:00:00+08:00}\nsteps:\n" + step + dial + "    want: {allowed: true}\n", "dnc: [0].number: invalid number"},
		{"dnc entry bad scope", head + "dnc:\n  - {number: \"+8613800138000\", scope: \"region:x\", added_at: 2026-01-01T00:00:00+08:00}\nsteps:\n" + step + dial + "    want: {allowed: true}\n", `dnc: [0].scope: scope "region:x": unknown kind`},
		{"dnc entry unknown key", head + "dnc:\n  - {number: \"+8613800138000\", scope: global, added: 2026-01-01T00:00:00+08:00}\nsteps:\n" + step + dial + "    want: {allowed: true}\n", `dnc[0].added: unknown key "added"`},
		{"registry without as_of", head + "registries:\n  - {name: x, numbers: []}\nsteps:\n" + step + dial + "    want: {allowed: true}\n", "registries: [0].as_of: missing"},
		{"opt_out without scope", head + "steps:\n" + step + "    event: {type: opt_out, number: \"+8613800138000\"}\n", "steps[0].event: scope: missing"},
		{"load_registry bad number", head + "steps:\n" + step + "    event: {type: load_registry, as_of: 2026-01-01T00:00:00Z, numbers: [\"12\"]}\n", "steps[0].event: numbers[0]:"},
		{"missing schema", "name: t\nprofile: cn\nsteps: []\n", "schema: missing"},
		{"wrong schema", "schema: dialgate.scenario.v2\nname: t\nprofile: cn\nsteps: []\n", `s.yaml:1: schema: "dialgate.scenario.v2" is not supported`},
		{"missing profile", "schema: dialgate.scenario.v1\nname: t\nsteps: []\n", "profile: missing"},
		{"empty steps", head + "steps: []\n", "s.yaml:4: steps: want a non-empty list"},
		{"unknown step key", head + "steps:\n" + step + dial + "    wnat: {allowed: true}\n", `s.yaml:7: steps[0].wnat: unknown key "wnat"`},
		{"unknown dial key", head + "steps:\n" + step + "    dial:\n      to: \"+8613800138000\"\n      purpos: service\n", `s.yaml:8: steps[0].dial.purpos: unknown key "purpos" (want one of`},
		{"merged want key", head + "steps:\n" + step + dial + "    want: {<<: [{Allowed: false}]}\n", `s.yaml:7: steps[0].want.Allowed: unknown key "Allowed" (did you mean "allowed"?)`},
		{"unknown want key", head + "steps:\n" + step + dial + "    want: {allowed: true, code: [x.y]}\n", `s.yaml:7: steps[0].want.code: unknown key "code"`},
		{"no want", head + "steps:\n" + step + dial, "steps[0].want: missing"},
		{"want nothing", head + "steps:\n" + step + dial + "    want: {codes: [schedule.outside_window]}\n", "want allowed: true|false, or error"},
		{"codes with allowed", head + "steps:\n" + step + dial + "    want: {allowed: true, codes: [schedule.outside_window]}\n", "need allowed: false"},
		{"bad code", head + "steps:\n" + step + dial + "    want: {allowed: false, codes: [outside]}\n", `"outside" is not a reason code`},
		{"bad time", head + "steps:\n  - at: 2026-12-04 10:00\n" + dial + "    want: {allowed: true}\n", "s.yaml:5: steps[0]"},
		// An at without a value is missing, not the zero instant: a
		// delete_recording there is always retention_locked, a
		// sweep_recordings always deletes 0, whatever the rules say.
		{"null at", head + "steps:\n  - at: null\n    event: {type: sweep_recordings}\n    want: {deleted: 0}\n", "s.yaml:5: steps[0].at: missing"},
		{"empty at", head + "steps:\n  - at:\n    event: {type: sweep_recordings}\n    want: {deleted: 0}\n", "s.yaml:5: steps[0].at: missing"},
		{"at before 2000", head + "steps:\n  - at: 0001-01-01T00:00:00Z\n    event: {type: sweep_recordings}\n    want: {deleted: 0}\n", "s.yaml:5: steps[0].at: 0001-01-01T00:00:00Z is before 2000"},
		{"no at", head + "steps:\n  - dial: {to: \"+8613800138000\", purpose: service}\n    want: {allowed: true}\n", "steps[0].at: missing"},
		{"both", head + "steps:\n" + step + dial + "    event: {type: outcome}\n    want: {allowed: true}\n", "either dial or event"},
		{"neither", head + "steps:\n" + step + "    want: {allowed: true}\n", "needs a dial or an event"},
		{"unknown code", head + "steps:\n" + step + dial + "    want: {allowed: false, codes: [schedule.outside_windw]}\n", `unknown reason code "schedule.outside_windw"`},
		{"allowed type", head + "steps:\n" + step + dial + "    want: {allowed: maybe}\n", "s.yaml:7: steps[0].want.allowed: cannot use a string here (want true or false)"},
		{"unknown event", head + "steps:\n" + step + "    event: {type: party}\n", `unknown event type "party" (want one of`},
		{"event no type", head + "steps:\n" + step + "    event: {decision: s1}\n", "steps[0].event.type: missing"},
		{"event unknown key", head + "steps:\n  - id: s1\n" + "    " + step[4:] + dial + "    want: {allowed: true}\n" + step + "    event:\n      type: outcome\n      decision: s1\n      rang: 3\n", `s.yaml:13: steps[1].event.rang: unknown key "rang"`},
		{"decision unknown", head + "steps:\n" + step + "    event: {type: outcome, decision: s9}\n", `no earlier step has id "s9"`},
		{"decision later", head + "steps:\n" + step + "    event: {type: outcome, decision: s2}\n  - id: s2\n" + "    " + step[4:] + dial + "    want: {allowed: true}\n", `no earlier step has id "s2"`},
		{"decision required", head + "steps:\n" + step + "    event: {type: outcome, answered: true}\n", "decision: required for outcome"},
		{"duplicate id", head + "steps:\n  - id: a\n" + "    " + step[4:] + dial + "    want: {allowed: true}\n  - id: a\n" + "    " + step[4:] + dial + "    want: {allowed: true}\n", `"a" already names step 1 (line 5)`},
		{"bad id", head + "steps:\n  - id: \"a b\"\n" + "    " + step[4:] + dial + "    want: {allowed: true}\n", "steps[0].id"},
		{"event want allowed", head + "steps:\n  - id: s1\n" + "    " + step[4:] + dial + "    want: {allowed: true}\n" + step + "    event: {type: outcome, decision: s1}\n    want: {allowed: true}\n", "an event wants error or deleted"},
		{"deleted on dial", head + "steps:\n" + step + dial + "    want: {allowed: true, deleted: 1}\n", "only for sweep_recordings"},
		{"evidence with error", head + "steps:\n" + step + dial + "    want: {error: dial.invalid, evidence: {ring.min_seconds: \"15\"}}\n", "steps[0].want.evidence: evidence is a decision's"},
		{"evidence bad key", head + "steps:\n" + step + dial + "    want: {allowed: true, evidence: {ring: \"15\"}}\n", `"ring" is not an evidence key`},
		{"evidence on event", head + "steps:\n  - id: s1\n" + "    " + step[4:] + dial + "    want: {allowed: true}\n" + step + "    event: {type: outcome, decision: s1}\n    want: {evidence: {consent.id: c-1}}\n", "an event wants error or deleted"},
		{"policy unknown key", head + "policy:\n  descripton: x\nsteps:\n" + step + dial + "    want: {allowed: true}\n", `s.yaml:5: policy.descripton: unknown key "descripton"`},
		{"policy extends", head + "policy:\n  extends: us\nsteps:\n" + step + dial + "    want: {allowed: true}\n", "s.yaml:5: policy.extends: may not be overridden"},
		{"policy nan", head + "policy:\n  abandonment:\n    max_rate: .nan\nsteps:\n" + step + dial + "    want: {allowed: true}\n", "s.yaml:6: policy.abandonment.max_rate: .nan is not a finite number"},
		{"negative ring", head + "steps:\n  - id: s1\n" + "    " + step[4:] + dial + "    want: {allowed: true}\n" + step + "    event: {type: outcome, decision: s1, ring_seconds: -1}\n", "ring_seconds: -1 is negative"},
		// 18446744074 s is 2^64 ns and 0.29 s: read in nanoseconds it
		// wrapped into a one-ring call.
		{"overflowing ring", head + "steps:\n  - id: s1\n" + "    " + step[4:] + dial + "    want: {allowed: true}\n" + step + "    event: {type: outcome, decision: s1, ring_seconds: 18446744074}\n", "ring_seconds: 18446744074 is more than 86400"},
		{"syntax", head + "steps: [\n", "YAML syntax"},
		{"ended_at not RFC 3339", head + "steps:\n" + step + "    event: {type: recording, id: r-1, number: \"+8613800138000\", started_at: 2026-12-04T09:00:00+08:00, ended_at: 2026-12-04 09:30}\n", "ended_at: want RFC 3339"},
		{"retention_days overflow", head + "steps:\n" + step + "    event: {type: recording, id: r-1, number: \"+8613800138000\", started_at: 2026-12-04T09:00:00+08:00, retention_days: 213535}\n", "retention_days: 213535 is more than 36600"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("s.yaml", []byte(tt.src))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got %v\nwant error containing %q", err, tt.want)
			}
			if !errors.Is(err, ErrInvalid) {
				t.Errorf("error does not wrap ErrInvalid")
			}
		})
	}
}

func TestParse(t *testing.T) {
	f, err := ParseFile("testdata/run/pass.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if f.Name != "every step passes" || f.Tenant != "acme" || len(f.Steps) != 7 {
		t.Fatalf("parsed %+v", f)
	}
	s := f.Steps[0]
	if s.ID != "s1" || s.Line != 6 || s.Dial.To != "+8613800138000" || s.Dial.LeadID != "crm-1" || !*s.Want.Allowed {
		t.Errorf("step 1: %+v %+v", s, s.Dial)
	}
	if e := f.Steps[4].Event; e == nil || e.Type != "outcome" || e.Decision != "s1" {
		t.Errorf("step 5 event: %+v", e)
	}
	// An unquoted number is read as text, not as an integer.
	f, err = Parse("s.yaml", []byte(head+"steps:\n  - at: 2026-12-04T10:00:00+08:00\n    dial: {to: +8613800138000, purpose: service}\n    want: {allowed: true}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if got := f.Steps[0].Dial.To; got != "+8613800138000" {
		t.Errorf("unquoted number read as %q", got)
	}
	// As written, also when YAML 1.1 would read it as an octal integer: a
	// Shanghai number written nationally (trunk 0) is not re-spelt as the
	// decimal 299673390, another country's number.
	f, err = Parse("s.yaml", []byte(head+"steps:\n  - at: 2026-12-04T10:00:00+08:00\n    dial: {to: 02167123456, purpose: service}\n    want: {error: dial.invalid}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if got := f.Steps[0].Dial.To; got != "02167123456" {
		t.Errorf("unquoted national number read as %q", got)
	}
}

func TestRunErrors(t *testing.T) {
	for src, want := range map[string]string{
		"schema: dialgate.scenario.v1\nname: t\nprofile: nosuch\nsteps:\n  - at: 2026-12-04T10:00:00+08:00\n    dial: {to: \"+8613800138000\", purpose: service}\n    want: {allowed: true}\n": "s.yaml:3: profile:",
		head + "policy:\n  name: Not Valid\nsteps:\n  - at: 2026-12-04T10:00:00+08:00\n    dial: {to: \"+8613800138000\", purpose: service}\n    want: {allowed: true}\n":                      "s.yaml:5: policy:",
	} {
		f, err := Parse("s.yaml", []byte(src))
		if err != nil {
			t.Fatal(err)
		}
		_, err = Run(context.Background(), f)
		if err == nil || !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), want) {
			t.Errorf("Run = %v, want invalid containing %q", err, want)
		}
	}
}

func TestReports(t *testing.T) {
	files, err := filepath.Glob("testdata/run/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatal(files, err)
	}
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			rep, err := RunFile(context.Background(), file)
			if err != nil {
				t.Fatal(err)
			}
			var b bytes.Buffer
			if err := rep.WriteText(&b); err != nil {
				t.Fatal(err)
			}
			golden(t, strings.TrimSuffix(file, ".yaml")+".golden", b.Bytes())
			if strings.Contains(file, "mixed") && (rep.Passed != 2 || rep.Failed != 2) {
				t.Errorf("mixed: %d passed, %d failed; want 2 and 2", rep.Passed, rep.Failed)
			}
			if strings.Contains(file, "pass") != rep.OK() {
				t.Errorf("OK() = %v for %s", rep.OK(), file)
			}
			if strings.Contains(file, "fail") && rep.Passed != 0 {
				t.Errorf("%d steps of %s passed; every step should fail", rep.Passed, file)
			}
			j, err := json.Marshal(rep)
			if err != nil || !json.Valid(j) {
				t.Errorf("JSON report: %v", err)
			}
		})
	}
}

func golden(t *testing.T, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs (run go test -update to accept):\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}

func TestExpand(t *testing.T) {
	dir := t.TempDir()
	for name, src := range map[string]string{
		"b.yaml":          head,
		"a.yml":           head,
		"notes.txt":       "x",
		"sub/c.yaml":      head,
		".hidden/d.yaml":  head,
		"sub/prof.yaml":   "schema: dialgate.profile.v1\nname: p\n",
		"sub/deep/e.yaml": head,
	} {
		path := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := Expand(dir, filepath.Join(dir, "notes.txt"))
	if err != nil {
		t.Fatal(err)
	}
	var rel []string
	for _, g := range got {
		r, _ := filepath.Rel(dir, g)
		rel = append(rel, filepath.ToSlash(r))
	}
	want := "a.yml b.yaml sub/c.yaml sub/deep/e.yaml notes.txt"
	if strings.Join(rel, " ") != want {
		t.Errorf("Expand = %q, want %q", rel, want)
	}
	if _, err := Expand(filepath.Join(dir, "missing")); err == nil {
		t.Errorf("Expand(missing) succeeded")
	}
}

func FuzzParse(f *testing.F) {
	for _, p := range []string{"testdata/run/pass.yaml", "testdata/run/fail.yaml"} {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(head + "steps:\n  - at: 2026-12-04T10:00:00+08:00\n    event: {type: complaint}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		file, err := Parse("testdata/run/fuzz.yaml", data)
		if err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("error %v does not wrap ErrInvalid", err)
			}
			var ye *yamlx.Error
			if errors.As(err, &ye) && ye.File != "testdata/run/fuzz.yaml" {
				t.Fatalf("error names file %q", ye.File)
			}
			return
		}
		if len(file.Steps) == 0 {
			t.Fatal("a valid file has no steps")
		}
		for _, s := range file.Steps {
			if (s.Dial == nil) == (s.Event == nil) {
				t.Fatalf("step %d has both or neither of dial and event", s.Index)
			}
		}
		// Running a valid file never panics; it reports or fails cleanly.
		if file.Profile == "../profiles/plain.yaml" || file.Profile == "cn" {
			rep, err := Run(context.Background(), file)
			if err == nil && rep.Passed+rep.Failed != len(file.Steps) {
				t.Fatalf("report counts %d steps of %d", rep.Passed+rep.Failed, len(file.Steps))
			}
		}
	})
}

// A deny wanted without codes passes on any deny (an outage, an invalid
// dial): Run reports it as a warning, with the file and line, and the text
// report prints it; a deny with codes and an allow are not warned about.
func TestWarningsDenyWithoutCodes(t *testing.T) {
	src := head + "steps:\n" +
		"  - at: 2026-12-04T10:00:00+08:00\n    dial: {to: \"+8613800138000\", purpose: marketing}\n    want: {allowed: false}\n" +
		"  - at: 2026-12-04T10:00:00+08:00\n    dial: {to: \"+8613800138000\", purpose: marketing}\n    want: {allowed: false, codes: [sweep.no_provenance]}\n" +
		"  - at: 2026-12-04T10:00:00+08:00\n    dial: {to: \"+8613800138000\", purpose: service, lead_id: crm-1}\n    want: {allowed: true}\n"
	f, err := Parse("s.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	rep, err := Run(context.Background(), f)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Warnings) != 1 || !strings.Contains(rep.Warnings[0], "s.yaml:5: step 1 wants a deny without codes") {
		t.Fatalf("warnings = %q, want one for step 1 at line 5", rep.Warnings)
	}
	var b bytes.Buffer
	if err := rep.WriteText(&b); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "warning: s.yaml:5: step 1") {
		t.Errorf("text report without the warning:\n%s", b.String())
	}
}
