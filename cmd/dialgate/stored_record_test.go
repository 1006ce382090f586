package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	bolt "go.etcd.io/bbolt"

	"github.com/dialgate/dialgate/storage/boltstore"
)

// damageStored rewrites, in place, every value of bucket in the store at
// data that contains old, replacing old by new: what a foreign tool or a
// damaged disk leaves behind. It fails the test if no value changed.
func damageStored(t *testing.T, data, bucket, old, new string) {
	t.Helper()
	db, err := bolt.Open(filepath.Join(data, boltstore.DefaultFileName), 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	n := 0
	err = db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket([]byte(bucket))
		type kv struct{ k, v []byte }
		var change []kv
		if err := b.ForEach(func(k, v []byte) error {
			if bytes.Contains(v, []byte(old)) {
				change = append(change, kv{bytes.Clone(k), bytes.ReplaceAll(v, []byte(old), []byte(new))})
			}
			return nil
		}); err != nil {
			return err
		}
		for _, c := range change {
			if err := b.Put(c.k, c.v); err != nil {
				return err
			}
			n++
		}
		return nil
	})
	if err != nil || n == 0 {
		t.Fatalf("damage %s: %d values changed, %v", bucket, n, err)
	}
}

// A stored record that decodes but is damaged is reported by the commands
// that read it, naming the record and the field, with the exit code of any
// store failure; check denies "<check>.unavailable"; nothing is repaired or
// deleted (the same error on a second read).
func TestCLIReportsDamagedStoredRecords(t *testing.T) {
	data := t.TempDir()
	prof := filepath.Join("testdata", "cn-no-callerid.yaml")
	dial := []string{"--data", data, "check", "--profile", prof, "--to", "+8613900139000", "--purpose", "marketing",
		"--industry", "finance", "--consent-id", "c-1", "--at", "2026-12-04T10:00:00+08:00"}
	if code, _, errs := runCheckAt(t, "", "--data", data, "consent", "add", "--id", "c-1", "--number", "+8613900139000",
		"--scope", "industry:finance", "--method", "web_form", "--disclosure-sha256", cliHash, "--granted-at", "2026-11-01T10:00:00+08:00"); code != 0 {
		t.Fatalf("consent add: exit %d %s", code, errs)
	}
	list := filepath.Join(t.TempDir(), "optouts.txt")
	if err := os.WriteFile(list, []byte("+8613900139000\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if code, _, errs := runCheckAt(t, "", "--data", data, "dnc", "import", "--scope", "industry:insurance", "--list", "opt_out",
		"--at", "2026-11-01T00:00:00+08:00", list); code != 0 {
		t.Fatalf("dnc import: exit %d %s", code, errs)
	}
	if code, out, errs := runCheckAt(t, "", dial...); code != 0 {
		t.Fatalf("check with sound records: exit %d\n%s%s", code, out, errs)
	}

	damageStored(t, data, "consents", `"web_form"`, `"carrier_pigeon"`)
	for range 2 {
		code, out, errs := runCheckAt(t, "", dial...)
		if code != 1 || !strings.Contains(out, "consent.unavailable") || !strings.Contains(out+errs, "consent c-1 as stored") || !strings.Contains(out+errs, "method") {
			t.Fatalf("check on a damaged consent: exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errs)
		}
		code, out, errs = runCheckAt(t, "", "--data", data, "consent", "show", "+8613900139000")
		if code != 1 || !strings.Contains(errs, "corrupt or foreign data: consent c-1 as stored: consent: method: unknown method") {
			t.Fatalf("consent show on a damaged consent: exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errs)
		}
	}

	damageStored(t, data, "dnc.entries", `"added_at":"`, `"added_at":"0001-01-01T00:00:00Z","was":"`)
	code, out, errs := runCheckAt(t, "", "--data", data, "dnc", "lookup", "+8613900139000")
	if code != 2 || !strings.Contains(errs, "dnc entry +86139…00 industry:insurance as stored") || !strings.Contains(errs, "added_at: missing") ||
		strings.Contains(out+errs, "13900139000") {
		t.Fatalf("dnc lookup on a damaged entry: exit %d (want 2: not known)\nstdout:\n%s\nstderr:\n%s", code, out, errs)
	}
}

// dnc import over a damaged entry of the same number and scope is not
// refused (the opt-out would be lost): it replaces the entry, which then
// reads as sound, and the damaged bytes are kept in dnc.replaced.
func TestCLIImportReplacesDamagedDNCEntry(t *testing.T) {
	data := t.TempDir()
	list := filepath.Join(t.TempDir(), "optouts.txt")
	if err := os.WriteFile(list, []byte("+8613900139000\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	imp := []string{"--data", data, "dnc", "import", "--scope", "industry:insurance", "--list", "opt_out", "--at", "2026-11-01T00:00:00+08:00", list}
	if code, _, errs := runCLI(t, "", imp...); code != 0 {
		t.Fatalf("dnc import: exit %d %s", code, errs)
	}
	damageStored(t, data, "dnc.entries", `"added_at":"`, `"added_at":12,"was":"`)
	if code, out, errs := runCLI(t, "", "--data", data, "dnc", "lookup", "+8613900139000"); code != 2 {
		t.Fatalf("dnc lookup on an entry that does not decode: exit %d (want 2)\n%s%s", code, out, errs)
	}
	if code, out, errs := runCLI(t, "", imp...); code != 0 || strings.Contains(out+errs, "13900139000") {
		t.Fatalf("dnc import over a damaged entry: exit %d (want 0: the opt-out is taken)\nstdout:\n%s\nstderr:\n%s", code, out, errs)
	}
	if code, out, errs := runCLI(t, "", "--data", data, "dnc", "lookup", "+8613900139000"); code != 0 || !strings.Contains(out, "industry:insurance") {
		t.Fatalf("dnc lookup after the import: exit %d (want 0: listed)\nstdout:\n%s\nstderr:\n%s", code, out, errs)
	}
	db, err := bolt.Open(filepath.Join(data, boltstore.DefaultFileName), 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	n := 0
	if err := db.View(func(tx *bolt.Tx) error {
		return tx.Bucket([]byte("dnc.replaced")).ForEach(func(_, v []byte) error {
			if bytes.Contains(v, []byte(`"added_at":12`)) {
				n++
			}
			return nil
		})
	}); err != nil || n != 1 {
		t.Fatalf("dnc.replaced: %d copies of the damaged entry, %v; want 1", n, err)
	}
}
