package main

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestDNCBuildChecksum covers --sha256: a registry download cut short at a
// line boundary is a valid list of fewer numbers, and a snapshot built from
// it, dated by --as-of, would answer "not listed" for every number the cut
// dropped. With the checksum the registry published, such a file fails the
// build (exit 2) and no snapshot is written.
func TestDNCBuildChecksum(t *testing.T) {
	dir := t.TempDir()
	full := "2125550123\n2125550124\n2125550125\n"
	sum := sha256.Sum256([]byte(full))
	want := hex.EncodeToString(sum[:])
	good := writeFile(t, dir, "us-201.txt", full)
	cut := writeFile(t, dir, "us-202.txt", full[:len(full)/2+1]) // ends after a whole line
	other := writeFile(t, dir, "other.txt", "+8613800138000\n")
	out := filepath.Join(dir, "us.dnc")
	build := func(args ...string) []string {
		return append([]string{"dnc", "build", "--out", out, "--name", "us-national-dnc", "--as-of", "2026-06-01T00:00:00Z", "--country-code", "1"}, args...)
	}

	if code, stdout, errs := runCLI(t, "", build("--sha256", good+"="+strings.ToUpper(want), good, other)...); code != 0 || !strings.Contains(stdout, "count:      4") {
		t.Fatalf("matching checksum: exit %d\n%s\n%s", code, stdout, errs)
	}
	if err := os.Remove(out); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"--sha256", cut + "=" + want, cut}, cut + ": SHA-256 is "},
		{[]string{"--sha256", good + "=" + want, "--sha256", cut + "=" + want, good, cut}, cut + ": SHA-256 is "},
		{[]string{"--sha256", good + "=" + want[:10], good}, "--sha256: " + good + "=" + want[:10] + ": want FILE=<64 hex digits>"},
		{[]string{"--sha256", good, good}, "want FILE=<64 hex digits>"},
		{[]string{"--sha256", other + "=" + want, good}, "--sha256: " + other + " is not one of the lists"},
		{[]string{"--sha256", good + "=" + want, "--sha256", good + "=" + want, good}, "--sha256: " + good + " given twice"},
	} {
		code, _, errs := runCLI(t, "", build(tt.args...)...)
		if code != 2 || !strings.Contains(errs, tt.want) || !strings.Contains(errs, "no snapshot written") {
			t.Errorf("%v: exit %d, stderr %q, want 2 and %q", tt.args, code, errs, tt.want)
		}
		if _, err := os.Stat(out); !os.IsNotExist(err) {
			t.Fatalf("%v: a refused build wrote %s", tt.args, out)
		}
	}
}
