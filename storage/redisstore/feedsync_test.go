package redisstore_test

import (
	"testing"

	"github.com/dialgate/dialgate/storage/redisstore"
	"github.com/dialgate/dialgate/storage/storetest"
)

// An opt-out one process acknowledged is seen by every lookup another
// process starts after it, before that process's change feed has relayed
// it (found by the fleet's randomized concurrency review, internal/sidecar
// TestFleetRace: a dial checked on another sidecar microseconds after the
// opt-out was acknowledged was allowed).
func TestOptOutReadYourWritesAcrossProcesses(t *testing.T) {
	url := redisURL(t)
	p := newPrefix(t, url)
	a, b := open(t, url, p), open(t, url, p)
	storetest.TestDNCReadYourWritesAcrossProcesses(t, a, b, func() (<-chan struct{}, func()) { return redisstore.HoldFeed(b) })
}

// BenchmarkListsLookupMiss measures a lookup of a number nobody listed
// through dnc.Lists on Redis (storetest.BenchListsLookupMiss).
func BenchmarkListsLookupMiss(b *testing.B) {
	url := redisURL(b)
	storetest.BenchListsLookupMiss(b, open(b, url, newPrefix(b, url)))
}
