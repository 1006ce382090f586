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

// writeScopedRegistry writes a us-national-dnc copy whose header names scope.
func writeScopedRegistry(t *testing.T, path, scope string, asOf time.Time, nums ...uint64) {
	t.Helper()
	tmp := path + ".tmp"
	f, err := os.Create(tmp)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := dnc.WriteSnapshot(f, dnc.Header{Name: "us-national-dnc", Scope: scope, Source: "test", AsOf: asOf, CreatedAt: asOf}, dnc.NewSet(nums)); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
}

// TestRegistryScopeRefused: a copy of the national registry the profile
// requires, built with --scope industry:… by mistake, listed its numbers only
// for that industry's dials (the dnc check now denies every dial with such a
// copy). It is refused where the operator sees it: at start (exit 2, naming
// the file, the scope and the fix) and at a reload, where the global copy in
// force stays and keeps listing every number.
func TestRegistryScopeRefused(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "us.dnc")
	day1 := time.Now().Add(-72 * time.Hour).UTC().Truncate(time.Second)
	all := usNums(100)

	writeScopedRegistry(t, path, "industry:finance", day1, all...)
	_, err := Open(context.Background(), Config{Data: t.TempDir(), Profile: "us", Registries: []string{path}}, nil)
	if err == nil || !errors.Is(err, ErrConfig) {
		t.Fatalf("start with a required registry copy scoped industry:finance: %v; want an ErrConfig refusal", err)
	}
	for _, want := range []string{path, "industry:finance", "global"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("refusal %q does not say %q", err, want)
		}
	}

	writeScopedRegistry(t, path, "", day1, all...)
	be, err := Open(context.Background(), Config{Data: t.TempDir(), Profile: "us", Registries: []string{path}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { be.Close(context.Background()) })
	writeScopedRegistry(t, path, "industry:finance", day1.Add(time.Hour), all...)
	err = be.ReloadRegistries(false)
	if err == nil || !strings.Contains(err.Error(), "industry:finance") {
		t.Fatalf("reload of a copy in another scope: %v; want a refusal naming the scope", err)
	}
	if !listedIn(t, be, all[50]) {
		t.Fatal("after the refusal, the global copy in force no longer lists its numbers")
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
	}
}
