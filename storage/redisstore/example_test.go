package redisstore_test

import (
	"context"
	"errors"
	"log"
	"os"
	"time"

	"github.com/dialgate/dialgate/policy"
	"github.com/dialgate/dialgate/storage"
	"github.com/dialgate/dialgate/storage/redisstore"
)

// Open a fleet's shared counters and do-not-call lists on Redis. This
// example needs a server, so it has no Output comment: go test compiles it
// but does not run it.
func ExampleOpen() {
	// redis://[user:pass@]host:port/db (rediss:// for TLS); dial_timeout
	// bounds each new connection. Keep the password out of the source.
	url := os.Getenv("DIALGATE_REDIS_URL") // e.g. redis://redis.example.com:6379/0?dial_timeout=3s

	// ctx bounds Open: the configuration checks and the wait for the
	// do-not-call change feed to go live.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	store, err := redisstore.Open(ctx, url, redisstore.Options{
		// Every sidecar sharing the state uses the same prefix; several
		// deployments may share a server under different ones.
		Prefix: "acme",
		// Refuse a server that does not persist every write (appendonly
		// yes, appendfsync always or everysec). Open always refuses a
		// maxmemory-policy other than noeviction.
		RequireAOF: true,
		// Opt-outs and consents wait until one replica has them.
		WaitReplicas: 1,
	})
	switch {
	case errors.Is(err, redisstore.ErrNotPersistent):
		log.Fatalf("configure the server with appendonly yes: %v", err)
	case errors.Is(err, storage.ErrSchemaTooNew):
		log.Fatalf("a newer dialgate has written this store; upgrade: %v", err)
	case err != nil:
		log.Fatal(err)
	}
	defer store.Close() // after the last use of every Gate built on it

	// The store holds counters, runs, the do-not-call lists and consents;
	// give the other fields of deps (the caller-ID ledger, recordings)
	// another store, such as storage/pgstore.
	deps, err := policy.StoreDeps(store, []byte(os.Getenv("DIALGATE_HMAC_KEY")))
	if err != nil {
		log.Fatal(err)
	}
	_ = deps // policy.Assemble(profile, deps, …): see policy's Assemble example.
}
