package pgstore_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/dialgate/dialgate/internal/faultproxy"
	"github.com/dialgate/dialgate/storage"
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

// A reservation whose connection stalls between its statements leaves its
// session idle in a transaction on the server, holding the lock of its key
// rows (SELECT … FOR UPDATE): the server does not see the connection die
// (nothing refused, no FIN; its keepalive waits two hours by default). Once
// the network is back, every reservation of those keys, from any sidecar,
// waited on that lock until its deadline — every dial of the callee, or of
// the segment, denied frequency.unavailable for hours. The store's
// sessions now end a transaction left idle (idle_in_transaction_session_
// timeout), and the lock with it.
func TestStalledTransactionReleasesItsLocks(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: waits for the server to end the stalled session (about 5 s)")
	}
	w, g, px := proxied(t)
	ctx := context.Background()
	at := time.Date(2026, 12, 5, 10, 0, 0, 0, time.UTC)
	lim := []storage.Limit{{Key: "frequency|k", Window: time.Hour, Max: 100}}
	if ok, _, err := g.Reserve(ctx, "dg-1", at, lim); !ok || err != nil {
		t.Fatalf("Reserve = %v, %v", ok, err)
	}
	// What Reserve's transaction holds between its statements.
	tx, err := g.Pool().Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		// The connection is a black hole: give it up (the pool's Close
		// waits for it).
		rctx, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
		defer cancel()
		tx.Rollback(rctx)
	}()
	if _, err := tx.Exec(ctx, `SELECT key FROM counter_keys WHERE key = $1 FOR UPDATE`, lim[0].Key); err != nil {
		t.Fatal(err)
	}
	px.Stall()
	px.Restore()
	start := time.Now()
	for i := 2; ; i++ {
		rctx, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
		ok, _, err := w.Reserve(rctx, fmt.Sprintf("dg-%d", i), at, lim)
		cancel()
		if ok && err == nil {
			t.Logf("the key's lock was released %v after the stall", time.Since(start).Round(time.Millisecond))
			break
		}
		if time.Since(start) > pgstore.DefaultIdleInTransactionTimeout+2*time.Second {
			t.Fatalf("another process still could not reserve the key %v after the stall: %v, %v", time.Since(start).Round(time.Millisecond), ok, err)
		}
	}
}
