package boltstore

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/consent"
	"github.com/dialgate/dialgate/dnc"
	"github.com/dialgate/dialgate/storage"
)

// bbolt writes a transaction's meta page and then fdatasyncs the file; when
// that fdatasync fails, Commit returns the error but the meta page is
// already in the page cache, and the memory map — every later transaction —
// sees the transaction as committed although the disk may never get it (after
// a failed fsync the kernel may drop the dirty pages). The store must then
// stop: a later commit would be acknowledged on top of pages that may not be
// on disk, and a read would answer from a state (a consent grant reported
// as failed) that a restart may not find. Every later read and write fails
// with ErrUnavailable naming the cause until the store is reopened; the
// checks then deny (<check>.unavailable).
func TestFailedCommitStopsTheStore(t *testing.T) {
	path := filepath.Join(t.TempDir(), "f.db")
	s := mustOpen(t, path, Options{})
	ctx := context.Background()
	before := dnc.Entry{Number: dialgate.MustParseNumber("+8613800138001"), Scope: dnc.MustParseScope("global"), List: "opt_out", AddedAt: jt0}
	if err := s.AddDNC(ctx, before); err != nil {
		t.Fatal(err)
	}
	// The meta page's fdatasync fails: the transaction is visible in the
	// map, and Commit returns the error.
	syncErr := &os.PathError{Op: "fdatasync", Path: path, Err: syscall.EIO}
	s.group.update = func(fn func(*bolt.Tx) error) error {
		if err := s.db.Update(fn); err != nil {
			return err
		}
		return syncErr
	}
	grant := consent.Record{ID: "c-failed", Number: dialgate.MustParseNumber("+8613900139070"), Scope: "industry:finance",
		Method: consent.MethodWritten, EvidenceURI: "https://crm.example/consents/c-failed", GrantedAt: jt0.Add(-time.Hour)}
	if err := s.AddConsent(ctx, grant); !errors.Is(err, storage.ErrUnavailable) || !errors.Is(err, syscall.EIO) {
		t.Fatalf("AddConsent with a failed commit = %v, want ErrUnavailable wrapping EIO", err)
	}
	s.group.update = nil // the disk answers again

	stopped := func(what string, err error) {
		t.Helper()
		if !errors.Is(err, storage.ErrUnavailable) || !errors.Is(err, syscall.EIO) || !strings.Contains(err.Error(), "reopen") {
			t.Errorf("%s after a failed commit = %v, want ErrUnavailable wrapping the commit's error and saying to reopen the store", what, err)
		}
	}
	_, err := s.Consent(ctx, grant.ID)
	stopped("Consent of the grant whose commit failed", err)
	_, err = s.DNCEntries(ctx, before.Number)
	stopped("DNCEntries", err)
	after := before
	after.Number = dialgate.MustParseNumber("+8613800138002")
	stopped("AddDNC", s.AddDNC(ctx, after))
	_, err = s.RevokeConsent(ctx, grant.ID, jt0, "call")
	stopped("RevokeConsent", err)
	_, err = s.RecordCounts(ctx)
	stopped("RecordCounts", err)
	stopped("Ping", s.Ping(ctx))
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	// Reopened, the store reads the file as it is and takes writes again.
	s = mustOpen(t, path, Options{})
	defer s.Close()
	if es, err := s.DNCEntries(ctx, before.Number); err != nil || len(es) != 1 {
		t.Fatalf("reopened: DNCEntries = %v, %v; want the entry", es, err)
	}
	if err := s.AddDNC(ctx, after); err != nil {
		t.Fatalf("reopened: AddDNC = %v", err)
	}
	if err := s.Ping(ctx); err != nil {
		t.Fatalf("reopened: Ping = %v", err)
	}
}

// A write whose own function fails (a conflict, bad input) rolls back
// cleanly and does not stop the store.
func TestFailedWriteFunctionKeepsTheStore(t *testing.T) {
	s := mustOpen(t, filepath.Join(t.TempDir(), "f.db"), Options{})
	defer s.Close()
	ctx := context.Background()
	rec := consent.Record{ID: "c-1", Number: dialgate.MustParseNumber("+8613900139070"), Scope: "industry:finance",
		Method: consent.MethodWritten, EvidenceURI: "https://crm.example/consents/c-1", GrantedAt: jt0.Add(-time.Hour)}
	if err := s.AddConsent(ctx, rec); err != nil {
		t.Fatal(err)
	}
	rec.Scope = "industry:insurance"
	if err := s.AddConsent(ctx, rec); err == nil {
		t.Fatal("a second consent with the same id and another scope was accepted")
	}
	if err := s.AddDNC(ctx, testDNCEntry()); err != nil {
		t.Fatalf("AddDNC after a refused write = %v", err)
	}
	if _, err := s.Consent(ctx, rec.ID); err != nil {
		t.Fatalf("Consent after a refused write = %v", err)
	}
}

// The consent check answers a dial from its cache while the store's consent
// revision has not moved, so ConsentRevision is the read that must fail
// once a commit failed: otherwise a consent whose revocation the admin was
// just told had failed (the revocation is in the map, perhaps not on disk)
// keeps allowing dials from the cache of a store that answers nothing else.
func TestFailedCommitStopsConsentRevision(t *testing.T) {
	path := filepath.Join(t.TempDir(), "f.db")
	s := mustOpen(t, path, Options{})
	defer s.Close()
	ctx := context.Background()
	callee := dialgate.MustParseNumber("+8613900139071")
	rec := consent.Record{ID: "c-cached", Number: callee, Scope: "industry:finance",
		Method: consent.MethodWritten, EvidenceURI: "https://crm.example/consents/c-cached", GrantedAt: jt0.Add(-time.Hour)}
	if err := s.AddConsent(ctx, rec); err != nil {
		t.Fatal(err)
	}
	check, err := consent.NewCheck(consent.Config{Require: []consent.Requirement{{
		Purposes: []dialgate.Purpose{dialgate.PurposeMarketing}, Cite: dialgate.Citation{Source: "U", Ref: "test"}}}}, s)
	if err != nil {
		t.Fatal(err)
	}
	g, err := dialgate.New([]dialgate.Checker{check}, dialgate.WithoutAuditLog(),
		dialgate.WithClock(dialgate.ClockFunc(func() time.Time { return jt0 })))
	if err != nil {
		t.Fatal(err)
	}
	d := dialgate.Dial{To: callee, From: dialgate.MustParseNumber("+861058001234"), Purpose: dialgate.PurposeMarketing,
		Industry: "finance", Tenant: "acme", ConsentID: rec.ID}
	if dec, err := g.Check(ctx, d); err != nil || !dec.Allowed {
		t.Fatalf("before the failure: %+v, %v; want allowed (the case must show the failure alone denies)", dec.Reasons, err)
	}

	syncErr := &os.PathError{Op: "fdatasync", Path: path, Err: syscall.EIO}
	s.group.update = func(fn func(*bolt.Tx) error) error {
		if err := s.db.Update(fn); err != nil {
			return err
		}
		return syncErr
	}
	if _, err := s.RevokeConsent(ctx, rec.ID, jt0, "call"); !errors.Is(err, storage.ErrUnavailable) {
		t.Fatalf("RevokeConsent with a failed commit = %v, want ErrUnavailable", err)
	}
	s.group.update = nil

	if _, err := s.ConsentRevision(ctx); !errors.Is(err, storage.ErrUnavailable) || !errors.Is(err, syscall.EIO) {
		t.Errorf("ConsentRevision after a failed commit = %v, want ErrUnavailable wrapping the commit's error", err)
	}
	dec, err := g.Check(ctx, d)
	if dec.Allowed || !slices.ContainsFunc(dec.Reasons, func(r dialgate.Reason) bool { return r.Code == dialgate.UnavailableCode("consent") }) {
		t.Fatalf("after a failed commit (the revocation's): allowed %v, reasons %+v, %v; want a deny with consent.unavailable", dec.Allowed, dec.Reasons, err)
	}
}

// A write queued while the commit that fails is under way must not be
// committed after it: its commit would stand on pages the disk may never
// get (and a second fdatasync may report success for pages the kernel
// dropped after the first failed), so acknowledging it — a revocation, an
// opt-out — could acknowledge what a restart does not find.
func TestWriteQueuedDuringFailedCommitFails(t *testing.T) {
	path := filepath.Join(t.TempDir(), "f.db")
	s := mustOpen(t, path, Options{})
	defer s.Close()
	ctx := context.Background()
	rec := consent.Record{ID: "c-queued", Number: dialgate.MustParseNumber("+8613900139072"), Scope: "industry:finance",
		Method: consent.MethodWritten, EvidenceURI: "https://crm.example/consents/c-queued", GrantedAt: jt0.Add(-time.Hour)}
	if err := s.AddConsent(ctx, rec); err != nil {
		t.Fatal(err)
	}

	syncErr := &os.PathError{Op: "fdatasync", Path: path, Err: syscall.EIO}
	inCommit, release := make(chan struct{}), make(chan struct{})
	first := true
	s.group.update = func(fn func(*bolt.Tx) error) error {
		if !first {
			return s.db.Update(fn) // the disk answers again
		}
		first = false
		if err := s.db.Update(fn); err != nil {
			return err
		}
		close(inCommit)
		<-release
		return syncErr
	}
	failed := make(chan error, 1)
	go func() {
		failed <- s.AddDNC(ctx, dnc.Entry{Number: dialgate.MustParseNumber("+8613800138003"), Scope: dnc.GlobalScope, List: "opt_out", AddedAt: jt0})
	}()
	<-inCommit
	queued := make(chan error, 1)
	go func() {
		_, err := s.RevokeConsent(ctx, rec.ID, jt0, "call")
		queued <- err
	}()
	for deadline := time.Now().Add(10 * time.Second); ; {
		s.group.mu.Lock()
		n := len(s.group.queue)
		s.group.mu.Unlock()
		if n == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the revocation was not queued behind the failing commit")
		}
		time.Sleep(time.Millisecond)
	}
	close(release)
	if err := <-failed; !errors.Is(err, storage.ErrUnavailable) {
		t.Fatalf("AddDNC whose commit failed = %v, want ErrUnavailable", err)
	}
	if err := <-queued; !errors.Is(err, storage.ErrUnavailable) || !errors.Is(err, syscall.EIO) {
		t.Fatalf("RevokeConsent queued during the failed commit = %v, want ErrUnavailable wrapping the failed commit's error (not committed on top of it)", err)
	}
}
