package boltstore_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/dnc"

	"github.com/dialgate/dialgate/storage"
	"github.com/dialgate/dialgate/storage/boltstore"
	"github.com/dialgate/dialgate/storage/storetest"
)

func openTemp(t *testing.T) *boltstore.Store {
	t.Helper()
	s, err := boltstore.Open(filepath.Join(t.TempDir(), boltstore.DefaultFileName), boltstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func reopen(old any) (any, error) {
	s := old.(*boltstore.Store)
	if err := s.Close(); err != nil {
		return nil, err
	}
	return boltstore.Open(s.Path(), boltstore.Options{})
}

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) any { return openTemp(t) }, storetest.WithReopen(reopen), storetest.WithPlant(boltstore.Plant))
}

func TestCheckCounters(t *testing.T) {
	dir := t.TempDir()
	n := 0
	err := storetest.CheckCounters(context.Background(), func() (storage.Counters, error) {
		n++
		return boltstore.Open(filepath.Join(dir, fmt.Sprintf("s%d.db", n)), boltstore.Options{})
	}, storetest.WithReopen(reopen))
	if err != nil {
		t.Fatal(err)
	}
}

// The abandoned-call rate cap counts one campaign in the embedded store.
func TestAbandonCounts(t *testing.T) {
	s := openTemp(t)
	storetest.TestAbandonAcrossProcesses(t, s, s)
}

// RecordCounts counts each kind of record.
func TestRecordCounts(t *testing.T) {
	s := openTemp(t)
	ctx := context.Background()
	at := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	for _, n := range []string{"+8613800138001", "+8613800138002"} {
		if err := s.AddDNC(ctx, dnc.Entry{Number: dialgate.MustParseNumber(n), Scope: dnc.GlobalScope, List: "opt_out", AddedAt: at, HoldUntil: at.AddDate(1, 0, 0)}); err != nil {
			t.Fatal(err)
		}
	}
	c, err := s.RecordCounts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if c != (boltstore.RecordCounts{DNC: 2}) {
		t.Errorf("RecordCounts = %+v, want 2 DNC entries", c)
	}
}

// Holds and two sweeps at once through two Managers of one store (one
// process: the file is locked to it).
func TestRecordingHoldsAcrossProcesses(t *testing.T) {
	s := openTemp(t)
	storetest.TestRecordingHoldsAcrossProcesses(t, s, s)
}

func TestCheckRuns(t *testing.T) {
	dir := t.TempDir()
	n := 0
	err := storetest.CheckRuns(context.Background(), func() (storage.Runs, error) {
		n++
		return boltstore.Open(filepath.Join(dir, fmt.Sprintf("s%d.db", n)), boltstore.Options{})
	}, storetest.WithReopen(reopen))
	if err != nil {
		t.Fatal(err)
	}
}
