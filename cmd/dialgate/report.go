package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/mod/sumdb/note"

	"github.com/dialgate/dialgate/auditlog"
	"github.com/dialgate/dialgate/internal/regfile"
	"github.com/dialgate/dialgate/internal/sidecar"
	"github.com/dialgate/dialgate/internal/zonename"
	"github.com/dialgate/dialgate/policy"
	"github.com/dialgate/dialgate/report"
	"github.com/dialgate/dialgate/storage"
	"github.com/dialgate/dialgate/storage/boltstore"
)

func (a *app) reportCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "report",
		Short: "Reports for regulators",
	}
	a.addFleetFlag(cmd)
	cmd.AddCommand(a.reportQuarterlyCmd())
	return cmd
}

func (a *app) reportQuarterlyCmd() *cobra.Command {
	var (
		quarter, format, out, tenant, zone, at string
		auditDirs, keys                        []string
		asJSON, sealed                         bool
	)
	cmd := &cobra.Command{
		Use:   "quarterly --quarter 2026Q4 [--format json|csv|html | --json] [--out FILE]",
		Short: "The quarterly report (CN-S16) from the audit log and the store in --data",
		Long: `The quarterly report (工信厅信管函〔2018〕337号 CN-S16, 按季度将治理工作情况总结报):
dials decided, allowed and denied by reason code, do-not-call additions by
source, complaints and their status, recordings kept, held and deleted, and the
policy versions in force. It reads the audit log in --data/audit and the store
in --data. Without --key it checks only the hash chain, and that no log holds
fewer records than its checkpoint file signs, which need no key:
run ` + "`dialgate audit verify`" + ` first to prove the log unedited, or give --key
(the log's public key, repeatable) to have every log directory verified as
audit verify does before anything is counted, and --sealed as well when no
sidecar is writing the logs (records after a log's last checkpoint are signed
by nothing: without --sealed they are counted; with it, so is a log file
that changes between its verification and its counting). With --key, the
records counted must be those verified: the first records of each log
must hash to the tree its last checkpoint signs, as verified, and with
--sealed there must be no more, whatever the files' sizes (a record edited
in place after the verification makes no report). A log that does
not verify makes no report (exit 1, naming the directory and the problem); an
audit log directory that does not exist (a mistyped --data or --audit) is bad
input (exit 2, naming the flag).
On a single host the store is locked while dialgate serve runs on --data: stop
the sidecar for the report, or report on a copy of the data directory taken
with it stopped (exit 1, naming the lock, otherwise).

In a fleet, give dialgate serve's --config (do-not-call entries, complaints and
recordings then come from the fleet's shared back-ends) and every sidecar's
audit log directory with --audit (each host keeps its own log).

Zone: the quarter runs from midnight to midnight in --zone. Without it, the
zone is ` + cnReportZone + ` (Beijing time, CN-S16's) when the profile of the data
(the one dialgate serve records in --data, cn when none is recorded, or the
profile of --config) is a cn profile (jurisdiction CN); on another profile's
data --zone is required (exit 2): the counts are the same for any profile,
but where a quarter starts and ends is the regulator's, not Beijing's.

--format json is the default; --json is the same as --format json.`,
		Args: argsUsage(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if quarter == "" {
				return usageErr("--quarter: missing (want e.g. 2026Q4)")
			}
			q, err := report.ParseQuarter(quarter)
			if err != nil {
				return usageErr("--quarter: %v", err)
			}
			if asJSON {
				if cmd.Flags().Changed("format") && format != "json" {
					return usageErr("--json and --format %s: choose one (--json is --format json)", format)
				}
				format = "json"
			}
			write := map[string]func(*report.Report, io.Writer) error{
				"json": (*report.Report).WriteJSON, "csv": (*report.Report).WriteCSV, "html": (*report.Report).WriteHTML,
			}[format]
			if write == nil {
				return usageErr("--format: unknown format %q (want json, csv or html)", format)
			}
			loc, err := a.reportZone(cmd, zone)
			if err != nil {
				return err
			}
			now, err := parseAt("at", at)
			if err != nil {
				return err
			}
			if sealed && len(keys) == 0 {
				return usageErr("--sealed: needs --key (the log's public key): only a verified log can be checked for unsealed records")
			}
			var (
				files    []string
				verified *report.Verification
				sizes    []int64
			)
			// With --key and without --sealed the files are listed once
			// verified (below): a live log rotated meanwhile would leave
			// the verified checkpoint signing records in a file not listed,
			// and the report failing on a log nobody changed.
			if len(keys) == 0 || sealed {
				if files, err = a.auditFiles(auditDirs); err != nil {
					return err
				}
			}
			if len(keys) > 0 {
				// The files are counted after they are verified: with
				// --sealed (no record signed by nothing) their sizes before
				// the verification must be theirs once counted. Without it
				// a live log's records written meanwhile are counted as
				// its other unsealed ones are.
				if sealed {
					if sizes, err = auditSizes(files); err != nil {
						return err
					}
				}
				if a.beforeReportVerify != nil {
					a.beforeReportVerify()
				}
				if verified, err = a.verifyAuditDirs(cmd.Context(), auditDirs, keys, sealed); err != nil {
					return err
				}
				if !sealed {
					if files, err = a.auditFiles(auditDirs); err != nil {
						return err
					}
				}
				if a.afterReportVerify != nil {
					a.afterReportVerify()
				}
			}
			src, closeSrc, err := a.reportSources(cmd.Context())
			if err != nil {
				return err
			}
			defer closeSrc()
			src.AuditFiles, src.Tenant, src.Verification = files, tenant, verified
			r, err := report.Build(cmd.Context(), q, loc, now, src)
			if err != nil {
				return failErr(err)
			}
			if sealed {
				if err := unchangedSince(files, sizes); err != nil {
					return err
				}
			}
			if out == "" {
				if err := write(r, a.stdout); err != nil {
					return failErr(err)
				}
				return nil
			}
			return writeReportFile(out, func(w io.Writer) error { return write(r, w) })
		},
	}
	f := cmd.Flags()
	f.StringVar(&quarter, "quarter", "", "the quarter, e.g. 2026Q4 (required)")
	f.StringVar(&format, "format", "json", "json, csv or html (a self-contained page with inline SVG charts)")
	f.BoolVar(&asJSON, "json", false, "the same as --format json (the default)")
	f.StringVar(&out, "out", "", "write to this file instead of stdout")
	f.StringVar(&tenant, "tenant", "", "only this tenant")
	f.StringVar(&zone, "zone", "", "IANA time zone of the quarter's boundaries, e.g. America/New_York (default "+cnReportZone+", Beijing time, when the profile of --data or --config is a cn profile; required otherwise)")
	f.StringVar(&at, "at", "", "report as of this time (overdue complaints), RFC 3339 (default now)")
	f.StringArrayVar(&auditDirs, "audit", nil, "an audit log directory to read, repeatable (default --data/audit; in a fleet, every sidecar's)")
	f.StringArrayVar(&keys, "key", nil, "verify every audit log directory first, as audit verify does, with this public key (or a file holding one); repeatable")
	f.BoolVar(&sealed, "sealed", false, "with --key: refuse records after a log's last checkpoint (no signature covers them): for logs no sidecar is writing")
	return cmd
}

// verifyAuditDirs verifies every audit log directory of a report (--data/audit
// when dirs is empty) as audit verify does: signatures with keys, each
// directory's checkpoint file as the trusted checkpoint when present, the
// cut files repairs saved, and, when sealed, no record after the last
// checkpoint. It returns what it verified, or the first failure, naming the
// directory.
func (a *app) verifyAuditDirs(ctx context.Context, dirs, keys []string, sealed bool) (*report.Verification, error) {
	var vs []note.Verifier
	v := &report.Verification{Sealed: sealed, Keys: []string{}, Logs: []report.VerifiedLog{}}
	for _, key := range keys {
		k, err := loadVerifier(key)
		if err != nil {
			return nil, usageErr("--key: %v", err)
		}
		if !hasKey(vs, k) {
			vs = append(vs, k)
			v.Keys = append(v.Keys, auditlog.KeyName(k.Name(), k.KeyHash()))
		}
	}
	flag := "--audit"
	if len(dirs) == 0 {
		dirs, flag = []string{filepath.Join(a.data, sidecar.AuditDir)}, "--data"
	}
	for _, dir := range dirs {
		// The checkpoint file is read before the files are listed: every
		// record it signs is then in a file listed, even when a sidecar
		// writing the log rotated it to a new file in between.
		// Checkpoint dates are judged against this machine's clock (not
		// --at, which may be the quarter's end), as audit verify does: a
		// log it refuses gives no report.
		opts := auditlog.VerifyOptions{Verifiers: note.VerifierList(vs...), Dir: dir, RequireSealed: sealed, Now: a.clock().Now()}
		if p := filepath.Join(dir, auditlog.CheckpointFile); fileExists(p) {
			var err error
			if opts.Trusted, err = regfile.ReadFile(p, 0); err != nil {
				return nil, failErr(fmt.Errorf("--key: audit log %s: %w", dir, err))
			}
		}
		files, err := auditlog.LogFiles(dir)
		if err != nil {
			return nil, auditDirErr(flag, dir, err)
		}
		if a.afterAuditListed != nil {
			a.afterAuditListed()
		}
		rep, err := auditlog.Verify(ctx, files, opts)
		if err != nil {
			return nil, failErr(fmt.Errorf("--key: audit log %s does not verify, no report made: %w (see dialgate audit verify)", dir, err))
		}
		cuts, err := unrecordedCuts(dir, rep)
		if err != nil {
			return nil, failErr(err)
		}
		if len(cuts) > 0 {
			return nil, failErr(fmt.Errorf("--key: audit log %s does not verify, no report made: %s holds bytes cut off the log that no repair record names (see dialgate audit verify)", dir, cuts[0]))
		}
		l := report.VerifiedLog{Dir: dir, Records: rep.Records, TreeSize: rep.Tree.N, Unsealed: rep.Unsealed}
		if rep.Tree.N > 0 {
			l.TreeHash = rep.Tree.Hash.String()
		}
		v.Logs = append(v.Logs, l)
	}
	return v, nil
}

// auditSizes returns the size of each audit log file of a report.
func auditSizes(files []string) ([]int64, error) {
	sizes := make([]int64, len(files))
	for i, f := range files {
		st, err := os.Stat(f)
		if err != nil {
			return nil, failErr(fmt.Errorf("--key: audit log: %w", err))
		}
		sizes[i] = st.Size()
	}
	return sizes, nil
}

// unchangedSince returns an error naming the first file of files whose size
// is no longer sizes[i] (taken before the logs were verified): the report
// counted records, appended since (a sidecar still writing the log), that
// the verification did not see.
func unchangedSince(files []string, sizes []int64) error {
	for i, f := range files {
		st, err := os.Stat(f)
		if err != nil {
			return failErr(fmt.Errorf("--key: audit log: %w", err))
		}
		if st.Size() != sizes[i] {
			return failErr(fmt.Errorf("--key: audit log file %s changed while the report was made (%d bytes when verified, %d when counted): records written after the verification would be counted unverified, no report made; stop the sidecar writing it, or report on a copy of the log", f, sizes[i], st.Size()))
		}
	}
	return nil
}

// writeReportFile writes a report to path through a temporary file in its
// directory, synced and renamed into place: a report that fails half-way
// (a full disk, an error closing the file) leaves no partial file under
// path that could pass for the whole report, and an existing one untouched.
func writeReportFile(path string, write func(io.Writer) error) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return usageErr("--out: %v", err)
	}
	tmp := f.Name()
	err = write(f)
	if err == nil {
		err = f.Chmod(0o640)
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		_ = os.Remove(tmp)
		return failErr(fmt.Errorf("--out %s: %w (no report written)", path, err))
	}
	return nil
}

// auditDirErr is the error of a report's audit log directory dir that
// could not be listed, named by the flag that gave it (--data or --audit):
// one that does not exist is a mistyped path, bad input (exit 2); any
// other failure exit 1.
func auditDirErr(flag, dir string, err error) error {
	if errors.Is(err, fs.ErrNotExist) {
		return usageErr("%s: audit log %s: %v (no such directory: a mistyped path?)", flag, dir, err)
	}
	return failErr(fmt.Errorf("%s: audit log %s: %w", flag, dir, err))
}

// auditFiles lists the log files of every directory in dirs (--data/audit
// when there is none), each directory's in order.
func (a *app) auditFiles(dirs []string) ([]string, error) {
	flag := "--audit"
	if len(dirs) == 0 {
		dirs, flag = []string{filepath.Join(a.data, sidecar.AuditDir)}, "--data"
	}
	var files []string
	for _, dir := range dirs {
		fs, err := auditlog.LogFiles(dir)
		if err != nil {
			return nil, auditDirErr(flag, dir, err)
		}
		if len(fs) == 0 {
			return nil, failErr(fmt.Errorf("%s: the audit log %s has no files", flag, dir))
		}
		files = append(files, fs...)
	}
	return files, nil
}

// reportSources opens the stores a report counts do-not-call additions,
// complaints and recordings in: the store in --data, or with --config the
// fleet's shared back-ends where the config names them.
func (a *app) reportSources(ctx context.Context) (report.Sources, func(), error) {
	if fleet := a.fleet(); fleet != nil {
		if fleet.Postgres == "" {
			return report.Sources{}, nil, usageErr("--config: %s names no postgres: a fleet keeps its recordings and complaints in PostgreSQL", a.fleetConfig)
		}
		var deps policy.Deps
		complaints, closeShared, err := sidecar.OpenShared(ctx, *fleet, &deps)
		if err != nil {
			return report.Sources{}, nil, failErr(fmt.Errorf("--config: %w", err))
		}
		return report.Sources{DNC: deps.DNC, Complaints: complaints, Recordings: deps.Recordings}, func() { closeShared() }, nil
	}
	path := filepath.Join(a.data, boltstore.DefaultFileName)
	if _, err := os.Stat(path); err != nil {
		return report.Sources{}, nil, failErr(fmt.Errorf("--data: %w", err))
	}
	s, err := boltstore.Open(path, boltstore.Options{})
	if errors.Is(err, storage.ErrLocked) {
		// The do-not-call entries, complaints and recordings are read from
		// the store, which a running sidecar holds; its audit log is not
		// locked (audit verify reads it while it runs).
		return report.Sources{}, nil, failErr(fmt.Errorf("--data: %w; a dialgate serve running on this --data holds the store: stop it first, or report on a copy of the data directory taken with the sidecar stopped (docs/deploy.md)", err))
	}
	if err != nil {
		return report.Sources{}, nil, failErr(fmt.Errorf("--data: %w", err))
	}
	return report.Sources{DNC: s, Complaints: s, Recordings: s}, func() { s.Close() }, nil
}

// cnReportZone is the zone of a cn profile's quarterly report (CN-S16):
// Beijing time.
const cnReportZone = "Asia/Shanghai"

// reportZone returns the zone of a quarterly report's bounds: --zone when
// given (zone); else cnReportZone when the profile of the data is a cn
// profile (jurisdiction CN): the profile of --config, else the one dialgate
// serve recorded in --data, else the default profile (cn) when none is
// recorded. On another profile's data, or one whose profile is unknown,
// --zone is required (exit 2): its quarters in Beijing time would be wrong
// without a word.
func (a *app) reportZone(cmd *cobra.Command, zone string) (*time.Location, error) {
	if cmd.Flags().Changed("zone") {
		if zone == "" {
			return nil, usageErr("--zone: empty (want an IANA time zone, e.g. %s or America/New_York)", cnReportZone)
		}
		if p := zonename.NoPlace(zone); p != "" {
			// "Local", "localtime"...: the bounds (and every count) would
			// change with the machine.
			return nil, usageErr("--zone: %q is %s: name the zone of the quarters you report (e.g. %s or America/New_York)", zone, p, cnReportZone)
		}
		loc, err := time.LoadLocation(zone)
		if err != nil {
			return nil, usageErr("--zone: %v", err)
		}
		return loc, nil
	}
	const give = "give --zone with the zone of the quarters you report (your regulator's, e.g. America/New_York)"
	name, whose := sidecar.DefaultProfile, ""
	if fleet := a.fleet(); fleet != nil {
		name, whose = fleet.WithDefaults().Profile, "the profile of --config "+a.fleetConfig
	} else {
		file := filepath.Join(a.data, sidecar.DataProfileFile)
		rec, found, err := sidecar.ReadDataProfile(a.data)
		if err != nil {
			return nil, usageErr("--zone: required: %v: the profile dialgate serve runs on this --data is unknown, so is whether the default %s (Beijing time, cn's) is its report's zone; %s", err, cnReportZone, give)
		}
		if found {
			name, whose = rec.Profile, "the profile dialgate serve runs on this --data (recorded in "+file+")"
		}
	}
	if whose == "" {
		// No profile recorded: the profile commands on --data assume, as
		// dialgate serve does by default.
		return time.LoadLocation(cnReportZone)
	}
	p, err := policy.Load(name)
	if err != nil {
		return nil, usageErr("--zone: required: %s, %s, does not load (%v), so whether the default %s (Beijing time, cn's) is its report's zone is unknown; %s", whose, name, err, cnReportZone, give)
	}
	if j := p.Jurisdiction; j != "CN" && !strings.HasPrefix(j, "CN-") {
		return nil, usageErr("--zone: required: %s is %s (jurisdiction %q), not a cn profile: the default %s (Beijing time) is the zone of cn's quarterly report (CN-S16), and this data's quarters in it would be cut at Beijing midnight; %s",
			whose, name, j, cnReportZone, give)
	}
	return time.LoadLocation(cnReportZone)
}
