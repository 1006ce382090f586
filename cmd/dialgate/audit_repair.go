package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/dialgate/dialgate/auditlog"
	"github.com/dialgate/dialgate/internal/sidecar"
)

func (a *app) auditRepairCmd() *cobra.Command {
	var dir string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "repair [--dir DIR]",
		Short: "Cut a torn last line off the audit log after a crash, and record the cut in the log",
		Long: `After a crash during a write the audit log's last line may be incomplete.
dialgate never drops nor accepts the partial line: dialgate serve runs this
same repair by itself at start (logged at Warn), and the other commands
(dialgate check) refuse such a log until it is repaired. repair cuts that line
off — and likewise, after a power cut, the last write from the line holding
the zeros of its unwritten blocks on (zeros on sector boundaries within the
last 1 MiB: the most the log writes at once, each write synced before the
next; any other damage is refused, naming the file and offset) — saves the
cut bytes beside the file as <file>.torn-<offset>, and appends
a repair record (file, offset, length, SHA-256 of what was cut) and a signed
checkpoint, with the keys in --data/keys: those of the dialgate serve that
wrote the log (repair never makes keys, and refuses a --data without them). A
repair interrupted after its cut and before its record leaves saved bytes no
record names (refused likewise): repair records those as well. It does nothing
when the last line is complete and every saved cut is recorded. Like audit
verify, it says when a cut is a power cut's zeros, and prints a WARNING when
a cut is not part of one line (a whole record, its newline missing or
replaced by other bytes, or whole lines): a crash leaves part of a line (a
record is acknowledged only once its line, newline included, is synced), so
someone may have removed the newline of an acknowledged record.
It still cuts and records it (the saved bytes are the evidence). Stop
dialgate serve first.`,
		Args: argsUsage(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if dir == "" {
				dir = filepath.Join(a.data, sidecar.AuditDir)
			}
			// Repair signs with the keys of the sidecar that wrote the log;
			// it never makes new ones. LoadKeys would: a --data without keys
			// (a typo, or the default with --dir) would sign the repair's
			// checkpoint with a key the auditors do not hold, and the log
			// would fail verification for good.
			for _, name := range []string{sidecar.HMACKeyFile, sidecar.SignerKeyFile} {
				p := filepath.Join(a.data, sidecar.KeysDir, name)
				if _, err := os.Stat(p); err != nil {
					return usageErr("--data: %v: audit repair signs with the keys of the dialgate serve that wrote the log and never makes new ones: give that sidecar's --data (nothing was changed)", err)
				}
			}
			keys, err := sidecar.LoadKeys(a.data)
			if err != nil {
				return keysErr(fmt.Errorf("--data: %w", err))
			}
			recs, err := auditlog.Repair(cmd.Context(), dir, auditlog.Options{HMACKey: keys.HMAC, HMACKeyID: keys.HMACKeyID, Signer: keys.Signer, Verifiers: keys.Retired})
			if err != nil {
				var ce *auditlog.CheckpointError
				if errors.As(err, &ce) {
					// Not a crash's: repair never removes a checkpoint line
					// (the error says what to do, and where a rotation's
					// retired keys go).
					return failErr(fmt.Errorf("%s: %w%s (nothing was changed)", dir, err, sidecar.CheckpointErrorHint(err, a.data)))
				}
				if errors.Is(err, auditlog.ErrCorrupt) {
					return failErr(fmt.Errorf("%s: %w (not a torn last line, nor a power cut's zeros in the last write: run `dialgate audit verify` to find the damage)", dir, err))
				}
				return failErr(fmt.Errorf("%s: %w", dir, err))
			}
			// A cut of a power cut's zeros is said to be one, and a cut of a
			// whole record (only its newline missing) is warned of, in the
			// words of audit verify (read from the saved bytes, as verify
			// reads them: the repair records are unchanged). Such a cut is
			// still made: a record is acknowledged only once its line,
			// newline included, is synced, so no acknowledged record lacks
			// its newline unless someone removed it (docs/auditors.md).
			zeroed := make([]*auditlog.ZeroedWriteCut, len(recs))
			whole := make([]bool, len(recs))
			var zcuts []auditlog.ZeroedWriteCut
			var wcuts []auditlog.RepairRecord
			for i, rec := range recs {
				unreadable := func(err error) error {
					return failErr(fmt.Errorf("%s: the repair was recorded (%d repair record(s) appended), but the bytes it saved could not be read back: %w (run `dialgate audit verify`)", dir, len(recs), err))
				}
				z, ok, err := auditlog.SavedZeroedWrite(dir, rec)
				if err != nil {
					return unreadable(err)
				}
				if ok {
					zeroed[i] = &z
					zcuts = append(zcuts, z)
				}
				if whole[i], err = auditlog.SavedWholeRecord(dir, rec); err != nil {
					return unreadable(err)
				}
				if whole[i] {
					wcuts = append(wcuts, rec)
				}
			}
			if asJSON {
				if recs == nil {
					recs = []auditlog.RepairRecord{}
				}
				out := map[string]any{"repaired": len(recs) > 0, "repairs": recs}
				if len(wcuts) > 0 {
					out["whole_record_cuts"] = wcuts
				}
				if len(zcuts) > 0 {
					out["zeroed_write_cuts"] = zcuts
				}
				return a.printJSON(out)
			}
			if len(recs) == 0 {
				fmt.Fprintf(a.stdout, "%s: nothing to repair (the last line is complete, every saved cut is recorded)\n", dir)
				return nil
			}
			for i, rec := range recs {
				fmt.Fprintf(a.stdout, "%s: cut %d bytes at offset %d of %s (sha256 %s), saved as %s; a repair record was appended",
					dir, rec.CutBytes, rec.Offset, rec.File, rec.CutSHA256, rec.SavedAs)
				if z := zeroed[i]; z != nil {
					fmt.Fprintf(a.stdout, "; the cut is a torn write with unwritten (zero) blocks (%d zero bytes), not a torn last line: the saved bytes hold %d whole records, never acknowledged",
						z.ZeroBytes, z.WholeRecords)
				}
				fmt.Fprintln(a.stdout)
				if whole[i] {
					fmt.Fprintf(a.stdout, "%s: %s\n", dir, wholeRecordCutWarning(rec))
				}
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&dir, "dir", "", "audit log directory (default --data/audit)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}
