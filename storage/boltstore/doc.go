// Package boltstore is dialgate's embedded durable store: one [Store] type on
// go.etcd.io/bbolt that implements every domain store interface (and
// storage.Counters) in a single file, one bucket per domain. It is what the
// CLI's --data DIR opens, and it passes the same conformance suite
// (storage/storetest) as the in-memory reference.
//
// State written into the Store while a Gate built on it runs (a consent, an
// opt-out with AddDNC) is seen by every Check that starts after the write
// returns: the do-not-call lists through the Store's in-process change feed
// (WatchDNC, dnc.ChangeFeed). A ledger entry (PutLedger) is not: the caller-ID
// check keeps the ledger in memory and asks the Store whether it changed
// about once a second of dial time, so a Check may decide on the entry as it
// was until then; call Refresh on the Gate's *callerid.Check (policy.CheckOf
// over policy.Assemble's checks) after the write to have the next Check
// decide on it.
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
// nothing. If a commit fails other than by its write function's error (a
// failed write or fdatasync), the store stops: every later read and write
// fails with storage.ErrUnavailable (the checks deny) until the store is
// reopened, because bbolt makes a transaction visible in its memory map
// once its meta page is written, before the fdatasync that makes it
// durable; [Store.Ping] reports it. The counters, kept in their own journal
// (below) and stopped by its own failures, go on.
//
// # Complaints
//
// Complaints are keyed by id; a second bucket, complaints.by_receipt, lists
// them by (receipt instant, id) — the order complaint.Store lists them in —
// and is written in the transaction of every complaint write, so a page of
// ListComplaintsAfter seeks it to the page's Position and decodes only the
// complaints it reads (≈ 0.5 ms a page of 100 whatever the store holds,
// where the scan it replaced took ≈ 0.13–0.2 s a page at 30,000). A damaged
// complaint fails the page that reads it; one whose JSON does not decode
// (no receipt to place it by) fails every page. The index is derived data
// and changes no schema version: Open builds it, in one transaction that
// marks it complete last, when the file has none (a file of an older build:
// ≈ 0.1 s for 30,000 complaints) or when it does not hold one entry per
// complaint (an older build added complaints since; no build removes one).
// A page that meets an entry disagreeing with its complaint rebuilds the
// index and reads the page again: that is how a receipt an older build
// changed is found (only a caller's own UpdateComplaint function changes
// ReceivedAt, never complaint.Desk), though a page that does not reach the
// old entry misses the complaint at its new place until one does.
// ListComplaints still reads every complaint.
//
// # Counters
//
// Frequency caps and segment counters are decided from an index in memory
// (the file is locked to this process, so the index is the authority) and
// made durable in an append-only journal beside the store file — segment
// files path.counters.0000000001, … (schema version 3; version 5 adds
// commit frames) — before Reserve returns. A check reads no page, and a
// group commit of many reservations is one write() and one fdatasync of
// the active segment (a bbolt commit would take two fdatasyncs and rewrite
// B+tree pages). Each frame carries a CRC-32C, and each write ends with a
// commit frame carrying the batch's frame count, length and CRC-32C. At
// Open everything after the last valid commit frame of the last segment —
// the one write that can have been torn, never acknowledged, whatever a
// power cut left of it (the file ending inside it, its commit frame
// missing or torn, a later page without an earlier one: sectors never
// written read as zeros) — is cut off and not counted; a bad frame before
// a valid commit frame, or in a sealed segment, stops the counters with
// storage.ErrCorrupt naming the segment and offset (checks deny) and Open
// leaves the files untouched. So does damage in that last write when its
// own commit frame is intact at the end of the file, unless zeroed
// 512-byte sectors explain it: the writer wrote that batch whole, and a
// torn write leaves whole sectors zeroed, never non-zero garbage, so
// garbage there is bit rot in a batch that may have been acknowledged
// (the rule and what it cannot see are argued at tailDamage in replay.go). Segments written by schema 3 and 4 builds, without commit
// frames, are read by their old rule (a bad frame at the end with no good
// frame after it is cut off); the first Open by this build raises the file
// to schema version 5 and appends in a new segment, and older builds then
// refuse the file (storage.ErrSchemaTooNew): going back is restoring a
// backup. The active segment is sealed past Options.SegmentSize (32 MiB)
// and sealed segments are merged in the background, keeping only the
// reservations still held, once they exceed twice those reservations' size:
// the journal stays about the size of what it holds. The segments belong to
// the store file (its meta bucket names the journal's id): back them up and
// restore them with it; a store whose journal is missing or belongs to
// another file opens with its counters failing, never empty, and so does
// one whose journal lacks a segment that numbering shows was there:
// segment 1 (never removed: compaction writes the merged segment under its
// name) or one between two later segments (compaction removes the
// segments after segment 1 oldest first, so only segment 1 may be
// followed by a gap; builds of schema 3 and 4 could leave gaps between
// format-1 segments, which are read as before). A lost last segment
// cannot be seen.
//
// The cost is memory and start-up time: the index holds every reservation
// still inside its longest window (about 190 bytes each, in pointer-free
// records the garbage collector does not scan; the cn profile's longest cap
// window is 30 days), and Open replays the journal (about a
// second per million records). The journal holds the reservations the index
// holds: one lock orders choosing a record's sequence, changing the index and
// queueing its frames, so frames reach the file in the order the index
// changed; a repeated Reserve of an id whose frame is still being written
// waits for that write; and when the index forgets an id (its entries all
// left their windows) a forget frame follows in the next write. A periodic
// ExpireCounters (the sidecar runs it hourly) trims both, walking the keys
// in steps of 4,096 so that reservations wait for one step at most (≈ 15 ms
// for a walk of 10⁶ keys, ≈ 0.2–2 ms a step). If a journal write or
// fdatasync fails, the counters stop — every later counter call fails and
// the checks deny — until the store is reopened, since the index may then be
// ahead of the file. A counter call whose context ends while its write is
// still pending (a stalled disk) returns the context's error — the check
// denies — instead of waiting on: the write still completes, so a
// reservation given up on stays held (counted) until it is released.
// Schema version 2 kept the journal in a bbolt bucket and
// version 1 one B+tree entry per key; Open migrates both.
//
// # Sweep runs
//
// The Store implements storage.Runs (the sweep.sequential and sweep.stride
// run state) and storage.RunSyncer: the state is in memory (memstore's
// engine), and each record — and each closing of a key — is a reservation
// of the counters index and journal under an id and key starting with a
// NUL byte (see runs.go; counter calls may not use such ids or keys), so it
// shares their group commit, compaction, expiry and replay, and builds
// that predate it read the journal as counters. RecordRun queues its frame
// without waiting; SyncRuns waits until every record made before it is
// durable (package sweep calls it at the end of a commit, after the
// segment-rate reservation queued behind the records: no fsync of its own).
// A held record costs about 230 bytes of index beside its run state.
package boltstore
