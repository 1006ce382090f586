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
// Every write is a bbolt transaction committed with fsync (fdatasync) before
// the call returns: a reservation that returned ok survives a crash or power
// loss, given a disk that honours fsync. Writes use group commit: while one
// transaction commits, the writes that arrive queue up and the next
// transaction takes all of them, so concurrent writers share one fsync and a
// lone writer waits for exactly one. Nothing is ever acknowledged before it is
// on disk. As etcd does, the store does not write bbolt's free-page list on
// each commit (NoFreelistSync): commits write less, and Open rebuilds the list
// by scanning the file, which makes opening a large file slower but loses
// nothing.
package boltstore
