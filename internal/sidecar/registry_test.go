package sidecar

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/dnc"
)

// TestRegistriesFromConfig: the us profile requires the national registry;
// without a copy every dial is denied stale, with the copy from the config a
// listed number is denied listed and another is not.
func TestRegistriesFromConfig(t *testing.T) {
	dir := t.TempDir()
	asOf := time.Now().Add(-24 * time.Hour).UTC().Truncate(time.Second)
	path := filepath.Join(dir, "us.dnc")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := dnc.WriteSnapshot(f, dnc.Header{Name: "us-national-dnc", Source: "test", AsOf: asOf, CreatedAt: asOf},
		dnc.NewSet([]uint64{12125550100})); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	open := func(regs ...string) *Backend {
		be, err := Open(context.Background(), Config{Data: t.TempDir(), Profile: "us", Registries: regs}, nil)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { be.Close(context.Background()) })
		return be
	}
	dial := func(be *Backend, to string) dialgate.Decision {
		dec, err := be.Gate.Check(context.Background(), dialgate.Dial{To: dialgate.MustParseNumber(to), From: dialgate.MustParseNumber("+12025550123"), Purpose: dialgate.PurposeService, LeadID: "l"})
		if err != nil {
			t.Fatal(err)
		}
		return dec
	}
	if dec := dial(open(), "+12125550199"); !dec.Has(dialgate.CodeDNCRegistryStale) {
		t.Fatalf("no registry loaded: %v", dec.Codes())
	}
	be := open(path)
	if dec := dial(be, "+12125550100"); !dec.Has(dialgate.CodeDNCListed) || dec.Has(dialgate.CodeDNCRegistryStale) {
		t.Fatalf("listed number: %v", dec.Codes())
	}
	if dec := dial(be, "+12125550199"); dec.Has(dialgate.CodeDNCListed) || dec.Has(dialgate.CodeDNCRegistryStale) {
		t.Fatalf("unlisted number: %v", dec.Codes())
	}
	if _, err := Open(context.Background(), Config{Data: t.TempDir(), Profile: "us", Registries: []string{filepath.Join(dir, "missing.dnc")}}, nil); err == nil {
		t.Fatal("a missing registry file was accepted")
	}
}

// writeRegistry writes a us-national-dnc snapshot file (through a rename, as
// an operator replaces a copy) listing nums, as of asOf, under the given name.
func writeRegistry(t *testing.T, path, name string, asOf time.Time, nums ...uint64) {
	t.Helper()
	tmp := path + ".tmp"
	f, err := os.Create(tmp)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := dnc.WriteSnapshot(f, dnc.Header{Name: name, Source: "test", AsOf: asOf, CreatedAt: asOf}, dnc.NewSet(nums)); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
}

// usRegistryDay1 writes a us-national-dnc snapshot as of two days ago
// (day1) listing +12125550100 and returns its path, day1 and the day after.
func usRegistryDay1(t *testing.T) (path string, day1, day2 time.Time) {
	t.Helper()
	path = filepath.Join(t.TempDir(), "us.dnc")
	day1 = time.Now().Add(-48 * time.Hour).UTC().Truncate(time.Second)
	writeRegistry(t, path, "us-national-dnc", day1, 12125550100)
	return path, day1, day1.Add(24 * time.Hour)
}

// A registry file replaced on disk is swapped in by ReloadRegistries while
// the Backend serves; a damaged copy, an older copy or a copy of another list
// is refused and the loaded copy stays in force.
func TestRegistryReload(t *testing.T) {
	path, day1, day2 := usRegistryDay1(t)
	be, err := Open(context.Background(), Config{Data: t.TempDir(), Profile: "us", Registries: []string{path}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { be.Close(context.Background()) })
	if be.ReloadRegistries == nil {
		t.Fatal("no ReloadRegistries with a registry file configured")
	}
	listed := func(to string) bool {
		t.Helper()
		dec, err := be.Gate.Check(context.Background(), dialgate.Dial{To: dialgate.MustParseNumber(to), From: dialgate.MustParseNumber("+12025550123"), Purpose: dialgate.PurposeService, LeadID: "l"})
		if err != nil {
			t.Fatal(err)
		}
		if dec.Has(dialgate.CodeDNCRegistryStale) {
			t.Fatalf("registry stale: %v", dec.Codes())
		}
		return dec.Has(dialgate.CodeDNCListed)
	}
	if !listed("+12125550100") || listed("+12125550101") {
		t.Fatal("day-1 copy not in force")
	}
	if err := be.ReloadRegistries(false); err != nil {
		t.Fatalf("reload of an unchanged file: %v", err)
	}

	// Every number replaced: accepted only as an acknowledged change
	// (TestRegistryReloadSwapRefused).
	writeRegistryShrinkFrom(t, path, day2, fileVersion(t, path), 12125550101)
	if err := be.ReloadRegistries(false); err != nil {
		t.Fatalf("reload of a newer copy: %v", err)
	}
	if listed("+12125550100") || !listed("+12125550101") {
		t.Fatal("day-2 copy not in force after the reload")
	}

	for name, write := range map[string]func(){
		"older copy":   func() { writeRegistry(t, path, "us-national-dnc", day1, 12125550102) },
		"another list": func() { writeRegistry(t, path, "uk-tps", day2.Add(time.Hour), 12125550102) },
		"damaged copy": func() {
			b, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			b[len(b)-1] ^= 0xff
			// Beside the path and renamed over it, as a copy is replaced:
			// written into the path, it would change the loaded copy's own
			// file, which withdraws that copy (TestRegistryWrittenInPlace).
			if err := os.WriteFile(path+".tmp", b, 0o600); err != nil {
				t.Fatal(err)
			}
			if err := os.Rename(path+".tmp", path); err != nil {
				t.Fatal(err)
			}
		},
	} {
		write()
		if err := be.ReloadRegistries(true); err == nil {
			t.Errorf("%s: reload accepted it", name)
		}
		if listed("+12125550102") || !listed("+12125550101") {
			t.Errorf("%s: the loaded day-2 copy is no longer in force", name)
		}
	}
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	if err := be.ReloadRegistries(false); err == nil {
		t.Error("a missing file reloaded without error")
	}
	if !listed("+12125550101") {
		t.Error("a missing file took the loaded copy away")
	}
}

// A new copy whose numbers did not change since the loaded one (a small list,
// a quiet month) is still a newer copy: its as_of must replace the loaded
// one's. Taken for "the same copy", the registry kept aging from the old
// as_of and, after the profile's max_age, denied every dial although a fresh
// copy was on disk.
func TestRegistryReloadSameNumbersNewerAsOf(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "us.dnc")
	day1 := time.Now().Add(-30 * 24 * time.Hour).UTC().Truncate(time.Second)
	day30 := day1.Add(29 * 24 * time.Hour)
	writeRegistry(t, path, "us-national-dnc", day1, 12125550100)
	be, err := Open(context.Background(), Config{Data: t.TempDir(), Profile: "us", Registries: []string{path}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { be.Close(context.Background()) })
	writeRegistry(t, path, "us-national-dnc", day30, 12125550100)
	if err := be.ReloadRegistries(true); err != nil {
		t.Fatalf("reload of a newer copy with the same numbers: %v", err)
	}
	now := time.Now()
	ages := be.SnapshotAges(now)
	if len(ages) != 1 {
		t.Fatalf("snapshot ages %v, want one", ages)
	}
	if want := now.Sub(day30); ages[0].Age > want+time.Minute {
		t.Fatalf("registry age %s after reloading a copy as of %s, want about %s: the old copy's as_of stayed", ages[0].Age, day30.Format(time.RFC3339), want)
	}
}

// snapshotFile returns the bytes of a us-national-dnc snapshot listing nums.
func snapshotFile(t *testing.T, asOf time.Time, nums ...uint64) []byte {
	t.Helper()
	return snapshotFileShrinkFrom(t, asOf, "", nums...)
}

// snapshotFileShrinkFrom is snapshotFile with the header's shrink_from set.
func snapshotFileShrinkFrom(t *testing.T, asOf time.Time, shrinkFrom string, nums ...uint64) []byte {
	t.Helper()
	var buf bytes.Buffer
	if _, err := dnc.WriteSnapshot(&buf, dnc.Header{Name: "us-national-dnc", Source: "test", AsOf: asOf, CreatedAt: asOf, ShrinkFrom: shrinkFrom}, dnc.NewSet(nums)); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// A registry file written in place (cp, scp onto the path) while its copy is
// loaded: the copy's memory-mapped bytes change under it, unverified. Caught
// a copy still being written (it does not verify) used to be refused while
// the loaded copy stayed "in force", reading the new bytes under the old
// version: a number of the old copy answered not listed. Now the reload (and
// the check every second) withdraws the loaded copy: every dial of the
// profile is denied, dnc.unavailable naming the file, until the file loads
// cleanly, and then the new copy is swapped in.
func TestRegistryWrittenInPlace(t *testing.T) {
	for _, how := range []string{"reload", "check"} {
		t.Run(how, func(t *testing.T) { testRegistryWrittenInPlace(t, how) })
	}
}

func testRegistryWrittenInPlace(t *testing.T, how string) {
	dir := t.TempDir()
	path := filepath.Join(dir, "us.dnc")
	day1 := time.Now().Add(-48 * time.Hour).UTC().Truncate(time.Second)
	day2 := day1.Add(24 * time.Hour)
	// Synthetic NANP 555-01xx numbers, many area codes, so the file spans pages.
	var old, other []uint64
	for a := uint64(200); a < 1000; a++ {
		old = append(old, 10000000000+a*10000000+5550100)
		other = append(other, 10000000000+a*10000000+5550101, 10000000000+a*10000000+5550102)
	}
	writeRegistry(t, path, "us-national-dnc", day1, old...)
	oldVersion := fileVersion(t, path)
	be, err := Open(context.Background(), Config{Data: t.TempDir(), Profile: "us", Registries: []string{path}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { be.Close(context.Background()) })
	detect := func() {
		t.Helper()
		if how == "reload" {
			_ = be.ReloadRegistries(false)
		} else {
			_ = be.CheckRegistries()
		}
	}
	dial := func(to uint64, p dialgate.Purpose) dialgate.Decision {
		t.Helper()
		n, err := dialgate.NumberFromUint64(to)
		if err != nil {
			t.Fatal(err)
		}
		dec, err := be.Gate.Check(context.Background(), dialgate.Dial{To: n, From: dialgate.MustParseNumber("+12025550123"), Purpose: p, LeadID: "l"})
		if err != nil {
			t.Fatal(err)
		}
		return dec
	}
	if dec := dial(old[7], dialgate.PurposeService); !dec.Has(dialgate.CodeDNCListed) {
		t.Fatalf("listed number before the write: %v", dec.Codes())
	}
	// The new copy caught half written in place: larger than the loaded
	// file, so the loaded copy's pages all still exist, with new bytes.
	full := snapshotFile(t, day2, other...)
	if err := os.WriteFile(path, full[:len(full)-64], 0o600); err != nil {
		t.Fatal(err)
	}
	detect()
	// The withdrawn copy is in force for no dial, so it reports no age:
	// the gauge reads it as missing (+Inf), not as the copy's age.
	for _, a := range be.SnapshotAges(time.Now()) {
		if a.List == "us-national-dnc" && !a.Missing {
			t.Errorf("snapshot age of the withdrawn copy: %+v; want missing", a)
		}
	}
	unavailable := dialgate.UnavailableCode(dnc.Name)
	for _, d := range []struct {
		to uint64
		p  dialgate.Purpose
	}{{old[7], dialgate.PurposeService}, {other[7], dialgate.PurposeService}, {10000000000 + 212*10000000 + 5550199, dialgate.PurposeService}, {old[7], dialgate.PurposeSurvey}} {
		dec := dial(d.to, d.p)
		if dec.Allowed || !dec.Has(unavailable) {
			t.Errorf("dial to %d (%s) with the file half written in place: %v; want denied %s", d.to, d.p, dec.Codes(), unavailable)
			continue
		}
		for _, r := range dec.Reasons {
			if r.Code == unavailable && !strings.Contains(r.Message, path) {
				t.Errorf("reason %q does not name the file %s", r.Message, path)
			}
		}
		for _, e := range dec.Evidence {
			if strings.HasPrefix(e.Key, "dnc.registry") {
				t.Errorf("dial to %d (%s) with the file half written in place: evidence %s=%s of the withdrawn copy", d.to, d.p, e.Key, e.Value)
			}
		}
	}
	// The write completes with a copy that replaces every number of the
	// withdrawn one: it is compared with the sample taken when the
	// withdrawn copy went in (its mapping now reads the new bytes), and
	// refused: the copy stays withdrawn.
	if err := os.WriteFile(path, full, 0o600); err != nil {
		t.Fatal(err)
	}
	detect()
	if dec := dial(other[7], dialgate.PurposeService); !dec.Has(unavailable) {
		t.Fatalf("a copy swapping every number of the withdrawn one was swapped in: %v", dec.Codes())
	}
	// The same copy acknowledged (shrink_from naming the withdrawn copy):
	// it loads cleanly and is swapped in.
	full = snapshotFileShrinkFrom(t, day2, oldVersion, other...)
	if err := os.WriteFile(path, full, 0o600); err != nil {
		t.Fatal(err)
	}
	detect()
	if dec := dial(old[7], dialgate.PurposeService); dec.Has(unavailable) || dec.Has(dialgate.CodeDNCListed) {
		t.Fatalf("number of the old copy after the new one loaded: %v", dec.Codes())
	}
	if dec := dial(other[7], dialgate.PurposeService); dec.Has(unavailable) || !dec.Has(dialgate.CodeDNCListed) {
		t.Fatalf("number of the new copy after it loaded: %v", dec.Codes())
	}
	now := time.Now()
	for _, a := range be.SnapshotAges(now) {
		if a.List == "us-national-dnc" && (a.Missing || a.Age != now.Sub(day2)) {
			t.Errorf("snapshot age after the new copy loaded: %+v; want %s", a, now.Sub(day2))
		}
	}
}

// A registry file replaced between its load at start and the moment the
// reloader records what it loaded: the reloader must record the file the
// copy was verified from, not the one on the path by then. Recording the
// newer file's size and time, it took the newer copy for loaded and never
// read it (until the file changed again), while the older copy aged past the
// profile's max_age and every dial was denied with a fresh copy on disk.
func TestRegistryReplacedWhileLoading(t *testing.T) {
	path, _, day2 := usRegistryDay1(t)
	regs, err := dnc.LoadRegistries(path)
	if err != nil {
		t.Fatal(err)
	}
	writeRegistry(t, path, "us-national-dnc", day2, 12125550100, 12125550101)
	rf := newRegistryFiles([]string{path}, regs, nil, DefaultRegistryMaxShrink, "", slog.New(slog.DiscardHandler))
	if err := rf.Reload(false); err != nil {
		t.Fatal(err)
	}
	if got := regs[0].Snapshot().Header.AsOf; !got.Equal(day2) {
		t.Fatalf("after a reload the copy in force is as of %s, want the file on disk's %s", got.Format(time.RFC3339), day2.Format(time.RFC3339))
	}
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if !sameFile(st, rf.files[0].fi) {
		t.Fatal("the reloader does not record the file it read: it would read it again at every look")
	}

	// A newer copy of the same size renamed over the path with the loaded
	// file's modification time kept (cp -p, rsync -t; or written within
	// the file system's timestamp granularity) is another file: read.
	day3 := day2.Add(24 * time.Hour)
	// The same numbers (a copy that swapped one of two would be refused,
	// TestRegistryReloadSwapRefused), so the same size.
	writeRegistry(t, path, "us-national-dnc", day3, 12125550100, 12125550101)
	st3, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if st3.Size() != st.Size() {
		t.Fatalf("the day-3 file is %d bytes, the day-2 one %d: the test needs the same size", st3.Size(), st.Size())
	}
	if err := os.Chtimes(path, st.ModTime(), st.ModTime()); err != nil {
		t.Fatal(err)
	}
	if err := rf.Reload(false); err != nil {
		t.Fatal(err)
	}
	if got := regs[0].Snapshot().Header.AsOf; !got.Equal(day3) {
		t.Fatalf("a copy renamed over the path with the same size and time was not read: in force as of %s, want %s", got.Format(time.RFC3339), day3.Format(time.RFC3339))
	}
}
