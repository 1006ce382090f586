package sidecar

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/dialgate/dialgate/dnc"
)

// swapFixture is a registry copy in force and a reserve of numbers it does
// not list, all synthetic (+1 NPA 555 01XX, fictional): 72,000 numbers in
// force — more than the reload's sample (every 2nd is sampled) and than the
// start's (every 18th) — and 8,000 in reserve.
type swapFixture struct {
	inForce, reserve []uint64
}

func newSwapFixture() swapFixture {
	var f swapFixture
	for i, v := range usNums(80_000) {
		if i%10 == 3 {
			f.reserve = append(f.reserve, v)
		} else {
			f.inForce = append(f.inForce, v)
		}
	}
	return f
}

// swapped returns the copy in force with share of its numbers, chosen
// pseudo-randomly (seed), replaced by as many numbers of the reserve: the
// same count, share of the numbers in force missing. It also returns the
// numbers dropped.
func (f swapFixture) swapped(share float64, seed uint64) (nums, dropped []uint64) {
	n := int(share * float64(len(f.inForce)))
	r := rand.New(rand.NewPCG(seed, 11))
	drop := map[int]bool{}
	for _, i := range r.Perm(len(f.inForce))[:n] {
		drop[i] = true
	}
	for i, v := range f.inForce {
		if drop[i] {
			dropped = append(dropped, v)
		} else {
			nums = append(nums, v)
		}
	}
	nums = append(nums, f.reserve[:n]...)
	slices.Sort(nums)
	return nums, dropped
}

// replaced returns nums (sorted) with share of them, chosen pseudo-randomly
// (seed), replaced by as many numbers of with (none of them in nums), sorted.
func replaced(nums, with []uint64, share float64, seed uint64) []uint64 {
	n := int(share * float64(len(nums)))
	if n > len(with) {
		panic("replaced: not enough numbers to add")
	}
	out := slices.Clone(nums)
	r := rand.New(rand.NewPCG(seed, 13))
	for k, i := range r.Perm(len(out))[:n] {
		out[i] = with[k]
	}
	slices.Sort(out)
	return out
}

// A copy that drops numbers in force and adds as many others keeps its count,
// and passed the shrink guard: every number it dropped was allowed. A reload
// now looks up a sample of the copy in force in the new copy and refuses it
// when the share missing exceeds registry_max_shrink (10 % here); 4 % is
// accepted, and so is a 10 % swap built with --accept-shrink-from naming the
// copy in force.
func TestRegistryReloadSwapRefused(t *testing.T) {
	path := filepath.Join(t.TempDir(), "us.dnc")
	data := t.TempDir()
	day1 := time.Now().Add(-72 * time.Hour).UTC().Truncate(time.Second)
	fx := newSwapFixture()
	writeRegistry(t, path, "us-national-dnc", day1, slices.Clone(fx.inForce)...)
	be, err := Open(context.Background(), Config{Data: data, Profile: "us", Registries: []string{path}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { be.Close(context.Background()) })
	loaded := fileVersion(t, path)

	ten, dropped := fx.swapped(0.10, 1)
	if len(ten) != len(fx.inForce) {
		t.Fatalf("fixture: %d numbers, want %d", len(ten), len(fx.inForce))
	}
	writeRegistry(t, path, "us-national-dnc", day1.Add(time.Hour), ten...)
	err = be.ReloadRegistries(false)
	if err == nil {
		t.Fatal("a copy that swapped 10 % of the numbers in force for others (same count) was swapped in")
	}
	for _, want := range []string{path, "sampled", loaded, "% of the numbers it listed are dropped", "registry_max_shrink", "--accept-shrink-from " + loaded} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("refusal %q does not say %q", err, want)
		}
	}
	if !listedIn(t, be, dropped[0]) || !listedIn(t, be, dropped[len(dropped)-1]) {
		t.Fatal("a number of the copy in force is no longer listed after a swapped copy was refused")
	}
	if r := be.RegistriesRefused(); len(r) != 1 || r[0].Value != 1 {
		t.Fatalf("refusal gauge %+v, want us-national-dnc 1", r)
	}
	if c := readCopy(t, data); c.Version != loaded {
		t.Fatalf("the record names copy %s after a refusal, want %s", c.Version, loaded)
	}

	// 4 %: within the limit.
	four, dropped4 := fx.swapped(0.04, 2)
	writeRegistry(t, path, "us-national-dnc", day1.Add(2*time.Hour), four...)
	if err := be.ReloadRegistries(false); err != nil {
		t.Fatalf("a copy that swapped 4 %% of its numbers: %v", err)
	}
	if listedIn(t, be, dropped4[0]) || !listedIn(t, be, fx.reserve[0]) {
		t.Fatal("the 4 % swapped copy is not in force")
	}
	inForce := fileVersion(t, path)

	// 10 % from the 4 % copy, acknowledged: accepted.
	var ack []uint64
	for _, v := range four {
		if v%10 != 7 { // about 10 % of the numbers, the count shrinks too
			ack = append(ack, v)
		}
	}
	writeRegistryShrinkFrom(t, path, day1.Add(3*time.Hour), inForce, ack...)
	if err := be.ReloadRegistries(false); err != nil {
		t.Fatalf("an acknowledged copy: %v", err)
	}
	if r := be.RegistriesRefused(); r[0].Value != 0 {
		t.Fatalf("refusal gauge %+v once a copy loaded, want 0", r)
	}
	// An acknowledgement names one copy: the next 10 % swap is refused.
	var back []uint64
	for _, v := range four {
		if v%10 == 7 {
			back = append(back, v)
		}
	}
	next := replaced(ack, back, 0.10, 6)
	writeRegistry(t, path, "us-national-dnc", day1.Add(4*time.Hour), next...)
	if err := be.ReloadRegistries(false); err == nil {
		t.Fatal("a 10 % swap after an acknowledged copy was swapped in")
	}
}

// At start the copy last in force may be gone: the record keeps a sample of
// its numbers, and a copy lacking more than registry_max_shrink of them is
// refused (serve does not start) as at a reload; 4 % starts, and so does an
// acknowledged copy.
func TestRegistryStartSwapRefused(t *testing.T) {
	path := filepath.Join(t.TempDir(), "us.dnc")
	data := t.TempDir()
	day1 := time.Now().Add(-72 * time.Hour).UTC().Truncate(time.Second)
	fx := newSwapFixture()
	open := func() error {
		be, err := Open(context.Background(), Config{Data: data, Profile: "us", Registries: []string{path}}, nil)
		if err == nil {
			be.Close(context.Background())
		}
		return err
	}
	writeRegistry(t, path, "us-national-dnc", day1, slices.Clone(fx.inForce)...)
	if err := open(); err != nil {
		t.Fatal(err)
	}
	first := fileVersion(t, path)
	c := readCopy(t, data)
	if len(c.Sample) == 0 || len(c.Sample) > registrySampleSize {
		t.Fatalf("record holds a sample of %d numbers, want 1 to %d", len(c.Sample), registrySampleSize)
	}
	for _, v := range c.Sample {
		if _, ok := slices.BinarySearch(fx.inForce, v); !ok {
			t.Fatalf("sampled number %d is not in the copy in force", v)
		}
	}
	if fi, err := os.Stat(filepath.Join(data, RegistryCopiesFile)); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("record mode: %v, %v; want 0600", fi.Mode(), err)
	}
	// The copy in force's file is gone by the restart: only the record's sample compares.
	ten, droppedTen := fx.swapped(0.10, 3)
	writeRegistry(t, path, "us-national-dnc", day1.Add(time.Hour), slices.Clone(ten)...)
	err := open()
	if err == nil {
		t.Fatal("a start with a copy that swapped 10 % of the numbers last in force succeeded")
	}
	if !errors.Is(err, ErrConfig) {
		t.Errorf("error %v does not wrap ErrConfig", err)
	}
	for _, want := range []string{path, "sampled", first, "registry_max_shrink", "--accept-shrink-from " + first, RegistryCopiesFile} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("start refusal %q does not say %q", err, want)
		}
	}
	if c := readCopy(t, data); c.Version != first {
		t.Fatalf("a refused start changed the record to %s", c.Version)
	}
	writeRegistryShrinkFrom(t, path, day1.Add(time.Hour), first, slices.Clone(ten)...)
	if err := open(); err != nil {
		t.Fatalf("an acknowledged copy: %v", err)
	}
	acked := fileVersion(t, path)
	c = readCopy(t, data)
	if c.Version != acked || len(c.Sample) == 0 {
		t.Fatalf("record after an acknowledged start: %s with %d sampled, want %s", c.Version, len(c.Sample), acked)
	}
	for _, v := range c.Sample {
		if _, ok := slices.BinarySearch(ten, v); !ok {
			t.Fatalf("sampled number %d is not in the copy in force", v)
		}
	}
	// 4 % from that copy: starts.
	four := replaced(ten, droppedTen, 0.04, 4)
	writeRegistry(t, path, "us-national-dnc", day1.Add(2*time.Hour), four...)
	if err := open(); err != nil {
		t.Fatalf("a start with a copy that swapped 4 %%: %v", err)
	}
}

// A record written before the sample (format 2) still reads and starts:
// there is nothing to compare a swap with at that start, and the record is
// written again with a sample, which the next start compares with.
func TestRegistryCopiesWithoutSample(t *testing.T) {
	path := filepath.Join(t.TempDir(), "us.dnc")
	data := t.TempDir()
	day1 := time.Now().Add(-72 * time.Hour).UTC().Truncate(time.Second)
	fx := newSwapFixture()
	writeRegistry(t, path, "us-national-dnc", day1, slices.Clone(fx.inForce)...)
	v2 := fmt.Sprintf(`{
  "format": 2,
  "registries": {
    "us-national-dnc": {
      "version": %q,
      "count": %d,
      "as_of": %q,
      "file": %q,
      "loaded_at": %q,
      "high_water_count": %d,
      "high_water_version": %q
    }
  }
}
`, fileVersion(t, path), len(fx.inForce), day1.Format(time.RFC3339), path, day1.Format(time.RFC3339), len(fx.inForce), fileVersion(t, path))
	if err := os.WriteFile(filepath.Join(data, RegistryCopiesFile), []byte(v2), 0o600); err != nil {
		t.Fatal(err)
	}
	open := func() error {
		be, err := Open(context.Background(), Config{Data: data, Profile: "us", Registries: []string{path}}, nil)
		if err == nil {
			be.Close(context.Background())
		}
		return err
	}
	ten, droppedTen := fx.swapped(0.10, 5)
	writeRegistry(t, path, "us-national-dnc", day1.Add(time.Hour), slices.Clone(ten)...)
	if err := open(); err != nil {
		t.Fatalf("start on a format-2 record (no sample to compare with): %v", err)
	}
	b, err := os.ReadFile(filepath.Join(data, RegistryCopiesFile))
	if err != nil {
		t.Fatal(err)
	}
	var raw struct {
		Format     int `json:"format"`
		Registries map[string]struct {
			Sample []uint64 `json:"sample"`
		} `json:"registries"`
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		t.Fatal(err)
	}
	if raw.Format != registryCopiesFormat || len(raw.Registries["us-national-dnc"].Sample) == 0 {
		t.Fatalf("record not written again with a sample: %.300s", b)
	}
	// The next start compares with the sample of the copy now in force.
	next := replaced(ten, droppedTen, 0.10, 7)
	writeRegistry(t, path, "us-national-dnc", day1.Add(2*time.Hour), next...)
	if err := open(); err == nil || !strings.Contains(err.Error(), "sampled") {
		t.Fatalf("start with a 10 %% swap after the record was written again: %v", err)
	}
}

// A damaged record at start used to be logged and not compared with (and the
// high-water mark was lost): a copy cut short or swapped got in by a
// restart. Serve now does not start, naming the file and the two ways out;
// the file is left as it is. Deleting it is the explicit acknowledgement: the
// next start takes the copies as given. A missing record (first start)
// starts.
func TestRegistryCopiesDamagedRefusesStart(t *testing.T) {
	path := filepath.Join(t.TempDir(), "us.dnc")
	data := t.TempDir()
	day1 := time.Now().Add(-72 * time.Hour).UTC().Truncate(time.Second)
	writeRegistry(t, path, "us-national-dnc", day1, usNums(1000)...)
	open := func() error {
		be, err := Open(context.Background(), Config{Data: data, Profile: "us", Registries: []string{path}}, nil)
		if err == nil {
			be.Close(context.Background())
		}
		return err
	}
	// Missing: the first start.
	if err := open(); err != nil {
		t.Fatalf("first start, no record: %v", err)
	}
	rec := filepath.Join(data, RegistryCopiesFile)
	good, err := os.ReadFile(rec)
	if err != nil {
		t.Fatal(err)
	}
	for name, body := range map[string][]byte{
		"cut":   good[:len(good)/2],
		"empty": {},
		"junk":  []byte("not json\n"),
	} {
		t.Run(name, func(t *testing.T) {
			if err := os.WriteFile(rec, body, 0o600); err != nil {
				t.Fatal(err)
			}
			err := open()
			if err == nil {
				t.Fatal("started on a damaged record of the registry copies last in force")
			}
			if !errors.Is(err, ErrConfig) {
				t.Errorf("error %v does not wrap ErrConfig", err)
			}
			for _, want := range []string{rec, "restore", "delete"} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("refusal %q does not say %q", err, want)
				}
			}
			if b, _ := os.ReadFile(rec); string(b) != string(body) {
				t.Fatalf("the damaged record was replaced: %q", b)
			}
		})
	}
	if err := os.Remove(rec); err != nil {
		t.Fatal(err)
	}
	if err := open(); err != nil {
		t.Fatalf("start once the damaged record was deleted: %v", err)
	}
	if c := readCopy(t, data); c.Count != 1000 || len(c.Sample) == 0 {
		t.Fatalf("record after the start: count %d, %d sampled", c.Count, len(c.Sample))
	}
}

// A start without registries leaves a damaged record as it is: replaced by
// an empty one, the next start with registries would compare with nothing.
func TestRegistryCopiesDamagedKeptWithoutRegistries(t *testing.T) {
	data := t.TempDir()
	rec := filepath.Join(data, RegistryCopiesFile)
	if err := os.WriteFile(rec, []byte("{\"format\":3,"), 0o600); err != nil {
		t.Fatal(err)
	}
	be, err := Open(context.Background(), Config{Data: data, Profile: "us"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	be.Close(context.Background())
	if b, _ := os.ReadFile(rec); string(b) != "{\"format\":3," {
		t.Fatalf("a start without registries replaced the damaged record: %q", b)
	}
}

// A record damaged while serving is replaced, at the next reload that swaps
// a copy in, by a whole record of every registry in force — not by that
// registry's record alone, which lost the others' marks and samples.
func TestRegistryCopiesDamagedReplacedWhole(t *testing.T) {
	dir := t.TempDir()
	us, other := filepath.Join(dir, "us.dnc"), filepath.Join(dir, "other.dnc")
	data := t.TempDir()
	day1 := time.Now().Add(-72 * time.Hour).UTC().Truncate(time.Second)
	writeRegistry(t, us, "us-national-dnc", day1, usNums(100)...)
	writeRegistry(t, other, "test-other", day1, usNums(50)...)
	be, err := Open(context.Background(), Config{Data: data, Profile: "us", Registries: []string{us, other}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { be.Close(context.Background()) })
	rec := filepath.Join(data, RegistryCopiesFile)
	if err := os.WriteFile(rec, []byte("junk"), 0o600); err != nil {
		t.Fatal(err)
	}
	writeRegistry(t, us, "us-national-dnc", day1.Add(time.Hour), usNums(101)...)
	if err := be.ReloadRegistries(false); err != nil {
		t.Fatal(err)
	}
	rc, err := readRegistryCopies(data)
	if err != nil {
		t.Fatal(err)
	}
	if c, ok := rc.Registries["test-other"]; !ok || c.Count != 50 || len(c.Sample) != 50 {
		t.Fatalf("record after the reload: test-other %+v (recorded %v), want its copy of 50", c, ok)
	}
	if c := rc.Registries["us-national-dnc"]; c.Count != 101 {
		t.Fatalf("record after the reload: us-national-dnc count %d, want 101", c.Count)
	}
}

// The swap check's walk runs with the reloader's lock released: Check (every
// second) is not held up by it, and a copy that went in meanwhile is the one
// the new copy is compared with — not the one the walk started from.
func TestRegistrySwapWalkUnlocked(t *testing.T) {
	day1 := time.Now().Add(-72 * time.Hour).UTC().Truncate(time.Second)
	all := usNums(2000)
	a := all[:1000]
	var b []uint64 // a with 10 % replaced
	for i, v := range a {
		if i%10 == 0 {
			v = all[1000+i]
		}
		b = append(b, v)
	}
	for name, tt := range map[string]struct {
		next, meanwhile []uint64
		accepted        bool
	}{
		// Compared with a, next (10 % swapped) would be refused; compared
		// with the copy that went in meanwhile (the same numbers), accepted.
		"refused by the first, accepted by the copy in force": {next: b, meanwhile: b, accepted: true},
		// Compared with a, next (a plus one) would be accepted; compared
		// with the copy that went in meanwhile (other numbers), refused.
		"accepted by the first, refused by the copy in force": {next: append(slices.Clone(a), all[1999]), meanwhile: all[1000:2000], accepted: false},
	} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "us.dnc")
			writeRegistry(t, path, "us-national-dnc", day1, slices.Clone(a)...)
			regs, err := dnc.LoadRegistries(path)
			if err != nil {
				t.Fatal(err)
			}
			other := filepath.Join(t.TempDir(), "meanwhile.dnc")
			writeRegistry(t, other, "us-national-dnc", day1.Add(time.Hour), slices.Clone(tt.meanwhile)...)
			meanwhile, err := dnc.OpenSnapshot(other)
			if err != nil {
				t.Fatal(err)
			}
			rf := newRegistryFiles([]string{path}, regs, nil, DefaultRegistryMaxShrink, "", slog.New(slog.DiscardHandler))
			walks := 0
			rf.duringWalk = func() {
				walks++
				if walks > 1 {
					return
				}
				done := make(chan error, 1)
				go func() { done <- rf.Check() }()
				select {
				case err := <-done:
					if err != nil {
						t.Errorf("Check during the walk: %v", err)
					}
				case <-time.After(10 * time.Second):
					t.Fatal("Check is held up by the swap check's walk")
				}
				if _, err := regs[0].Swap(meanwhile); err != nil {
					t.Error(err)
				}
			}
			writeRegistry(t, path, "us-national-dnc", day1.Add(2*time.Hour), slices.Clone(tt.next)...)
			err = rf.Reload(false)
			if walks != 2 {
				t.Fatalf("%d walks, want 2 (the second with the copy that went in meanwhile)", walks)
			}
			got := regs[0].Snapshot().Header.Effective()
			if tt.accepted {
				if err != nil || !got.Equal(day1.Add(2*time.Hour)) {
					t.Fatalf("reload: %v, copy in force as of %s; want the new copy", err, got)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), "sampled at random from copy "+meanwhile.Header.Version()) {
				t.Fatalf("reload: %v; want refused, compared with the copy that went in meanwhile (%s)", err, meanwhile.Header.Version())
			}
			if !got.Equal(day1.Add(time.Hour)) {
				t.Fatalf("copy in force as of %s after the refusal, want the one that went in meanwhile", got)
			}
		})
	}
}

// A format-2 record of a registry not loaded at the start that writes the
// record in format 3 is carried over without a sample, and the record still
// reads (a start with that registry then checks counts and marks only, and
// records a sample).
func TestRegistryCopiesCarriedWithoutSample(t *testing.T) {
	path := filepath.Join(t.TempDir(), "us.dnc")
	data := t.TempDir()
	day1 := time.Now().Add(-72 * time.Hour).UTC().Truncate(time.Second)
	writeRegistry(t, path, "us-national-dnc", day1, usNums(100)...)
	v2 := `{"format":2,"registries":{"test-other":{"version":"0123456789abcdef","count":10,"as_of":"2026-01-01T00:00:00Z","file":"f","loaded_at":"2026-01-01T00:00:00Z","high_water_count":10,"high_water_version":"0123456789abcdef"}}}`
	if err := os.WriteFile(filepath.Join(data, RegistryCopiesFile), []byte(v2), 0o600); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		be, err := Open(context.Background(), Config{Data: data, Profile: "us", Registries: []string{path}}, nil)
		if err != nil {
			t.Fatal(err)
		}
		be.Close(context.Background())
	}
	rc, err := readRegistryCopies(data)
	if err != nil {
		t.Fatal(err)
	}
	if rc.Format != registryCopiesFormat || rc.Registries["test-other"].Count != 10 || len(rc.Registries["us-national-dnc"].Sample) != 100 {
		t.Fatalf("record: %+v", rc)
	}
}
