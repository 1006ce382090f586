package memstore_test

import (
	"context"
	"testing"

	"github.com/dialgate/dialgate/storage"
	"github.com/dialgate/dialgate/storage/memstore"
	"github.com/dialgate/dialgate/storage/storetest"
)

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) any {
		s := memstore.New()
		t.Cleanup(func() { s.Close() })
		return s
	}, storetest.WithPlant(memstore.Plant))
}

func TestCheckCounters(t *testing.T) {
	err := storetest.CheckCounters(context.Background(), func() (storage.Counters, error) {
		return memstore.New(), nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestCheckRuns(t *testing.T) {
	err := storetest.CheckRuns(context.Background(), func() (storage.Runs, error) {
		return memstore.New(), nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// The check's cache follows the writes made through the same store.
func TestConsentAcrossHandles(t *testing.T) {
	s := memstore.New()
	storetest.TestConsentAcrossProcesses(t, s, s)
}

// Two gates on one store count one campaign's abandoned-call rate.
func TestAbandonAcrossHandles(t *testing.T) {
	s := memstore.New()
	storetest.TestAbandonAcrossProcesses(t, s, s)
}

// Holds and two sweeps at once through two Managers of one store.
func TestRecordingHoldsAcrossProcesses(t *testing.T) {
	s := memstore.New()
	storetest.TestRecordingHoldsAcrossProcesses(t, s, s)
}
