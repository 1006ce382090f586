package sidecar

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/dnc"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// usNums returns n synthetic North American numbers (+1 AAA 555 01XX,
// fictional), as dnc keys.
func usNums(n int) []uint64 {
	out := make([]uint64, n)
	for i := range out {
		out[i] = 10000000000 + uint64(200+i/100)*10000000 + 5550100 + uint64(i%100)
	}
	return out
}

// writeRegistryShrinkFrom is writeRegistry with the header's shrink_from
// set: a copy the operator built with --accept-shrink-from.
func writeRegistryShrinkFrom(t *testing.T, path string, asOf time.Time, shrinkFrom string, nums ...uint64) {
	t.Helper()
	tmp := path + ".tmp"
	f, err := os.Create(tmp)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := dnc.WriteSnapshot(f, dnc.Header{Name: "us-national-dnc", Source: "test", AsOf: asOf, CreatedAt: asOf, ShrinkFrom: shrinkFrom}, dnc.NewSet(nums)); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
}

// listedIn returns whether the us backend be denies a dial to the synthetic
// number v as listed; a stale registry fails the test.
func listedIn(t *testing.T, be *Backend, v uint64) bool {
	t.Helper()
	n, err := dialgate.NumberFromUint64(v)
	if err != nil {
		t.Fatal(err)
	}
	dec, err := be.Gate.Check(context.Background(), dialgate.Dial{To: n, From: dialgate.MustParseNumber("+12025550123"), Purpose: dialgate.PurposeService, LeadID: "l"})
	if err != nil {
		t.Fatal(err)
	}
	if dec.Has(dialgate.CodeDNCRegistryStale) || dec.Has(dialgate.UnavailableCode(dnc.Name)) {
		t.Fatalf("registry not in force: %v", dec.Codes())
	}
	return dec.Has(dialgate.CodeDNCListed)
}

// A new registry copy listing far fewer numbers than the loaded one (a
// download cut short, a wrong filter) is a valid snapshot: it used to be
// swapped in, and every number it lost was allowed. Now a copy listing fewer
// than (1 − registry_max_shrink) × the loaded count is refused, logged with
// both counts and the way to accept it; the loaded copy stays. A smaller
// shrink is a copy like any other, and so is a copy built with
// --accept-shrink-from naming the loaded copy (shrink_from); a copy naming
// another is refused.
func TestRegistryReloadShrinkRefused(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "us.dnc")
	day1 := time.Now().Add(-72 * time.Hour).UTC().Truncate(time.Second)
	all := usNums(1000)
	writeRegistry(t, path, "us-national-dnc", day1, all...)
	var logs bytes.Buffer
	be, err := Open(context.Background(), Config{Data: t.TempDir(), Profile: "us", Registries: []string{path}}, slog.New(slog.NewJSONHandler(&logs, nil)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { be.Close(context.Background()) })
	loaded := fileVersion(t, path)

	// Cut to half: refused, the 1000-number copy stays.
	writeRegistry(t, path, "us-national-dnc", day1.Add(time.Hour), all[:500]...)
	err = be.ReloadRegistries(false)
	if err == nil {
		t.Fatal("a copy listing half the loaded copy's numbers was swapped in")
	}
	for _, want := range []string{"500 numbers", "1000", "registry_max_shrink", "--accept-shrink-from " + loaded} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("refusal %q does not say %q", err, want)
		}
	}
	if !listedIn(t, be, all[900]) {
		t.Fatal("a number of the loaded copy is no longer listed after a shrunk copy was refused")
	}
	if !strings.Contains(logs.String(), "registry copy refused; the loaded copy stays") || !strings.Contains(logs.String(), "registry_max_shrink") {
		t.Errorf("the refusal is not logged:\n%s", logs.String())
	}
	// Still refused at the next look and on SIGHUP: the file did not change.
	if err := be.ReloadRegistries(true); err == nil {
		t.Fatal("the shrunk copy was swapped in on a forced reload")
	}
	// The gauge says a copy on the path is refused, until one loads.
	refused := func() float64 {
		t.Helper()
		for _, r := range be.RegistriesRefused() {
			if r.List == "us-national-dnc" {
				return r.Value
			}
		}
		t.Fatal("no refusal gauge for us-national-dnc")
		return 0
	}
	if got := refused(); got != 1 {
		t.Fatalf("refusal gauge %v after a refused copy, want 1", got)
	}
	m := newMetrics(nil, nil, nil, nil, nil)
	m.registryRefusals(be.RegistriesRefused)
	rec := httptest.NewRecorder()
	promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{}).ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	if want := `dialgate_registry_copy_refused{list="us-national-dnc"} 1`; !strings.Contains(rec.Body.String(), want) {
		t.Errorf("metrics lack %q", want)
	}

	// Naming another copy in shrink_from accepts nothing.
	writeRegistryShrinkFrom(t, path, day1.Add(2*time.Hour), "0123456789abcdef", all[:500]...)
	if err := be.ReloadRegistries(false); err == nil {
		t.Fatal("a shrunk copy whose shrink_from names another copy was swapped in")
	}
	if !listedIn(t, be, all[900]) {
		t.Fatal("the loaded copy is gone")
	}

	// 4 % fewer: within the default 5 %.
	writeRegistry(t, path, "us-national-dnc", day1.Add(3*time.Hour), all[:960]...)
	if err := be.ReloadRegistries(false); err != nil {
		t.Fatalf("a copy 4%% smaller: %v", err)
	}
	if listedIn(t, be, all[970]) || !listedIn(t, be, all[900]) {
		t.Fatal("the 960-number copy is not in force")
	}
	if got := refused(); got != 0 {
		t.Fatalf("refusal gauge %v once a copy loaded, want 0", got)
	}
	loaded = fileVersion(t, path)

	// Intended: built with --accept-shrink-from naming the loaded copy.
	writeRegistryShrinkFrom(t, path, day1.Add(4*time.Hour), loaded, all[:100]...)
	if err := be.ReloadRegistries(false); err != nil {
		t.Fatalf("a shrunk copy accepted by shrink_from: %v", err)
	}
	if listedIn(t, be, all[900]) || !listedIn(t, be, all[50]) {
		t.Fatal("the 100-number copy is not in force")
	}
	// Its shrink_from named the 960-number copy, not this one: a further
	// cut is refused again.
	writeRegistryShrinkFrom(t, path, day1.Add(5*time.Hour), loaded, all[:10]...)
	if err := be.ReloadRegistries(false); err == nil {
		t.Fatal("shrink_from accepted a shrink from a copy it does not name")
	}
}

// registry_max_shrink raised deliberately lets a larger shrink in.
func TestRegistryReloadMaxShrinkConfig(t *testing.T) {
	path := filepath.Join(t.TempDir(), "us.dnc")
	day1 := time.Now().Add(-72 * time.Hour).UTC().Truncate(time.Second)
	all := usNums(1000)
	writeRegistry(t, path, "us-national-dnc", day1, all...)
	max := 0.6
	be, err := Open(context.Background(), Config{Data: t.TempDir(), Profile: "us", Registries: []string{path}, RegistryMaxShrink: &max}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { be.Close(context.Background()) })
	writeRegistry(t, path, "us-national-dnc", day1.Add(time.Hour), all[:500]...)
	if err := be.ReloadRegistries(false); err != nil {
		t.Fatalf("a copy half the size with registry_max_shrink 0.6: %v", err)
	}
	writeRegistry(t, path, "us-national-dnc", day1.Add(2*time.Hour), all[:100]...)
	if err := be.ReloadRegistries(false); err == nil {
		t.Fatal("a copy 80% smaller with registry_max_shrink 0.6 was swapped in")
	}
}

// A restart used to let a shrunk copy in unchecked: the copy loaded before
// it is gone. The data directory records the count of the copy last in
// force (RegistryCopiesFile); a start whose copy lists fewer than (1 −
// registry_max_shrink) × that count is refused (ErrConfig, naming the
// file, both counts and --accept-shrink-from), unless its shrink_from
// names the recorded copy.
func TestRegistryStartShrinkRefused(t *testing.T) {
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
	first := fileVersion(t, path)
	be.Close(context.Background())

	writeRegistry(t, path, "us-national-dnc", day1.Add(time.Hour), all[:500]...)
	_, err = open()
	if err == nil {
		t.Fatal("a start with a copy half the size of the one last in force succeeded")
	}
	if !errors.Is(err, ErrConfig) {
		t.Errorf("error %v does not wrap ErrConfig", err)
	}
	for _, want := range []string{path, "500 numbers", "1000", "registry_max_shrink", "--accept-shrink-from " + first} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("refusal %q does not say %q", err, want)
		}
	}

	// Accepted by shrink_from: starts, and the record follows the copy.
	writeRegistryShrinkFrom(t, path, day1.Add(2*time.Hour), first, all[:500]...)
	be, err = open()
	if err != nil {
		t.Fatalf("a shrunk copy accepted by shrink_from: %v", err)
	}
	be.Close(context.Background())
	writeRegistry(t, path, "us-national-dnc", day1.Add(3*time.Hour), all[:490]...)
	be2, err := open()
	if err != nil {
		t.Fatalf("a copy 2%% smaller than the one last in force: %v", err)
	}

	// A reload records the copy it swaps in: the next start compares with it.
	writeRegistry(t, path, "us-national-dnc", day1.Add(4*time.Hour), all...)
	if err := be2.ReloadRegistries(false); err != nil {
		t.Fatal(err)
	}
	be2.Close(context.Background())
	writeRegistry(t, path, "us-national-dnc", day1.Add(5*time.Hour), all[:490]...)
	if _, err := open(); err == nil {
		t.Fatal("a start did not compare with the copy the last reload swapped in")
	}
}

// fileVersion returns the version of the snapshot file at path.
func fileVersion(t *testing.T, path string) string {
	t.Helper()
	h, err := dnc.ReadHeaderFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return h.Version()
}

// A copy older than the one last in force is refused at start, as a reload
// refuses it: a restart does not roll the registry back (the numbers
// registered since would be allowed).
func TestRegistryStartOlderRefused(t *testing.T) {
	path := filepath.Join(t.TempDir(), "us.dnc")
	data := t.TempDir()
	day1 := time.Now().Add(-72 * time.Hour).UTC().Truncate(time.Second)
	all := usNums(1000)
	open := usRegistryOpener(t, data, path)
	writeRegistry(t, path, "us-national-dnc", day1.Add(time.Hour), all...)
	be, err := open()
	if err != nil {
		t.Fatal(err)
	}
	be.Close(context.Background())

	writeRegistry(t, path, "us-national-dnc", day1, all...)
	_, err = open()
	if err == nil {
		t.Fatal("a start with a copy older than the one last in force succeeded")
	}
	if !errors.Is(err, ErrConfig) {
		t.Errorf("error %v does not wrap ErrConfig", err)
	}
	for _, want := range []string{path, "older", day1.Add(time.Hour).Format(time.RFC3339), RegistryCopiesFile} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("refusal %q does not say %q", err, want)
		}
	}

	// The same copy again, and a newer one, start.
	writeRegistry(t, path, "us-national-dnc", day1.Add(time.Hour), all...)
	if be, err = open(); err != nil {
		t.Fatalf("the copy last in force: %v", err)
	}
	be.Close(context.Background())
	writeRegistry(t, path, "us-national-dnc", day1.Add(2*time.Hour), all...)
	if _, err = open(); err != nil {
		t.Fatalf("a newer copy: %v", err)
	}
}

// usRegistryOpener returns a function that opens a sidecar of profile us on
// data with the registry file at path, closed when the test ends.
func usRegistryOpener(t *testing.T, data, path string) func() (*Backend, error) {
	return func() (*Backend, error) {
		be, err := Open(context.Background(), Config{Data: data, Profile: "us", Registries: []string{path}}, nil)
		if err == nil {
			t.Cleanup(func() { be.Close(context.Background()) })
		}
		return be, err
	}
}

// usRegistrySidecar writes a us-national-dnc copy of 1,000 numbers as of
// three days ago (day1) and opens a sidecar of profile us on a new data
// directory with it, closed when the test ends.
func usRegistrySidecar(t *testing.T) (be *Backend, path, data string, day1 time.Time, all []uint64) {
	t.Helper()
	path, data = filepath.Join(t.TempDir(), "us.dnc"), t.TempDir()
	day1 = time.Now().Add(-72 * time.Hour).UTC().Truncate(time.Second)
	all = usNums(1000)
	writeRegistry(t, path, "us-national-dnc", day1, all...)
	be, err := usRegistryOpener(t, data, path)()
	if err != nil {
		t.Fatal(err)
	}
	return be, path, data, day1, all
}
