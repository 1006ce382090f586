package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dialgate/dialgate/policy"
)

// TestPolicyShowLoadsBack: `policy show NAME > FILE` is a profile file as it
// stands (docs/auditors.md makes mutants from it): FILE must load back to
// the same profile, same version. The output keeps extends: and a merge
// patch cannot remove what it leaves out, so cn-insurance's
// "schedule.callback: null" (no instant-callback exemption from the
// insurance rule's 21:00–09:00) came back from cn on reload: a copy of
// cn-insurance allowed callbacks at 22:00.
func TestPolicyShowLoadsBack(t *testing.T) {
	dir := t.TempDir()
	for _, name := range policy.Builtins() {
		t.Run(name, func(t *testing.T) {
			want, err := policy.Builtin(name)
			if err != nil {
				t.Fatal(err)
			}
			code, out, stderr := runCLI(t, "", "policy", "show", name)
			if code != 0 {
				t.Fatalf("policy show %s: exit %d: %s", name, code, stderr)
			}
			path := filepath.Join(dir, name+".yaml")
			if err := os.WriteFile(path, []byte(out), 0o600); err != nil {
				t.Fatal(err)
			}
			got, err := policy.LoadFile(path)
			if err != nil {
				t.Fatalf("loading the output of policy show %s: %v", name, err)
			}
			if got.Version() != want.Version() {
				wj, _ := want.JSON()
				gj, _ := got.JSON()
				t.Errorf("policy show %s loads back as %s, want %s\nwant %s\ngot  %s", name, got.Version(), want.Version(), wj, gj)
			}
		})
	}
}

// TestPolicyShowOverlayFalseLoadsBack: an overlay that turns a base's
// setting off (required: false, a section removed) is shown so that it loads back
// off, not with the base's value.
func TestPolicyShowOverlayFalseLoadsBack(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "overlay.yaml")
	if err := os.WriteFile(src, []byte("schema: dialgate.profile.v1\nname: ins-off\nextends: cn-insurance\nrecording: {required: false}\nsweep: null\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	want, err := policy.LoadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	code, out, stderr := runCLI(t, "", "policy", "show", src)
	if code != 0 {
		t.Fatalf("policy show: exit %d: %s", code, stderr)
	}
	shown := filepath.Join(t.TempDir(), "shown.yaml")
	if err := os.WriteFile(shown, []byte(out), 0o600); err != nil {
		t.Fatal(err)
	}
	got, err := policy.LoadFile(shown)
	if err != nil {
		t.Fatalf("loading the output of policy show: %v\n%s", err, out)
	}
	if want.Recording == nil || want.Recording.Required || want.Sweep != nil {
		t.Fatalf("the overlay did not load as meant: %+v", want)
	}
	if got.Version() != want.Version() || got.Recording == nil || got.Recording.Required || got.Sweep != nil {
		t.Errorf("loads back as %s (recording %+v, sweep %v), want %s with recording not required and no sweep", got.Version(), got.Recording, got.Sweep != nil, want.Version())
	}
	if !strings.HasPrefix(out, "# "+want.Version()+"\n") {
		t.Errorf("output does not start with the version: %q", out[:min(len(out), 60)])
	}
}
