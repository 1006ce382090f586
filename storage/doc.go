// Package storage holds what every dialgate store shares: the sentinel errors
// all back-ends wrap, the sliding-window reservation interface [Counters]
// used by frequency caps (package schedule) and the segment-rate guard
// (package sweep), and the sequential-run state [Runs] a fleet shares for
// the sweep.sequential rule (package sweep).
//
// # Layering
//
// Storage in dialgate has four layers, in the manner of gocloud.dev/blob and
// testing/slogtest:
//
//   - Domain interfaces live in the domain packages that consume them
//     (consent.Store, dnc's lists, callerid's ledger, recording's metadata…),
//     each documenting its errors and concurrency. A domain package owns its
//     record types; this package owns only what several domains share
//     (the errors below and [Counters]) and [Runs] (see below).
//   - storage/memstore is the reference implementation: one Store type that
//     implements every domain interface in memory, one file per domain. It
//     defines the intended behaviour and is what unit tests use.
//   - storage/storetest is the conformance suite: one Test…/Check… pair per
//     domain (t.Run form and error-returning form) and Run, which runs every
//     suite a store implements. Every back-end passes it in a few lines, and
//     durable back-ends also prove that data survives a reopen.
//   - storage/boltstore is the embedded durable default (the CLI's --data
//     DIR): one Store type on go.etcd.io/bbolt, one bucket per domain, passing
//     the same suite. Shared back-ends for fleets (Redis, PostgreSQL) follow
//     the same pattern.
//
// # Counters
//
// [Counters] is the one store interface this package owns, because two
// domains share it: sliding-window reservations ("at most Max distinct
// members under Key within Window"), checked and recorded atomically and
// idempotently by reservation id, released on demand. Package schedule builds
// frequency caps on it (key = keyed hash of tenant and callee, one key per
// cap) and package sweep the segment-rate guard (key = segment, member =
// callee hash). Stores that can sweep out expired entries in bulk also
// implement [CounterExpirer].
//
// # Runs
//
// [Runs] is optional: package sweep keeps the run state of its sequential
// rule in memory unless given a Runs, which the shared back-ends
// (storage/redisstore, storage/pgstore), storage/boltstore (journaled: a
// restart of its one process) and memstore implement, so that a sweep
// spread over the sidecars of a fleet, or across a restart, is seen. A
// Runs whose records become durable later than RecordRun returns
// implements [RunSyncer] (boltstore), which sweep calls before it allows.
// It is defined here rather than in package sweep, its one consumer, so
// that the stores, memstore and storetest implement and check it without
// importing a check package (sweep's own tests use memstore).
//
// # Errors
//
// Back-ends wrap the sentinels below with %w and context (the operation, the
// file); callers test them with errors.Is. A back-end never returns a raw
// driver error for a condition a sentinel names.
//
// # Records as stored
//
// Every back-end checks each record it reads — on every read path: by key,
// by number, listings and scans — with its domain's ValidateStored (the
// domain's Validate plus the key it is filed under) and refuses one that
// does not pass with a [RecordError] (it wraps [ErrCorrupt] and names the
// record's kind, key and bad field): a record damaged, or written by a
// foreign tool or a newer build, is never handed to a check, which would
// judge it as sound. A listing fails rather than skip it; nothing is
// changed or deleted on read. JSON back-ends use [DecodeRecord], memstore
// [CheckRecord]. Records written by older builds (fields added since left
// out) pass, and storage/storetest checks both with WithPlant.
package storage
