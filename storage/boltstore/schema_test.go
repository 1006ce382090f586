package boltstore

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/consent"
	"github.com/dialgate/dialgate/storage"
)

// TestTenantConsentRaisesSchema: a version 3 file (what builds before
// consent tenants write) stays version 3 while its consents name no tenant,
// so such a build can still open it; the first consent with a tenant raises
// it to version 4 in the same write, so such a build refuses the file
// instead of reading that consent as covering every tenant's dials.
func TestTenantConsentRaisesSchema(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.db")
	ctx := context.Background()
	s, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	setVersion(t, path, "3")

	version := func() string {
		t.Helper()
		var v string
		if err := s.db.View(func(tx *bolt.Tx) error { v = string(tx.Bucket(bucketMeta).Get(metaVersion)); return nil }); err != nil {
			t.Fatal(err)
		}
		return v
	}
	s, err = Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	rec := consent.Record{ID: "c-1", Number: dialgate.MustParseNumber("+8613900139070"), Scope: "industry:finance",
		Method: consent.MethodWritten, EvidenceURI: "https://crm.example/consents/c-1",
		GrantedAt: time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)}
	if err := s.AddConsent(ctx, rec); err != nil {
		t.Fatal(err)
	}
	if v := version(); v != "3" {
		t.Fatalf("after a consent without a tenant: version %q, want 3 (still open to older builds)", v)
	}
	rec.ID, rec.Tenant = "c-2", "acme"
	if err := s.AddConsent(ctx, rec); err != nil {
		t.Fatal(err)
	}
	if v := version(); v != "4" {
		t.Fatalf("after a consent with a tenant: version %q, want 4", v)
	}
	s.Close()

	// A build that reads up to version 3 refuses the file now: checkSchema
	// with its limit.
	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	err = db.View(func(tx *bolt.Tx) error { return checkSchemaUpTo(tx, 3) })
	if !errors.Is(err, storage.ErrSchemaTooNew) || !strings.Contains(err.Error(), "version 4") {
		t.Fatalf("a version 3 build opening the file: %v, want ErrSchemaTooNew", err)
	}
}

func setVersion(t *testing.T, path, v string) {
	t.Helper()
	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Update(func(tx *bolt.Tx) error { return tx.Bucket(bucketMeta).Put(metaVersion, []byte(v)) }); err != nil {
		t.Fatal(err)
	}
}
