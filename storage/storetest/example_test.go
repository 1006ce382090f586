package storetest_test

import (
	"context"
	"fmt"

	"github.com/dialgate/dialgate/dnc"
	"github.com/dialgate/dialgate/storage"
	"github.com/dialgate/dialgate/storage/memstore"
	"github.com/dialgate/dialgate/storage/storetest"
)

// The error-returning form of a suite, for use outside a test: a
// deployment's smoke test of its store, a tool that qualifies a back-end.
// open returns a fresh, empty store on every call (here memstore; for a
// shared server, one under a prefix or schema of its own); the suite closes
// each store that implements io.Closer. A nil error means every case that
// applies passed (the durability cases need WithReopen); otherwise the
// error names each failing case and what went wrong. In a back-end's own
// tests, use the t.Run form (TestCounters, or Run for every suite the
// store implements; see the package doc).
func ExampleCheckCounters() {
	ctx := context.Background()
	err := storetest.CheckCounters(ctx, func() (storage.Counters, error) { return memstore.New(), nil })
	fmt.Println("counters:", err)

	err = storetest.CheckDNC(ctx, func() (dnc.Store, error) { return memstore.New(), nil })
	fmt.Println("do-not-call:", err)
	// Output:
	// counters: <nil>
	// do-not-call: <nil>
}
