package main

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/dialgate/dialgate/auditlog"
	"github.com/dialgate/dialgate/complaint"
)

// complaintRepaired is `complaint repair --json`: what was done.
type complaintRepaired struct {
	ID string `json:"id"`
	// SHA256 is the hex SHA-256 of the complaint file given (the change
	// record's sha256).
	SHA256 string `json:"sha256"`
	// ReplacedSHA256 is the hex SHA-256 of the damaged bytes replaced, as
	// the store returned them (they are kept in the store).
	ReplacedSHA256 string `json:"replaced_sha256"`
}

func (a *app) complaintRepairCmd(profile *string) *cobra.Command {
	var from string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "repair ID --from-json FILE",
		Short: "Replace a damaged complaint whole (one the store can no longer read)",
		Long: `A complaint damaged in the store (it does not decode, or names an unknown
status, no callee…) fails every listing that reaches it: a recording of its
callee is refused, complaint list fails. The steps cannot change it (they
read it first). repair replaces it whole with the complaint FILE holds ("-":
stdin), JSON as complaint add --json prints it: every field, the deadlines,
scope and dnc_listed included (a partial complaint, or one whose dates are out
of the order filings and steps write, is refused, exit 2), and
the id ID. An answered complaint is refused (exit 2): answering ends its
recording holds, so repair it as handled, then run complaint answer ID --at
TIME. A complaint the store reads as sound is refused (exit 1): change it
through its steps. The same repair run again (its audit record failed, or
its answer was lost) is a retry: a complaint stored exactly as FILE gives
it, whose damaged bytes the store kept from a repair, exits 0, recorded,
printing what the first run printed (not in a memstore past its process).

The damaged bytes are not lost: boltstore keeps them in the bucket
complaints.replaced, pgstore in the row (key "replaced" of its JSON). A
store that still knows whom the complaint was about (boltstore's callee
index, pgstore's callee column) refuses another callee.

Audit: recorded first as requested (change record complaint.repair, with
the SHA-256 of FILE), then applied or failed; when the log cannot record
it nothing is changed (exit 1).

While dialgate serve runs on the --data (its store locked), use dialgate
admin complaint repair, which takes the same FILE.`,
		Args: argsUsage(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			id := args[0]
			if from == "" {
				return usageErr("--from-json: missing (the whole complaint, as complaint add --json prints it)")
			}
			data, err := a.readInput(from)
			if err != nil {
				return usageErr("--from-json: %v", err)
			}
			c, err := complaint.DecodeRepair(data, id)
			if err != nil {
				return usageErr("--from-json: %s", strings.TrimPrefix(err.Error(), complaint.ErrInvalid.Error()+": "))
			}
			if err := a.needComplaintStore(); err != nil {
				return err
			}
			sum := sha256.Sum256(data)
			ctx := cmd.Context()
			l := a.openChangeLog(ctx)
			defer l.close()
			st, err := a.openState(cmd, *profile, profileReads)
			if err != nil {
				return err
			}
			defer st.close()
			r, ok := st.complaints.(complaint.Repairer)
			if !ok {
				return failErr(fmt.Errorf("the complaint store %T cannot repair a complaint", st.complaints))
			}
			ch, err := newCLIChange(auditlog.OpComplaintRepair, time.Now())
			if err != nil {
				return err
			}
			ch.ID, ch.Tenant, ch.Scope, ch.DecisionID, ch.Source = c.ID, c.Tenant, c.Scope, c.DecisionID, string(c.Channel)
			ch.SHA256 = hex.EncodeToString(sum[:])
			// A repair ends the refusals the damage caused (a recording
			// of the callee registered again): recorded, then made.
			var replaced []byte
			refused, applyErr, notRecorded := a.recordThenApply(ctx, l, ch, func() error {
				var err error
				replaced, err = r.RepairComplaint(ctx, c)
				return err
			})
			if refused != nil {
				return refused
			}
			if applyErr != nil {
				return complaintErr(applyErr)
			}
			rsum := sha256.Sum256(replaced)
			if asJSON {
				if err := a.printJSON(complaintRepaired{ID: c.ID, SHA256: ch.SHA256, ReplacedSHA256: hex.EncodeToString(rsum[:])}); err != nil {
					return err
				}
				return notRecorded
			}
			fmt.Fprintf(a.stdout, "complaint %s repaired: replaced %d damaged bytes (SHA-256 %x, kept in the store) with the complaint of %s\n",
				c.ID, len(replaced), rsum, from)
			return notRecorded
		},
	}
	cmd.Flags().StringVar(&from, "from-json", "", `the whole complaint as JSON (as complaint add --json prints it); "-" reads stdin`)
	cmd.Flags().BoolVar(&asJSON, "json", false, `print what was done as JSON: {"id", "sha256", "replaced_sha256"}`)
	return cmd
}
