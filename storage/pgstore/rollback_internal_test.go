package pgstore

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/dialgate/dialgate/internal/faultproxy"
	"github.com/dialgate/dialgate/internal/testdb"
)

// A transaction whose function fails (a record not found, a key row an
// expiry deleted) is rolled back; when the connection stalls just then, the
// rollback waited for an answer that never came, on a context without a
// deadline: the call (a dial's reservation among them) hung, holding a
// pool connection, until the kernel gave the connection up (about 15
// minutes of retransmissions).
func TestInTxRollbackOnStalledConnection(t *testing.T) {
	url := os.Getenv("DIALGATE_TEST_POSTGRES")
	if url == "" {
		t.Skip("DIALGATE_TEST_POSTGRES is not set")
	}
	var b [6]byte
	rand.Read(b[:])
	schema := "dgtest_" + hex.EncodeToString(b[:])
	t.Cleanup(func() { testdb.DropPostgresSchema(url, schema) })
	px, purl := faultproxy.ForURL(t, url, "5432")
	ctx := context.Background()
	s, err := Open(ctx, purl, Options{Schema: schema})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	t.Cleanup(px.Cut) // first: the stalled connection is given up
	boom := errors.New("boom")
	done := make(chan error, 1)
	go func() {
		done <- s.inTx(ctx, "test", func(tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, "SELECT 1"); err != nil {
				return err
			}
			px.Stall()
			return boom
		})
	}()
	select {
	case err := <-done:
		if !errors.Is(err, boom) {
			t.Fatalf("inTx = %v, want the function's error", err)
		}
	case <-time.After(3 * time.Second):
		t.Fatal("inTx still rolling back on a stalled connection after 3 s")
	}
}
