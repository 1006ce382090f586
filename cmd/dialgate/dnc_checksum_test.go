package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
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

	if code, stdout, errs := runCLI(t, "", build("--sha256", good+"="+strings.ToUpper(want), good, other)...); code != 0 || !strings.Contains(stdout, "count:         4") {
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

// FuzzParseSums checks the --sha256 values of dnc build: an accepted value
// names one of the lists and holds a whole SHA-256, which is what the list
// is then checked against; a refused one is bad input (exit 2) naming the
// flag, never a panic.
func FuzzParseSums(f *testing.F) {
	sum := strings.Repeat("ab", 32)
	f.Add("a.txt="+sum, "b.txt="+sum)
	f.Add("a.txt="+sum, "a.txt="+sum)
	f.Add("a.txt", "")
	f.Add("c.txt="+sum, "")
	f.Add("a.txt="+sum[:63], "b.txt==")
	f.Add("=", "a.txt="+strings.ToUpper(sum))
	f.Add("x=y.txt="+sum, "")
	f.Fuzz(func(t *testing.T, v1, v2 string) {
		paths := []string{"a.txt", "b.txt", "x=y.txt"}
		vals := []string{v1}
		if v2 != "" {
			vals = append(vals, v2)
		}
		want, err := parseSums(vals, paths)
		if err != nil {
			var ee *exitError
			if !errors.As(err, &ee) || ee.code != exitBadArgs || !strings.Contains(err.Error(), "--sha256") {
				t.Fatalf("%q: error %v is not bad input naming --sha256", vals, err)
			}
			return
		}
		if len(want) != len(vals) {
			t.Fatalf("%q: %d checksums kept of %d", vals, len(want), len(vals))
		}
		for i, s := range want {
			if i < 0 || i >= len(paths) || len(s) != sha256.Size {
				t.Fatalf("%q: checksum %x for list %d", vals, s, i)
			}
			again, err := parseSums([]string{paths[i] + "=" + hex.EncodeToString(s)}, paths)
			if err != nil || !bytes.Equal(again[i], s) {
				t.Fatalf("%q: list %d's checksum %x does not parse back: %v", vals, i, s, err)
			}
		}
	})
}
