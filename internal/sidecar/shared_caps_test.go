package sidecar

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/internal/testdb"
	"github.com/dialgate/dialgate/policy"
	"github.com/dialgate/dialgate/storage/pgstore"
)

// capProfile caps every callee at two calls a day, and nothing else.
const capProfile = `schema: dialgate.profile.v1
name: fleet-caps
frequency:
  caps:
    - {count: 2, window: 24h, cite: {source: U, ref: "test: two a day"}}
`

// A fleet on PostgreSQL without Redis keeps its frequency caps in
// PostgreSQL: three dials of one callee spread over two sidecars are two
// allowed and one capped, as on one sidecar. Each sidecar used to count on
// its own embedded store, so the fleet allowed two a day per sidecar.
func TestFleetSharesCapsPostgres(t *testing.T) {
	url := os.Getenv("DIALGATE_TEST_POSTGRES")
	if url == "" {
		t.Skip("DIALGATE_TEST_POSTGRES is not set; run with DIALGATE_TEST_POSTGRES='postgres://postgres@127.0.0.1:5432/test?sslmode=disable'")
	}
	schema := fmt.Sprintf("capstest%d", time.Now().UnixNano())
	t.Cleanup(func() { testdb.DropPostgresSchema(url, schema) })
	bes := fleetSidecarsOn(t, 2, Config{Postgres: url, PostgresSchema: schema}, capProfile)
	d := dialgate.Dial{To: dialgate.MustParseNumber("+14055550123"), Purpose: dialgate.PurposeService, Tenant: "acme", LeadID: "crm-1"}
	var allowed []bool
	for i := range 3 {
		dec, err := bes[i%2].Gate.Check(context.Background(), d)
		if err != nil {
			t.Fatalf("dial %d: %v", i, err)
		}
		allowed = append(allowed, dec.Allowed)
		if i == 2 && !dec.Has(dialgate.CodeFrequencyCapped) {
			t.Fatalf("third dial over two sidecars: %v %v, want frequency.capped", dec.Allowed, dec.Reasons)
		}
	}
	if fmt.Sprint(allowed) != "[true true false]" {
		t.Fatalf("allowed = %v, want [true true false]", allowed)
	}
}

// OpenShared keeps the counters in Redis when the fleet has it, else in
// PostgreSQL.
func TestOpenSharedCounters(t *testing.T) {
	url := os.Getenv("DIALGATE_TEST_POSTGRES")
	if url == "" {
		t.Skip("DIALGATE_TEST_POSTGRES is not set")
	}
	schema := fmt.Sprintf("capsopen%d", time.Now().UnixNano())
	t.Cleanup(func() { testdb.DropPostgresSchema(url, schema) })
	var deps policy.Deps
	_, done, err := OpenShared(context.Background(), Config{Postgres: url, PostgresSchema: schema}, &deps)
	if err != nil {
		t.Fatal(err)
	}
	defer done()
	if _, ok := deps.Counters.(*pgstore.Store); !ok {
		t.Fatalf("counters in %T, want PostgreSQL", deps.Counters)
	}
}
