package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestComplaintNeedsAStore: the complaint commands other than add act on
// complaints already filed, so on a --data that holds no store (a mistyped
// path) they are bad input naming --data, and create nothing. They used to
// make a new store, keys and audit log there, and then list no complaints
// (exit 0: "nothing overdue", read from the wrong directory) or say the
// complaint was not found (exit 1), while the real store was never opened.
// add still creates the store, as recordings register does.
func TestComplaintNeedsAStore(t *testing.T) {
	real := filepath.Join(t.TempDir(), "real")
	code, filed, errs := runCLI(t, "", "--data", real, "complaint", "add", "--number", "+8613900139000", "--id", "cp-1", "--json")
	if code != 0 {
		t.Fatalf("complaint add: exit %d\n%s%s", code, filed, errs)
	}
	repair := filepath.Join(t.TempDir(), "cp-1.json")
	if err := os.WriteFile(repair, []byte(filed), 0o600); err != nil {
		t.Fatal(err)
	}
	typo := filepath.Join(t.TempDir(), "typo")
	for _, args := range [][]string{
		{"complaint", "list"},
		{"complaint", "list", "--overdue"},
		{"complaint", "list", "--json"},
		{"complaint", "forward", "cp-1"},
		{"complaint", "resolve", "cp-1", "--resolution", "called back, listed"},
		{"complaint", "answer", "cp-1"},
		{"complaint", "repair", "cp-1", "--from-json", repair},
	} {
		code, out, errs := runCLI(t, "", append([]string{"--data", typo}, args...)...)
		if code != 2 || out != "" || !strings.Contains(errs, "--data: no store at") {
			t.Errorf("dialgate %s: exit %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), code, out, errs)
		}
		if _, err := os.Stat(typo); !os.IsNotExist(err) {
			t.Fatalf("dialgate %s created %s: %v", strings.Join(args, " "), typo, err)
		}
	}
	// The real store still answers.
	if code, out, errs := runCLI(t, "", "--data", real, "complaint", "list"); code != 0 || !strings.Contains(out, "cp-1") {
		t.Errorf("complaint list on the real store: exit %d\n%s%s", code, out, errs)
	}
}

// TestDNCLookupNeedsAStoreOrSnapshot: dnc lookup on a --data without a store
// and without --snapshot consulted nothing, yet printed "not listed" and
// exited 1, which by its grep convention (README, its help) says "listed
// nowhere": a script would dial the number, which may be listed in the store
// a mistyped --data missed. It is bad input naming --data (exit 2), and
// creates nothing. With --snapshot it still looks in the snapshots alone
// (TestDNCBuildInfoLookup).
func TestDNCLookupNeedsAStoreOrSnapshot(t *testing.T) {
	typo := filepath.Join(t.TempDir(), "typo")
	for _, args := range [][]string{
		{"dnc", "lookup", "+8613900139000"},
		{"dnc", "lookup", "+8613900139000", "--json"},
	} {
		code, out, errs := runCLI(t, "", append([]string{"--data", typo}, args...)...)
		if code != 2 || out != "" || !strings.Contains(errs, "--data: no store at") {
			t.Errorf("dialgate %s: exit %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), code, out, errs)
		}
		if _, err := os.Stat(typo); !os.IsNotExist(err) {
			t.Fatalf("dialgate %s created %s: %v", strings.Join(args, " "), typo, err)
		}
	}
}
