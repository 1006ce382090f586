package main

import (
	"strings"
	"testing"
	"time"
)

// A complaint step dated in the future (a wrong year or zone offset in --at)
// is bad input: an answer dated next year closed the complaint at once, so its
// holds on the callee's recordings could be released and the recordings
// swept while the complainant had not been answered, and its deadlines read
// as met. Like a consent granted in the future, it is refused and changes
// nothing.
func TestComplaintStepInTheFuture(t *testing.T) {
	data := t.TempDir()
	run := func(args ...string) (int, string, string) {
		t.Helper()
		return runCLI(t, "", append([]string{"--data", data}, args...)...)
	}
	now := time.Now().Truncate(time.Second)
	at := func(d time.Duration) string { return now.Add(d).Format(time.RFC3339) }
	if code, _, errs := run("complaint", "add", "--number", "+8613900139000", "--id", "cp-1", "--at", at(-48*time.Hour)); code != 0 {
		t.Fatalf("complaint add: exit %d %s", code, errs)
	}
	if code, _, errs := run("recordings", "register", "--id", "r-1", "--number", "+8613900139000", "--started-at", at(-49*time.Hour), "--at", at(-49*time.Hour)); code != 0 {
		t.Fatalf("recordings register: exit %d %s", code, errs)
	}
	if code, _, errs := run("recordings", "hold", "r-1", "--hold", "complaint:cp-1"); code != 0 {
		t.Fatalf("recordings hold: exit %d %s", code, errs)
	}
	for _, s := range []struct {
		step  string
		extra []string
	}{
		{"forward", nil},
		{"resolve", []string{"--resolution", "kept on the list"}},
		{"answer", nil},
	} {
		future := at(365 * 24 * time.Hour)
		args := append([]string{"complaint", s.step, "cp-1", "--at", future}, s.extra...)
		if code, out, errs := run(args...); code != 2 || !strings.Contains(errs, "--at: "+future+" is in the future") {
			t.Errorf("%s at %s: exit %d %q %q, want exit 2 naming --at", s.step, future, code, out, errs)
		}
		args = append([]string{"complaint", s.step, "cp-1", "--at", at(-time.Hour)}, s.extra...)
		if s.step == "answer" {
			break
		}
		if code, out, errs := run(args...); code != 0 {
			t.Fatalf("%s: exit %d %q %q", s.step, code, out, errs)
		}
	}
	// Not answered: the complaint's hold stays.
	if code, _, errs := run("recordings", "release", "r-1", "--hold", "complaint:cp-1"); code != 1 || !strings.Contains(errs, "may not be released") {
		t.Fatalf("release of the unanswered complaint's hold: exit %d %s", code, errs)
	}
}
