package sidecar

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dialgate/dialgate/dnc"
)

// writeRegistryScoped is writeRegistry with the header's scope (and
// shrink_from) set: a copy built with `dnc build --scope`.
func writeRegistryScoped(t *testing.T, path, scope, shrinkFrom string, asOf time.Time, nums ...uint64) {
	t.Helper()
	tmp := path + ".tmp"
	f, err := os.Create(tmp)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := dnc.WriteSnapshot(f, dnc.Header{Name: "us-national-dnc", Scope: scope, Source: "test", AsOf: asOf, CreatedAt: asOf, ShrinkFrom: shrinkFrom}, dnc.NewSet(nums)); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
}

// optionalRegistryProfile writes a profile that checks every purpose
// against the do-not-call lists but requires no registry: a copy in a
// narrow scope is then not refused for its scope alone (a required
// registry's is: TestRegistryScopeRefused), and the scope guard is what
// stands between it and the copy in force.
func optionalRegistryProfile(t *testing.T) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "profile.yaml")
	if err := os.WriteFile(p, []byte(`schema: dialgate.profile.v1
name: optional-registry
dnc:
  purposes: [marketing, service, callback, collections, survey]
  purposes_cite: {source: U, ref: "scope guard test"}
  hold: {months: 12, cite: {source: U, ref: "scope guard test"}}
`), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// The shrink and swap guards compare numbers; a copy's version is the
// SHA-256 of its numbers alone. A copy of the same numbers in a narrower
// scope (built with --scope campaign:x by mistake) had the version of the
// copy in force, passed both guards and was swapped in: every dial outside
// that scope was no longer checked against the registry, and each of its
// numbers was allowed. A copy whose scope is not the one in force (nor
// global) is now refused at a reload, unless its shrink_from names the
// copy in force; the refused copy leaves the copy in force answering.
func TestRegistryReloadScopeNarrowedRefused(t *testing.T) {
	path := filepath.Join(t.TempDir(), "us.dnc")
	data := t.TempDir()
	prof := optionalRegistryProfile(t)
	day1 := time.Now().Add(-72 * time.Hour).UTC().Truncate(time.Second)
	nums := usNums(1000)
	writeRegistry(t, path, "us-national-dnc", day1, nums...)
	be, err := Open(context.Background(), Config{Data: data, Profile: prof, Registries: []string{path}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { be.Close(context.Background()) })
	loaded := fileVersion(t, path)
	if !listedIn(t, be, nums[10]) {
		t.Fatal("fixture: number not listed by the copy in force")
	}

	writeRegistryScoped(t, path, "campaign:spring", "", day1.Add(time.Hour), nums...)
	err = be.ReloadRegistries(false)
	if err == nil {
		t.Fatal("a copy of the same numbers in scope campaign:spring replaced the global copy in force")
	}
	for _, want := range []string{path, "campaign:spring", "global", "--accept-shrink-from " + loaded} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("refusal %q does not say %q", err, want)
		}
	}
	if !listedIn(t, be, nums[10]) {
		t.Fatal("a number of the registry is allowed after a copy in a narrower scope was offered")
	}
	if c := readCopy(t, data); c.Scope != "global" {
		t.Fatalf("record scope %q, want global", c.Scope)
	}

	// Acknowledged: accepted, and recorded with its scope.
	writeRegistryScoped(t, path, "campaign:spring", loaded, day1.Add(2*time.Hour), nums...)
	if err := be.ReloadRegistries(false); err != nil {
		t.Fatalf("an acknowledged change of scope: %v", err)
	}
	if c := readCopy(t, data); c.Scope != "campaign:spring" {
		t.Fatalf("record scope %q after an acknowledged change, want campaign:spring", c.Scope)
	}
	// Back to global (every dial checked) needs no acknowledgement.
	writeRegistry(t, path, "us-national-dnc", day1.Add(3*time.Hour), nums...)
	if err := be.ReloadRegistries(false); err != nil {
		t.Fatalf("a copy widened to global: %v", err)
	}
	if !listedIn(t, be, nums[10]) {
		t.Fatal("the global copy is not in force")
	}
}

// At start the copy last in force may be gone: its scope is recorded, and a
// copy in another (not global) scope is refused as at a reload.
func TestRegistryStartScopeNarrowedRefused(t *testing.T) {
	path := filepath.Join(t.TempDir(), "us.dnc")
	data := t.TempDir()
	prof := optionalRegistryProfile(t)
	day1 := time.Now().Add(-72 * time.Hour).UTC().Truncate(time.Second)
	nums := usNums(1000)
	open := func() error {
		be, err := Open(context.Background(), Config{Data: data, Profile: prof, Registries: []string{path}}, nil)
		if err == nil {
			be.Close(context.Background())
		}
		return err
	}
	writeRegistry(t, path, "us-national-dnc", day1, nums...)
	if err := open(); err != nil {
		t.Fatal(err)
	}
	first := fileVersion(t, path)
	writeRegistryScoped(t, path, "industry:finance", "", day1.Add(time.Hour), nums...)
	err := open()
	if err == nil {
		t.Fatal("a start with the registry's numbers in scope industry:finance, after a global copy, succeeded")
	}
	if !errors.Is(err, ErrConfig) {
		t.Errorf("error %v does not wrap ErrConfig", err)
	}
	for _, want := range []string{path, "industry:finance", "global", "--accept-shrink-from " + first, RegistryCopiesFile} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("start refusal %q does not say %q", err, want)
		}
	}
	writeRegistryScoped(t, path, "industry:finance", first, day1.Add(time.Hour), nums...)
	if err := open(); err != nil {
		t.Fatalf("an acknowledged change of scope: %v", err)
	}
	if c := readCopy(t, data); c.Scope != "industry:finance" {
		t.Fatalf("record scope %q, want industry:finance", c.Scope)
	}
}

// TestRequiredIndustryRegistryStarts: a profile requiring the CN
// platform's finance feed fresh names the scope its copies are built in
// (dnc.registries[].scope: industry:finance); serve starts with such a copy
// (the start check refused every required copy not in scope global, so
// requiring the feed fresh kept the sidecar from starting) and refuses a
// copy in another scope, global included, naming both.
func TestRequiredIndustryRegistryStarts(t *testing.T) {
	dir := t.TempDir()
	prof := filepath.Join(dir, "profile.yaml")
	if err := os.WriteFile(prof, []byte(`schema: dialgate.profile.v1
name: cn-feed
extends: cn
dnc:
  hold: {months: 12, cite: {source: U, ref: "test profile"}}
  registries:
    - {name: cn-platform-finance, scope: "industry:finance", max_age: 7d, cite: {source: U, ref: "test profile: the platform feed, required fresh"}}
`), 0o600); err != nil {
		t.Fatal(err)
	}
	day1 := time.Now().Add(-24 * time.Hour).UTC().Truncate(time.Second)
	write := func(path, scope string) {
		t.Helper()
		f, err := os.Create(path)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := dnc.WriteSnapshot(f, dnc.Header{Name: "cn-platform-finance", Scope: scope, Source: "test", AsOf: day1, CreatedAt: day1}, dnc.NewSet([]uint64{8613800138000})); err != nil {
			t.Fatal(err)
		}
		if err := f.Close(); err != nil {
			t.Fatal(err)
		}
	}
	ok := filepath.Join(dir, "fin.dnc")
	write(ok, "industry:finance")
	be, err := Open(context.Background(), Config{Data: t.TempDir(), Profile: prof, Registries: []string{ok}, MetricsListen: "off"}, nil)
	if err != nil {
		t.Fatalf("start with the finance feed required in industry:finance: %v", err)
	}
	be.Close(context.Background())
	for _, sc := range []string{"", "industry:insurance"} {
		bad := filepath.Join(dir, "bad"+strings.ReplaceAll(sc, ":", "-")+".dnc")
		write(bad, sc)
		_, err := Open(context.Background(), Config{Data: t.TempDir(), Profile: prof, Registries: []string{bad}, MetricsListen: "off"}, nil)
		if err == nil || !errors.Is(err, ErrConfig) || !strings.Contains(err.Error(), "industry:finance") {
			t.Errorf("start with a copy in scope %q of a feed required in industry:finance: %v; want an ErrConfig refusal naming industry:finance", sc, err)
		}
	} // The required scope spelt in another case is the same scope (scopes
	// match dials without regard to case, a reload takes such a copy for
	// the one in force's scope, and the dnc check answers from it): it
	// starts. It was refused, while a reload swapped it in.
	cased := filepath.Join(dir, "fin-cased.dnc")
	write(cased, "industry:Finance")
	be, err = Open(context.Background(), Config{Data: t.TempDir(), Profile: prof, Registries: []string{cased}, MetricsListen: "off"}, nil)
	if err != nil {
		t.Fatalf("start with the finance feed built in scope industry:Finance, required in industry:finance: %v", err)
	}
	be.Close(context.Background())
}
