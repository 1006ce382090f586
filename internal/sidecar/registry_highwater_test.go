package sidecar

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dialgate/dialgate/dnc"
)

// readCopy returns the record of us-national-dnc in data's RegistryCopiesFile.
func readCopy(t *testing.T, data string) registryCopy {
	t.Helper()
	rc, err := readRegistryCopies(data)
	if err != nil {
		t.Fatal(err)
	}
	c, ok := rc.Registries["us-national-dnc"]
	if !ok {
		t.Fatalf("no record of us-national-dnc in %s", RegistryCopiesFile)
	}
	return c
}

// The shrink guard compared a new copy with the copy in force only, so
// shrinks each just within registry_max_shrink added up: twenty reloads of
// −4.9 % each lost 63 % of the registry without a refusal. The largest count
// accepted (the high-water mark) is now remembered too, and a copy listing
// more than registry_max_shrink fewer numbers than it is refused, though it
// is within the limit of the copy in force. A copy built with
// --accept-shrink-from naming the copy in force is accepted and resets the
// mark to its own count; the mark survives a restart.
func TestRegistryReloadHighWaterMark(t *testing.T) {
	path := filepath.Join(t.TempDir(), "us.dnc")
	data := t.TempDir()
	day1 := time.Now().Add(-72 * time.Hour).UTC().Truncate(time.Second)
	all := usNums(1000)
	writeRegistry(t, path, "us-national-dnc", day1, all...)
	open := usRegistryOpener(t, data, path)
	be, err := open()
	if err != nil {
		t.Fatal(err)
	}
	if c := readCopy(t, data); c.HighWaterCount != 1000 || c.HighWaterVersion != fileVersion(t, path) {
		t.Fatalf("record after start: high water %d (%s), want 1000 (%s)", c.HighWaterCount, c.HighWaterVersion, fileVersion(t, path))
	}
	first := fileVersion(t, path)

	// −2 % a reload: each within 5 % of the copy in force; 950 is exactly
	// 5 % below the mark and still accepted.
	at := day1
	for _, n := range []int{980, 960, 950} {
		at = at.Add(time.Hour)
		writeRegistry(t, path, "us-national-dnc", at, all[:n]...)
		if err := be.ReloadRegistries(false); err != nil {
			t.Fatalf("a copy of %d numbers: %v", n, err)
		}
	}
	loaded := fileVersion(t, path)
	if c := readCopy(t, data); c.Count != 950 || c.HighWaterCount != 1000 || c.HighWaterVersion != first {
		t.Fatalf("record after three small shrinks: count %d, high water %d (%s); want 950, 1000 (%s)", c.Count, c.HighWaterCount, c.HighWaterVersion, first)
	}

	// 940: 1 % below the copy in force, 6 % below the mark: refused.
	at = at.Add(time.Hour)
	writeRegistry(t, path, "us-national-dnc", at, all[:940]...)
	err = be.ReloadRegistries(false)
	if err == nil {
		t.Fatal("a copy 6 % below the high-water mark was swapped in because it is 1 % below the copy in force")
	}
	for _, want := range []string{"940 numbers", "high-water mark", "1000", first, "registry_max_shrink", "--accept-shrink-from " + loaded} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("refusal %q does not say %q", err, want)
		}
	}
	if !listedIn(t, be, all[945]) {
		t.Fatal("the loaded 950-number copy is not in force after a refusal")
	}
	if r := be.RegistriesRefused(); len(r) != 1 || r[0].Value != 1 {
		t.Fatalf("refusal gauge %+v, want us-national-dnc 1", r)
	}
	// Growing back raises nothing above 1000; a copy accepted again clears
	// the gauge.
	at = at.Add(time.Hour)
	writeRegistry(t, path, "us-national-dnc", at, all[:990]...)
	if err := be.ReloadRegistries(false); err != nil {
		t.Fatal(err)
	}
	if r := be.RegistriesRefused(); r[0].Value != 0 {
		t.Fatalf("refusal gauge %+v once a copy loaded, want 0", r)
	}
	for _, n := range []int{970, 955} {
		at = at.Add(time.Hour)
		writeRegistry(t, path, "us-national-dnc", at, all[:n]...)
		if err := be.ReloadRegistries(false); err != nil {
			t.Fatalf("a copy of %d numbers: %v", n, err)
		}
	}
	loaded = fileVersion(t, path)
	at = at.Add(time.Hour)
	writeRegistry(t, path, "us-national-dnc", at, all[:940]...)
	if err := be.ReloadRegistries(false); err == nil {
		t.Fatal("a copy 6 % below the high-water mark was swapped in")
	}

	// Acknowledged: built with --accept-shrink-from naming the copy in
	// force (955). The mark is reset to the accepted copy's count, 940 —
	// not to the 955 it replaces: 900 (4.3 % below 940, 5.8 % below 955)
	// is then accepted.
	at = at.Add(time.Hour)
	writeRegistryShrinkFrom(t, path, at, loaded, all[:940]...)
	if err := be.ReloadRegistries(false); err != nil {
		t.Fatalf("a copy acknowledged by shrink_from: %v", err)
	}
	acked := fileVersion(t, path)
	if c := readCopy(t, data); c.HighWaterCount != 940 || c.HighWaterVersion != acked {
		t.Fatalf("record after an acknowledged shrink: high water %d (%s), want 940 (%s)", c.HighWaterCount, c.HighWaterVersion, acked)
	}
	at = at.Add(time.Hour)
	writeRegistry(t, path, "us-national-dnc", at, all[:900]...)
	if err := be.ReloadRegistries(false); err != nil {
		t.Fatalf("a copy 4.3 %% below the reset mark: %v", err)
	}
	if listedIn(t, be, all[920]) || !listedIn(t, be, all[890]) {
		t.Fatal("the 900-number copy is not in force")
	}
	be.Close(context.Background())

	// The mark (940) survives a restart: 880 is 2.2 % below the copy last
	// in force (900) but 6.4 % below the mark.
	at = at.Add(time.Hour)
	writeRegistry(t, path, "us-national-dnc", at, all[:880]...)
	_, err = open()
	if err == nil {
		t.Fatal("a start with a copy 6.4 % below the recorded high-water mark succeeded")
	}
	if !errors.Is(err, ErrConfig) {
		t.Errorf("error %v does not wrap ErrConfig", err)
	}
	for _, want := range []string{path, "880 numbers", "high-water mark", "940", RegistryCopiesFile} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("start refusal %q does not say %q", err, want)
		}
	}
}

// At start as at a reload: restarts each with a copy a little smaller than
// the last add up to a refusal, and an acknowledged copy resets the mark.
func TestRegistryStartHighWaterMark(t *testing.T) {
	path := filepath.Join(t.TempDir(), "us.dnc")
	data := t.TempDir()
	day1 := time.Now().Add(-72 * time.Hour).UTC().Truncate(time.Second)
	all := usNums(1000)
	open := func() error {
		be, err := Open(context.Background(), Config{Data: data, Profile: "us", Registries: []string{path}}, nil)
		if err == nil {
			be.Close(context.Background())
		}
		return err
	}
	at := day1
	for _, n := range []int{1000, 970} {
		writeRegistry(t, path, "us-national-dnc", at, all[:n]...)
		if err := open(); err != nil {
			t.Fatalf("start with %d numbers: %v", n, err)
		}
		at = at.Add(time.Hour)
	}
	inForce := fileVersion(t, path)
	writeRegistry(t, path, "us-national-dnc", at, all[:945]...)
	err := open()
	if err == nil {
		t.Fatal("a start 5.5 % below the high-water mark (2.6 % below the copy last in force) succeeded")
	}
	if !strings.Contains(err.Error(), "high-water mark") || !strings.Contains(err.Error(), "--accept-shrink-from "+inForce) {
		t.Errorf("start refusal %q does not name the mark and the copy to acknowledge", err)
	}
	if c := readCopy(t, data); c.Count != 970 || c.HighWaterCount != 1000 {
		t.Fatalf("a refused start changed the record: count %d, high water %d", c.Count, c.HighWaterCount)
	}
	// Acknowledged at start: accepted, the mark is the copy's own count.
	writeRegistryShrinkFrom(t, path, at, inForce, all[:945]...)
	if err := open(); err != nil {
		t.Fatalf("an acknowledged copy: %v", err)
	}
	if c := readCopy(t, data); c.Count != 945 || c.HighWaterCount != 945 || c.HighWaterVersion != fileVersion(t, path) {
		t.Fatalf("record after an acknowledged start: count %d, high water %d (%s)", c.Count, c.HighWaterCount, c.HighWaterVersion)
	}
	at = at.Add(time.Hour)
	writeRegistry(t, path, "us-national-dnc", at, all[:900]...) // 4.8 % below 945
	if err := open(); err != nil {
		t.Fatalf("a copy within 5 %% of the reset mark: %v", err)
	}
}

// A record written before the mark (format 1: no high_water_count) still
// reads: the mark is the recorded copy's count, and the record is written
// again in the current format with it.
func TestRegistryCopiesFormat1(t *testing.T) {
	path := filepath.Join(t.TempDir(), "us.dnc")
	data := t.TempDir()
	day1 := time.Now().Add(-72 * time.Hour).UTC().Truncate(time.Second)
	all := usNums(1000)
	writeRegistry(t, path, "us-national-dnc", day1, all...)
	v1 := fmt.Sprintf(`{
  "format": 1,
  "registries": {
    "us-national-dnc": {
      "version": %q,
      "count": 1000,
      "as_of": %q,
      "file": %q,
      "loaded_at": %q
    }
  }
}
`, fileVersion(t, path), day1.Format(time.RFC3339), path, day1.Format(time.RFC3339))
	if err := os.WriteFile(filepath.Join(data, RegistryCopiesFile), []byte(v1), 0o600); err != nil {
		t.Fatal(err)
	}
	c := readCopy(t, data)
	if c.HighWaterCount != 1000 || c.HighWaterVersion != c.Version {
		t.Fatalf("format-1 record read with high water %d (%s), want its count 1000 (%s)", c.HighWaterCount, c.HighWaterVersion, c.Version)
	}
	open := func() error {
		be, err := Open(context.Background(), Config{Data: data, Profile: "us", Registries: []string{path}}, nil)
		if err == nil {
			be.Close(context.Background())
		}
		return err
	}
	writeRegistry(t, path, "us-national-dnc", day1.Add(time.Hour), all[:960]...)
	if err := open(); err != nil {
		t.Fatalf("start on a format-1 record: %v", err)
	}
	b, err := os.ReadFile(filepath.Join(data, RegistryCopiesFile))
	if err != nil {
		t.Fatal(err)
	}
	var raw struct {
		Format     int `json:"format"`
		Registries map[string]struct {
			HighWaterCount *int `json:"high_water_count"`
		} `json:"registries"`
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		t.Fatal(err)
	}
	if hw := raw.Registries["us-national-dnc"].HighWaterCount; raw.Format != registryCopiesFormat || hw == nil || *hw != 1000 {
		t.Fatalf("record written again: %s", b)
	}
	writeRegistry(t, path, "us-national-dnc", day1.Add(2*time.Hour), all[:940]...)
	if err := open(); err == nil || !strings.Contains(err.Error(), "high-water mark") {
		t.Fatalf("start 6 %% below the mark taken from a format-1 record: %v", err)
	}
}

// A record whose mark is below its count, or missing in the current format,
// or of an unknown format, is damaged (not taken for a lower mark).
func TestRegistryCopiesDamagedMark(t *testing.T) {
	for name, body := range map[string]string{
		"mark below count": `{"format":2,"registries":{"r":{"version":"0123456789abcdef","count":10,"as_of":"2026-01-01T00:00:00Z","file":"f","loaded_at":"2026-01-01T00:00:00Z","high_water_count":9,"high_water_version":"0123456789abcdef"}}}`,
		"mark missing":     `{"format":2,"registries":{"r":{"version":"0123456789abcdef","count":10,"as_of":"2026-01-01T00:00:00Z","file":"f","loaded_at":"2026-01-01T00:00:00Z"}}}`,
		"mark version":     `{"format":2,"registries":{"r":{"version":"0123456789abcdef","count":10,"as_of":"2026-01-01T00:00:00Z","file":"f","loaded_at":"2026-01-01T00:00:00Z","high_water_count":12}}}`,
		"mark in format 1": `{"format":1,"registries":{"r":{"version":"0123456789abcdef","count":10,"as_of":"2026-01-01T00:00:00Z","file":"f","loaded_at":"2026-01-01T00:00:00Z","high_water_count":12,"high_water_version":"0123456789abcdef"}}}`,
		"format 4":         `{"format":4,"registries":{}}`,
	} {
		t.Run(name, func(t *testing.T) {
			data := t.TempDir()
			if err := os.WriteFile(filepath.Join(data, RegistryCopiesFile), []byte(body), 0o600); err != nil {
				t.Fatal(err)
			}
			if _, err := readRegistryCopies(data); err == nil {
				t.Fatal("read without an error")
			}
		})
	}
}

// The record is replaced by a rename, never written into: a hard link taken
// to the record before a reload still holds the old record, whole, after
// it; no temporary file is left behind.
func TestRegistryCopiesReplacedByRename(t *testing.T) {
	be, path, data, day1, all := usRegistrySidecar(t)
	rec := filepath.Join(data, RegistryCopiesFile)
	before, err := os.ReadFile(rec)
	if err != nil {
		t.Fatal(err)
	}
	old := filepath.Join(t.TempDir(), "old")
	if err := os.Link(rec, old); err != nil {
		t.Skipf("no hard links here: %v", err)
	}
	writeRegistry(t, path, "us-national-dnc", day1.Add(time.Hour), all[:990]...)
	if err := be.ReloadRegistries(false); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(old); string(b) != string(before) {
		t.Fatalf("the old record was written into:\nbefore %s\nafter %s", before, b)
	}
	if c := readCopy(t, data); c.Count != 990 || c.HighWaterCount != 1000 {
		t.Fatalf("record after the reload: count %d, high water %d", c.Count, c.HighWaterCount)
	}
	left, _ := filepath.Glob(filepath.Join(data, "."+RegistryCopiesFile+"*"))
	if len(left) != 0 {
		t.Fatalf("temporary files left: %v", left)
	}
}

// A process killed while it records registry copies (kill -9, an OOM kill)
// leaves the record whole: the one before the write or the one after,
// never a cut one, which would be read as damaged — and a damaged record
// stops the next start (TestRegistryCopiesDamagedRefusesStart) until the
// operator restores or deletes it. Run in child processes killed at
// random instants while they write the record in a loop.
func TestRegistryCopiesKilledWhileWriting(t *testing.T) {
	const child = "DIALGATE_TEST_REGISTRY_COPIES_CHILD"
	if data := os.Getenv(child); data != "" {
		recordInALoop(t, data)
		return
	}
	if testing.Short() {
		t.Skip("kills child processes")
	}
	data := t.TempDir()
	rec := filepath.Join(data, RegistryCopiesFile)
	for i := range 12 {
		os.Remove(filepath.Join(data, "started"))
		cmd := exec.Command(os.Args[0], "-test.run=^TestRegistryCopiesKilledWhileWriting$", "-test.count=1", "-test.short")
		cmd.Env = append(os.Environ(), child+"="+data)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(20 * time.Second)
		for {
			if _, err := os.Stat(filepath.Join(data, "started")); err == nil {
				break
			}
			if time.Now().After(deadline) {
				cmd.Process.Kill()
				cmd.Wait()
				t.Fatal("the child did not start writing")
			}
			time.Sleep(time.Millisecond)
		}
		time.Sleep(time.Duration(rand.IntN(40)) * time.Millisecond)
		if err := cmd.Process.Kill(); err != nil {
			t.Fatal(err)
		}
		cmd.Wait()
		rc, err := readRegistryCopies(data)
		if err != nil {
			b, _ := os.ReadFile(rec)
			t.Fatalf("kill %d: the record is damaged: %v\n%q", i, err, b)
		}
		c, ok := rc.Registries["us-national-dnc"]
		if !ok {
			t.Fatalf("kill %d: no record of us-national-dnc", i)
		}
		if c.HighWaterCount != 12 {
			t.Fatalf("kill %d: high water %d, want 12 (the larger copy, recorded before the child said it started)", i, c.HighWaterCount)
		}
	}
}

// recordInALoop records, in data, copies of 11 and 12 numbers in turn, until
// the process is killed; the file "started" in data says it has recorded
// the larger one.
func recordInALoop(t *testing.T, data string) {
	reg, err := dnc.NewRegistry("us-national-dnc")
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var snaps []*dnc.Snapshot
	for _, n := range []int{11, 12} {
		s, err := dnc.NewSnapshot(dnc.Header{Name: "us-national-dnc", AsOf: at, CreatedAt: at}, dnc.NewSet(usNums(n)))
		if err != nil {
			t.Fatal(err)
		}
		snaps = append(snaps, s)
	}
	rc, err := readRegistryCopies(data)
	if err != nil {
		t.Fatal(err)
	}
	mark := registryMark{}
	if c, ok := rc.Registries["us-national-dnc"]; ok {
		mark = registryMark{Count: c.HighWaterCount, Version: c.HighWaterVersion}
	}
	for i := 0; ; i++ {
		s := snaps[(i+1)%2] // 12 first
		inForce := ""
		if cur := reg.Snapshot(); cur != nil {
			inForce = cur.Header.Version()
		}
		mark = nextMark(mark, inForce, s.Header)
		if _, err := reg.Swap(s); err != nil {
			t.Fatal(err)
		}
		if err := recordRegistryCopies(data, recordedRegistries([]string{"us.dnc"}, []*dnc.Registry{reg}, []registryMark{mark}), at.Add(time.Duration(i))); err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			if err := os.WriteFile(filepath.Join(data, "started"), nil, 0o600); err != nil {
				t.Fatal(err)
			}
		}
	}
}
