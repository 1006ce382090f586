// Package dnc is the do-not-call check (CN-S5, CN-S13, CN-S15; US National
// DNC, UK TPS, Canada DNCL, Australia DNCR) at registry scale.
//
// Registry copies are exact compact sets ([Set]: per-segment sorted 16-bit
// suffixes, about 2.3 bytes a number) stored in versioned snapshot files
// ([WriteSnapshot], [ReadSnapshot], [OpenSnapshot] with mmap; the header's
// own SHA-256 (its as_of, name, scope and count), the body's SHA-256 and the
// structure verified, a damaged file is an error, never an empty set), built
// from plain or CSV lists by streaming external sort ([ParseList], [BuildSet]),
// and swapped into a [Registry] atomically while checks run. A memory-mapped
// copy whose file is written in place instead of renamed over fails closed:
// a lookup that faults is an error ([ErrSnapshotFault]), a changed file is
// seen by [Registry.CheckFile] ([ErrSnapshotChanged]), and either withdraws
// the copy (every dial denied, dnc.unavailable; [Registry.Status] reports no
// copy in use, so no age is reported for it) until another is swapped in.
//
// Store-backed lists (opt-outs taken during calls, complaints, admin
// additions) live in a [Store] and are indexed by [Lists]: a Bloom filter
// answers most misses without a store read, every positive is confirmed by
// the store, and an addition is durable and visible before Add returns — on a
// store shared between processes ([FeedSyncer]) to every process's lookups
// that start after it.
// Entries have a [Scope] (global, industry, business, tenant, campaign), a
// source, an added_at and a minimum hold.
//
// [Check] combines them: dnc.listed for a listing in scope, and
// dnc.registry_stale when a required registry copy is missing or older than
// the profile allows (fail closed).
package dnc
