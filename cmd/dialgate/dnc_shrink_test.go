package main

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dialgate/dialgate/dnc"
)

// TestDNCBuildAcceptShrinkFrom covers --accept-shrink-from: the operator's
// record, in the new copy's header (covered by its header SHA-256), that
// this copy may replace one named copy although it lists far fewer numbers
// (`dialgate serve` refuses such a copy otherwise: registry_max_shrink).
func TestDNCBuildAcceptShrinkFrom(t *testing.T) {
	dir := t.TempDir()
	big := writeFile(t, dir, "big.txt", "2125550123\n2125550124\n2125550125\n2125550126\n")
	small := writeFile(t, dir, "small.txt", "2125550123\n")
	prev := filepath.Join(dir, "prev.dnc")
	build := func(out string, args ...string) []string {
		return append([]string{"dnc", "build", "--out", out, "--name", "us-national-dnc", "--as-of", "2026-06-01T00:00:00Z", "--country-code", "1"}, args...)
	}
	if code, _, errs := runCLI(t, "", build(prev, big)...); code != 0 {
		t.Fatalf("build: exit %d\n%s", code, errs)
	}
	ph, err := dnc.ReadHeaderFile(prev)
	if err != nil {
		t.Fatal(err)
	}
	next := filepath.Join(dir, "next.dnc")
	for _, from := range []string{prev, ph.Version()} {
		code, stdout, errs := runCLI(t, "", build(next, "--json", "--accept-shrink-from", from, small)...)
		var br buildResult
		if err := json.Unmarshal([]byte(stdout), &br); err != nil || code != 0 {
			t.Fatalf("--accept-shrink-from %s: exit %d %v\n%s\n%s", from, code, err, stdout, errs)
		}
		if br.Snapshot.ShrinkFrom != ph.Version() {
			t.Fatalf("--accept-shrink-from %s: shrink_from %q, want %q", from, br.Snapshot.ShrinkFrom, ph.Version())
		}
		h, err := dnc.ReadHeaderFile(next)
		if err != nil || h.ShrinkFrom != ph.Version() {
			t.Fatalf("header of the copy built: %+v %v", h, err)
		}
	}
	if code, stdout, _ := runCLI(t, "", "dnc", "info", next); code != 0 || !strings.Contains(stdout, "shrink_from:   "+ph.Version()) {
		t.Fatalf("info: exit %d\n%s", code, stdout)
	}
	other := filepath.Join(dir, "other.dnc")
	if code, _, errs := runCLI(t, "", "dnc", "build", "--out", other, "--name", "uk-tps", "--as-of", "2026-06-01T00:00:00Z", "--international", writeFile(t, dir, "uk.txt", "447700900123\n")); code != 0 {
		t.Fatalf("build: exit %d\n%s", code, errs)
	}
	for _, tt := range []struct{ from, want string }{
		{other, `--accept-shrink-from: ` + other + ` is a copy of uk-tps, not of --name us-national-dnc`},
		{"0123456789ABCDEF", "--accept-shrink-from: 0123456789ABCDEF"},
		{filepath.Join(dir, "nosuch.dnc"), "--accept-shrink-from: "},
		{big, "--accept-shrink-from: " + big},
	} {
		code, _, errs := runCLI(t, "", build(filepath.Join(dir, "x.dnc"), "--accept-shrink-from", tt.from, small)...)
		if code != 2 || !strings.Contains(errs, tt.want) {
			t.Errorf("--accept-shrink-from %s: exit %d, stderr %q, want 2 and %q", tt.from, code, errs, tt.want)
		}
	}
}
