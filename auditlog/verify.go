package auditlog

import (
	"bytes"
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/dialgate/dialgate/internal/regfile"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// ErrVerify is wrapped by the *VerifyError Verify returns for a log that
// fails verification.
var ErrVerify = errors.New("auditlog: verification failed")

// Problem names what is wrong with a log.
type Problem string

// The problems Verify reports.
const (
	// ProblemEdited: a record's bytes changed (its hash no longer matches the
	// next record's prev or a signed tree), or a line is not a valid record.
	ProblemEdited Problem = "edited"
	// ProblemDeleted: records are missing from the sequence.
	ProblemDeleted Problem = "deleted"
	// ProblemReordered: records (or a checkpoint) are out of order.
	ProblemReordered Problem = "reordered"
	// ProblemInserted: a record appears twice.
	ProblemInserted Problem = "inserted"
	// ProblemTruncated: the log ends early: an incomplete last line, or fewer
	// records than a trusted checkpoint signs.
	ProblemTruncated Problem = "truncated"
	// ProblemBadSignature: a checkpoint is not signed by a trusted key, its
	// signature does not verify, or it is not signed by the key a KeyRule
	// requires.
	ProblemBadSignature Problem = "bad signature"
	// ProblemWrongLog: a checkpoint carries another log identity than the
	// log's other checkpoints (or than VerifyOptions.LogID): it belongs to
	// another log signed with the same key.
	ProblemWrongLog Problem = "wrong log"
	// ProblemUnsealed: records follow the last checkpoint (and the trusted
	// one), so no signature covers them; reported only with
	// VerifyOptions.RequireSealed.
	ProblemUnsealed Problem = "unsealed"
	// ProblemFutureDated: a checkpoint is dated more than
	// CheckpointClockSkew after the verifier's clock (VerifyOptions.Now):
	// written by a clock far ahead, or planted with the key; reported
	// only when VerifyOptions.Now is set.
	ProblemFutureDated Problem = "dated in the future"
)

// VerifyError reports the first problem Verify found. It wraps ErrVerify.
type VerifyError struct {
	File    string  `json:"file,omitempty"` // the file, "" for the trusted checkpoint
	Line    int     `json:"line,omitempty"` // 1-based line in File, 0 when not about one line
	Seq     int64   `json:"seq"`            // the record concerned, -1 when not about one record
	Problem Problem `json:"problem"`        // what kind of problem
	Detail  string  `json:"detail"`         // what exactly is wrong, in plain words
}

// Error describes the failure: the file, the line and what is wrong with it.
func (e *VerifyError) Error() string {
	var b strings.Builder
	if e.File != "" {
		b.WriteString(e.File)
		if e.Line > 0 {
			fmt.Fprintf(&b, ":%d", e.Line)
		}
		b.WriteString(": ")
	}
	if e.Seq >= 0 {
		fmt.Fprintf(&b, "record %d: ", e.Seq)
	}
	b.WriteString(string(e.Problem))
	b.WriteString(": ")
	b.WriteString(e.Detail)
	return b.String()
}

// Unwrap returns ErrVerify.
func (e *VerifyError) Unwrap() error { return ErrVerify }

// VerifyOptions configure Verify.
type VerifyOptions struct {
	// Verifiers are the public keys that may sign checkpoints (see
	// NewVerifier and note.VerifierList). Required.
	Verifiers note.Verifiers
	// Trusted is optional: a signed checkpoint kept outside the log (the
	// "checkpoint" file copied away, or one received through
	// Options.OnCheckpoint). The log must contain the tree it signs; a log cut
	// short after it is reported as truncated.
	Trusted []byte
	// Dir is optional: the directory where Repair saved the bytes it cut off
	// the log (the log directory; the files given to Verify may have been
	// copied elsewhere). When set, every repair record's saved file
	// (RepairRecord.SavedAs) must be in Dir, hold RepairRecord.CutBytes bytes
	// and hash to RepairRecord.CutSHA256: a missing file is reported as
	// ProblemDeleted and a changed one as ProblemEdited, with the repair
	// record's seq and the saved file's path. When empty, saved files are not
	// checked.
	Dir string
	// LogID is optional: the identity the log's checkpoints must carry
	// (Options.LogID, or the "dlg-…" identity a previous Verify reported).
	// When set, a checkpoint carrying another identity, or a log none of
	// whose checkpoints carries one, is reported as ProblemWrongLog.
	LogID string
	// KeyRules are optional: each requires that checkpoints from a point on
	// (after a key rotation) carry a signature by one key, so that a retired
	// key signing a later checkpoint is reported (ProblemBadSignature)
	// instead of accepted. The key must be one of Verifiers.
	KeyRules []KeyRule
	// RequireSealed makes records after the last checkpoint a failure
	// (ProblemUnsealed, naming the first of them) instead of a count in
	// Report.Unsealed. Records that Trusted signs are sealed, even when the
	// log's own checkpoints stop before them. Use it on a closed log (a stopped sidecar's, a copy
	// taken for an audit, a log dialgate check wrote): anyone who can write
	// the files can append or edit records no signature covers.
	RequireSealed bool
	// Now is optional: the verifier's clock. When set, a checkpoint line of
	// the log dated more than CheckpointClockSkew after it is a failure
	// (ProblemFutureDated, naming its file and line), as Open refuses
	// one: it was written by a clock far ahead (the calling windows of its
	// decisions were judged by that clock), or planted by someone holding
	// the key — or the verifier's own clock is behind, which the message
	// says to check. When zero, checkpoint dates are checked only against
	// each other.
	Now time.Time

	// noLiveWait, in tests (fuzzing), reports an incomplete last line at
	// once instead of waiting for a write under way (liveWriteWait).
	noLiveWait bool
}

// KeyRule requires the checkpoints from a point on to be signed by one key.
type KeyRule struct {
	// Name and Hash identify the key (note.Verifier's Name and KeyHash).
	Name string
	Hash uint32
	// FromSeq: every checkpoint that seals record FromSeq or a later one
	// (that signs more than FromSeq records) must be signed by the key. Use
	// the seq of the first record written after the rotation.
	FromSeq int64
	// FromTime, when not zero, applies the rule by time instead: every
	// checkpoint dated FromTime or later must be signed by the key. A
	// checkpoint without a time (written before checkpoints carried one)
	// counts as dated FromTime or later unless a later checkpoint in the log
	// is dated before FromTime.
	FromTime time.Time
}

// String describes the rule: "checkpoints from record 5000 on must be signed
// by name+hash".
func (r KeyRule) String() string {
	from := fmt.Sprintf("sealing record %d or later", r.FromSeq)
	if !r.FromTime.IsZero() {
		from = "dated " + r.FromTime.UTC().Format(time.RFC3339) + " or later"
	}
	return fmt.Sprintf("checkpoints %s must be signed by %s", from, KeyName(r.Name, r.Hash))
}

// SignerSummary says what one key signed in a log.
type SignerSummary struct {
	// Key is the key, as "name+hash" (KeyName).
	Key string `json:"key"`
	// Checkpoints is the number of the log's checkpoints it signed.
	Checkpoints int64 `json:"checkpoints"`
	// FirstSeq and LastSeq are the records these checkpoints seal: from the
	// first record the first of them sealed to the last record the last of
	// them signs. A key that signed checkpoints interleaved with another
	// key's shares the range with it.
	FirstSeq int64 `json:"first_seq"`
	LastSeq  int64 `json:"last_seq"`
	// FirstTime and LastTime are the times of the first and last of its
	// checkpoints that carry one; zero (and omitted) when none does.
	FirstTime time.Time `json:"first_time,omitzero"`
	LastTime  time.Time `json:"last_time,omitzero"`
}

// Report summarises a verified log.
type Report struct {
	Files     int   // files read
	Records   int64 // records (decisions, outcomes, repairs, changes)
	Decisions int64 // decision records
	Outcomes  int64 // outcome records
	Repairs   int64 // repair records (torn tails cut after a crash)
	Changes   int64 // change records (AdminService writes)
	// RepairRecords are the repair records, in log order.
	RepairRecords []RepairRecord
	// WholeRecordCuts are the repair records (with VerifyOptions.Dir) whose
	// saved bytes are not part of one line: a whole valid line, only its
	// newline missing or other bytes after it, or (without the zeros of a
	// power cut) bytes holding a newline. A crash leaves part of a line,
	// so such a cut is, almost always, an acknowledged record made to look
	// torn (its newline removed or replaced) and cut off by Repair, or
	// records cut off the log and saved beside it by hand for Repair to
	// record. Verify does not fail on it; it names it.
	WholeRecordCuts []RepairRecord
	// ZeroedWriteCuts are the repair records (with VerifyOptions.Dir) whose
	// saved bytes hold zero bytes: a torn write with unwritten (zero)
	// blocks that a power cut left, cut from the line holding the first
	// zero to the end of the file, not a torn last line. Each says how
	// many whole records the saved bytes hold (never acknowledged: see
	// docs/auditors.md). Verify does not fail on them.
	ZeroedWriteCuts []ZeroedWriteCut
	Checkpoints     int64 // checkpoint lines verified
	// Tree is the tree of the last checkpoint in the log (zero if none).
	Tree tlog.Tree
	// Unsealed is the number of records no signature covers yet (a log that
	// was not closed cleanly, or still open): those after the last
	// checkpoint, or after the trusted checkpoint (VerifyOptions.Trusted)
	// when it signs more records than that one.
	Unsealed int64
	// TrustedTree is the tree of VerifyOptions.Trusted, when given.
	TrustedTree *tlog.Tree
	// TrustedCheckpoint is what VerifyOptions.Trusted states, when given.
	TrustedCheckpoint *Checkpoint
	// Signers says, per key, how many of the log's checkpoints it signed and
	// which records they seal, in the order the keys first signed.
	Signers []SignerSummary
	// LogID is the log identity its checkpoints carry; empty when none
	// carries one (a log written before checkpoints carried one, or only by
	// writers opened with Options.NoNewLogID).
	LogID string
	// CheckpointsWithoutLogID is the number of the log's checkpoints that
	// carry no identity (written before checkpoints carried one, or by a
	// writer opened with Options.NoNewLogID before the log had one).
	CheckpointsWithoutLogID int64
	// FirstTime and LastTime are the times of the first and last
	// checkpoints that carry one; zero when none does.
	FirstTime, LastTime time.Time

	store hashStore
}

// ProveRecord returns the proof that record seq is in the tree of the first
// size records (tlog.RecordProof, checked with tlog.CheckRecord).
func (r *Report) ProveRecord(seq, size int64) (tlog.RecordProof, error) {
	if size > r.store.n {
		return nil, fmt.Errorf("auditlog: tree of %d records requested, log has %d", size, r.store.n)
	}
	return tlog.ProveRecord(size, seq, &r.store)
}

// ProveTree returns the proof that the tree of the first size records
// contains the tree of the first old records (tlog.TreeProof, checked with
// tlog.CheckTree): one checkpoint extends another.
func (r *Report) ProveTree(size, old int64) (tlog.TreeProof, error) {
	if size > r.store.n {
		return nil, fmt.Errorf("auditlog: tree of %d records requested, log has %d", size, r.store.n)
	}
	return tlog.ProveTree(size, old, &r.store)
}

// TreeHash returns the Merkle tree hash of the first size records.
func (r *Report) TreeHash(size int64) (tlog.Hash, error) {
	if size > r.store.n {
		return tlog.Hash{}, fmt.Errorf("auditlog: tree of %d records requested, log has %d", size, r.store.n)
	}
	return tlog.TreeHash(size, &r.store)
}

// RecordHash returns the hash of record seq (its leaf in the tree).
func (r *Report) RecordHash(seq int64) (tlog.Hash, error) {
	if seq < 0 || seq >= r.store.n {
		return tlog.Hash{}, fmt.Errorf("auditlog: record %d not in the log (%d records)", seq, r.store.n)
	}
	h, err := r.store.ReadHashes([]int64{tlog.StoredHashIndex(0, seq)})
	if err != nil {
		return tlog.Hash{}, err
	}
	return h[0], nil
}

// entry is one line of the log, as Verify reads it.
type entry struct {
	file   int
	line   int
	kind   Kind
	seq    int64
	prev   string
	hash   tlog.Hash
	note   string
	repair *RepairRecord // of a repair record
}

// Verify reads the files of one log, in order (LogFiles lists them), and
// checks that the records form one unbroken, unedited sequence: every line is
// a valid record or checkpoint, sequence numbers run from 0 without gaps,
// repeats or swaps, every record's prev is the hash of the record before it,
// every checkpoint is signed by a key in opts.Verifiers and signs exactly the
// Merkle tree of the records before it, the last line is complete, the log
// contains the tree of opts.Trusted, and (when opts.Dir is set) every repair
// record's saved file is in opts.Dir, unchanged.
//
// A log may be verified while its writer appends to it: an incomplete last
// line of the last file is read again for up to half a second (a write under
// way, of which a reader can see the first part) before it is reported
// truncated, and a line completed meanwhile ends the log as read.
//
// It reads the files once, line by line, and keeps about 64 bytes per record
// (the Merkle tree's stored hashes, which the Report's proofs use), whatever
// the length of the log. It returns a *VerifyError (wrapping ErrVerify)
// describing the first bad record and what is wrong, or another error when a
// file cannot be read.
func Verify(ctx context.Context, files []string, opts VerifyOptions) (*Report, error) {
	if opts.Verifiers == nil {
		return nil, errors.New("auditlog: verify: no verifier keys given")
	}
	for _, r := range opts.KeyRules {
		if _, err := opts.Verifiers.Verifier(r.Name, r.Hash); err != nil {
			return nil, fmt.Errorf("auditlog: verify: key rule: %s is not among the verifier keys", KeyName(r.Name, r.Hash))
		}
	}
	if opts.LogID != "" {
		if err := CheckLogID(opts.LogID); err != nil {
			return nil, fmt.Errorf("auditlog: verify: log id: %v", err)
		}
	}
	if len(files) == 0 {
		return nil, errors.New("auditlog: verify: no files given")
	}
	// One pass: every line is checked as it is read, and only what the
	// Merkle tree needs is kept (its stored hashes, in rep.store), so that a
	// log of any length can be verified. The reading stops at the first line
	// that does not parse or is torn (stop), which is reported after the
	// records before it were checked. The rare diagnosis that needs another line (is a
	// missing record further on? where was a repeated one first?) reads the
	// files again (findRecord).
	rep := &Report{Files: len(files)}
	follow := liveWriteWait
	if opts.noLiveWait {
		follow = 0
	}
	w := &walk{ctx: ctx, files: files, opts: opts, rep: rep, signerAt: map[string]int{}, follow: follow}
	var bad error // what the walk found wrong, or an error reading
	stop, err := readEntries(ctx, files, follow, func(e *entry) bool {
		bad = w.step(e)
		return bad == nil
	})
	if err != nil {
		return nil, err
	}
	if bad != nil {
		return rep, bad
	}
	expected, sealedAt, cps := w.expected, w.sealedAt, w.cps
	trustedSeals := false // opts.Trusted signs more records than the log's last checkpoint
	if verr := checkKeyRules(cps, opts.KeyRules); verr != nil {
		return rep, verr
	}
	if stop != nil {
		if stop.Problem == ProblemEdited {
			stop.Seq = expected
			stop.Detail = fmt.Sprintf("record %d was expected here but the line is %s", expected, stop.Detail)
		}
		return rep, stop
	}
	rep.Unsealed = expected - sealedAt
	if opts.LogID != "" && rep.LogID == "" {
		return rep, &VerifyError{File: files[len(files)-1], Seq: -1, Problem: ProblemWrongLog,
			Detail: fmt.Sprintf("log id %q is required, but no checkpoint of this log carries a log id (written before checkpoints carried one, or no checkpoint)", opts.LogID)}
	}
	if opts.Trusted != nil {
		cp, verr := openCheckpoint(opts.Trusted, opts.Verifiers)
		if verr != nil {
			verr.Detail = "trusted checkpoint: " + verr.Detail
			return rep, verr
		}
		tree := cp.Tree
		rep.TrustedTree, rep.TrustedCheckpoint = &tree, &cp
		if limit := opts.Now.Add(CheckpointClockSkew); !opts.Now.IsZero() && cp.Time.After(limit) {
			return rep, &VerifyError{Seq: -1, Problem: ProblemFutureDated,
				Detail: fmt.Sprintf("the trusted checkpoint is dated %s, after this machine's clock (%s) by more than %v: written by a clock far ahead, or planted by someone holding the key; if this machine's clock is behind, set it right and verify again",
					cp.Time.UTC().Format(time.RFC3339), opts.Now.UTC().Truncate(time.Second).Format(time.RFC3339), CheckpointClockSkew)}
		}
		// The key rules bind the trusted checkpoint as the log's own: it
		// seals the records it signs (RequireSealed), and a retired key
		// (which may have leaked) must not seal those written after the
		// rotation through it (the directory's checkpoint file is anyone's
		// who can write the log).
		if verr := checkKeyRules([]checkpointAt{{cp: cp}}, opts.KeyRules); verr != nil {
			verr.File, verr.Line = "", 0
			verr.Detail = "trusted checkpoint: " + verr.Detail
			return rep, verr
		}
		if want := cmp.Or(opts.LogID, rep.LogID); cp.LogID != "" && want != "" && cp.LogID != want {
			return rep, &VerifyError{Seq: -1, Problem: ProblemWrongLog,
				Detail: fmt.Sprintf("the trusted checkpoint carries log id %q, but this log is %q: it is another log's checkpoint", cp.LogID, want)}
		}
		if tree.N > expected {
			return rep, &VerifyError{File: files[len(files)-1], Seq: expected, Problem: ProblemTruncated,
				Detail: fmt.Sprintf("the trusted checkpoint signs %d records but the log holds only %d: %s cut off", tree.N, expected, recordSpan(expected, tree.N-1, "was", "were"))}
		}
		th, err := tlog.TreeHash(tree.N, &rep.store)
		if err != nil {
			return rep, err
		}
		if th != tree.Hash {
			return rep, &VerifyError{File: files[len(files)-1], Seq: -1, Problem: ProblemEdited,
				Detail: fmt.Sprintf("the first %d records do not match the trusted checkpoint: a record among them was edited and the chain rewritten", tree.N)}
		}
		// The records the trusted checkpoint signs are sealed, whatever
		// the log's own checkpoint lines (its last ones deleted, say).
		if tree.N > sealedAt {
			sealedAt, trustedSeals = tree.N, true
		}
	}
	rep.Unsealed = expected - sealedAt
	if opts.RequireSealed && rep.Unsealed > 0 {
		where := "after the last checkpoint"
		switch {
		case trustedSeals:
			where = "after the trusted checkpoint"
		case rep.Checkpoints == 0:
			where = "and no checkpoint"
		}
		verr := &VerifyError{File: files[len(files)-1], Seq: sealedAt, Problem: ProblemUnsealed,
			Detail: fmt.Sprintf("%s %s: no signature covers %s, so whoever can write the file could have appended or edited %s",
				recordCount(rep.Unsealed), where, strings.TrimSpace(recordSpan(sealedAt, expected-1, "", "")), pronoun(rep.Unsealed))}
		e, err := findRecord(ctx, files, follow, sealedAt)
		if err != nil {
			return rep, err
		}
		if e != nil {
			verr.File, verr.Line = files[e.file], e.line
		}
		return rep, verr
	}
	return rep, nil
}

// recordCount says "1 record" or "N records".
func recordCount(n int64) string {
	if n == 1 {
		return "1 record"
	}
	return fmt.Sprintf("%d records", n)
}

// pronoun is "it" for one record, "them" for several.
func pronoun(n int64) string {
	if n == 1 {
		return "it"
	}
	return "them"
}

// checkSavedCut checks that the file r.SavedAs in dir holds the r.CutBytes
// bytes hashing to r.CutSHA256 that Repair cut off the log, and reports
// whether they are a whole valid line (only the newline missing). It
// returns a *VerifyError (without Seq) when they are not the bytes cut, and
// an error when the file cannot be read for another reason.
func checkSavedCut(dir string, r *RepairRecord) (cut cutContents, _ *VerifyError, _ error) {
	what := fmt.Sprintf("%d bytes (sha256 %s) were cut off %s at offset %d", r.CutBytes, r.CutSHA256, r.File, r.Offset)
	name := r.SavedAs
	if name == "" || name != filepath.Base(name) || name == "." || name == ".." {
		return cut, &VerifyError{File: filepath.Join(dir, r.File), Problem: ProblemDeleted,
			Detail: fmt.Sprintf("%s but names no saved file in the log directory (saved_as %q): the evidence of what was cut is gone", what, name)}, nil
	}
	path := filepath.Join(dir, name)
	f, err := regfile.OpenNoWait(path)
	if errors.Is(err, os.ErrNotExist) {
		return cut, &VerifyError{File: path, Problem: ProblemDeleted,
			Detail: fmt.Sprintf("%s and saved to %s, which is missing: the evidence of what was cut was deleted", what, name)}, nil
	}
	if err != nil {
		return cut, nil, fmt.Errorf("auditlog: verify: saved cut: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return cut, nil, fmt.Errorf("auditlog: verify: saved cut: %w", err)
	}
	if !fi.Mode().IsRegular() {
		return cut, &VerifyError{File: path, Problem: ProblemDeleted,
			Detail: fmt.Sprintf("%s and saved to %s, which is not a regular file: the evidence of what was cut was replaced", what, name)}, nil
	}
	// A cut short enough to be a line, or one write (a torn write with
	// zeroed blocks), is kept to be read; of a longer one, its first
	// maxWriteBytes (its first line, if it starts with one).
	h := sha256.New()
	line := prefixWriter{max: maxWriteBytes}
	n, err := io.Copy(io.MultiWriter(h, &line), f)
	if err != nil {
		return cut, nil, fmt.Errorf("auditlog: verify: saved cut: read %s: %w", path, err)
	}
	if sum := hex.EncodeToString(h.Sum(nil)); n != r.CutBytes || sum != r.CutSHA256 {
		return cut, &VerifyError{File: path, Problem: ProblemEdited,
			Detail: fmt.Sprintf("%s and saved to %s, which now holds %d bytes with sha256 %s: the evidence of what was cut was changed", what, name, n, sum)}, nil
	}
	if int64(len(line.b)) == n {
		cut.read(line.b)
	} else {
		// Longer than the writer writes at once, so not a power cut's
		// (zeroedWrite): a torn last line holds no newline, and no whole
		// line followed by more.
		cut.whole = notPartOfALine(line.b)
	}
	return cut, nil, nil
}

// prefixWriter keeps the first max bytes written to it.
type prefixWriter struct {
	b   []byte
	max int
}

// Write keeps what fits of p and reports it all written.
func (w *prefixWriter) Write(p []byte) (int, error) {
	if room := w.max - len(w.b); room > 0 {
		w.b = append(w.b, p[:min(room, len(p))]...)
	}
	return len(p), nil
}

// notPartOfALine reports whether cut bytes without zeros (b, or their
// first bytes) are not part of one line the writer wrote, as a crash's
// torn last line is: they hold a newline, or start with a whole valid
// line followed by more bytes (a record's newline replaced).
func notPartOfALine(b []byte) bool {
	if bytes.IndexByte(b, '\n') >= 0 {
		return true
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	var v json.RawMessage
	if err := dec.Decode(&v); err != nil {
		return false
	}
	_, err := ParseLine(b[:dec.InputOffset()])
	return err == nil
}

// ZeroedWriteCut is a repair whose saved bytes are a torn write with
// unwritten (zero) blocks (Report.ZeroedWriteCuts). The repair record
// itself is unchanged: these counts are read from the saved bytes.
type ZeroedWriteCut struct {
	RepairRecord
	// ZeroBytes is how many of the saved bytes are zeros.
	ZeroBytes int64 `json:"zero_bytes"`
	// WholeRecords is how many whole, valid record lines (checkpoints
	// not counted) the saved bytes hold among the zeros.
	WholeRecords int64 `json:"whole_records"`
}

// SavedZeroedWrite reads the bytes the repair r saved in dir (r.SavedAs)
// and reports, as Verify does in Report.ZeroedWriteCuts, whether they are a
// torn write with unwritten (zero) blocks, with the count of their zero
// bytes and of the whole records among them; ok is false for any other cut
// (a torn last line). It returns an error (a *VerifyError when the saved
// file is missing, or not the bytes r names) when the saved bytes cannot
// be checked. Repair's records are unchanged by it: the counts are read
// from the saved bytes, as Verify reads them.
func SavedZeroedWrite(dir string, r RepairRecord) (_ ZeroedWriteCut, ok bool, _ error) {
	cut, err := readSavedCut(dir, r)
	if err != nil || cut.whole || cut.zeros == 0 {
		return ZeroedWriteCut{}, false, err
	}
	return ZeroedWriteCut{RepairRecord: r, ZeroBytes: cut.zeros, WholeRecords: cut.record}, true, nil
}

// SavedWholeRecord reads the bytes the repair r saved in dir (r.SavedAs)
// and reports, as Verify does in Report.WholeRecordCuts, whether they are
// not part of one line (a whole valid line, only its newline missing or
// more bytes after it, or whole lines): no crash's cut (a crash leaves
// part of a line), and possibly an acknowledged record made to look torn. It returns an error as SavedZeroedWrite does when the
// saved bytes cannot be checked. Repair still makes such a cut (a record
// is acknowledged only once its line, newline included, is synced): the
// caller says so, as `dialgate audit repair` and `dialgate serve` do.
func SavedWholeRecord(dir string, r RepairRecord) (bool, error) {
	cut, err := readSavedCut(dir, r)
	return err == nil && cut.whole, err
}

// readSavedCut is checkSavedCut with its *VerifyError returned as the error.
func readSavedCut(dir string, r RepairRecord) (cutContents, error) {
	cut, verr, err := checkSavedCut(dir, &r)
	if err != nil {
		return cut, err
	}
	if verr != nil {
		return cut, verr
	}
	return cut, nil
}

// cutContents is what checkSavedCut finds in a repair's saved bytes.
type cutContents struct {
	whole  bool  // not part of a line: a whole valid line (its newline missing, or more after it), or whole lines without zeros
	zeros  int64 // zero bytes (a torn write with unwritten blocks)
	record int64 // whole record lines among the zeros, when zeros > 0
}

// read fills c from the saved bytes b.
func (c *cutContents) read(b []byte) {
	if _, err := ParseLine(b); err == nil {
		c.whole = true
		return
	}
	for _, x := range b {
		if x == 0 {
			c.zeros++
		}
	}
	if c.zeros == 0 {
		c.whole = notPartOfALine(b)
		return
	}
	// A line is whole when it starts after a newline or a zero (a zero
	// run can end at a line start) and ends in a newline with no zero in
	// it; the start of a line a zero run cut into does not parse.
	for s := 0; s < len(b); {
		e := s + bytes.IndexByte(b[s:], '\n')
		if e < s {
			return
		}
		seg := b[s:e]
		if z := bytes.LastIndexByte(seg, 0); z >= 0 {
			seg = seg[z+1:]
		}
		if len(seg) > 0 && (s > 0 || len(seg) < e-s) {
			if l, err := ParseLine(seg); err == nil && l.Kind != KindCheckpoint {
				c.record++
			}
		}
		s = e + 1
	}
}

// checkpointAt is a verified checkpoint of the log and where it is.
type checkpointAt struct {
	cp   Checkpoint
	file string
	line int
}

// checkIdentity checks that cp carries the log's identity (want, when set,
// else the one of the log's earlier checkpoints) and is not dated before the
// log's previous checkpoint, and records both in r.
func (r *Report) checkIdentity(cp *Checkpoint, want string) *VerifyError {
	if cp.LogID == "" {
		r.CheckpointsWithoutLogID++
	} else {
		switch {
		case want != "" && cp.LogID != want:
			return &VerifyError{Seq: -1, Problem: ProblemWrongLog,
				Detail: fmt.Sprintf("the checkpoint here carries log id %q, but log id %q is required: it belongs to another log", cp.LogID, want)}
		case r.LogID != "" && cp.LogID != r.LogID:
			return &VerifyError{Seq: -1, Problem: ProblemWrongLog,
				Detail: fmt.Sprintf("the checkpoint here carries log id %q, but the log's earlier checkpoints carry %q: it belongs to another log", cp.LogID, r.LogID)}
		}
		r.LogID = cp.LogID
	}
	if cp.Time.IsZero() {
		return nil
	}
	if cp.Time.Before(r.LastTime) {
		return &VerifyError{Seq: -1, Problem: ProblemReordered,
			Detail: fmt.Sprintf("the checkpoint here is dated %s, before the previous checkpoint's %s", cp.Time.Format(time.RFC3339), r.LastTime.Format(time.RFC3339))}
	}
	if r.FirstTime.IsZero() {
		r.FirstTime = cp.Time
	}
	r.LastTime = cp.Time
	return nil
}

// checkKeyRules returns the first checkpoint of cps a rule applies to that
// is not signed by the rule's key.
func checkKeyRules(cps []checkpointAt, rules []KeyRule) *VerifyError {
	if len(rules) == 0 {
		return nil
	}
	// datedBefore[i]: the next dated checkpoint after cps[i] (which cps[i]
	// is not dated after) is dated at that time; zero when none is.
	datedBefore := make([]time.Time, len(cps))
	var next time.Time
	for i := len(cps) - 1; i >= 0; i-- {
		datedBefore[i] = next
		if t := cps[i].cp.Time; !t.IsZero() {
			next = t
		}
	}
	for i, c := range cps {
		for _, r := range rules {
			var applies bool
			switch {
			case r.FromTime.IsZero():
				applies = c.cp.Tree.N > r.FromSeq
			case !c.cp.Time.IsZero():
				applies = !c.cp.Time.Before(r.FromTime)
			default: // undated: before FromTime only if a later one is
				applies = datedBefore[i].IsZero() || !datedBefore[i].Before(r.FromTime)
			}
			if !applies || slices.Contains(c.cp.Signers, KeyName(r.Name, r.Hash)) {
				continue
			}
			when := "undated"
			if !c.cp.Time.IsZero() {
				when = "dated " + c.cp.Time.Format(time.RFC3339)
			}
			return &VerifyError{File: c.file, Line: c.line, Seq: -1, Problem: ProblemBadSignature,
				Detail: fmt.Sprintf("the checkpoint here (%d records, %s) is signed by %s, but %s (a retired key signed after the rotation?)",
					c.cp.Tree.N, when, strings.Join(c.cp.Signers, ", "), r)}
		}
	}
	return nil
}

// openCheckpoint checks a signed checkpoint note and returns what it states.
func openCheckpoint(msg []byte, known note.Verifiers) (Checkpoint, *VerifyError) {
	bad := func(detail string) (Checkpoint, *VerifyError) {
		return Checkpoint{}, &VerifyError{Seq: -1, Problem: ProblemBadSignature, Detail: detail}
	}
	n, err := note.Open(msg, known)
	if err != nil {
		var unverified *note.UnverifiedNoteError
		var invalid *note.InvalidSignatureError
		switch {
		case errors.As(err, &unverified):
			return bad("the checkpoint is not signed by any trusted key (unknown key, or the signature line was altered)")
		case errors.As(err, &invalid):
			return bad(fmt.Sprintf("the signature by key %s does not verify: the checkpoint or its signature was altered", invalid.Name))
		default:
			return bad(fmt.Sprintf("the checkpoint is not a well-formed signed note: %v", err))
		}
	}
	cp, err := parseCheckpointText(n.Text)
	if err != nil {
		return Checkpoint{}, &VerifyError{Seq: -1, Problem: ProblemEdited, Detail: fmt.Sprintf("the signed checkpoint text is not a tree description: %v", err)}
	}
	for _, sig := range n.Sigs {
		cp.Signers = append(cp.Signers, KeyName(sig.Name, sig.Hash))
	}
	return cp, nil
}

// walk is the state of Verify's pass over the lines of a log.
type walk struct {
	ctx      context.Context
	files    []string
	opts     VerifyOptions
	rep      *Report
	expected int64     // the seq the next record must have
	prev     tlog.Hash // the hash of record expected-1
	prevAt   [2]int    // its file index and line
	sealedAt int64     // records covered by the last good checkpoint
	cps      []checkpointAt
	signerAt map[string]int // index in rep.Signers
	follow   time.Duration  // how long to wait for a write under way at the end (followLines)
}

// step checks the line e, which follows the lines stepped before, and adds
// its record to the report. It returns a *VerifyError for a problem, or
// another error.
func (w *walk) step(e *entry) error {
	rep, opts, expected := w.rep, w.opts, w.expected
	file, line := w.files[e.file], e.line
	if e.kind == KindCheckpoint {
		cp, verr := openCheckpoint([]byte(e.note), opts.Verifiers)
		if verr != nil {
			verr.File, verr.Line = file, line
			return verr
		}
		tree := cp.Tree
		if tree.N > expected {
			// Record expected is not before this line: if it is in the
			// log, it is after (the checkpoint, or the record, was moved).
			if later, err := findRecord(w.ctx, w.files, w.follow, expected); err != nil {
				return err
			} else if later != nil {
				return &VerifyError{File: file, Line: line, Seq: expected, Problem: ProblemReordered,
					Detail: fmt.Sprintf("the checkpoint here signs %d records but only %d precede it: record %d comes after it (%s:%d): it was moved",
						tree.N, expected, expected, w.files[later.file], later.line)}
			}
			missing := fmt.Sprintf("record %d is", expected)
			if tree.N > expected+1 {
				missing = fmt.Sprintf("records %d to %d are", expected, tree.N-1)
			}
			return &VerifyError{File: file, Line: line, Seq: expected, Problem: ProblemDeleted,
				Detail: fmt.Sprintf("the checkpoint here signs %d records but only %d precede it: %s missing", tree.N, expected, missing)}
		}
		if tree.N < expected {
			return &VerifyError{File: file, Line: line, Seq: -1, Problem: ProblemReordered,
				Detail: fmt.Sprintf("the checkpoint here signs %d records but %d precede it: it was moved", tree.N, expected)}
		}
		th, err := tlog.TreeHash(tree.N, &rep.store)
		if err != nil {
			return err
		}
		if th != tree.Hash {
			if tree.N-1 == w.sealedAt {
				// One record since the last good checkpoint: it is the
				// one edited (the line before this checkpoint).
				pf, pl := w.files[w.prevAt[0]], w.prevAt[1]
				return &VerifyError{File: pf, Line: pl, Seq: w.sealedAt, Problem: ProblemEdited,
					Detail: fmt.Sprintf("record %d does not match the tree hash this checkpoint signs (%s:%d): it was edited", w.sealedAt, file, line)}
			}
			return &VerifyError{File: file, Line: line, Seq: -1, Problem: ProblemEdited,
				Detail: fmt.Sprintf("the records %d to %d do not match the tree hash this checkpoint signs: one of them was edited (a hash chain rewritten after it does not hide it)", w.sealedAt, tree.N-1)}
		}
		if verr := rep.checkIdentity(&cp, opts.LogID); verr != nil {
			verr.File, verr.Line = file, line
			return verr
		}
		if limit := opts.Now.Add(CheckpointClockSkew); !opts.Now.IsZero() && cp.Time.After(limit) {
			return &VerifyError{File: file, Line: line, Seq: -1, Problem: ProblemFutureDated,
				Detail: fmt.Sprintf("the checkpoint here is dated %s, after this machine's clock (%s) by more than %v: written by a clock far ahead, or planted by someone holding the key (it would date every later checkpoint); if this machine's clock is behind, set it right and verify again",
					cp.Time.UTC().Format(time.RFC3339), opts.Now.UTC().Truncate(time.Second).Format(time.RFC3339), CheckpointClockSkew)}
		}
		for _, k := range cp.Signers {
			j, ok := w.signerAt[k]
			if !ok {
				j = len(rep.Signers)
				w.signerAt[k] = j
				rep.Signers = append(rep.Signers, SignerSummary{Key: k, FirstSeq: w.sealedAt})
			}
			sg := &rep.Signers[j]
			sg.Checkpoints++
			sg.LastSeq = tree.N - 1
			if !cp.Time.IsZero() {
				if sg.FirstTime.IsZero() {
					sg.FirstTime = cp.Time
				}
				sg.LastTime = cp.Time
			}
		}
		w.cps = append(w.cps, checkpointAt{cp: cp, file: file, line: line})
		rep.Checkpoints++
		rep.Tree = tree
		w.sealedAt = tree.N
		return nil
	}
	switch {
	case e.seq == expected:
		if expected > 0 && e.prev != w.prev.String() {
			pf, pl := w.files[w.prevAt[0]], w.prevAt[1]
			return &VerifyError{File: pf, Line: pl, Seq: expected - 1, Problem: ProblemEdited,
				Detail: fmt.Sprintf("its hash does not match the prev that record %d (%s:%d) carries: one of the two was changed", expected, file, line)}
		}
	case e.seq > expected:
		// Record expected is not before this line (it would have been
		// taken): if it is in the log, it is after.
		if later, err := findRecord(w.ctx, w.files, w.follow, expected); err != nil {
			return err
		} else if later != nil {
			mf, ml := w.files[later.file], later.line
			return &VerifyError{File: file, Line: line, Seq: e.seq, Problem: ProblemReordered,
				Detail: fmt.Sprintf("record %d comes before record %d (%s:%d)", e.seq, expected, mf, ml)}
		}
		missing := fmt.Sprintf("record %d is", expected)
		if e.seq > expected+1 {
			missing = fmt.Sprintf("records %d to %d are", expected, e.seq-1)
		}
		follows := fmt.Sprintf("record %d follows record %d", e.seq, expected-1)
		if expected == 0 {
			follows = fmt.Sprintf("the log starts at record %d", e.seq)
		}
		return &VerifyError{File: file, Line: line, Seq: expected, Problem: ProblemDeleted,
			Detail: fmt.Sprintf("%s missing: %s", missing, follows)}
	default: // e.seq < expected: record e.seq was taken before
		first, err := findRecord(w.ctx, w.files, w.follow, e.seq)
		if err != nil {
			return err
		}
		if first == nil { // the files changed while being read
			return fmt.Errorf("auditlog: verify: record %d is no longer in the files", e.seq)
		}
		ff, fl := w.files[first.file], first.line
		if first.hash == e.hash {
			return &VerifyError{File: file, Line: line, Seq: e.seq, Problem: ProblemInserted,
				Detail: fmt.Sprintf("record %d appears again (first at %s:%d)", e.seq, ff, fl)}
		}
		return &VerifyError{File: file, Line: line, Seq: e.seq, Problem: ProblemReordered,
			Detail: fmt.Sprintf("record %d comes after record %d (another record %d is at %s:%d)", e.seq, expected-1, e.seq, ff, fl)}
	}
	if err := rep.store.add(e.hash); err != nil {
		return err
	}
	w.prev, w.prevAt = e.hash, [2]int{e.file, e.line}
	w.expected++
	rep.Records++
	switch e.kind {
	case KindDecision:
		rep.Decisions++
	case KindOutcome:
		rep.Outcomes++
	case KindChange:
		rep.Changes++
	case KindRepair:
		rep.Repairs++
		rep.RepairRecords = append(rep.RepairRecords, *e.repair)
		if opts.Dir != "" {
			cut, verr, err := checkSavedCut(opts.Dir, e.repair)
			if err != nil {
				return err
			} else if verr != nil {
				verr.Seq = e.seq
				verr.Detail = fmt.Sprintf("this repair record (%s:%d) says %s", file, line, verr.Detail)
				return verr
			}
			switch {
			case cut.whole:
				rep.WholeRecordCuts = append(rep.WholeRecordCuts, *e.repair)
			case cut.zeros > 0:
				rep.ZeroedWriteCuts = append(rep.ZeroedWriteCuts, ZeroedWriteCut{RepairRecord: *e.repair, ZeroBytes: cut.zeros, WholeRecords: cut.record})
			}
		}
	}
	return nil
}

// findRecord returns the first record with the given seq in files (its file
// index, line and hash), reading them as Verify does up to the first line
// that does not parse; nil when there is none.
func findRecord(ctx context.Context, files []string, follow time.Duration, seq int64) (*entry, error) {
	var found *entry
	_, err := readEntries(ctx, files, follow, func(e *entry) bool {
		if e.kind != KindCheckpoint && e.seq == seq {
			c := *e
			found = &c
			return false
		}
		return true
	})
	return found, err
}

// readEntries reads the lines of files, in order, and calls fn with each
// (e is reused: valid until fn returns) until fn returns false. It stops at
// the first line that is torn or does not parse, and returns it as a
// *VerifyError (without Seq); err is an error opening or reading a file, or
// ctx's. An incomplete last line of the last file is waited for up to
// follow (a live log's write under way: followLines) before it is torn.
func readEntries(ctx context.Context, files []string, follow time.Duration, fn func(e *entry) bool) (stop *VerifyError, err error) {
	var e entry // fn's argument, valid until it returns
	for fi, name := range files {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		f, err := regfile.Open(name)
		if err != nil {
			return nil, fmt.Errorf("auditlog: verify: %w", err)
		}
		lineNo := 0
		var wait time.Duration
		if fi == len(files)-1 {
			wait = follow
		}
		err = followLines(ctx, f, wait, func(line []byte, torn bool) error {
			lineNo++
			if torn {
				stop = &VerifyError{File: name, Line: lineNo, Seq: -1, Problem: ProblemTruncated,
					Detail: fmt.Sprintf("the last line (%d bytes) is incomplete: the file was cut short or a write was torn by a crash", len(line))}
				if fi < len(files)-1 {
					stop.Detail += " (and it is not the last file)"
				}
				return io.EOF
			}
			l, err := ParseLine(line)
			if err != nil {
				stop = &VerifyError{File: name, Line: lineNo, Seq: -1, Problem: ProblemEdited,
					Detail: fmt.Sprintf("not a valid record: %v", strings.TrimPrefix(err.Error(), ErrMalformed.Error()+": "))}
				return io.EOF
			}
			e = entry{file: fi, line: lineNo, kind: l.Kind, seq: -1}
			if l.Kind == KindCheckpoint {
				e.note = l.Note
			} else {
				e.seq, e.prev, e.hash, e.repair = *l.Seq, l.Prev, tlog.RecordHash(line), l.Repair
			}
			if !fn(&e) {
				return io.EOF
			}
			return nil
		})
		f.Close()
		if err == io.EOF {
			return stop, nil
		}
		if err != nil {
			return nil, err
		}
	}
	return nil, nil
}

// recordSpan names the records first to last with the verb that agrees:
// "record 7 was", "records 7 to 9 were".
func recordSpan(first, last int64, one, many string) string {
	if first == last {
		return fmt.Sprintf("record %d %s", first, one)
	}
	return fmt.Sprintf("records %d to %d %s", first, last, many)
}
