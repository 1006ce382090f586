package pgstore_test

import (
	"context"
	"errors"
	"log"
	"os"
	"time"

	"github.com/dialgate/dialgate/policy"
	"github.com/dialgate/dialgate/storage"
	"github.com/dialgate/dialgate/storage/pgstore"
)

// Open a fleet's shared store on PostgreSQL and give it to the checks. This
// example needs a server, so it has no Output comment: go test compiles it
// but does not run it.
func ExampleOpen() {
	// connect_timeout bounds each new connection of the pool
	// (DefaultConnectTimeout, 3 s, when the URL gives none). Keep the
	// password out of the URL in the source: PGPASSWORD or a .pgpass file.
	url := "postgres://dialgate@db.example.com:5432/callcentre?sslmode=verify-full&connect_timeout=3"

	// ctx bounds Open: connecting, applying the migrations the database
	// lacks, and the wait for the do-not-call change feed to go live.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	store, err := pgstore.Open(ctx, url, pgstore.Options{
		Schema: "dialgate", // every process of the fleet uses the same schema
	})
	switch {
	case errors.Is(err, storage.ErrSchemaTooNew):
		log.Fatalf("a newer dialgate has migrated this database; upgrade: %v", err)
	case err != nil:
		log.Fatal(err)
	}
	defer store.Close() // after the last use of every Gate built on it

	// One store for every domain: counters, runs, the do-not-call lists,
	// consents, the caller-ID ledger, recordings and complaints.
	deps, err := policy.StoreDeps(store, []byte(os.Getenv("DIALGATE_HMAC_KEY")))
	if err != nil {
		log.Fatal(err)
	}
	profile, err := policy.Builtin("cn")
	if err != nil {
		log.Fatal(err)
	}
	// A Gate that places calls is given its audit log
	// (dialgate.WithAuditLog); see policy's Assemble example.
	if _, err := policy.Assemble(profile, deps); err != nil {
		log.Fatal(err)
	}
}
