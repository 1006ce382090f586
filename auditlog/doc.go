// Package auditlog is dialgate's tamper-evident decision log: an append-only
// file of JSON lines, one record per decision or call outcome, in which every
// record carries the hash of the record before it, and in which signed
// checkpoints periodically seal a Merkle tree of all the records so far.
//
// # Records
//
// Every line is a JSON object with "schema": "dialgate.audit.v1" (the constant
// [Schema]) and a "kind": "decision", "outcome", "repair", "change" or
// "checkpoint".
// Records (every kind but checkpoint) carry "seq", their 0-based position in
// the log, and "prev", the hash of the previous record's line (absent for seq
// 0). A decision record ([DecisionRecord]) holds what REQUIREMENTS.md §5 asks
// for: decision id, instant (UTC), tenant, campaign, purpose, industry,
// business line, the callee as a keyed HMAC-SHA256 with its key id and its
// segment (号段) — never the raw number —, the caller ID, the consent id and
// evidence hash, the lists and counters consulted, the calling-window result,
// profile and policy version, allowed and shadow, every reason, and a
// "redacted" list saying what was removed. An outcome record ([OutcomeRecord])
// is linked to its decision by decision id. A change record ([ChangeRecord],
// [Log.RecordChange]) is a change to the state decisions depend on — an
// opt-out added or removed, a consent granted or revoked, a ledger entry, a
// complaint, a recording or its hold — with who made it (the token's name),
// when, and the number as a decision records it (keyed hash and segment). A
// change that may allow a dial or lose data is recorded as requested
// before it is applied and as applied (or not) after ([ResultRequested]);
// one that only denies more or keeps more is applied first and then
// recorded ([ResultApplied]). Logs written before the change kind existed
// verify unchanged; a build that predates it stops at the first change
// record of a newer log with "not a valid record" (ParseLine rejects the
// unknown kind and field), so verifiers and report readers are upgraded
// before the sidecars that write change records.
//
// # Hashes and checkpoints
//
// The hash of a record is [tlog.RecordHash] of its line without the newline
// (SHA-256 of 0x00 || line, RFC 6962). The records are the leaves of an
// RFC 6962 Merkle tree computed with golang.org/x/mod/sumdb/tlog; a checkpoint
// line holds a note ([note.Sign], golang.org/x/mod/sumdb/note) whose text is
// [tlog.FormatTree] of the tree (size and root hash) followed by two lines,
// "log-id <the log's identity>" (Options.LogID, or a random "dlg-…" one the
// log keeps) and "time <RFC 3339, UTC>", signed with an ed25519 key. The two
// lines tell logs that share a signing key apart and date the checkpoint;
// tlog.ParseTree ignores lines after the tree, so builds that predate them
// read such checkpoints as before, and checkpoints without them (older logs)
// verify unchanged. No format here is invented: lines are JSON, hashes and
// tree descriptions are tlog's, signatures are notes.
//
// # Durability (group commit)
//
// One writer goroutine owns the file. Concurrent RecordDecision and
// RecordOutcome calls encode their record in the caller's goroutine and join
// the batch that is being collected; the writer takes the whole batch, assigns
// sequence numbers and chain hashes, writes it with one write call and syncs
// the file once per batch (fdatasync on Linux, which flushes the data and the
// file size but not timestamps; fsync elsewhere). A call returns only after
// the sync of its batch succeeded; while one batch is being synced the next
// one collects, so the more concurrent callers, the larger the batches (the
// writer also yields to runnable callers before taking a batch, so that under
// CPU load the callers about to append join it rather than the next). A failed write or fsync fails that batch and every later call
// (the log is then unusable until reopened: after an fsync error the file's
// state is unknown), so the Gate denies with audit.unavailable; the file is
// cut back to its size before the batch (and synced), so that it keeps no
// record of those denied decisions — unless that cut fails too. A failure
// after the batch's sync (writing the checkpoint file, rotating to a new
// file) fails every later call but not that batch: its records are durable,
// so its callers' decisions stand as recorded. A checkpoint
// is appended every Options.CheckpointEvery records, once
// Options.CheckpointInterval (when set) has passed with records added since
// the last one, before rotating to a new file (when a file reaches
// Options.MaxFileBytes) and on Close, and the latest
// signed checkpoint is also written atomically to the file "checkpoint" in
// the log directory and handed to Options.OnCheckpoint, so that it can be
// kept somewhere an attacker who can rewrite the log cannot reach.
//
// # Crashes
//
// A crash can leave the last line of the last file incomplete, and a power
// cut a block of the last write unwritten (zeros) with a later one written.
// The writer writes at most maxWriteBytes (1 MiB, one line's maximum) at
// once and syncs each write before the next, so both lie within the last
// write, which no caller was answered for. [Open] detects them and returns
// a *[TornError] (wrapping [ErrTorn]); zeros are taken for a power cut's only
// when they are whole sectors, within one write of the end, and every whole
// line after them is valid and follows on the log (else [ErrCorrupt], naming
// the file and offset). It never drops or accepts those bytes silently. [Repair] cuts it off, saves the cut bytes beside
// the file, and appends a "repair" record stating the file, offset, length and
// SHA-256 of what was cut. A saved cut that no record names (a crash during
// Repair itself) makes Open fail with an *[UnrecordedCutError] until Repair
// has recorded it. A crash never removes records the checkpoint file
// ([CheckpointFile]) signs, since that file is written only after they were
// synced: Open and Repair refuse, with [ErrCorrupt], a log that holds fewer
// records than its checkpoint file signs or whose first records do not
// match that file's tree, rather than append to it and sign a new
// checkpoint that would replace the file — the directory's one proof of the
// cut or rewrite (a torn tail cut with those records is no crash either).
//
// # Verification
//
// [Verify] reads the files of a log in order and reports the first problem as
// a *[VerifyError]: an edited, deleted, reordered or inserted record, a
// truncated log, a bad checkpoint signature, a checkpoint of another log
// (another log identity) or dated before the one before it, a checkpoint not
// signed by the key a [KeyRule] requires, or (given the log directory,
// VerifyOptions.Dir) a repair record whose saved bytes were deleted or
// changed. With a trusted checkpoint kept
// outside the log (VerifyOptions.Trusted) it also catches a log truncated
// after that checkpoint. Without one it cannot: the hash chain is unkeyed, so
// records after the last checkpoint in the log (Report.Unsealed) can be
// edited or cut, and files or checkpoints at the end of the log deleted, by
// whoever can write the files, and Verify still succeeds. Its [Report] says
// which key signed which checkpoints (Report.Signers), the log identity and
// the checkpoints' times. `dialgate audit verify` is its command-line form.
package auditlog
