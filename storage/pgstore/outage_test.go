package pgstore_test

import (
	"testing"
	"time"

	"github.com/dialgate/dialgate/internal/faultproxy"
	"github.com/dialgate/dialgate/storage/pgstore"
	"github.com/dialgate/dialgate/storage/storetest"
)

var outageTiming = storetest.OutageTiming{Heartbeat: 100 * time.Millisecond, CheckTimeout: 300 * time.Millisecond, Recover: 5 * time.Second}

// proxied opens a store on schema through a fault proxy, and another
// process's store on the same schema straight to the server.
func proxied(t *testing.T) (writer, gated *pgstore.Store, px *faultproxy.Proxy) {
	t.Helper()
	url := pgURL(t)
	schema := newSchema(t, url)
	px, purl := faultproxy.ForURL(t, url, "5432")
	writer, gated = open(t, url, schema), open(t, purl, schema)
	// Cut before the stores close: a stalled connection holds Close up
	// (pgx waits up to 15 s for it to drain).
	t.Cleanup(px.Cut)
	return writer, gated, px
}

// PostgreSQL cut off, then back: every Check denies promptly with
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

// The LISTEN connection stalls, and it alone (the pool's connections are
// closed first), while the database answers on new connections: the
// heartbeat, sent and received on that connection, finds it lost, and
// another process's opt-out denies within a few heartbeats.
func TestStalledFeed(t *testing.T) {
	w, g, px := proxied(t)
	storetest.TestStalledFeed(t, w, g, px, outageTiming, g.Pool().Reset)
}
