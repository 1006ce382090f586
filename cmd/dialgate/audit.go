package main

import (
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/mod/sumdb/note"

	"github.com/dialgate/dialgate/auditlog"
	"github.com/dialgate/dialgate/internal/regfile"
	"github.com/dialgate/dialgate/internal/sidecar"
)

func (a *app) auditCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "audit",
		Short: "Verify the tamper-evident decision log; make checkpoint keys",
		Args:  argsUsage(cobra.NoArgs),
		RunE:  func(cmd *cobra.Command, args []string) error { return cmd.Help() },
	}
	cmd.AddCommand(a.auditVerifyCmd(), a.auditKeygenCmd(), a.auditRepairCmd())
	return cmd
}

// verifyResult is `audit verify --json` output.
type verifyResult struct {
	OK          bool                  `json:"ok"`
	Files       []string              `json:"files"`
	Records     int64                 `json:"records"`
	Decisions   int64                 `json:"decisions"`
	Outcomes    int64                 `json:"outcomes"`
	Changes     int64                 `json:"changes"`
	Repairs     int64                 `json:"repairs"`
	Checkpoints int64                 `json:"checkpoints"`
	TreeSize    int64                 `json:"tree_size"`
	TreeHash    string                `json:"tree_hash,omitempty"`
	Unsealed    int64                 `json:"unsealed"`
	Trusted     string                `json:"trusted_checkpoint,omitempty"`
	TrustedSize *int64                `json:"trusted_tree_size,omitempty"`
	Problem     *auditlog.VerifyError `json:"problem,omitempty"`
	// LogID is the log identity the checkpoints carry; empty when none
	// does (see noLogIDWhy).
	LogID string `json:"log_id,omitempty"`
	// CheckpointsWithoutLogID counts the checkpoints that carry no log
	// identity (see noLogIDWhy).
	CheckpointsWithoutLogID int64 `json:"checkpoints_without_log_id"`
	// FirstCheckpointTime and LastCheckpointTime are the times of the first
	// and last checkpoints that carry one.
	FirstCheckpointTime time.Time `json:"first_checkpoint_time,omitzero"`
	LastCheckpointTime  time.Time `json:"last_checkpoint_time,omitzero"`
	// Signers says, per key, how many checkpoints it signed and which
	// records they seal.
	Signers []auditlog.SignerSummary `json:"signers"`
	// KeyRules are the --require-key rules checked.
	KeyRules []string `json:"key_rules,omitempty"`
	// UnrecordedCuts are saved cut files in the log's directory that no
	// repair record names (an interrupted repair; dialgate check refuses
	// such a log until `audit repair` records them, dialgate serve records
	// them itself at start).
	UnrecordedCuts []string `json:"unrecorded_cuts,omitempty"`
	// WholeRecordCuts are the repair records whose saved bytes are a whole
	// record (auditlog.Report.WholeRecordCuts): no crash's cut.
	WholeRecordCuts []auditlog.RepairRecord `json:"whole_record_cuts,omitempty"`
	// ZeroedWriteCuts are the repair records whose saved bytes are a torn
	// write with unwritten (zero) blocks, with the count of whole records
	// they hold (auditlog.Report.ZeroedWriteCuts): a power cut's cut.
	ZeroedWriteCuts []auditlog.ZeroedWriteCut `json:"zeroed_write_cuts,omitempty"`
}

func (a *app) auditVerifyCmd() *cobra.Command {
	var (
		keys       []string
		checkpoint string
		noTrusted  bool
		asJSON     bool
		logID      string
		require    []string
		sealed     bool
	)
	cmd := &cobra.Command{
		Use:   "verify FILE|DIR... --key PUB",
		Short: "Check an audit log's hash chain, checkpoints and signatures",
		Long: `Check that an audit log (its files in order, or its directory) is complete
and unedited: every line is a valid dialgate.audit.v1 record, the records run
from 0 without gaps, repeats or swaps, each carries the hash of the one before,
every checkpoint is signed by a --key and signs exactly the Merkle tree of the
records before it, and the last line is complete.

--key is a public key as "audit keygen" writes it (name+hash+key), or a file
holding one; repeat it for rotated keys. The result says, per key, how many
checkpoints it signed and which records they seal: after a rotation, check
that the retired key stopped signing. --require-key KEY@SEQ (or KEY@TIME,
RFC 3339 or YYYY-MM-DD) makes that a rule: every checkpoint sealing record
SEQ or later (dated TIME or later; a checkpoint without a time counts as
later unless a later checkpoint is dated earlier) must be signed by KEY (a
public key or its file, added to the --key list, or the name+hash of a
--key); repeatable.

Checkpoints carry the log's identity (log id) and the time they were signed;
verify fails when a checkpoint carries another identity than the log's other
checkpoints (wrong log: one signing key shared by several logs), is dated
before the previous one, or is dated more than an hour after this machine's
clock (dated in the future: written by a clock far ahead, or planted with the
key; or this machine's clock is behind), and reports the identity. --log-id ID fails on a
checkpoint carrying another identity, and on a log none of whose checkpoints
carries one. Checkpoints without an identity (written by a build from before
checkpoints carried one, or by dialgate check or audit repair before dialgate
serve gave the log its identity) verify as before. --checkpoint names a signed
checkpoint kept outside the log (a copy of the "checkpoint" file, or one
published through Options.OnCheckpoint): a log cut short after it is reported
as truncated. Without --checkpoint, the "checkpoint" file in the log's
directory is used when present (--no-checkpoint to skip it).

It also checks the files a repair saved the bytes it cut into, in the
directory given (or, given files, the directory of the first one): it fails
when that directory holds cut bytes that no repair record names (an
interrupted repair), and when a repair record's saved file is missing
(deleted) or no longer holds the bytes the record describes (edited). Copy
the *.torn-* files along with the log files.

It may run while dialgate serve writes the log: the checkpoint file is read
before the files are listed, and a write under way at the end of the last
file is waited for (up to half a second) rather than reported as a torn line.

Records after the last checkpoint are signed by no checkpoint: anyone who
can write the files could have appended or edited them. They are a WARNING
(a running sidecar seals its records within a minute); --sealed makes them a
failure (unsealed, naming the first of them). Give --sealed for a closed log:
a stopped sidecar's, a copy taken for an audit, one dialgate check wrote.

Exit codes: 0 the log verifies, 1 it does not (the first bad record and what
is wrong: edited, deleted, reordered, inserted, truncated, bad signature,
wrong log, dated in the future, unsealed with --sealed, an unrecorded cut, or a directory missing
one of its files), 2 bad input (a FILE or DIR that does not exist, a bad key
or --require-key).`,
		Args: argsUsage(cobra.MinimumNArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(keys) == 0 {
				return usageErr("--key: missing (the log's public key: the .pub file of audit keygen, or DATA/keys/audit-signer.pub of the dialgate serve that wrote it)")
			}
			var vs []note.Verifier
			for _, k := range keys {
				v, err := loadVerifier(k)
				if err != nil {
					return usageErr("--key: %v", err)
				}
				if !hasKey(vs, v) {
					vs = append(vs, v) // a key given twice would be ambiguous to note.VerifierList
				}
			}
			var rules []auditlog.KeyRule
			for _, r := range require {
				rule, v, err := parseKeyRule(r, vs)
				if err != nil {
					return usageErr("--require-key: %v", err)
				}
				if v != nil {
					vs = append(vs, v)
				}
				rules = append(rules, rule)
			}
			if logID != "" {
				if err := auditlog.CheckLogID(logID); err != nil {
					return usageErr("--log-id: %v", err)
				}
			}
			files, dir, err := expandLogArgs(args)
			var trusted []byte
			if err == nil {
				// The checkpoint is read before the files are listed
				// (again, once it is read): every record it signs is then
				// in a file listed, even when a sidecar writing the log
				// rotated it to a new file in between.
				if checkpoint == "" && !noTrusted && dir != "" {
					if p := filepath.Join(dir, auditlog.CheckpointFile); fileExists(p) {
						checkpoint = p
					}
				}
				if checkpoint != "" {
					if trusted, err = regfile.ReadFile(checkpoint, 0); err != nil {
						return usageErr("--checkpoint: %v", err)
					}
				}
				files, _, err = expandLogArgs(args)
			}
			if errors.Is(err, auditlog.ErrCorrupt) {
				// A log directory missing one of its files: records were
				// deleted (a whole file of them), not a typing error.
				res := verifyResult{Problem: &auditlog.VerifyError{Seq: -1, Problem: auditlog.ProblemDeleted,
					Detail: strings.TrimPrefix(err.Error(), auditlog.ErrCorrupt.Error()+": ") + ": the records it held were deleted"}}
				if err := a.printVerify(res, asJSON); err != nil {
					return err
				}
				return silent(exitFailed)
			}
			if err != nil {
				return usageErr("%v", err)
			}
			if a.afterAuditListed != nil {
				a.afterAuditListed()
			}
			// The saved cut files are looked for where the existing check
			// looks for unrecorded ones: the directory given, or the one of
			// the first file.
			// Checkpoint dates are judged against this machine's clock too
			// (a checkpoint dated beyond auditlog.CheckpointClockSkew after it
			// fails), as the sidecar's Open judges them.
			opts := auditlog.VerifyOptions{Verifiers: note.VerifierList(vs...), Dir: dir, LogID: logID, KeyRules: rules, RequireSealed: sealed, Trusted: trusted,
				Now: a.clock().Now()}
			rep, verr := auditlog.Verify(cmd.Context(), files, opts)
			var bad *auditlog.VerifyError
			if verr != nil && !errors.As(verr, &bad) {
				return failErr(verr)
			}
			res := verifyResult{OK: bad == nil, Files: files, Trusted: checkpoint, Problem: bad, Signers: []auditlog.SignerSummary{}}
			for _, r := range rules {
				res.KeyRules = append(res.KeyRules, r.String())
			}
			if rep != nil {
				res.LogID, res.CheckpointsWithoutLogID = rep.LogID, rep.CheckpointsWithoutLogID
				res.FirstCheckpointTime, res.LastCheckpointTime = rep.FirstTime, rep.LastTime
				if rep.Signers != nil {
					res.Signers = rep.Signers
				}
				res.Records, res.Decisions, res.Outcomes, res.Repairs, res.Changes = rep.Records, rep.Decisions, rep.Outcomes, rep.Repairs, rep.Changes
				res.WholeRecordCuts = rep.WholeRecordCuts
				res.ZeroedWriteCuts = rep.ZeroedWriteCuts
				res.Checkpoints, res.TreeSize, res.Unsealed = rep.Checkpoints, rep.Tree.N, rep.Unsealed
				if rep.Tree.N > 0 {
					res.TreeHash = rep.Tree.Hash.String()
				}
				if rep.TrustedTree != nil {
					res.TrustedSize = &rep.TrustedTree.N
				}
				if dir != "" {
					if res.UnrecordedCuts, err = unrecordedCuts(dir, rep); err != nil {
						return failErr(err)
					}
					res.OK = res.OK && len(res.UnrecordedCuts) == 0
				}
			}
			if err := a.printVerify(res, asJSON); err != nil {
				return err
			}
			if bad != nil || len(res.UnrecordedCuts) > 0 {
				return silent(exitFailed)
			}
			return nil
		},
	}
	cmd.Flags().StringArrayVar(&keys, "key", nil, "public key (or a file holding one) that may sign checkpoints; repeatable")
	cmd.Flags().StringVar(&checkpoint, "checkpoint", "", "a trusted signed checkpoint kept outside the log")
	cmd.Flags().BoolVar(&noTrusted, "no-checkpoint", false, "do not use the checkpoint file in the log directory")
	cmd.Flags().BoolVar(&asJSON, "json", false, "machine-readable output")
	cmd.Flags().StringVar(&logID, "log-id", "", "the log's identity: fail on a checkpoint carrying another one, or on a log none of whose checkpoints carries one")
	cmd.Flags().BoolVar(&sealed, "sealed", false, "fail when records follow the last checkpoint (no signature covers them): for a closed log")
	cmd.Flags().StringArrayVar(&require, "require-key", nil, "KEY@SEQ or KEY@TIME: checkpoints sealing record SEQ or later (dated TIME or later) must be signed by KEY; repeatable")
	return cmd
}

// parseKeyRule parses a --require-key value, KEY@SEQ or KEY@TIME. KEY is a
// public key or a file holding one (returned, to be trusted too), or the
// name+hash of one of known.
func parseKeyRule(s string, known []note.Verifier) (auditlog.KeyRule, note.Verifier, error) {
	i := strings.LastIndexByte(s, '@')
	if i <= 0 || i == len(s)-1 {
		return auditlog.KeyRule{}, nil, fmt.Errorf("%q: want KEY@SEQ or KEY@TIME", s)
	}
	key, from := s[:i], s[i+1:]
	var rule auditlog.KeyRule
	if n, err := strconv.ParseInt(from, 10, 64); err == nil && n >= 0 {
		rule.FromSeq = n
	} else if t, err := time.Parse(time.RFC3339, from); err == nil {
		rule.FromTime = t
	} else if t, err := time.Parse(time.DateOnly, from); err == nil {
		rule.FromTime = t
	} else {
		return auditlog.KeyRule{}, nil, fmt.Errorf("%q: %q is neither a record seq nor a time (RFC 3339 or YYYY-MM-DD)", s, from)
	}
	for _, v := range known {
		if auditlog.KeyName(v.Name(), v.KeyHash()) == key {
			rule.Name, rule.Hash = v.Name(), v.KeyHash()
			return rule, nil, nil
		}
	}
	v, err := loadVerifier(key)
	if err != nil {
		return auditlog.KeyRule{}, nil, fmt.Errorf("%v (or the name+hash of a --key)", err)
	}
	rule.Name, rule.Hash = v.Name(), v.KeyHash()
	if hasKey(known, v) {
		return rule, nil, nil // already trusted (listing it twice makes it ambiguous)
	}
	return rule, v, nil
}

// hasKey reports whether vs holds a key with v's name and hash.
func hasKey(vs []note.Verifier, v note.Verifier) bool {
	return slices.ContainsFunc(vs, func(o note.Verifier) bool { return o.Name() == v.Name() && o.KeyHash() == v.KeyHash() })
}

// noLogIDWhy says why checkpoints may carry no log identity: a build from
// before checkpoints carried one wrote them, or a tool that leaves the
// identity to the sidecar whose log it is (auditlog.Options.NoNewLogID) did.
const noLogIDWhy = "written by a build from before checkpoints carried one, or by dialgate check or audit repair before dialgate serve gave the log its identity"

// printVerify prints r as JSON or as text.
func (a *app) printVerify(r verifyResult, asJSON bool) error {
	if asJSON {
		return a.printJSON(r)
	}
	writeVerifyText(a, r)
	return nil
}

// verifiedBefore returns how many records of a failed verification are not
// in doubt: those before the record the problem names, or, when a
// checkpoint's tree hash did not match the records it signs, those the last
// good checkpoint sealed.
func verifiedBefore(r verifyResult) int64 {
	n, p := r.Records, r.Problem
	switch {
	case p.Seq >= 0 && p.Seq < n:
		n = p.Seq
	case p.Seq < 0 && p.Problem == auditlog.ProblemEdited && r.TreeSize < n:
		n = r.TreeSize
	}
	return n
}

// countOf says "1 record" or "N records" of a noun whose plural adds "s".
func countOf(n int64, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

func writeVerifyText(a *app, r verifyResult) {
	if r.Problem != nil {
		fmt.Fprintf(a.stdout, "FAIL %s\n", r.Problem)
		switch n := verifiedBefore(r); n {
		case 0:
			fmt.Fprintln(a.stdout, "     no record verified before it")
		case 1:
			fmt.Fprintln(a.stdout, "     1 record verified before it")
		default:
			fmt.Fprintf(a.stdout, "     %d records verified before it\n", n)
		}
		return
	}
	mark := "OK  "
	if len(r.UnrecordedCuts) > 0 {
		mark = "FAIL" // the records verify, but bytes were cut off without a record (below)
	}
	changes := "" // logs without change records print as before
	if r.Changes > 0 {
		changes = ", " + countOf(r.Changes, "change")
	}
	fmt.Fprintf(a.stdout, "%s %s (%s, %s, %s%s) in %d file(s)\n",
		mark, countOf(r.Records, "record"), countOf(r.Decisions, "decision"), countOf(r.Outcomes, "outcome"), countOf(r.Repairs, "repair"), changes, len(r.Files))
	if r.Checkpoints > 0 {
		fmt.Fprintf(a.stdout, "     %s; the last signs %s, tree hash %s\n", countOf(r.Checkpoints, "checkpoint"), countOf(r.TreeSize, "record"), r.TreeHash)
	} else {
		fmt.Fprintf(a.stdout, "     WARNING: no checkpoint: no signature covers these records\n")
	}
	switch {
	case r.LogID != "" && r.CheckpointsWithoutLogID > 0:
		fmt.Fprintf(a.stdout, "     log id %s (%d checkpoint(s) carry none: %s)\n", r.LogID, r.CheckpointsWithoutLogID, noLogIDWhy)
	case r.LogID != "":
		fmt.Fprintf(a.stdout, "     log id %s\n", r.LogID)
	case r.Checkpoints > 0:
		fmt.Fprintf(a.stdout, "     no log id: no checkpoint carries one (%s)\n", noLogIDWhy)
	}
	if !r.FirstCheckpointTime.IsZero() {
		fmt.Fprintf(a.stdout, "     checkpoints dated %s to %s\n", r.FirstCheckpointTime.Format(time.RFC3339), r.LastCheckpointTime.Format(time.RFC3339))
	}
	for _, sg := range r.Signers {
		fmt.Fprintf(a.stdout, "     key %s signed %d checkpoint(s) sealing records %d to %d", sg.Key, sg.Checkpoints, sg.FirstSeq, sg.LastSeq)
		if !sg.FirstTime.IsZero() {
			fmt.Fprintf(a.stdout, ", dated %s to %s", sg.FirstTime.Format(time.RFC3339), sg.LastTime.Format(time.RFC3339))
		}
		fmt.Fprintln(a.stdout)
	}
	for _, kr := range r.KeyRules {
		fmt.Fprintf(a.stdout, "     checked: %s\n", kr)
	}
	if r.TrustedSize != nil {
		fmt.Fprintf(a.stdout, "     the log contains the tree of the trusted checkpoint %s (%s)\n", r.Trusted, countOf(*r.TrustedSize, "record"))
	}
	if r.Unsealed > 0 {
		fmt.Fprintf(a.stdout, "     WARNING: %s after the last checkpoint %s not sealed (log still open, or not closed cleanly)\n", countOf(r.Unsealed, "record"), plural(int(min(r.Unsealed, 2)), "is", "are"))
	}
	for _, c := range r.WholeRecordCuts {
		fmt.Fprintf(a.stdout, "     %s\n", wholeRecordCutWarning(c))
	}
	for _, c := range r.ZeroedWriteCuts {
		fmt.Fprintf(a.stdout, "     the repair that cut %d bytes off %s at offset %d (saved as %s) cut a torn write with unwritten (zero) blocks (%d zero bytes), not a torn last line: the saved bytes hold %d whole records, never acknowledged\n",
			c.CutBytes, c.File, c.Offset, c.SavedAs, c.ZeroBytes, c.WholeRecords)
	}
	for _, c := range r.UnrecordedCuts {
		fmt.Fprintf(a.stdout, "     %s holds bytes cut off the log that no repair record names (an interrupted repair: run audit repair)\n", c)
	}
}

// wholeRecordCutWarning is what audit verify and audit repair say of a
// repair whose saved bytes are not part of one line: a whole record, its
// newline missing or replaced, or whole lines (auditlog.Report.WholeRecordCuts,
// auditlog.SavedWholeRecord).
func wholeRecordCutWarning(c auditlog.RepairRecord) string {
	return fmt.Sprintf("WARNING: the repair that cut %d bytes off %s at offset %d (saved as %s) cut a whole record or line, not part of one: a crash leaves part of a line; an acknowledged record may have been made to look torn",
		c.CutBytes, c.File, c.Offset, c.SavedAs)
}

// unrecordedCuts returns the saved cut files in dir that no repair record of
// rep names.
func unrecordedCuts(dir string, rep *auditlog.Report) ([]string, error) {
	saved, err := auditlog.SavedCuts(dir)
	if err != nil {
		return nil, err
	}
	named := map[string]bool{}
	for _, r := range rep.RepairRecords {
		named[r.SavedAs] = true
	}
	var out []string
	for _, p := range saved {
		if !named[filepath.Base(p)] {
			out = append(out, p)
		}
	}
	return out, nil
}

// expandLogArgs turns arguments into log files in order: a directory stands
// for its files (auditlog.LogFiles). It returns the directory of the log for
// finding its checkpoint file.
func expandLogArgs(args []string) (files []string, dir string, err error) {
	for _, arg := range args {
		info, err := os.Stat(arg)
		if err != nil {
			return nil, "", err
		}
		if info.IsDir() {
			fs, err := auditlog.LogFiles(arg)
			if err != nil {
				return nil, "", err
			}
			if len(fs) == 0 {
				// The data directory of `dialgate serve` holds its log in
				// a directory of its own: say so.
				sub := filepath.Join(arg, sidecar.AuditDir)
				if more, err := auditlog.LogFiles(sub); err == nil && len(more) > 0 {
					return nil, "", fmt.Errorf("%s: no audit-*.jsonl files (a data directory of dialgate serve? its audit log is in %s)", arg, sub)
				}
				return nil, "", fmt.Errorf("%s: no audit-*.jsonl files", arg)
			}
			files = append(files, fs...)
			dir = arg
			continue
		}
		files = append(files, arg)
		if dir == "" {
			dir = filepath.Dir(arg)
		}
	}
	return files, dir, nil
}

// loadVerifier reads a public key given as text or as a file holding it.
func loadVerifier(k string) (note.Verifier, error) {
	if v, err := auditlog.NewVerifier(k); err == nil {
		return v, nil
	}
	b, err := readKeyFile(k)
	if err != nil {
		return nil, fmt.Errorf("%q is neither a public key (name+hash+key) nor a readable file: %v", k, err)
	}
	v, err := auditlog.NewVerifier(strings.TrimSpace(string(b)))
	if err != nil {
		return nil, fmt.Errorf("%s: not a public key (name+hash+key): %v", k, err)
	}
	return v, nil
}

// maxKeyFileBytes bounds a public key file: a key is a line of about 100
// bytes, and a path such as /dev/zero must not be read for ever.
const maxKeyFileBytes = 4 << 10

// readKeyFile reads the regular file p, of at most maxKeyFileBytes.
func readKeyFile(p string) ([]byte, error) {
	f, err := regfile.Open(p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxKeyFileBytes+1))
	if err != nil {
		return nil, err
	}
	if len(b) > maxKeyFileBytes {
		return nil, fmt.Errorf("%s: larger than %d bytes, not a public key file", p, maxKeyFileBytes)
	}
	return b, nil
}

func fileExists(p string) bool {
	info, err := os.Stat(p)
	return err == nil && info.Mode().IsRegular()
}

// keygenResult is `audit keygen --json`: the files written and the public
// key (never the private key).
type keygenResult struct {
	PrivateKeyFile string `json:"private_key_file"`
	PublicKeyFile  string `json:"public_key_file"`
	PublicKey      string `json:"public_key"`
}

func (a *app) auditKeygenCmd() *cobra.Command {
	var name, out string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "keygen",
		Short: "Make an ed25519 key pair for signing audit-log checkpoints",
		Long: `Make an ed25519 key pair in golang.org/x/mod/sumdb/note form and write the
private key to OUT.key (mode 0600; keep it secret, on the machine that writes
the log) and the public key to OUT.pub (give it to auditors for
"audit verify --key"). Existing files are never overwritten.`,
		Args: argsUsage(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, args []string) error {
			if name == "" || strings.ContainsAny(name, "+ \t\n") {
				return usageErr("--name: %q must be non-empty, without spaces or '+'", name)
			}
			skey, vkey, err := auditlog.GenerateKey(rand.Reader, name)
			if err != nil {
				return usageErr("--name: %v", err)
			}
			if out == "" || strings.HasSuffix(out, "/") || strings.HasSuffix(out, string(filepath.Separator)) {
				return usageErr("--out: %q is not a path prefix (the files are OUT.key and OUT.pub; e.g. --out keys/audit)", out)
			}
			// A missing directory is the operator's input to correct
			// (exit 2), not a failure to write.
			dir := filepath.Dir(out)
			if st, err := os.Stat(dir); err != nil {
				return usageErr("--out: directory %s: %v (create it first; the files are OUT.key and OUT.pub)", dir, unwrapPathErr(err))
			} else if !st.IsDir() {
				return usageErr("--out: %s is not a directory (the files are OUT.key and OUT.pub)", dir)
			}
			priv, pub := out+".key", out+".pub"
			for _, p := range []string{priv, pub} {
				if _, err := os.Stat(p); err == nil {
					return usageErr("--out: %s exists; not overwriting a key", p)
				}
			}
			if err := writeNewFile(priv, skey+"\n", 0o600); err != nil {
				return failErr(fmt.Errorf("--out: %w", err))
			}
			if err := writeNewFile(pub, vkey+"\n", 0o644); err != nil {
				return failErr(fmt.Errorf("--out: %w", err))
			}
			if asJSON {
				return a.printJSON(keygenResult{PrivateKeyFile: priv, PublicKeyFile: pub, PublicKey: vkey})
			}
			fmt.Fprintf(a.stdout, "private key: %s (keep it secret)\npublic key:  %s\n%s\n", priv, pub, vkey)
			return nil
		},
	}
	cmd.Flags().StringVar(&name, "name", "dialgate-audit", "the key's name, e.g. the log's host name")
	cmd.Flags().StringVar(&out, "out", "dialgate-audit", "path prefix of the key files (OUT.key, OUT.pub)")
	cmd.Flags().BoolVar(&asJSON, "json", false, `print the files written and the public key as JSON: {"private_key_file", "public_key_file", "public_key"}`)
	return cmd
}

func writeNewFile(path, s string, mode os.FileMode) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
	if err != nil {
		return err
	}
	if _, err := f.WriteString(s); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
