package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/auditlog"
	"github.com/dialgate/dialgate/recording"
	"github.com/dialgate/dialgate/storage/boltstore"
)

func (a *app) recordingsCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "recordings",
		Short: "Register recordings, place and release legal holds, sweep expired recordings",
		Long: `Call recordings are kept at least 30 days (工信厅信管函〔2018〕337号 CN-S6), or
longer where the profile says so (cn-insurance and us: 5 years); no
configuration can lower the floor. A recording cannot be deleted before its
retention ends or while it is under a legal hold.

The retention is counted from the end of the call: register gives it with
--ended-at; without it, the registration time (--at, default now) stands for
the end — the latest the call can have ended when it is registered after the
call — or --started-at if later. Register a recording once its call is over,
and give --ended-at whenever it is known (a long call counted from its start
would be deletable before 30 days after it ended); a recording registered as
its call started is given its end with end (the retention only lengthens).

The metadata is kept in the store at --data (in a fleet, give dialgate serve's
--config: the fleet's PostgreSQL keeps it); media under --media-root
(URIs file:<relative path>) is deleted by sweep, media first and metadata
after, so a crash leaves nothing orphaned and the next sweep finishes the job.

register creates the store in --data when there is none; show, hold, release
and sweep need one (without --config, a --data holding no store exits 2).

Audit: register, end, hold and release write a change record in the audit log
of --data (DIR/audit, as dialgate check writes; actor: the OS user). register
and hold are made first: when the log cannot record them they stay in force
and the command exits 1 saying so. end and release are recorded first: when
the log cannot record them nothing changes (exit 1). sweep, when anything is
due, is recorded first too (recording.sweep, requested: how many recordings
it is about to delete and the SHA-256 of their sorted ids), and deletes
nothing when that cannot be recorded (exit 1); then applied (or failed) with
the count and SHA-256 of the ids it deleted, which it prints.

Profile: the one dialgate serve runs on --data (recorded in its
serve-profile.json) unless --profile is given; cn, with a note on stderr,
when none is recorded. register, hold, release and sweep refuse (exit 2) a
--profile or --config profile other than the recorded one (a us recording
registered under cn would be kept 30 days, not 5 years, and a sweep would
delete it); show only warns.`,
	}
	profile := new(string)
	cmd.PersistentFlags().StringVar(profile, "profile", "", "profile whose retention applies: "+profileFlagHelp)
	cmd.PersistentFlags().String("media-root", "", "directory the media URIs (file:<path>) are relative to")
	a.addFleetFlag(cmd)
	cmd.AddCommand(a.recRegisterCmd(profile), a.recEndCmd(profile), a.recHoldCmd(profile), a.recReleaseCmd(profile), a.recSweepCmd(profile), a.recShowCmd(profile))
	return cmd
}

// recordingErr maps recording errors to exit codes: bad input 2, refusals 1.
func recordingErr(err error) error {
	switch {
	case errors.Is(err, recording.ErrRetentionTooShort), errors.Is(err, recording.ErrInvalid):
		return usageErr("%v", err)
	default:
		return failErr(err)
	}
}

// checkRecordingArg checks the recording id argument (ID) of hold, release,
// end and show: bad input (exit 2, naming ID) when empty, blank or not
// UTF-8, as admin recordings and the sidecar check it, rather than an
// unknown recording (exit 1) with a change record naming another id.
func checkRecordingArg(id string) error {
	if strings.TrimSpace(id) == "" {
		return usageErr("ID: missing (the recording's id)")
	}
	return checkText("ID", id)
}

// recRegistered is `recordings register --json`: the recording written (its
// callee is stored only as a keyed hash and is not printed).
type recRegistered struct {
	ID          string    `json:"id"`
	StartedAt   time.Time `json:"started_at"`
	EndedAt     time.Time `json:"ended_at,omitzero"` // as given by --ended-at
	RetainUntil time.Time `json:"retain_until"`
}

// recHoldChanged is `recordings hold --json` and `recordings release --json`.
type recHoldChanged struct {
	ID       string    `json:"id"`   // the recording
	Hold     string    `json:"hold"` // the hold placed or released
	PlacedAt time.Time `json:"placed_at,omitzero"`
	Released bool      `json:"released,omitempty"`
}

// recRegFlags are the flags of a recording's registration: recordings
// register writes it to the store, admin recordings register sends it to a
// running sidecar.
type recRegFlags struct {
	id, number, started, ended, retention, decision, tenant string
}

// register adds the registration's flags to cmd; endedDefault says what
// stands for the end without --ended-at.
func (r *recRegFlags) register(cmd *cobra.Command, endedDefault string) {
	f := cmd.Flags()
	f.StringVar(&r.id, "id", "", "recording id (required)")
	f.StringVar(&r.number, "number", "", "callee number, E.164 (stored only as a keyed hash)")
	f.StringVar(&r.started, "started-at", "", "when the recording started, RFC 3339")
	f.StringVar(&r.ended, "ended-at", "", "when the call ended, RFC 3339: the retention counts from it (default: "+endedDefault+")")
	f.StringVar(&r.retention, "retention", "", "keep longer than the profile's retention, e.g. 90d (never less than 30d)")
	f.StringVar(&r.decision, "decision-id", "", "the decision that allowed the call")
	f.StringVar(&r.tenant, "tenant", "", "tenant")
}

// parse checks the flags and returns the callee, the start and the end
// (zero without --ended-at; not in the future); bad input names the flag.
func (r *recRegFlags) parse() (n dialgate.Number, started, ended time.Time, err error) {
	if r.id == "" {
		return n, started, ended, usageErr("--id: missing")
	}
	if err := checkText("--id", r.id, "--tenant", r.tenant, "--decision-id", r.decision); err != nil {
		return n, started, ended, err
	}
	if n, err = dialgate.ParseNumber(r.number); err != nil {
		return n, started, ended, usageErr("--number: %v", err)
	}
	if r.started == "" {
		return n, started, ended, usageErr("--started-at: missing")
	}
	if started, err = parseAt("started-at", r.started); err != nil {
		return n, started, ended, err
	}
	if r.ended != "" {
		// Before --started-at (or after --at), it is refused naming ended_at.
		ended, err = parsePast("ended-at", r.ended)
	}
	return n, started, ended, err
}

func (a *app) recRegisterCmd(profile *string) *cobra.Command {
	var rf recRegFlags
	var media, at string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "register --id ID --number N --started-at T [--ended-at T] [flags]",
		Short: "Register a recording's metadata; it is kept the retention after the call ended",
		Args:  argsUsage(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			n, st0, end, err := rf.parse()
			if err != nil {
				return err
			}
			if err := checkText("--media-uri", media); err != nil {
				return err
			}
			now, err := parsePast("at", at)
			if err != nil {
				return err
			}
			reg := recording.Registration{ID: rf.id, Callee: n, StartedAt: st0, EndedAt: end, MediaURI: media, DecisionID: rf.decision, Tenant: rf.tenant}
			if rf.retention != "" {
				d, err := dialgate.ParseDuration(rf.retention)
				if err != nil {
					return usageErr("--retention: %v", err)
				}
				if d.Std() < recording.MinRetention {
					return usageErr("--retention: %s is below the 30-day floor (337号 CN-S6)", rf.retention)
				}
				reg.Retention = d
			}
			return a.withRecordings(cmd, *profile, true, profileWrites, func(m *recording.Manager) error {
				// A registration only keeps more: made first, then
				// recorded (recording.register).
				ch, err := newCLIChange(auditlog.OpRecordingRegister, time.Now())
				if err != nil {
					return err
				}
				ch.ID, ch.Number, ch.Tenant, ch.DecisionID, ch.EffectiveAt = reg.ID, reg.Callee, reg.Tenant, reg.DecisionID, reg.StartedAt
				l := a.openChangeLog(cmd.Context())
				defer l.close()
				var r recording.Recording
				err, notRecorded := applyThenRecord(cmd.Context(), l, &ch, func() error {
					var err error
					r, err = m.Register(cmd.Context(), now, reg)
					if !errors.Is(err, recording.ErrExists) {
						return err
					}
					// A rerun of the same registration (the one the
					// message of a failed record asks for) is a retry:
					// done, and recorded as the recording on record.
					old, gerr := m.Get(cmd.Context(), reg.ID)
					if gerr != nil || !m.IsRetry(old, reg) {
						return err
					}
					r = old
					ch.Tenant, ch.DecisionID = old.Tenant, old.DecisionID
					return nil
				})
				if err != nil {
					return recordingErr(err)
				}
				if asJSON {
					if err := a.printJSON(recRegistered{ID: r.ID, StartedAt: r.StartedAt, EndedAt: r.EndedAt, RetainUntil: r.RetainUntil}); err != nil {
						return err
					}
					return notRecorded
				}
				fmt.Fprintf(a.stdout, "registered %s, kept until %s\n", r.ID, r.RetainUntil.Format(time.RFC3339))
				return notRecorded
			})
		},
	}
	rf.register(cmd, "the registration time, --at")
	f := cmd.Flags()
	f.StringVar(&media, "media-uri", "", "media location, file:<path below --media-root>, the path in its clean form (no ./, .., // or trailing /)")
	f.StringVar(&at, "at", "", "time of registration, RFC 3339 (default now; not in the future)")
	f.BoolVar(&asJSON, "json", false, `print what was registered as JSON: {"id", "started_at", "ended_at" (when given), "retain_until"}`)
	return cmd
}

func mediaRootFor(cmd *cobra.Command) string {
	v, _ := cmd.Flags().GetString("media-root")
	return v
}

func (a *app) recEndCmd(profile *string) *cobra.Command {
	var ended, at string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "end ID --ended-at T",
		Short: "Record when a recording's call ended; it is then kept at least the retention after that end",
		Long: `Record when the call of a recording registered without its end (at the
call's start, say) ended. The recording is then kept until at least that end
plus its retention. The retention only ever lengthens: an earlier end than one
already recorded keeps the recorded one, and ending again at the same instant
changes nothing. Exit 2 for a bad --ended-at (missing, before the recording's
start, in the future), 1 for an unknown recording or one being deleted.`,
		Args: argsUsage(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkRecordingArg(args[0]); err != nil {
				return err
			}
			if ended == "" {
				return usageErr("--ended-at: missing (when the call ended, RFC 3339)")
			}
			end, err := parsePast("ended-at", ended)
			if err != nil {
				return err
			}
			now, err := parsePast("at", at)
			if err != nil {
				return err
			}
			return a.withRecordings(cmd, *profile, false, profileWrites, func(m *recording.Manager) error {
				// An end starts the retention's countdown: recorded as
				// requested first, and not set when it cannot be.
				ch, err := newCLIChange(auditlog.OpRecordingEnd, time.Now())
				if err != nil {
					return err
				}
				ch.ID, ch.EffectiveAt = args[0], end
				l := a.openChangeLog(cmd.Context())
				defer l.close()
				var r recording.Recording
				refused, err, notRecorded := a.recordThenApply(cmd.Context(), l, ch, func() error {
					var err error
					r, err = m.End(cmd.Context(), now, args[0], end)
					return err
				})
				if refused != nil {
					return refused
				}
				if err != nil {
					return recordingErr(err)
				}
				if asJSON {
					if err := a.printJSON(r); err != nil {
						return err
					}
					return notRecorded
				}
				fmt.Fprintf(a.stdout, "ended %s at %s, kept until %s\n", r.ID, r.EndedAt.Format(time.RFC3339), r.RetainUntil.Format(time.RFC3339))
				return notRecorded
			})
		},
	}
	cmd.Flags().StringVar(&ended, "ended-at", "", "when the call ended, RFC 3339 (required; not in the future)")
	cmd.Flags().StringVar(&at, "at", "", "time of the request, RFC 3339 (default now; not in the future)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the recording as JSON")
	return cmd
}

func (a *app) recHoldCmd(profile *string) *cobra.Command {
	var hold, reason, at string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "hold ID --hold NAME [--reason TEXT]",
		Short: "Place a legal hold on a recording; nothing deletes it while held",
		Args:  argsUsage(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkRecordingArg(args[0]); err != nil {
				return err
			}
			if hold == "" {
				return usageErr("--hold: missing (name the hold, e.g. litigation-2026-04)")
			}
			if err := checkText("--hold", hold, "--reason", reason); err != nil {
				return err
			}
			now, err := parsePast("at", at)
			if err != nil {
				return err
			}
			return a.withRecordings(cmd, *profile, false, profileWrites, func(m *recording.Manager) error {
				// A hold only keeps more: placed first, then recorded.
				ch, err := newCLIChange(auditlog.OpRecordingHold, time.Now())
				if err != nil {
					return err
				}
				ch.ID, ch.HoldID = args[0], hold
				l := a.openChangeLog(cmd.Context())
				defer l.close()
				err, notRecorded := applyThenRecord(cmd.Context(), l, &ch, func() error {
					return m.Hold(cmd.Context(), args[0], recording.Hold{ID: hold, Reason: reason, PlacedAt: now})
				})
				if err != nil {
					return recordingErr(err)
				}
				if asJSON {
					if err := a.printJSON(recHoldChanged{ID: args[0], Hold: hold, PlacedAt: now}); err != nil {
						return err
					}
					return notRecorded
				}
				fmt.Fprintf(a.stdout, "held %s (%s)\n", args[0], hold)
				return notRecorded
			})
		},
	}
	cmd.Flags().StringVar(&hold, "hold", "", "name of the hold (required)")
	cmd.Flags().StringVar(&reason, "reason", "", "why, in plain words")
	cmd.Flags().StringVar(&at, "at", "", "time of the hold, RFC 3339 (default now; not in the future)")
	cmd.Flags().BoolVar(&asJSON, "json", false, `print the hold placed as JSON: {"id", "hold", "placed_at"}`)
	return cmd
}

func (a *app) recReleaseCmd(profile *string) *cobra.Command {
	var hold string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "release ID --hold NAME",
		Short: "Release a legal hold on a recording",
		Long: `Releases the legal hold NAME on the recording ID; once no hold keeps it,
the sweep deletes it when its retention is over. Audit: recorded first as
requested (recording.release_hold), then applied or failed; when the log
cannot record it nothing is changed (exit 1).

Run again (its answer or audit record lost), a release of a recording no
hold keeps any more is a retry, as through the sidecar's
ReleaseRecordingHold: exit 0, recorded as applied and unchanged. A hold the
recording does not have while other holds keep it is refused (exit 1,
naming them), as is an unknown recording.`,
		Args: argsUsage(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkRecordingArg(args[0]); err != nil {
				return err
			}
			// A blank or mangled name names no hold: it would be recorded
			// as a hold released already.
			if strings.TrimSpace(hold) == "" {
				return usageErr("--hold: missing (the name of the hold to release)")
			}
			if err := checkText("--hold", hold); err != nil {
				return err
			}
			return a.withRecordings(cmd, *profile, false, profileWrites, func(m *recording.Manager) error {
				// A release lets the recording be deleted: recorded as
				// requested first, and not made when it cannot be.
				ch, err := newCLIChange(auditlog.OpRecordingReleaseHold, time.Now())
				if err != nil {
					return err
				}
				ch.ID, ch.HoldID = args[0], hold
				l := a.openChangeLog(cmd.Context())
				defer l.close()
				// Released again (its answer or completion record lost), a
				// recording no longer held is a retry, as through the
				// sidecar's ReleaseRecordingHold: recorded as unchanged.
				unchanged := false
				refused, err, notRecorded := a.recordThenApply(cmd.Context(), l, ch, func() error {
					err := m.ReleaseHold(cmd.Context(), args[0], hold)
					if !errors.Is(err, recording.ErrNotFound) {
						return err
					}
					r, gerr := m.Get(cmd.Context(), args[0])
					switch {
					case gerr != nil:
						return err
					case r.Held():
						ids := make([]string, len(r.Holds))
						for i, h := range r.Holds {
							ids[i] = h.ID
						}
						return fmt.Errorf("recording %s has no hold %q; it is held by %s: %w", args[0], hold, strings.Join(ids, ", "), err)
					}
					unchanged = true
					return auditlog.ErrUnchanged
				})
				if refused != nil {
					return refused
				}
				if err != nil {
					return recordingErr(err)
				}
				if asJSON {
					if err := a.printJSON(recHoldChanged{ID: args[0], Hold: hold, Released: true}); err != nil {
						return err
					}
					return notRecorded
				}
				if unchanged {
					fmt.Fprintf(a.stdout, "unchanged: %s holds no hold %s (released already)\n", args[0], hold)
					return notRecorded
				}
				fmt.Fprintf(a.stdout, "released hold %s on %s\n", hold, args[0])
				return notRecorded
			})
		},
	}
	cmd.Flags().StringVar(&hold, "hold", "", "name of the hold (required)")
	cmd.Flags().BoolVar(&asJSON, "json", false, `print the hold released as JSON: {"id", "hold", "released"}`)
	return cmd
}

func (a *app) recShowCmd(profile *string) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "show ID",
		Short: "Show a recording's metadata (the callee only as its keyed hash)",
		Args:  argsUsage(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkRecordingArg(args[0]); err != nil {
				return err
			}
			return a.withRecordings(cmd, *profile, false, profileReads, func(m *recording.Manager) error {
				r, err := m.Get(cmd.Context(), args[0])
				if err != nil {
					return recordingErr(err)
				}
				if asJSON {
					return a.printJSON(r)
				}
				holds := make([]string, len(r.Holds))
				for i, h := range r.Holds {
					holds[i] = h.ID
				}
				ended := ""
				if !r.EndedAt.IsZero() {
					ended = ", ended " + r.EndedAt.Format(time.RFC3339)
				}
				fmt.Fprintf(a.stdout, "%s: started %s%s, kept until %s, state %s, holds [%s], decision %s\n", r.ID,
					r.StartedAt.Format(time.RFC3339), ended, r.RetainUntil.Format(time.RFC3339), r.State, strings.Join(holds, ", "), r.DecisionID)
				return nil
			})
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

// maxClockSkew is how far after the real clock the --at of a command that
// records when something happened may be (parsePast). A sweep's --at may
// not be after it at all.
const maxClockSkew = time.Minute

func (a *app) recSweepCmd(profile *string) *cobra.Command {
	var at string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "sweep [--at T] [--media-root DIR]",
		Short: "Delete every recording whose retention is over and that is not held",
		Long: `Delete every recording whose retention was over an hour before --at (default
now; the hour, recording.SweepMargin, keeps recordings their whole retention
on a host whose clock runs up to that much ahead) and that is not under a
legal hold: the media first (under --media-root), then the
metadata. A recording whose callee has a complaint not yet answered is held
for it first (complaint:<id>) and skipped, even one the complaint's own hold
missed; when the complaints cannot be read it is left in place (FAILED).
It is idempotent and finishes deletions an interrupted sweep began.
It reports what it deleted, what it skipped and why, and what failed (exit 1);
without --media-root a recording with media fails and is left as it was.
--at may be earlier than the real clock, never later: a sweep "as of" a future
instant would really delete recordings whose retention is not over (exit 2).
Audit: one recording.sweep change record before (requested) and one after
(applied, or failed) in the audit log of --data, with the count and the
SHA-256 of the ids (sorted, one a line) about to be deleted, then deleted;
when the first cannot be written nothing is deleted (exit 1).`,
		Args: argsUsage(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			now, err := parseAt("at", at)
			if err != nil {
				return err
			}
			// No skew allowed, unlike the --at of the commands that
			// record when something happened (parsePast): a sweep as of
			// even a second ahead deletes what the real clock still
			// keeps, and the host that deletes is the one whose clock
			// this is.
			if now.After(time.Now()) {
				return usageErr("--at: %s is after the current time; a sweep deletes for real, so it cannot run as of the future", at)
			}
			return a.withRecordings(cmd, *profile, false, profileWrites, func(m *recording.Manager) error {
				ctx := cmd.Context()
				due, err := m.Due(ctx, now)
				if err != nil {
					return failErr(err)
				}
				var rep recording.SweepReport
				var notRecorded error
				if len(due) > 0 {
					var refused error
					rep, err, notRecorded, refused = a.recordSweep(ctx, m, now, due)
					if refused != nil {
						return refused
					}
				}
				if perr := a.printSweepReport(rep, asJSON); perr != nil {
					return perr
				}
				if err != nil {
					return failErr(err)
				}
				return notRecorded
			})
		},
	}
	cmd.Flags().StringVar(&at, "at", "", "sweep as of this time, RFC 3339 (default now)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the report as JSON")
	return cmd
}

// printSweepReport prints a sweep's report: as JSON (recording.SweepReport,
// empty lists as [], never null), or one line of what was deleted and one
// per recording skipped or failed. recordings sweep and admin recordings
// sweep print theirs alike.
func (a *app) printSweepReport(rep recording.SweepReport, asJSON bool) error {
	if asJSON {
		if rep.Deleted == nil {
			rep.Deleted = []string{}
		}
		if rep.Skipped == nil {
			rep.Skipped = []recording.Skip{}
		}
		return a.printJSON(rep)
	}
	if len(rep.Deleted) == 0 {
		fmt.Fprintf(a.stdout, "deleted 0\n")
	} else {
		fmt.Fprintf(a.stdout, "deleted %d: %s\n", len(rep.Deleted), strings.Join(rep.Deleted, ", "))
	}
	for _, s := range rep.Skipped {
		fmt.Fprintf(a.stdout, "skipped %s: %s\n", s.ID, s.Reason)
	}
	for _, s := range rep.Failed {
		fmt.Fprintf(a.stdout, "FAILED  %s: %s\n", s.ID, s.Reason)
	}
	return nil
}

// recordSweep sweeps due (m.Due at now, not empty) as a change that loses
// records: recorded as requested first (recording.sweep: the count of the
// recordings it is about to delete and recording.IDsSHA256 of their ids), and
// refused when that cannot be recorded; then recorded as applied, or as
// failed when a deletion failed, with the count and recording.IDsSHA256 of the
// ids it deleted. One record for the whole sweep, never one per recording:
// a sweep may delete thousands, and the ids it deleted are its report's.
// sweepErr is the sweep's error; notRecorded and refused as
// app.recordThenApply's.
func (a *app) recordSweep(ctx context.Context, m *recording.Manager, now time.Time, due []recording.Recording) (rep recording.SweepReport, sweepErr, notRecorded, refused error) {
	ids := recording.DeletableIDs(due)
	ch, err := newCLIChange(auditlog.OpRecordingSweep, time.Now())
	if err != nil {
		return rep, nil, nil, err
	}
	ch.EffectiveAt, ch.Count, ch.SHA256 = now.UTC(), int64(len(ids)), recording.IDsSHA256(ids)
	l := a.openChangeLog(ctx)
	defer l.close()
	// The result's record names what was deleted (none when the sweep
	// did not run: its request failed), not what was due.
	rec := changeRecorderFunc(func(ctx context.Context, c auditlog.Change) error {
		if c.Result != auditlog.ResultRequested {
			c.Count, c.SHA256 = int64(len(rep.Deleted)), recording.IDsSHA256(rep.Deleted)
		}
		return l.RecordChange(ctx, c)
	})
	refused, sweepErr, notRecorded = a.recordThenApply(ctx, rec, ch, func() error {
		var err error
		rep, err = m.SweepDue(ctx, now, due)
		return err
	})
	return rep, sweepErr, notRecorded, refused
}

// changeRecorderFunc is an auditlog.ChangeRecorder made of a function.
type changeRecorderFunc func(context.Context, auditlog.Change) error

// RecordChange implements auditlog.ChangeRecorder.
func (f changeRecorderFunc) RecordChange(ctx context.Context, c auditlog.Change) error {
	return f(ctx, c)
}

// withRecordings opens --data with the profile and runs fn with its recording
// Manager. Only register (create) makes a store where there is none: the
// other commands act on recordings already registered, so without --config a
// --data holding no store is bad input (a mistyped path), not a new store
// and keys made there.
func (a *app) withRecordings(cmd *cobra.Command, profile string, create bool, use profileUse, fn func(*recording.Manager) error) error {
	if !create && a.fleet() == nil {
		path := filepath.Join(a.data, boltstore.DefaultFileName)
		if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
			return usageErr("--data: no store at %s (no recording was registered there)", path)
		}
	}
	st, err := a.openState(cmd, profile, use)
	if err != nil {
		return err
	}
	defer st.close()
	m, done, err := st.recordings(mediaRootFor(cmd))
	if err != nil {
		return err
	}
	defer done()
	return fn(m)
}
