package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"
	"unicode/utf8"

	"github.com/spf13/cobra"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/auditlog"
	"github.com/dialgate/dialgate/complaint"
	"github.com/dialgate/dialgate/dnc"
	"github.com/dialgate/dialgate/storage/boltstore"
)

// needComplaintStore refuses, as bad input naming --data, a command that
// acts on complaints already filed (list, the steps, repair) when they would
// be read from the store in --data and --data holds none: a mistyped path,
// where opening the store would make a new one (with keys and an audit log)
// and then list no complaints, or find none, while the real store is never
// opened. Only complaint add creates a store. A fleet keeps its complaints
// in its PostgreSQL: with --config, a config naming no postgres is refused
// (checkHome), before anything is written.
func (a *app) needComplaintStore() error {
	if a.fleet() != nil {
		return a.checkHome(sharedPostgres, "recordings and complaints")
	}
	path := filepath.Join(a.data, boltstore.DefaultFileName)
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return usageErr("--data: no store at %s (no complaint was filed there)", path)
	}
	return nil
}

func (a *app) complaintCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "complaint",
		Short: "File complaints and track their handling deadlines",
		Long: `A complaint (工信厅信管函〔2018〕337号 CN-S15) puts the number on the do-not-call
list at once, places a legal hold on the callee's recordings, and starts the
handling clock: forward within 3 working days, handle within 15 more, answer the
complainant within 3 more (the profile's complaint section; working days follow
its holiday calendar). ` + "`complaint list`" + ` flags overdue complaints.

Audit: add is filed first, then recorded (change record complaint.file) in the
audit log of --data (DIR/audit, as dialgate check writes); when the log cannot
record it the complaint stays filed and the command exits 1 saying so. The
steps (forward, resolve, answer) are made first, then recorded likewise
(complaint.forward, complaint.resolve, complaint.answer: the complaint's id
and the step's time; not the resolution text). A step the complaint already
has (a resolve with the same resolution) is a retry: exit 0, recorded again
at the time first stored.

Profile: the one dialgate serve runs on --data (recorded in its
serve-profile.json) unless --profile is given; cn, with a note on stderr,
when none is recorded. add, forward, resolve and answer refuse (exit 2) a
--profile or --config profile other than the recorded one: the number's
do-not-call hold and the deadlines would follow rules serve does not run;
list only warns.`,
	}
	profile := new(string)
	cmd.PersistentFlags().StringVar(profile, "profile", "", "profile whose do-not-call rules and deadlines apply: "+profileFlagHelp)
	a.addFleetFlag(cmd)
	cmd.AddCommand(a.complaintAddCmd(profile), a.complaintListCmd(profile),
		a.complaintStepCmd(profile, "forward", "Record that a complaint was forwarded to its handler"),
		a.complaintStepCmd(profile, "resolve", "Record that a complaint was verified and handled (--resolution)"),
		a.complaintStepCmd(profile, "answer", "Record that the complainant was answered, closing the complaint"),
		a.complaintRepairCmd(profile))
	return cmd
}

func complaintErr(err error) error {
	if errors.Is(err, complaint.ErrInvalid) {
		return usageErr("%v", err)
	}
	return failErr(err)
}

// scopeOrGlobal is sc as a complaint stores it: global when zero.
func scopeOrGlobal(sc dnc.Scope) string {
	if sc == (dnc.Scope{}) {
		return dnc.GlobalScope.String()
	}
	return sc.String()
}

// recordComplaintListing records, as a dnc.add change (source
// "complaint", the filing's id), the opt-out of a filing refused once its
// number was listed (complaint.ErrListed): the complaint is not on record,
// the listing is.
func recordComplaintListing(ctx context.Context, l *changeLog, f complaint.Filing, now time.Time) error {
	ch, err := newCLIChange(auditlog.OpDNCAdd, time.Now())
	if err != nil {
		return err
	}
	ch.Number, ch.Scope, ch.Tenant, ch.ID, ch.Source, ch.EffectiveAt = f.Number, scopeOrGlobal(f.Scope), f.Tenant, f.ID, "complaint", now
	_, err = auditlog.ApplyThenRecord(ctx, l, &ch, func() error { return nil })
	return err
}

func (a *app) complaintAddCmd(profile *string) *cobra.Command {
	var f complaint.Filing
	var number, scope, channel, at string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "add --number N [--scope S] [--channel C] [--decision-id D] [flags]",
		Short: "File a complaint: list the number at once, hold its recordings, start the clock",
		Args:  argsUsage(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			n, err := dialgate.ParseNumber(number)
			if err != nil {
				return usageErr("--number: %v", err)
			}
			f.Number = n
			if scope != "" {
				if f.Scope, err = dnc.ParseScope(scope); err != nil {
					return usageErr("--scope: %v", err)
				}
			}
			f.Channel = complaint.Channel(channel)
			now, err := parseAt("at", at)
			if err != nil {
				return err
			}
			if limit := time.Now().Add(maxClockSkew); now.After(limit) {
				// A wrong year or zone offset: the handling clock would
				// start then, and the deadlines be flagged only long after
				// they were missed.
				return usageErr("--at: %s is in the future (now %s): a complaint cannot be received before it is made (check the zone offset)",
					at, time.Now().UTC().Format(time.RFC3339))
			}
			if f.ID == "" {
				var b [6]byte
				if _, err := rand.Read(b[:]); err != nil {
					return failErr(err)
				}
				f.ID = "cp-" + hex.EncodeToString(b[:])
			}
			st, err := a.openState(cmd, *profile, profileWrites)
			if err != nil {
				return err
			}
			defer st.close()
			desk, err := st.desk()
			if err != nil {
				return err
			}
			// A complaint only denies more (its number listed) and keeps
			// more (recordings held): filed first, then recorded.
			ch, err := newCLIChange(auditlog.OpComplaintFile, time.Now())
			if err != nil {
				return err
			}
			ch.ID, ch.Number, ch.Tenant, ch.DecisionID, ch.Source = f.ID, f.Number, f.Tenant, f.DecisionID, string(f.Channel)
			l := a.openChangeLog(cmd.Context())
			defer l.close()
			var c complaint.Complaint
			err, notRecorded := applyThenRecord(cmd.Context(), l, &ch, func() error {
				var err error
				c, err = desk.File(cmd.Context(), now, f)
				ch.Scope = c.Scope
				if err == nil {
					// The receipt (--at) the deadlines run from, which
					// may be earlier than the record's at.
					ch.EffectiveAt = c.ReceivedAt.UTC()
				}
				if errors.Is(err, complaint.ErrExists) {
					// A retry of this filing (same number, scope and
					// tenant): the complaint is on record, and its
					// filing is recorded now if an earlier run could not.
					// The record names the complaint on record (its
					// tenant, channel and decision), not the rerun's
					// flags: a rerun without --tenant is a retry of
					// tenant acme's filing, recorded as acme's.
					if old, gerr := desk.Get(cmd.Context(), f.ID); gerr == nil && old.Callee == st.deps.CalleeHasher.HashCallee(f.Number) &&
						old.Scope == scopeOrGlobal(f.Scope) && (f.Tenant == "" || old.Tenant == f.Tenant) {
						c, ch.Scope = old, old.Scope
						ch.Tenant, ch.DecisionID, ch.Source = old.Tenant, old.DecisionID, string(old.Channel)
						ch.EffectiveAt = old.ReceivedAt.UTC()
						return nil
					}
				}
				return err
			})
			if errors.Is(err, complaint.ErrListed) {
				// Refused once the number was listed: the opt-out is in
				// force, and its record is the trail of it.
				if lerr := recordComplaintListing(cmd.Context(), l, f, now); lerr != nil {
					return failErr(fmt.Errorf("%w; and the listing was not recorded in the audit log (%w)", err, lerr))
				}
			}
			if err != nil {
				return complaintErr(err)
			}
			if asJSON {
				if err := a.printJSON(c); err != nil {
					return err
				}
				return notRecorded
			}
			fmt.Fprintf(a.stdout, "complaint %s filed: number listed (%s), %d recording(s) held; forward by %s, handle by %s, answer by %s\n",
				c.ID, c.Scope, len(c.HeldRecordings), c.ForwardBy.Format(time.RFC3339), c.HandleBy.Format(time.RFC3339), c.AnswerBy.Format(time.RFC3339))
			return notRecorded
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&number, "number", "", "the complainant's number, E.164 (stored only as a keyed hash)")
	fl.StringVar(&scope, "scope", "", "do-not-call scope: global (default), industry:X, business:X, tenant:X, campaign:X")
	fl.StringVar(&channel, "channel", "phone", "how it arrived: phone, web, app, regulator, agent")
	fl.StringVar(&f.DecisionID, "decision-id", "", "the decision of the call complained about")
	fl.StringVar(&f.ID, "id", "", "complaint id (default: generated)")
	fl.StringVar(&f.Tenant, "tenant", "", "tenant")
	fl.StringVar(&f.Details, "details", "", "what the complainant said")
	fl.StringVar(&at, "at", "", "when it was received, RFC 3339 (default now; not in the future)")
	fl.BoolVar(&asJSON, "json", false, "print the complaint as JSON")
	return cmd
}

func (a *app) complaintListCmd(profile *string) *cobra.Command {
	var status, at string
	var overdueOnly, asJSON bool
	cmd := &cobra.Command{
		Use:   "list [--status S] [--overdue] [--json]",
		Short: "List complaints with the deadlines they have missed",
		Args:  argsUsage(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			now, err := parseAt("at", at)
			if err != nil {
				return err
			}
			switch complaint.Status(status) {
			case "", complaint.StatusOpen, complaint.StatusForwarded, complaint.StatusHandled, complaint.StatusAnswered:
			default:
				return usageErr("--status: unknown status %q (want open, forwarded, handled or answered)", status)
			}
			if err := a.needComplaintStore(); err != nil {
				return err
			}
			st, err := a.openState(cmd, *profile, profileReads)
			if err != nil {
				return err
			}
			defer st.close()
			desk, err := st.desk()
			if err != nil {
				return err
			}
			ls, err := desk.List(cmd.Context(), now, complaint.Filter{Status: complaint.Status(status)})
			if err != nil {
				return failErr(err)
			}
			out := ls[:0]
			for _, l := range ls {
				if !overdueOnly || len(l.Overdue) > 0 {
					out = append(out, l)
				}
			}
			if asJSON {
				if out == nil {
					out = []complaint.Listed{}
				}
				return a.printJSON(out)
			}
			rows := make([]complaintRow, len(out))
			for i, l := range out {
				rows[i] = complaintRow{ID: l.ID, ReceivedAt: l.ReceivedAt, Status: string(l.Status), Channel: string(l.Channel), Scope: l.Scope, Overdue: l.Overdue}
			}
			return writeComplaintTable(a.stdout, rows)
		},
	}
	cmd.Flags().StringVar(&status, "status", "", "only complaints in this status")
	cmd.Flags().BoolVar(&overdueOnly, "overdue", false, "only complaints past a deadline")
	cmd.Flags().StringVar(&at, "at", "", "evaluate deadlines as of this time, RFC 3339 (default now)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

// complaintStep is `complaint forward|resolve|answer --json`: the step recorded.
type complaintStep struct {
	ID         string    `json:"id"`
	Step       string    `json:"step"` // forward, resolve or answer
	At         time.Time `json:"at"`
	Resolution string    `json:"resolution,omitempty"`
}

// checkComplaintArg checks the complaint id argument (ID) of forward,
// resolve and answer: bad input (exit 2, naming ID) when empty, blank or
// not UTF-8, which no complaint's id is (complaint.Validate), rather than
// an unknown complaint (exit 1). An id with a control character is looked
// up: an earlier build may have stored one, and answering it ends its
// recording holds.
func checkComplaintArg(id string) error {
	switch {
	case strings.TrimSpace(id) == "":
		return usageErr("ID: missing (the complaint's id)")
	case !utf8.ValidString(id):
		return usageErr("ID: not valid UTF-8 (no complaint's id is)")
	}
	return nil
}

// complaintStepCmd is forward, resolve or answer.
func (a *app) complaintStepCmd(profile *string, step, short string) *cobra.Command {
	var at, resolution string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   step + " ID",
		Short: short,
		Args:  argsUsage(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkComplaintArg(args[0]); err != nil {
				return err
			}
			now, err := parseAt("at", at)
			if err != nil {
				return err
			}
			if limit := time.Now().Add(maxClockSkew); now.After(limit) {
				// A wrong year or zone offset: an answer dated in the future
				// would close the complaint now, unlocking its recording
				// holds, and show its deadlines met.
				return usageErr("--at: %s is in the future (now %s): a step cannot be recorded before it happens (check the zone offset)",
					at, time.Now().UTC().Format(time.RFC3339))
			}
			if step == "resolve" && strings.TrimSpace(resolution) == "" {
				return usageErr("--resolution: missing (say how the complaint was handled)")
			}
			if err := a.needComplaintStore(); err != nil {
				return err
			}
			st, err := a.openState(cmd, *profile, profileWrites)
			if err != nil {
				return err
			}
			defer st.close()
			desk, err := st.desk()
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			// A step only records the complaint's progress (the holds it
			// keeps are lifted by a release, recorded on its own): made
			// first, then recorded. The resolution text is not recorded
			// (it may name the number); the complaint keeps it.
			op := map[string]string{"forward": auditlog.OpComplaintForward, "resolve": auditlog.OpComplaintResolve, "answer": auditlog.OpComplaintAnswer}[step]
			ch, err := newCLIChange(op, time.Now())
			if err != nil {
				return err
			}
			ch.ID, ch.EffectiveAt = args[0], now.UTC()
			l := a.openChangeLog(ctx)
			defer l.close()
			err, notRecorded := applyThenRecord(ctx, l, &ch, func() error {
				var err error
				switch step {
				case "forward":
					err = desk.Forward(ctx, args[0], now)
				case "resolve":
					err = desk.Resolve(ctx, args[0], now, resolution)
				default:
					err = desk.Answer(ctx, args[0], now)
				}
				if !errors.Is(err, complaint.ErrState) {
					return err
				}
				// A step the complaint already has (the rerun the
				// message of a failed record asks for) is a retry: done,
				// and recorded at the instant stored, as through the
				// sidecar.
				c, gerr := desk.Get(ctx, args[0])
				if gerr != nil {
					return err
				}
				at, ok := c.StepDone(step, resolution)
				if !ok {
					return err
				}
				now, ch.EffectiveAt = at, at.UTC()
				return nil
			})
			if err != nil {
				return complaintErr(err)
			}
			if asJSON {
				if err := a.printJSON(complaintStep{ID: args[0], Step: step, At: now, Resolution: resolution}); err != nil {
					return err
				}
				return notRecorded
			}
			fmt.Fprintf(a.stdout, "complaint %s: %s at %s\n", args[0], step, now.Format(time.RFC3339))
			return notRecorded
		},
	}
	cmd.Flags().StringVar(&at, "at", "", "when, RFC 3339 (default now; not in the future)")
	jsonHelp := `print the step recorded as JSON: {"id", "step", "at"}`
	if step == "resolve" {
		jsonHelp = `print the step recorded as JSON: {"id", "step", "at", "resolution"}`
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, jsonHelp)
	if step == "resolve" {
		cmd.Flags().StringVar(&resolution, "resolution", "", "how the complaint was verified and handled (required)")
	}
	return cmd
}

// complaintRow is one line of the complaint lists' table (complaint list,
// admin complaint list).
type complaintRow struct {
	ID                     string
	ReceivedAt             time.Time
	Status, Channel, Scope string
	Overdue                []string
}

// writeComplaintTable writes rows as the complaint lists' table.
func writeComplaintTable(w io.Writer, rows []complaintRow) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tRECEIVED\tSTATUS\tCHANNEL\tSCOPE\tOVERDUE")
	for _, l := range rows {
		od := "-"
		if len(l.Overdue) > 0 {
			od = "OVERDUE: " + strings.Join(l.Overdue, ", ")
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", l.ID, l.ReceivedAt.Format(time.RFC3339), l.Status, l.Channel, l.Scope, od)
	}
	return tw.Flush()
}
