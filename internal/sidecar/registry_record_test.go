package sidecar

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dialgate/dialgate/dnc"
)

// A reload swapped the new copy in and then recorded it in the data
// directory; a record that could not be written was only logged. The next
// start then compared its copy with the older record, and a copy whose
// shrink_from named that older copy was accepted whatever its count,
// although a reload would have refused it (its shrink_from no longer names
// the copy in force). The record of the new copy is now written before it
// goes into force, and a record that cannot be written refuses the reload:
// the copy in force stays, the error names the record file, the refusal
// gauge is 1. A forced reload once the record can be written puts the copy
// in.
func TestRegistryReloadRecordFailsRefused(t *testing.T) {
	be, path, data, day1, all := usRegistrySidecar(t)
	first := fileVersion(t, path)

	// The record cannot be replaced: a directory that is not empty is on
	// its path (a rename over it fails, even for root).
	rec := filepath.Join(data, RegistryCopiesFile)
	saved, err := os.ReadFile(rec)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(rec); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(rec, "x"), 0o700); err != nil {
		t.Fatal(err)
	}
	writeRegistry(t, path, "us-national-dnc", day1.Add(time.Hour), all[:990]...)
	second := fileVersion(t, path)
	err = be.ReloadRegistries(false)
	if err == nil {
		t.Fatal("a copy whose record could not be written went into force: the next start compares with the record of the copy before")
	}
	for _, want := range []string{rec, "not recorded", path} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("refusal %q does not say %q", err, want)
		}
	}
	if !listedIn(t, be, all[995]) {
		t.Fatal("the copy in force was replaced although the new copy's record failed")
	}
	if r := be.RegistriesRefused(); len(r) != 1 || r[0].Value != 1 {
		t.Fatalf("refusal gauge %+v, want us-national-dnc 1", r)
	}

	// The record can be written again: a forced reload (SIGHUP) puts the
	// copy in, recorded.
	if err := os.RemoveAll(rec); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(rec, saved, 0o600); err != nil {
		t.Fatal(err)
	}
	if c := readCopy(t, data); c.Version != first {
		t.Fatalf("record restored with %s, want %s", c.Version, first)
	}
	if err := be.ReloadRegistries(true); err != nil {
		t.Fatal(err)
	}
	if listedIn(t, be, all[995]) {
		t.Fatal("the new copy is not in force after the forced reload")
	}
	if c := readCopy(t, data); c.Version != second || c.Count != 990 {
		t.Fatalf("record after the reload: %s (%d numbers), want %s (990)", c.Version, c.Count, second)
	}
	if r := be.RegistriesRefused(); r[0].Value != 0 {
		t.Fatalf("refusal gauge %+v once the copy loaded, want 0", r)
	}
}

// A registry without a copy in force (not loaded from its file: only a
// caller of newRegistryFiles other than Open can make one) swapped in
// whatever copy was on its path, unchecked. It is now refused: there is
// nothing to compare the copy with.
func TestRegistryReloadWithoutCopyRefused(t *testing.T) {
	path := filepath.Join(t.TempDir(), "us.dnc")
	writeRegistry(t, path, "us-national-dnc", time.Now().Add(-time.Hour).UTC().Truncate(time.Second), usNums(10)...)
	reg, err := dnc.NewRegistry("us-national-dnc")
	if err != nil {
		t.Fatal(err)
	}
	rf := newRegistryFiles([]string{path}, []*dnc.Registry{reg}, nil, DefaultRegistryMaxShrink, t.TempDir(), slog.New(slog.DiscardHandler))
	// Forced (SIGHUP): the file is the one newRegistryFiles looked at.
	err = rf.Reload(true)
	if err == nil {
		t.Fatal("a copy went in, unchecked, for a registry with no copy in force")
	}
	for _, want := range []string{"us-national-dnc", path, "no copy", "restart"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("refusal %q does not say %q", err, want)
		}
	}
	if reg.Snapshot() != nil {
		t.Fatal("the copy was swapped in")
	}
	if r := rf.refused(); len(r) != 1 || r[0].Value != 1 {
		t.Fatalf("refusal gauge %+v, want us-national-dnc 1", r)
	}
}

// A record that exists but cannot be read (a directory on its path, a mode
// serve cannot read) was reported as damaged, with the advice to restore or
// delete it: deleting a record that is whole loses the marks and samples.
// It is now reported as unreadable (check its permissions), and still stops
// the start.
func TestRegistryCopiesUnreadableRefusesStart(t *testing.T) {
	for name, spoil := range map[string]func(t *testing.T, rec string){
		"directory": func(t *testing.T, rec string) {
			if err := os.Mkdir(rec, 0o700); err != nil {
				t.Fatal(err)
			}
		},
		"mode 0000": func(t *testing.T, rec string) {
			if os.Geteuid() == 0 {
				t.Skip("root reads a file of mode 0000")
			}
			if err := os.WriteFile(rec, []byte(`{"format":3,"registries":{}}`), 0o000); err != nil {
				t.Fatal(err)
			}
		},
	} {
		t.Run(name, func(t *testing.T) {
			path, _, _ := usRegistryDay1(t)
			data := t.TempDir()
			rec := filepath.Join(data, RegistryCopiesFile)
			spoil(t, rec)
			_, err := Open(context.Background(), Config{Data: data, Profile: "us", Registries: []string{path}}, nil)
			if !errors.Is(err, ErrConfig) {
				t.Fatalf("start with an unreadable record: %v, want ErrConfig", err)
			}
			for _, want := range []string{rec, "cannot be read", "permissions"} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("refusal %q does not say %q", err, want)
				}
			}
			for _, not := range []string{"damaged", "delete it"} {
				if strings.Contains(err.Error(), not) {
					t.Errorf("refusal %q says %q of a record it could not read", err, not)
				}
			}
		})
	}
}
