package redisstore_test

import (
	"testing"
	"time"

	"github.com/dialgate/dialgate/internal/faultproxy"
	"github.com/dialgate/dialgate/storage/redisstore"
	"github.com/dialgate/dialgate/storage/storetest"
)

var outageTiming = storetest.OutageTiming{Heartbeat: 100 * time.Millisecond, CheckTimeout: 300 * time.Millisecond, Recover: 5 * time.Second}

// proxied opens a store on a fresh prefix through a fault proxy, and
// another process's store on the same prefix straight to the server.
func proxied(t *testing.T) (writer, gated *redisstore.Store, px *faultproxy.Proxy) {
	t.Helper()
	url := redisURL(t)
	p := newPrefix(t, url)
	px, purl := faultproxy.ForURL(t, url, "6379")
	writer, gated = open(t, url, p), open(t, purl, p)
	t.Cleanup(px.Cut) // before the stores close
	return writer, gated, px
}

// Redis cut off, then back: every Check denies promptly with
// <check>.unavailable and is recorded; afterwards decisions resume without
// a restart and nothing written before or during the outage is lost.
func TestOutageCut(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: TestOutageStall covers the harder case")
	}
	w, g, px := proxied(t)
	storetest.TestOutage(t, w, g, px, true, outageTiming)
}

// The same with every connection stalled (a black hole): only timeouts
// notice, and the stalled connections never come back.
func TestOutageStall(t *testing.T) {
	w, g, px := proxied(t)
	storetest.TestOutage(t, w, g, px, false, outageTiming)
}

// Every connection open stalls, the subscription's among them, while Redis
// answers on new connections: another process's opt-out still denies
// within a few heartbeats. (TestDeafFeedIsLost has a subscription that
// alone stops receiving.)
func TestStalledFeed(t *testing.T) {
	w, g, px := proxied(t)
	storetest.TestStalledFeed(t, w, g, px, outageTiming, nil)
}
