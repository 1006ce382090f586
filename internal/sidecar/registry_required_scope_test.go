package sidecar

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

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

	writeRegistryScoped(t, path, "industry:finance", "", day1, all...)
	_, err := Open(context.Background(), Config{Data: t.TempDir(), Profile: "us", Registries: []string{path}}, nil)
	if err == nil || !errors.Is(err, ErrConfig) {
		t.Fatalf("start with a required registry copy scoped industry:finance: %v; want an ErrConfig refusal", err)
	}
	for _, want := range []string{path, "industry:finance", "global"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("refusal %q does not say %q", err, want)
		}
	}

	writeRegistryScoped(t, path, "", "", day1, all...)
	be, err := Open(context.Background(), Config{Data: t.TempDir(), Profile: "us", Registries: []string{path}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { be.Close(context.Background()) })
	writeRegistryScoped(t, path, "industry:finance", "", day1.Add(time.Hour), all...)
	err = be.ReloadRegistries(false)
	if err == nil || !strings.Contains(err.Error(), "industry:finance") {
		t.Fatalf("reload of a copy in another scope: %v; want a refusal naming the scope", err)
	}
	if !listedIn(t, be, all[50]) {
		t.Fatal("after the refusal, the global copy in force no longer lists its numbers")
	}
}
