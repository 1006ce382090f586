package scenario

import (
	"errors"
	"strings"
	"testing"
)

// TestDisplayControlsRefused: the text report of `scenarios run` prints a
// file's name and the evidence values its steps want as written. A control
// character there (ESC [ 1A ESC [ 2K moves up and clears a line, a
// carriage return overwrites "FAIL" with "ok  ") or a bidirectional
// override let a file rewrite what the auditor reads of its own and the
// earlier files' results, while the exit code said otherwise. Such a file
// is invalid, naming the field (no evidence value the Gate gives holds one:
// a wanted one could never match anyway).
func TestDisplayControlsRefused(t *testing.T) {
	step := "steps:\n  - at: 2026-12-04T10:00:00+08:00\n    dial: {to: \"+8613800138000\", purpose: service, lead_id: crm-1}\n"
	for _, tc := range []struct{ name, src, want string }{
		{"escape in name", "schema: dialgate.scenario.v1\nname: \"t\\e[1A\\e[2K\"\nprofile: cn\n" + step + "    want: {allowed: true}\n", "s.yaml:2: name: control character at byte 1"},
		{"carriage return in name", "schema: dialgate.scenario.v1\nname: \"t\\rok\"\nprofile: cn\n" + step + "    want: {allowed: true}\n", "s.yaml:2: name: control character at byte 1"},
		{"override in name", "schema: dialgate.scenario.v1\nname: \"t\\u202e\"\nprofile: cn\n" + step + "    want: {allowed: true}\n", "s.yaml:2: name: bidirectional"},
		{"C1 in evidence", head + step + "    want: {allowed: true, evidence: {consent.id: \"c-1\\u009b2K\"}}\n", "s.yaml:7: steps[0].want.evidence.consent.id: control character U+009B"},
		{"return in evidence", head + step + "    want: {allowed: true, evidence: {consent.id: \"c-1\\rok  \"}}\n", "s.yaml:7: steps[0].want.evidence.consent.id: control character at byte 3"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse("s.yaml", []byte(tc.src))
			if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Parse = %v, want ErrInvalid with %q", err, tc.want)
			}
		})
	}
	// Text outside the Latin script is fine.
	ok := "schema: dialgate.scenario.v1\nname: 休息时间以被叫为准\nprofile: cn\n" + step + "    want: {allowed: true, evidence: {schedule.zone: Asia/Shanghai}}\n"
	if _, err := Parse("s.yaml", []byte(ok)); err != nil {
		t.Errorf("Parse: %v", err)
	}
}

// TestWriteTextEscapesControls: what a step came back with is printed in
// the text report — the message of an event's error names the id the file
// gave (delete_recording of an unknown id), a reason's message names what
// the dial said. A control character in them reached the terminal as is:
// ESC [ 1A ESC [ 2K from a file's id erased the FAIL line above. They are
// printed escaped (\x1b), as is a file path holding one.
func TestWriteTextEscapesControls(t *testing.T) {
	src := "schema: dialgate.scenario.v1\nname: m\nprofile: cn\nsteps:\n" +
		"  - at: 2026-12-05T10:00:00+08:00\n    event: {type: delete_recording, id: \"r\\e[1A\\e[2K\\rok\"}\n"
	f, err := Parse("dir\x1b[2K/s.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	rep, err := Run(t.Context(), f)
	if err != nil {
		t.Fatal(err)
	}
	if rep.OK() {
		t.Fatalf("the step passed: %+v", rep.Steps)
	}
	var b strings.Builder
	if err := rep.WriteText(&b); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	if strings.ContainsAny(out, "\x1b\r") {
		t.Errorf("the report holds a raw control character:\n%q", out)
	}
	if !strings.Contains(out, `r\x1b[1A\x1b[2K\rok`) || !strings.Contains(out, `dir\x1b[2K/s.yaml`) {
		t.Errorf("the report does not show the id and path escaped:\n%s", out)
	}
}
