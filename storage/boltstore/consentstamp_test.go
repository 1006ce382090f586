package boltstore

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/consent"
)

// A file written by a build before stamps (no meta key consent.stamp) opens,
// its revision reads with stamp "", and the first write stamps it.
func TestConsentRevisionWithoutStamp(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "d.db")
	s, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	granted := time.Date(2026, 12, 5, 9, 0, 0, 0, time.UTC)
	r := consent.Record{
		ID: "c-1", Number: dialgate.MustParseNumber("+8613900139000"), Scope: "industry:finance", Method: consent.MethodWebForm,
		DisclosureSHA256: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
		GrantedAt:        granted,
	}
	if err := s.AddConsent(ctx, r); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Update(func(tx *bolt.Tx) error { return tx.Bucket(bucketMeta).Delete(metaConsentStamp) }); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	s, err = Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if rev, stamp, err := s.ConsentRevisionStamp(ctx); err != nil || rev != 1 || stamp != "" {
		t.Fatalf("without a stamp: %d %q %v, want 1 \"\" nil", rev, stamp, err)
	}
	if _, err := s.RevokeConsent(ctx, "c-1", granted.Add(time.Hour), "call"); err != nil {
		t.Fatal(err)
	}
	if rev, stamp, err := s.ConsentRevisionStamp(ctx); err != nil || rev != 2 || stamp == "" {
		t.Fatalf("after a write: %d %q %v, want 2 and a stamp", rev, stamp, err)
	}
}
