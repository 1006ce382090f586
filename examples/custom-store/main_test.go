package main

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/dnc"
	"github.com/dialgate/dialgate/storage"
	"github.com/dialgate/dialgate/storage/storetest"
)

func TestRun(t *testing.T) {
	var b strings.Builder
	if err := run(&b); err != nil {
		t.Fatal(err)
	}
	listed := " dnc.list=opt_out dnc.scope=global dnc.added_at=2026-12-05T02:00:00Z dnc.source=call\n"
	want := "10:00 callee A: allowed\n" +
		"callee A opted out\n" +
		"10:30 callee A: denied [dnc.listed]" + listed +
		"10:30 callee B: allowed\n" +
		"restarted\n" +
		"11:00 callee A: denied [dnc.listed]" + listed
	if b.String() != want {
		t.Errorf("output:\n%s\nwant:\n%s", b.String(), want)
	}
}

// openFileStore opens a fresh FileStore in a test directory.
func openFileStore(t *testing.T) *FileStore {
	t.Helper()
	s, err := OpenFileStore(filepath.Join(t.TempDir(), "dnc.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// TestFileStoreConformance is all it takes to prove a dnc.Store: the same
// suite memstore and boltstore pass. WithReopen runs the durability cases.
func TestFileStoreConformance(t *testing.T) {
	storetest.TestDNC(t, func(t *testing.T) dnc.Store { return openFileStore(t) },
		storetest.WithReopen(func(old any) (any, error) {
			s := old.(*FileStore)
			if err := s.Close(); err != nil {
				return nil, err
			}
			return OpenFileStore(s.path)
		}))
}

var t0 = time.Date(2026, 12, 5, 10, 0, 0, 0, time.UTC)

func entry(n string) dnc.Entry {
	return dnc.Entry{Number: dialgate.MustParseNumber(n), Scope: dnc.GlobalScope, List: "opt_out", AddedAt: t0}
}

func count(t *testing.T, s *FileStore) int {
	t.Helper()
	n := 0
	if err := s.ScanDNC(t.Context(), func(dnc.Entry) error { n++; return nil }); err != nil {
		t.Fatal(err)
	}
	return n
}

// A crash in the middle of a write leaves a last line without its newline; it
// was never acknowledged, so reopening drops it and appends after the rest.
func TestFileStoreTornTail(t *testing.T) {
	ctx := t.Context()
	s := openFileStore(t)
	if err := s.AddDNC(ctx, entry("+8613800138000")); err != nil {
		t.Fatal(err)
	}
	s.Close()
	f, err := os.OpenFile(s.path, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString(`{"add":[{"number":"+86138001380`); err != nil {
		t.Fatal(err)
	}
	f.Close()

	s2, err := OpenFileStore(s.path)
	if err != nil {
		t.Fatalf("reopen after a torn write: %v", err)
	}
	defer s2.Close()
	if err := s2.AddDNC(ctx, entry("+8613800138001")); err != nil {
		t.Fatal(err)
	}
	s2.Close()
	s3, err := OpenFileStore(s.path)
	if err != nil {
		t.Fatalf("reopen after appending past a torn write: %v", err)
	}
	defer s3.Close()
	if n := count(t, s3); n != 2 {
		t.Errorf("%d entries after the torn write, want 2", n)
	}
}

// A complete line that does not parse is damage, not a torn write: refuse to
// open rather than serve a do-not-call list with holes in it.
func TestFileStoreCorrupt(t *testing.T) {
	for name, line := range map[string]string{
		"not json":      "garbage\n",
		"unknown field": `{"drop":{}}` + "\n",
		"empty record":  "{}\n",
		"invalid entry": `{"add":[{"number":"+8613800138000","scope":"global","list":"","added_at":"2026-12-05T10:00:00Z"}]}` + "\n",
	} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "dnc.jsonl")
			if err := os.WriteFile(path, []byte(line), 0o600); err != nil {
				t.Fatal(err)
			}
			s, err := OpenFileStore(path)
			if !errors.Is(err, storage.ErrCorrupt) {
				if s != nil {
					s.Close()
				}
				t.Fatalf("open: %v, want storage.ErrCorrupt", err)
			}
		})
	}
}

func TestFileStoreClosed(t *testing.T) {
	s := openFileStore(t)
	s.Close()
	ctx := context.Background()
	n := dialgate.MustParseNumber("+8613800138000")
	for name, err := range map[string]error{
		"AddDNC":     s.AddDNC(ctx, entry("+8613800138000")),
		"DNCEntries": func() error { _, err := s.DNCEntries(ctx, n); return err }(),
		"RemoveDNC":  s.RemoveDNC(ctx, n, dnc.GlobalScope, t0),
		"ScanDNC":    s.ScanDNC(ctx, func(dnc.Entry) error { return nil }),
	} {
		if !errors.Is(err, storage.ErrClosed) {
			t.Errorf("%s after Close: %v, want storage.ErrClosed", name, err)
		}
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close: %v, want nil (idempotent)", err)
	}
}

// After a failed write the state on disk is unknown: the store refuses every
// later write (fail closed) instead of appending after a partial line, and
// the failed batch is not visible in memory.
func TestFileStoreWriteFailureIsSticky(t *testing.T) {
	ctx := t.Context()
	s := openFileStore(t)
	s.f.Close() // the disk goes away behind the store's back
	if err := s.AddDNC(ctx, entry("+8613800138000")); err == nil {
		t.Fatal("AddDNC on a failed file: nil error")
	}
	if es, err := s.DNCEntries(ctx, dialgate.MustParseNumber("+8613800138000")); err != nil || es != nil {
		t.Errorf("DNCEntries after a failed AddDNC: %v, %v; want nil, nil", es, err)
	}
	if err := s.AddDNC(ctx, entry("+8613800138001")); !errors.Is(err, storage.ErrUnavailable) {
		t.Errorf("AddDNC after a failed write: %v, want storage.ErrUnavailable", err)
	}
}
