package dialgate

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestDialCalleeZone(t *testing.T) {
	base := Dial{To: MustParseNumber("+12125550100"), Purpose: PurposeService}
	for _, ok := range []string{"", "America/Los_Angeles", "UTC", "Etc/GMT+5", "America/Argentina/Buenos_Aires", "America/Port-au-Prince"} {
		d := base
		d.CalleeZone = ok
		if err := d.Validate(); err != nil {
			t.Errorf("callee_zone %q: %v", ok, err)
		}
	}
	for zone, problem := range map[string]string{
		"America/Springfield": "unknown time zone",
		"Local":               "this host's zone",
		// Files of a host's zoneinfo directory that are no place: its own
		// zone under another name, its default rules, the database's
		// placeholder, and the duplicate trees some hosts install.
		"localtime":           "this host's zone",
		"posixrules":          "this host's zone",
		"Factory":             "not a place",
		"posix/Asia/Shanghai": "a copy",
		"right/Asia/Shanghai": "a copy",
		// In another case: a file system that ignores case (macOS) opens
		// the same files.
		"LOCALTIME":             "this host's zone",
		"PosixRules":            "this host's zone",
		"FACTORY":               "not a place",
		"Posix/Asia/Shanghai":   "a copy",
		"RIGHT/Asia/Shanghai":   "a copy",
		"../../etc/passwd":      "starts with a dot",
		"/usr/share/zoneinfo/x": "an empty element",
		"America//Chicago":      "an empty element",
		"America/":              "an empty element",
		"America/Chicago\n":     "byte 15",
		"America/Chicago ":      "byte 15",
		"Amérique/Paris":        "byte 2",
		strings.Repeat("A", 65): "longer than 64 bytes",
	} {
		d := base
		d.CalleeZone = zone
		err := d.Validate()
		var fe *FieldError
		if !errors.As(err, &fe) || fe.Field != "callee_zone" || !errors.Is(err, ErrInvalidDial) || !strings.Contains(err.Error(), problem) {
			t.Errorf("callee_zone %q: %v, want a callee_zone error saying %q", zone, err, problem)
		}
	}
}

// FuzzZoneProblem: any string gets an answer without panicking, and a name
// it accepts is one time.LoadLocation loads.
func FuzzZoneProblem(f *testing.F) {
	for _, s := range []string{"America/Chicago", "Local", "../x", "a//b", "", "Etc/GMT+5"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		if zoneProblem(name) != "" {
			return
		}
		if name == "" || name == "Local" {
			t.Fatalf("%q accepted", name)
		}
		if _, err := time.LoadLocation(name); err != nil {
			t.Fatalf("%q accepted but does not load: %v", name, err)
		}
	})
}
