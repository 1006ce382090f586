package sidecar

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/auditlog"
	"github.com/dialgate/dialgate/dnc"
	"github.com/dialgate/dialgate/internal/durable"
	"github.com/dialgate/dialgate/placedguard"
	"github.com/dialgate/dialgate/policy"
	"github.com/dialgate/dialgate/schedule"
	"github.com/dialgate/dialgate/storage"
	"github.com/dialgate/dialgate/storage/boltstore"
)

// Files and directories Open uses inside Config.Data.
const (
	// AuditDir is the audit log's directory.
	AuditDir = "audit"
	// KeysDir holds the audit log's keys, created on first start (mode 0600).
	KeysDir = "keys"
	// HMACKeyFile is the hex key of the callee hash in audit records.
	HMACKeyFile = "audit-hmac.key"
	// SignerKeyFile is the ed25519 note signer key of audit checkpoints;
	// SignerPubFile is its public key, for auditors.
	SignerKeyFile = "audit-signer.key"
	SignerPubFile = "audit-signer.pub"
	// RetiredSignerPubFile, optional, holds the public keys (one a line;
	// blank and # lines ignored) of signer keys retired by a rotation: the
	// audit log's checkpoints they signed are still accepted when the log
	// is opened (auditlog.Options.Verifiers). Never created.
	RetiredSignerPubFile = "audit-signer-retired.pub"
)

// Open builds the Backend `dialgate serve` runs on: the boltstore file
// (boltstore.DefaultFileName) and the audit log in cfg.Data (created if
// needed, with fresh keys on first start, see LoadKeys), the profile
// cfg.Profile (built-in name or file) turned into checks by policy.Checks with
// policy.StoreDeps(store, the audit HMAC key) — so the callee hash is the same
// in audit records, counters, recordings and complaints — and the Gate over
// them with the audit log. Close flushes the audit log and closes the store.
//
// Every check the profile configures is wired, and every AdminService domain
// the store and profile support: do-not-call entries and complaints through
// the profile's *dnc.Check, the caller-ID ledger (reloading the callerid
// check), recordings through the recording check's Manager (the 30-day floor
// without a recording section), consents. A domain that cannot be wired
// answers Unimplemented saying why (Backend.Unwired).
//
// The frequency counter keys of the profile are kept in CounterHistoryFile:
// a start whose profile changed a cap's longest window or a pause's window
// (logged at Warn) keeps counting the calls and outcomes counted under the
// earlier keys until they have left every window (schedule.WithCounterHistory).
// Each host of a fleet keeps its own file and carries the earlier keys from
// its own start with the new profile.
//
// The profile it runs is recorded in DataProfileFile (name, policy version,
// and the built-in name or the absolute path it was given as), replaced when
// a start's profile differs: the CLI commands on the same data directory
// default to it.
//
// A profile or registry snapshot that does not load is an error wrapping
// ErrConfig, returned before the data directory is made.
func Open(ctx context.Context, cfg Config, log *slog.Logger) (*Backend, error) {
	cfg = cfg.WithDefaults()
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	prof, profFiles, err := policy.LoadWithFiles(cfg.Profile)
	if err != nil {
		return nil, fmt.Errorf("%w: profile: %w", ErrConfig, err)
	}
	if err := checkProfileFiles(profFiles); err != nil {
		return nil, err
	}
	// The registry snapshots are the operator's input: one missing or
	// damaged is refused before the data directory and its keys are made.
	regs, err := dnc.LoadRegistries(cfg.Registries...)
	if err != nil {
		return nil, fmt.Errorf("%w: registries: %w", ErrConfig, err)
	}
	// So is a copy of a registry the profile requires that applies in a
	// narrower scope than every dial (dnc build --scope by mistake).
	if err := checkRequiredScopes(cfg, prof, regs); err != nil {
		return nil, err
	}
	// So is a copy cut short or swapped for other numbers since the copy
	// last in force (recorded in the data directory, with a sample of its
	// numbers): the reload that would have refused it did not run. So is a
	// damaged record of it.
	marks, err := checkStartShrink(cfg, regs)
	if err != nil {
		return nil, err
	}
	// So is the blackouts file.
	if cfg.BlackoutsFile != "" {
		if err := checkBlackoutsFile(cfg.BlackoutsFile); err != nil {
			return nil, fmt.Errorf("%w: %w", ErrConfig, err)
		}
	}
	// A new data directory is made durable in its parent: the files fsynced
	// inside it do not keep the directory itself.
	if err := durable.MkdirAll(cfg.Data, 0o700, syncDir); err != nil {
		return nil, fmt.Errorf("data: %w", err)
	}
	storePath := filepath.Join(cfg.Data, boltstore.DefaultFileName)
	// A data directory whose store existed before this start may come from
	// a build whose counter keys named no window (in its store, or in the
	// fleet's it shared). A new one does not carry them: every dial would
	// be counted under a second key for a month, for nothing.
	_, statErr := os.Lstat(storePath)
	earlierCounters := statErr == nil
	// data is relative to the working directory: a sidecar restarted from
	// another one starts on a new, empty store, with none of the opt-outs,
	// revocations and ledger entries taken through the old one. Say so.
	if _, err := os.Lstat(storePath); errors.Is(err, fs.ErrNotExist) {
		abs, aerr := filepath.Abs(cfg.Data)
		if aerr != nil {
			abs = cfg.Data
		}
		log.Warn("sidecar: new data directory: starting on an empty store, without the opt-outs, consents, ledger entries and counters of any other data directory; if this sidecar ran before, stop it and start it on its earlier data (a relative data path is relative to the working directory)", "data", abs)
	}
	if err := CheckStoreKey(cfg.Data, cfg.HMACKeyFile); err != nil {
		return nil, err
	}
	store, err := boltstore.Open(storePath, boltstore.Options{})
	if err != nil {
		return nil, fmt.Errorf("data: %w", err)
	}
	var closers []func() error
	closers = append(closers, store.Close)
	fail := func(err error) (*Backend, error) {
		for i := len(closers) - 1; i >= 0; i-- {
			_ = closers[i]()
		}
		return nil, err
	}
	alog, hkey, err := openAuditLog(ctx, cfg.Data, cfg.HMACKeyFile, prof.Name, cfg.AuditLogID, false, log)
	if err != nil {
		return fail(err)
	}
	logAt := len(closers)
	closers = append(closers, alog.Close)
	audit := &watchedAudit{Log: alog}

	// One key for the audit records, the counters, the recordings and the
	// complaints, so a callee's keyed hash is the same in all of them. The
	// fleet back-ends in cfg (Redis, PostgreSQL), if any, then replace the
	// stores they share.
	deps, err := policy.StoreDeps(store, hkey)
	if err != nil {
		return fail(fmt.Errorf("audit keys: %w", err))
	}
	probes, sharedComplaints, err := openShared(ctx, cfg, &deps, &closers)
	if err != nil {
		return fail(err)
	}
	if err := warnStranded(ctx, store, deps, sharedComplaints != nil, cfg, log); err != nil {
		return fail(err)
	}
	warnRedisConsents(ctx, deps, cfg, log)
	// The embedded store's sweep runs, when it keeps them: damage found in
	// their records denies every dial a run rule judges, so it is told at
	// once and fails the store's health probe.
	runsErr := func() error { return nil }
	if rs, ok := deps.Runs.(*boltstore.Store); ok && rs == store {
		runsErr = store.RunsErr
		if err := runsErr(); err != nil {
			log.Error("sidecar: the embedded store's sweep run records are damaged: every dial a sweep run rule judges is denied (sweep.unavailable) until the store is repaired", "err", err)
		}
	}
	// The audit log closes (its last records sealed by a checkpoint) before
	// the shared stores: a pgx pool's Close waits up to 15 s for connections
	// to a PostgreSQL that stopped answering, longer than an orchestrator's
	// grace period may last. Nothing writes the log once the server has
	// stopped.
	closers = append(slices.Delete(closers, logAt, logAt+1), alog.Close)
	if cfg.Redis != "" && !cfg.requireAOF() {
		log.Warn("sidecar: redis_require_aof is false: a Redis restart without an append-only file forgets the fleet's opt-outs and cap counters")
	}
	var journal func() boltstore.JournalStats
	if deps.Counters == storage.Counters(store) {
		journal = store.JournalStats
	}
	for _, r := range regs {
		deps.DNCRegistries = append(deps.DNCRegistries, r)
		log.Info("sidecar: registry loaded", "registry", r.Name(), "as_of", r.Snapshot().Header.AsOf, "count", r.Snapshot().Len())
	}
	// The frequency check carries the counts of counter keys an earlier
	// profile used (a changed cap or pause window); the history is written
	// back once the backend is built.
	started := time.Now()
	history, writeHistory, err := counterHistory(cfg.Data, prof, started, earlierCounters, log)
	if err != nil {
		return fail(err)
	}
	deps.CounterHistory = &history
	if ex, ok := deps.Counters.(counterExpiryExtender); ok {
		if err := extendCarriedCounters(ctx, ex, history, frequencyOf(prof), started, log); err != nil {
			return fail(err)
		}
	}
	var expiry *expiryStats
	// While a lengthened window is carried, the entries recorded under the
	// earlier key with its shorter window are kept for the new one.
	if ex, delay := counterExpiry(deps, store, counterExpiryDelay(history, frequencyOf(prof))); ex != nil {
		expiry = &expiryStats{}
		closers = append(closers, expireCounters(ex, journal, delay, time.Hour, log, expiry))
	}
	// The frequency check counts every cap over its window plus the allow
	// lifetime the Gate is given below (a call may be placed that long
	// after its decision); dialgate.New refuses a Gate whose lifetime is
	// longer.
	deps.AllowLifetime = time.Duration(cfg.AllowLifetime)
	checks, err := policy.Checks(prof, deps)
	if err != nil {
		return fail(err)
	}
	opts := []dialgate.Option{
		dialgate.WithPolicyVersion(prof.Version()),
		dialgate.WithAuditLog(audit),
		dialgate.WithLogger(log),
		dialgate.WithShadowMode(cfg.Shadow),
	}
	if cfg.AllowLifetime > 0 {
		opts = append(opts, dialgate.WithAllowLifetime(time.Duration(cfg.AllowLifetime)))
	}
	if cfg.CheckTimeout > 0 {
		opts = append(opts, dialgate.WithCheckTimeout(time.Duration(cfg.CheckTimeout)))
	}
	// The guard that refuses the Release of a decision whose call was
	// placed lives in the counters the fleet shares (its own store for a
	// sidecar alone): it holds on every sidecar, and across restarts.
	guard, err := placedguard.New(deps.Counters, policy.GuardWindow(prof))
	if err != nil {
		return fail(fmt.Errorf("release guard: %w", err))
	}
	afterRelease := &afterReleaseHook{}
	opts = append(opts, dialgate.WithPlacedGuard(guard), dialgate.WithOutcomeAfterRelease(afterRelease.call))
	gate, err := dialgate.New(checks, opts...)
	if err != nil {
		return fail(err)
	}
	be := &Backend{
		Gate:         gate,
		Changes:      audit,
		afterRelease: afterRelease,
		Probes: []Probe{
			{Name: "store", Check: func(ctx context.Context) error {
				if err := store.Ping(ctx); err != nil {
					return err
				}
				if _, err := store.Usage(ctx, time.Now(), nil); err != nil {
					return err
				}
				return runsErr()
			}},
			{Name: "audit", Check: audit.check},
		},
		Close: func(context.Context) error {
			var errs []error
			for i := len(closers) - 1; i >= 0; i-- {
				errs = append(errs, closers[i]())
			}
			return errors.Join(errs...)
		},
	}
	be.Probes = append(be.Probes, probes...)
	if len(regs) > 0 {
		rf := newRegistryFiles(cfg.Registries, regs, marks, cfg.maxShrink(), cfg.Data, log)
		be.ReloadRegistries, be.CheckRegistries, be.RegistriesRefused = rf.Reload, rf.Check, rf.refused
	}
	if cfg.BlackoutsFile != "" {
		db, err := newDeclaredBlackouts(cfg.BlackoutsFile, prof.Name, checks, log, nil)
		if err != nil {
			return fail(err)
		}
		be.ReloadBlackouts, be.blackouts = db.Reload, db
		be.Probes = append(be.Probes, Probe{Name: reloadBlackouts, Check: db.check})
	}
	wireDNC(be, prof.Name, checks)
	if be.SnapshotAges != nil {
		for _, a := range be.SnapshotAges(started) {
			if a.Missing {
				log.Warn("sidecar: no copy of a registry the profile requires is loaded: every dial the dnc check judges is denied (dnc.registry_stale) until one is; give its snapshot file in registries (or --registry)",
					"registry", a.List, "profile", prof.Name)
			}
		}
	}
	wireLedger(be, checks, deps.Ledger)
	rm, err := wireRecordings(be, prof, checks, deps)
	if err != nil {
		return fail(err)
	}
	var complaints any = store
	if sharedComplaints != nil {
		complaints = sharedComplaints
	}
	if err := wireComplaints(be, prof, checks, complaints, rm, deps.CalleeHasher, log); err != nil {
		return fail(err)
	}
	wireConsent(be, deps.Consents)
	be.HolidayDataLeft = holidayDataLeft(prof)
	if cs, ok := deps.Counters.(interface{ CounterSize() (int, int) }); ok {
		be.CounterSize = cs.CounterSize
	}
	be.CounterJournal = journal
	if expiry != nil {
		be.CounterExpiry = expiry.snapshot
	}
	if err := writeHistory(); err != nil {
		return fail(err)
	}
	// The CLI commands on this data directory follow the profile it is
	// served under (their records' retention, holds and deadlines).
	if err := recordDataProfile(cfg.Data, cfg.Profile, prof, cfg.SharedBackends(), cfg.AllowLifetime, started, log); err != nil {
		return fail(err)
	}
	// The next start compares its registry copies with these. No dial is
	// judged with them before Open returns, so the record is written
	// before they are in force, as at a reload; a record that cannot be
	// written stops the start (the next start would compare with an older
	// record, or none).
	if err := recordRegistryCopies(cfg.Data, recordedRegistries(cfg.Registries, regs, marks), started); err != nil {
		return fail(fmt.Errorf("registries: the copies loaded cannot be recorded for the next start to compare with, so this start is refused: %w", err))
	}
	log.Info("sidecar: profile loaded", "profile", prof.Name, "policy_version", prof.Version(),
		"checks", strings.Join(gate.CheckNames(), ","), "data", cfg.Data)
	for _, w := range policy.Lint(prof, time.Now()) {
		log.Warn("sidecar: profile needs attention", "profile", prof.Name, "warning", w.String())
	}
	return be, nil
}

// watchedAudit is the Gate's audit log, keeping its first terminal failure
// for the health probe: after a write or fsync failed (a full disk, an I/O
// error) every later record fails too, and every dial is denied with
// audit.unavailable until the sidecar is restarted.
type watchedAudit struct {
	*auditlog.Log
	failed atomic.Pointer[error]
}

// RecordDecision implements dialgate.AuditLog.
func (w *watchedAudit) RecordDecision(ctx context.Context, d dialgate.Decision) error {
	return w.note(w.Log.RecordDecision(ctx, d))
}

// RecordOutcome implements dialgate.AuditLog.
func (w *watchedAudit) RecordOutcome(ctx context.Context, o dialgate.Outcome) error {
	return w.note(w.Log.RecordOutcome(ctx, o))
}

// RecordChange implements ChangeRecorder.
func (w *watchedAudit) RecordChange(ctx context.Context, c auditlog.Change) error {
	return w.note(w.Log.RecordChange(ctx, c))
}

func (w *watchedAudit) note(err error) error {
	if err != nil && (errors.Is(err, auditlog.ErrFailed) || errors.Is(err, auditlog.ErrClosed)) {
		// A copy, declared here: taking err's own address would move it to
		// the heap on every call, an allocation per decision.
		failed := err
		w.failed.CompareAndSwap(nil, &failed)
	}
	return err
}

// check is the "audit" probe: the log has not failed and its directory is
// there.
func (w *watchedAudit) check(context.Context) error {
	if err := w.failed.Load(); err != nil {
		return *err
	}
	_, err := os.Stat(w.Dir())
	return err
}

// holidayDataLeft reports how far each holiday calendar series of prof
// reaches (schedule.CoverageFrom), or is nil when prof has no holidays.
func holidayDataLeft(prof *policy.Profile) func(time.Time) []HolidayDataLeft {
	if prof.Schedule == nil || prof.Schedule.Holidays == nil {
		return nil
	}
	var cals []*schedule.Calendar
	for _, name := range prof.Schedule.Holidays.AllCalendars() {
		if c, ok := schedule.CalendarByName(name); ok {
			cals = append(cals, c)
		}
	}
	return func(now time.Time) []HolidayDataLeft {
		y, m, d := now.Date()
		today := time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
		var out []HolidayDataLeft
		for _, sc := range schedule.CoverageFrom(y, cals...) {
			through := sc.Through
			if through.IsZero() { // no data up to this year: ended last year at the latest
				through = time.Date(y-1, 12, 31, 0, 0, 0, 0, time.UTC)
			}
			out = append(out, HolidayDataLeft{Series: sc.Series, Days: int(through.Sub(today).Hours() / 24)})
		}
		return out
	}
}

// OpenAuditLog opens the audit log of the data directory data (DIR/audit,
// with the keys in DIR/keys, created on first use) for profile, as `dialgate
// serve` does, and returns it with the HMAC key that pseudonymises callees.
// hmacKeyFile, when set, is a fleet's shared HMAC key (see LoadKeysFile).
// The log keeps the identity its checkpoints carry, and a log that carries
// none yet is left without one (auditlog.Options.NoNewLogID): the sidecar's
// audit_log_id gives it at its next start.
func OpenAuditLog(ctx context.Context, data, hmacKeyFile, profile string) (*auditlog.Log, []byte, error) {
	return openAuditLog(ctx, data, hmacKeyFile, profile, "", true, nil)
}

// openAuditLog is OpenAuditLog with the log identity logID (Config.AuditLogID;
// empty: the log's own, or a random one unless noNewID). With repairLog set
// (`dialgate serve`), a log a crash left with a torn last line (or a power
// cut with zeros in its last write: auditlog.TornError), or with a
// cut an interrupted repair saved but did not record, is repaired first
// (auditlog.Repair: the cut bytes are saved beside the file and a repair
// record in the log names them) and the repair logged at Warn: the torn
// records were never acknowledged (a decision is answered only once its
// record is synced), so a sidecar restarted after a kill -9 or an
// out-of-memory kill starts again by itself. Without it such a log is an
// error naming `dialgate audit repair`.
func openAuditLog(ctx context.Context, data, hmacKeyFile, profile, logID string, noNewID bool, repairLog *slog.Logger) (*auditlog.Log, []byte, error) {
	k, err := LoadKeysFile(data, hmacKeyFile)
	if err != nil {
		return nil, nil, err
	}
	dir := filepath.Join(data, AuditDir)
	opts := auditlog.Options{
		HMACKey: k.HMAC, HMACKeyID: k.HMACKeyID, Signer: k.Signer, Verifiers: k.Retired, Profile: profile, LogID: logID, NoNewLogID: noNewID,
	}
	if repairLog != nil {
		// dialgate serve writes the log for days: seal its records within
		// a minute, not only every few thousand records and at Close.
		opts.CheckpointInterval = auditlog.DefaultServeCheckpointInterval
	}
	l, err := auditlog.Open(ctx, dir, opts)
	var unrecorded *auditlog.UnrecordedCutError
	if repairLog != nil && (errors.Is(err, auditlog.ErrTorn) || errors.As(err, &unrecorded)) {
		repairLog.Warn("sidecar: audit log left incomplete by a crash; repairing it", "err", err)
		recs, rerr := auditlog.Repair(ctx, dir, opts)
		if rerr != nil {
			return nil, nil, fmt.Errorf("audit log: %w; repair failed: %w (run `dialgate audit repair --data %s`)", err, rerr, data)
		}
		for _, r := range recs {
			logRepair(repairLog, dir, r)
		}
		l, err = auditlog.Open(ctx, dir, opts)
	}
	if errors.Is(err, auditlog.ErrTorn) {
		return nil, nil, fmt.Errorf("audit log: %w (after a crash: stop, run `dialgate audit repair --data %s`, then start again)", err, data)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("audit log: %w%s", err, CheckpointErrorHint(err, data))
	}
	return l, k.HMAC, nil
}

// CheckpointErrorHint returns, for an error holding an
// auditlog.CheckpointError of a checkpoint line of the audit log in data
// signed by no key Open trusts, what to add to it: where a sidecar lists
// the keys a rotation retired. "" for any other error (a checkpoint of a
// trusted key dated ahead of the clock, or signing another tree, is no
// rotation's doing).
func CheckpointErrorHint(err error, data string) string {
	var ce *auditlog.CheckpointError
	if !errors.As(err, &ce) || len(ce.UnknownKeys) == 0 {
		return ""
	}
	return fmt.Sprintf(" (if %s is a signing key since replaced in %s, add its public key, as its %s held it, to %s; otherwise someone wrote the checkpoint into the log: run `dialgate audit verify %s --key <the log's public keys>`)",
		strings.Join(ce.UnknownKeys, ", "), filepath.Join(data, KeysDir), SignerPubFile, filepath.Join(data, KeysDir, RetiredSignerPubFile), filepath.Join(data, AuditDir))
}

// logRepair logs the repair r that openAuditLog made at start, with what
// `dialgate audit verify` reports of its saved bytes (read back from dir, as
// verify reads them): zero_bytes and whole_records of a torn write with
// unwritten (zero) blocks (0 for a torn last line), and whole_record when
// they are not part of one line (a whole record, its newline missing or
// replaced, or whole lines), also logged at Error
// in verify's words: a crash leaves part of a line, and an acknowledged
// record may have been made to look torn. The sidecar starts all the same
// (a record is acknowledged only once its line, newline included, is
// synced: see docs/auditors.md); saved bytes that cannot be read back are
// logged at Error too (audit verify will fail on them).
func logRepair(log *slog.Logger, dir string, r auditlog.RepairRecord) {
	attrs := []any{"file", r.File, "offset", r.Offset, "bytes", r.CutBytes, "saved_as", r.SavedAs}
	z, _, zerr := auditlog.SavedZeroedWrite(dir, r)
	whole, werr := auditlog.SavedWholeRecord(dir, r)
	if err := errors.Join(zerr, werr); err != nil {
		log.Warn("sidecar: audit log repaired: unacknowledged bytes cut off and saved, a repair record appended", attrs...)
		log.Error("sidecar: audit log repaired, but the bytes it saved could not be read back: starting all the same (run `dialgate audit verify`)",
			append(attrs, "err", err)...)
		return
	}
	log.Warn("sidecar: audit log repaired: unacknowledged bytes cut off and saved, a repair record appended",
		append(attrs, "zero_bytes", z.ZeroBytes, "zeroed_write_records", z.WholeRecords, "whole_record_cut", whole)...)
	if whole {
		log.Error(fmt.Sprintf("sidecar: WARNING: the repair that cut %d bytes off %s at offset %d (saved as %s) cut a whole record or line, not part of one: a crash leaves part of a line; an acknowledged record may have been made to look torn",
			r.CutBytes, r.File, r.Offset, r.SavedAs), attrs...)
	}
}

// writeNew creates path with mode 0600 and content s, durably; it fails if
// path exists.
func writeNew(path, s string) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("audit keys: %w", err)
	}
	if _, err := f.WriteString(s); err != nil {
		f.Close()
		return fmt.Errorf("audit keys: %w", err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("audit keys: %w", err)
	}
	return f.Close()
}

// expireOnce expires ex's counter entries as of now minus delay(now) (as of
// now when delay is nil).
func expireOnce(ctx context.Context, ex storage.CounterExpirer, now time.Time, delay func(time.Time) time.Duration) (int, error) {
	if delay != nil {
		now = now.Add(-delay(now))
	}
	return ex.ExpireCounters(ctx, now)
}

// counterExpiry returns what the periodic counter expiry runs on, and how
// much earlier than now (given delay, counterExpiryDelay's), or nil when the
// counters of deps do not expire that way (Redis keys expire on their own).
// A fleet's store (PostgreSQL: counters other than the embedded store's)
// also expires its sequential runs, a day earlier (fleetExpirySlack).
func counterExpiry(deps policy.Deps, embedded storage.Counters, delay func(time.Time) time.Duration) (storage.CounterExpirer, func(time.Time) time.Duration) {
	ex, ok := deps.Counters.(storage.CounterExpirer)
	if !ok {
		return nil, nil
	}
	if deps.Counters == embedded {
		return ex, delay
	}
	return fleetExpirer(ex, deps.Runs), withSlack(delay, fleetExpirySlack)
}

// fleetExpirySlack is how much earlier than now the periodic expiry of a
// fleet's store (PostgreSQL) is made as of, on top of counterExpiryDelay:
// the hosts' clocks may differ, and an entry one host's window still counts
// must not be deleted by another's expiry. Redis keys keep the same slack
// (redisstore.Options.KeyTTLSlack).
const fleetExpirySlack = 24 * time.Hour

// runExpirer is a store that keeps sequential runs and expires them
// (storage/pgstore).
type runExpirer interface {
	ExpireRuns(ctx context.Context, t time.Time) (int, error)
}

// fleetExpirer returns ex, which also expires runs when they are kept in a
// store that expires them (runs).
func fleetExpirer(ex storage.CounterExpirer, runs storage.Runs) storage.CounterExpirer {
	rx, ok := runs.(runExpirer)
	if !ok {
		return ex
	}
	return sharedExpirer{counters: ex, runs: rx}
}

// sharedExpirer expires a fleet store's counter entries and run records as of
// the same instant, and reports how many of both it removed.
type sharedExpirer struct {
	counters storage.CounterExpirer
	runs     runExpirer
}

// ExpireCounters expires the counter entries, then the run records, as of t
// (storage.CounterExpirer); the count is of both, and a failure of the runs'
// expiry is named as such.
func (e sharedExpirer) ExpireCounters(ctx context.Context, t time.Time) (int, error) {
	n, err := e.counters.ExpireCounters(ctx, t)
	if err != nil {
		return n, err
	}
	m, err := e.runs.ExpireRuns(ctx, t)
	if err != nil {
		return n + m, fmt.Errorf("sequential runs: %w", err)
	}
	return n + m, nil
}

// withSlack returns delay plus slack (slack alone when delay is nil).
func withSlack(delay func(time.Time) time.Duration, slack time.Duration) func(time.Time) time.Duration {
	return func(now time.Time) time.Duration {
		if delay == nil {
			return slack
		}
		return delay(now) + slack
	}
}

// expiryStats is what the periodic expiry did, for /metrics.
type expiryStats struct {
	removed  atomic.Int64
	failing  atomic.Bool
	lastOKNs atomic.Int64
}

// ExpiryStats is a snapshot of the periodic counter expiry.
type ExpiryStats struct {
	// Removed is how many entries (counter entries, and run records in a
	// fleet's PostgreSQL) it removed since start.
	Removed int64
	// Failing reports that its last run failed.
	Failing bool
	// LastSuccess is when its last run that succeeded ended (zero: none yet).
	LastSuccess time.Time
}

func (s *expiryStats) snapshot() ExpiryStats {
	out := ExpiryStats{Removed: s.removed.Load(), Failing: s.failing.Load()}
	if ns := s.lastOKNs.Load(); ns != 0 {
		out.LastSuccess = time.Unix(0, ns)
	}
	return out
}

// expireCounters drops, every interval, the counter entries no limit can count
// any more (callees never called again), so the store does not grow without
// bound. Reserve prunes only the keys it touches. delay, if not nil, says how
// much earlier than now each expiry is made as of (see counterExpiryDelay,
// fleetExpirySlack). stats, if not nil, records each run. The returned
// function stops it.
func expireCounters(ex storage.CounterExpirer, journal func() boltstore.JournalStats, delay func(time.Time) time.Duration, every time.Duration, log *slog.Logger, stats *expiryStats) func() error {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case now := <-t.C:
				n, err := expireOnce(ctx, ex, now, delay)
				// Whatever the expiry did: on a full disk both fail.
				if journal != nil {
					if st := journal(); st.CompactErr != nil {
						log.Warn("sidecar: the counter journal does not compact; it grows until it does, and a full disk stops every dial",
							"bytes", st.Bytes, "segments", st.Segments, "err", st.CompactErr)
					}
				}
				if stats != nil {
					stats.removed.Add(int64(n))
				}
				if err != nil && ctx.Err() == nil {
					if stats != nil {
						stats.failing.Store(true)
					}
					log.Warn("sidecar: expiring old counter entries failed; the store keeps them until a later run succeeds", "removed", n, "err", err)
					continue
				}
				if stats != nil && err == nil {
					stats.failing.Store(false)
					stats.lastOKNs.Store(time.Now().UnixNano())
				}
				if n > 0 {
					log.Info("sidecar: expired old counter entries", "removed", n, "took", time.Since(now).Round(time.Millisecond))
				}
			}
		}
	}()
	return func() error {
		cancel()
		<-done
		return nil
	}
}

// afterReleaseHook passes the Gate's outcomes reported after a release
// (dialgate.WithOutcomeAfterRelease) to the server serving the Backend,
// which counts them; it is set once the server is made.
type afterReleaseHook struct {
	fn atomic.Pointer[func(ctx context.Context, decisionID string)]
}

func (h *afterReleaseHook) call(ctx context.Context, id string) {
	if f := h.fn.Load(); f != nil {
		(*f)(ctx, id)
	}
}

// set makes fn receive the outcomes after a release (nil h: no-op).
func (h *afterReleaseHook) set(fn func(ctx context.Context, decisionID string)) {
	if h != nil {
		h.fn.Store(&fn)
	}
}
