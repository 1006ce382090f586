package pgstore

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"strings"
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
	const n = 30_000
	s, at := complaintTable(t, url, n)
	mid := at.Add(n / 8 * time.Second) // half-way through the listing
	for _, f := range []complaint.Filter{{}, {Tenant: "acme"}, {From: at, To: at.Add(n * time.Second)}} {
		q, args := complaintPageQuery(f, true, mid.UnixNano(), "cp-", 100)
		plan, dropped := explainDropped(t, s, q, args)
		if dropped > 1000 {
			t.Errorf("filter %+v: a page half-way through %d complaints read and dropped %.0f rows; plan %s", f, n, dropped, plan)
		}
	}
}

// explainDropped runs EXPLAIN ANALYZE of q and returns the plan and the
// rows its nodes read and dropped (Rows Removed by Filter).
func explainDropped(t *testing.T, s *Store, q string, args []any) ([]byte, float64) {
	t.Helper()
	var plan []byte
	if err := s.pool.QueryRow(context.Background(), "EXPLAIN (ANALYZE, FORMAT JSON) "+q, args...).Scan(&plan); err != nil {
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
	return plan, dropped
}

// A listing by callee (complaint.RecordingHolds asks one on every
// recording registration) and a page of one look the callee up in the
// complaints_callee index: they read that callee's rows, not the table.
func TestComplaintCalleeUsesIndex(t *testing.T) {
	url := os.Getenv("DIALGATE_TEST_POSTGRES")
	if url == "" {
		t.Skip("DIALGATE_TEST_POSTGRES is not set")
	}
	const n = 30_000
	s, at := complaintTable(t, url, n)
	mid := at.Add(n / 8 * time.Second)
	for _, f := range []complaint.Filter{{Callee: "h:cp-012345"}, {Callee: "h:nobody"}, {Callee: "h:cp-012345", Tenant: "acme", From: at}} {
		for _, q := range []struct {
			name string
			q    string
			args []any
		}{
			{"ListComplaints", "", nil},
			{"first page", "", nil},
			{"page", "", nil},
		} {
			switch q.name {
			case "ListComplaints":
				q.q, q.args = complaintListQuery(f)
			case "first page":
				q.q, q.args = complaintPageQuery(f, false, 0, "", 100)
			case "page":
				q.q, q.args = complaintPageQuery(f, true, mid.UnixNano(), "cp-", 100)
			}
			plan, dropped := explainDropped(t, s, q.q, q.args)
			if dropped > 10 || !strings.Contains(string(plan), "complaints_callee") {
				t.Errorf("%s of %+v among %d complaints: %.0f rows read and dropped, want the complaints_callee index; plan %s", q.name, f, n, dropped, plan)
			}
		}
	}
}

// complaintTable opens a store in a new schema and fills its complaints
// table with n rows, four to a second of receipt from at, in an order
// unrelated to their ids (the rows' JSON is a sound complaint's), each
// about a callee of its own.
func complaintTable(tb testing.TB, url string, n int) (*Store, time.Time) {
	return complaintTableCallees(tb, url, n, 0)
}

// complaintTableCallees is complaintTable with the complaints about callees
// callees ("h:00000", …; complaint i about callee i*31 mod callees), or each
// about a callee of its own when callees is 0.
func complaintTableCallees(tb testing.TB, url string, n, callees int) (*Store, time.Time) {
	tb.Helper()
	ctx := context.Background()
	s := freshStore(tb, url)
	at := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	err := s.inTx(ctx, "fill", func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO complaints (id, tenant, callee, received_ns, complaint)
			SELECT id, 'acme', callee, ns, jsonb_build_object('id', id, 'tenant', 'acme', 'callee', callee, 'scope', 'global',
				'channel', 'phone', 'received_at', to_char(to_timestamp(ns / 1e9) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
				'status', 'open', 'dnc_listed', true)
			FROM (SELECT 'cp-' || lpad(i::text, 6, '0') AS id, $1 + ((i * 7919) % ($2 / 4))::bigint * 1000000000 AS ns,
				CASE WHEN $3 = 0 THEN 'h:cp-' || lpad(i::text, 6, '0') ELSE 'h:' || lpad(((i * 31) % $3)::text, 5, '0') END AS callee
				FROM generate_series(0, $2 - 1) i) r`, at.UnixNano(), n, callees); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `ANALYZE complaints`)
		return err
	})
	if err != nil {
		tb.Fatal(err)
	}
	return s, at
}

// orQuery is complaintPageQuery as it was before the received_ns bound:
// kept only to compare with it.
func orQuery(f complaint.Filter, started bool, afterNs int64, afterID string, limit int) (string, []any) {
	conds, args := complaintConds(f)
	if started {
		args = append(args, afterNs, afterID)
		conds = append(conds, fmt.Sprintf(`(received_ns > $%d OR (received_ns = $%d AND id COLLATE "C" > $%d))`, len(args)-1, len(args)-1, len(args)))
	}
	q := `SELECT ` + complaintCols + ` FROM complaints`
	if len(conds) > 0 {
		q += " WHERE " + strings.Join(conds, " AND ")
	}
	args = append(args, limit)
	q += fmt.Sprintf(` ORDER BY received_ns, id COLLATE "C" LIMIT $%d`, len(args))
	return q, args
}

// BenchmarkListComplaintPages lists every page (100 complaints each) of
// 30,000 complaints, one op the whole listing, with the query before the
// received_ns bound ("or") and with it ("seek"), alternating three times.
// It needs DIALGATE_TEST_POSTGRES.
func BenchmarkListComplaintPages(b *testing.B) {
	url := os.Getenv("DIALGATE_TEST_POSTGRES")
	if url == "" {
		b.Skip("DIALGATE_TEST_POSTGRES is not set")
	}
	const n, limit = 30_000, 100
	s, _ := complaintTable(b, url, n)
	ctx := context.Background()
	for range 3 {
		for _, m := range []struct {
			name  string
			query func(complaint.Filter, bool, int64, string, int) (string, []any)
		}{{"or", orQuery}, {"seek", complaintPageQuery}} {
			b.Run(m.name, func(b *testing.B) {
				for b.Loop() {
					var (
						afterNs int64
						afterID string
						started bool
						total   int
					)
					for {
						q, args := m.query(complaint.Filter{}, started, afterNs, afterID, limit)
						got, err := s.complaintBatch(ctx, q, args, func(id string, ns int64, _ complaint.Complaint) {
							afterNs, afterID, started = ns, id, true
						})
						if err != nil {
							b.Fatal(err)
						}
						if total += got; got < limit {
							break
						}
					}
					if total != n {
						b.Fatalf("listed %d complaints, want %d", total, n)
					}
				}
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64((n+limit-1)/limit), "ns/page")
			})
		}
	}
}

// BenchmarkRecordingHolds looks up the holds of a new recording
// (complaint.RecordingHolds: a ListComplaints by callee, on every recording
// registration) among 30,000 complaints about 10,000 callees (three each),
// through the complaints_callee index ("index") and with the index dropped
// ("scan": what the query costs without it), alternating three times in one
// run. It needs DIALGATE_TEST_POSTGRES.
func BenchmarkRecordingHolds(b *testing.B) {
	url := os.Getenv("DIALGATE_TEST_POSTGRES")
	if url == "" {
		b.Skip("DIALGATE_TEST_POSTGRES is not set")
	}
	const n, callees = 30_000, 10_000
	s, at := complaintTableCallees(b, url, n, callees)
	ctx := context.Background()
	holds := complaint.RecordingHolds(s)
	for range 3 {
		for _, m := range []struct{ name, ddl string }{
			{"scan", `DROP INDEX complaints_callee`},
			{"index", `CREATE INDEX complaints_callee ON complaints (callee)`},
		} {
			if _, err := s.pool.Exec(ctx, m.ddl); err != nil {
				b.Fatal(err)
			}
			if _, err := s.pool.Exec(ctx, `ANALYZE complaints`); err != nil {
				b.Fatal(err)
			}
			b.Run(m.name, func(b *testing.B) {
				i := 0
				for b.Loop() {
					hs, err := holds(ctx, fmt.Sprintf("h:%05d", (i*7)%callees), at)
					if err != nil {
						b.Fatal(err)
					}
					if len(hs) != 3 {
						b.Fatalf("%d holds, want 3", len(hs))
					}
					i++
				}
			})
		}
	}
}

// freshStore opens a store at url in a schema of its own, dropped (and the
// store closed) when the test ends.
func freshStore(tb testing.TB, url string) *Store {
	tb.Helper()
	var b [6]byte
	rand.Read(b[:])
	schema := "dgtest_" + hex.EncodeToString(b[:])
	tb.Cleanup(func() { testdb.DropPostgresSchema(url, schema) })
	s, err := Open(context.Background(), url, Options{Schema: schema})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { s.Close() })
	return s
}
