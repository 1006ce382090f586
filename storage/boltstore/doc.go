// Package boltstore is dialgate's embedded durable store: one [Store] type on
// go.etcd.io/bbolt that implements every domain store interface (and
// storage.Counters) in a single file, one bucket per domain. It is what the
// CLI's --data DIR opens, and it passes the same conformance suite
// (storage/storetest) as the in-memory reference.
//
// # File safety
//
// The file carries a meta bucket with the schema name and version. [Open]
// refuses — with an error wrapping storage.ErrCorrupt or
// storage.ErrSchemaTooNew — a file that is damaged, is not a dialgate store,
// or was written by a newer schema; it inspects such a file read-only first
// and never writes to it. Only one process may hold the file: a second Open
// waits Options.LockTimeout for the lock and then fails with an error wrapping
// storage.ErrLocked.
//
// # Durability
//
// Every write is a bbolt transaction committed with fsync before the call
// returns. Writes on hot paths (counter reservations) use group commit
// (bbolt's DB.Batch): concurrent calls arriving within Options.MaxBatchDelay
// share one transaction and one fsync, and each call returns only after that
// fsync — so a reservation that returned ok survives a crash or power loss
// (given a disk that honours fsync). Group commit trades up to MaxBatchDelay
// of latency for throughput; it never acknowledges an unsynced write.
package boltstore
