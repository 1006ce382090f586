package pgstore_test

import (
	"testing"

	"github.com/dialgate/dialgate/storage/pgstore"
	"github.com/dialgate/dialgate/storage/storetest"
)

// An opt-out one process acknowledged is seen by every lookup another
// process starts after it, before that process's change feed has relayed
// it (found by the fleet's randomized concurrency review, internal/sidecar
// TestFleetRace: a dial checked on another sidecar microseconds after the
// opt-out was acknowledged was allowed).
func TestOptOutReadYourWritesAcrossProcesses(t *testing.T) {
	url := pgURL(t)
	p := newSchema(t, url)
	a, b := open(t, url, p), open(t, url, p)
	storetest.TestDNCReadYourWritesAcrossProcesses(t, a, b, func() (<-chan struct{}, func()) { return pgstore.HoldFeed(b) })
}

// BenchmarkListsLookupMiss measures a lookup of a number nobody listed
// through dnc.Lists on PostgreSQL (storetest.BenchListsLookupMiss).
func BenchmarkListsLookupMiss(b *testing.B) {
	url := pgURL(b)
	storetest.BenchListsLookupMiss(b, open(b, url, newSchema(b, url)))
}
