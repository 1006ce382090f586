package sidecar

import (
	"context"
	"os"
	"path/filepath"
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
		dec, err := be.Gate.Check(context.Background(), dialgate.Dial{To: dialgate.MustParseNumber(to), Purpose: dialgate.PurposeService, LeadID: "l"})
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
