package pgstore

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/dialgate/dialgate/complaint"
	"github.com/dialgate/dialgate/internal/testdb"
)

// A page of ListComplaintsAfter after a Position starts the index scan at
// the Position's receipt: its OR of "later receipt, or same receipt and
// later id" was a filter only, so the scan read the index from the first
// complaint on every page (15,000 rows read and dropped for a page in the
// middle of 30,000; listing every page was quadratic).
func TestComplaintPageSeeksReceipt(t *testing.T) {
	url := os.Getenv("DIALGATE_TEST_POSTGRES")
	if url == "" {
		t.Skip("DIALGATE_TEST_POSTGRES is not set")
	}
	var b [6]byte
	rand.Read(b[:])
	schema := "dgtest_" + hex.EncodeToString(b[:])
	t.Cleanup(func() { testdb.DropPostgresSchema(url, schema) })
	ctx := context.Background()
	s, err := Open(ctx, url, Options{Schema: schema})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	const n = 30_000
	at := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	err = s.inTx(ctx, "fill", func(tx pgx.Tx) error {
		// Four complaints a second, received in an order unrelated to the ids.
		if _, err := tx.Exec(ctx, `INSERT INTO complaints (id, tenant, callee, received_ns, complaint)
			SELECT 'cp-' || lpad(i::text, 6, '0'), 'acme', 'h:' || i, $1 + ((i * 7919) % ($2 / 4))::bigint * 1000000000, '{}'::jsonb
			FROM generate_series(0, $2 - 1) i`, at.UnixNano(), n); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `ANALYZE complaints`)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	mid := at.Add(n / 8 * time.Second) // half-way through the listing
	for _, f := range []complaint.Filter{{}, {Tenant: "acme"}, {From: at, To: at.Add(n * time.Second)}} {
		q, args := complaintPageQuery(f, true, mid.UnixNano(), "cp-", 100)
		var plan []byte
		if err := s.pool.QueryRow(ctx, "EXPLAIN (ANALYZE, FORMAT JSON) "+q, args...).Scan(&plan); err != nil {
			t.Fatal(err)
		}
		var tree any
		if err := json.Unmarshal(plan, &tree); err != nil {
			t.Fatal(err)
		}
		dropped := 0.0
		var walk func(v any)
		walk = func(v any) {
			switch v := v.(type) {
			case map[string]any:
				if r, ok := v["Rows Removed by Filter"].(float64); ok {
					dropped += r
				}
				for _, x := range v {
					walk(x)
				}
			case []any:
				for _, x := range v {
					walk(x)
				}
			}
		}
		walk(tree)
		if dropped > 1000 {
			t.Errorf("filter %+v: a page half-way through %d complaints read and dropped %.0f rows; plan %s", f, n, dropped, plan)
		}
	}
}
