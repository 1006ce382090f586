// Package storetest is the conformance suite every dialgate store back-end
// passes, in the manner of testing/slogtest and gocloud.dev's drivertest.
//
// Each domain has a pair of entry points in its own file: a t.Run form
// (TestCounters(t, open)) for use in a back-end's own tests, and an
// error-returning form (CheckCounters(ctx, open)) for use anywhere else, for
// example a deployment's smoke test against a shared Redis. [Run] runs every
// suite the store implements, found by type assertion, so a back-end's test
// is a few lines:
//
//	func TestConformance(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) any {
//			s := memstore.New()
//			t.Cleanup(func() { s.Close() })
//			return s
//		})
//	}
//
// Durable back-ends pass [WithReopen] so the suites also check that what was
// written survives closing and reopening the store.
//
// Back-ends pass [WithPlant], a function that stores a [RawRecord] exactly as
// given (reaching into the store's internals, so it lives in the store's own
// tests), so the StoredRecords cases can check that every read path refuses a
// damaged or foreign record with a storage.RecordError naming its key and
// field, never skips it in a listing or alters it, leaves sound records
// beside it readable, and loads the records older builds wrote. With
// WithPlant, a store that implements complaint.Repairer is also checked to
// replace a damaged complaint whole (the Complaints RepairDamaged case):
// refusing a partial, sound or missing one, then reading the repaired one
// back on every read path.
//
// Model suites (TestDNCAgainstModel, TestConsentAgainstModel,
// TestCountersAgainstModel, TestCallerIDAgainstModel, each with a Check…
// form; [Run] runs them too) drive a store with seeded random sequences of
// calls and check every answer against a reference model of the contract.
// Every back-end runs the same sequences against the same model, so a
// difference between two stores fails in one of them; the seed and call are
// named on failure, and testing.Short runs fewer seeds.
//
// Every case opens a fresh, empty store. The suites use only synthetic data.
package storetest
