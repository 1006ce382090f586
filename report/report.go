package report

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/dialgate/dialgate/auditlog"
	"github.com/dialgate/dialgate/complaint"
	"github.com/dialgate/dialgate/dnc"
	"github.com/dialgate/dialgate/internal/regfile"
	"github.com/dialgate/dialgate/recording"
	"golang.org/x/mod/sumdb/tlog"
)

// ErrInvalid is wrapped by errors for bad arguments (a quarter like "2026Q5").
var ErrInvalid = errors.New("report: invalid")

// ErrDuplicateDecision is wrapped by the error Build returns when a decision
// id of the quarter appears in more than one decision record (the same log
// read twice, a copy of one sidecar's log given as another's, or a decision
// id source that repeats): its decisions would be counted twice and its
// outcomes could not be linked to one decision; and when a decision of the
// quarter has an outcome recorded more than an hour before it (the outcome
// of an earlier decision of the same id, from an id source that repeats
// across quarters, or of a clock far off), which would be counted as its
// call; and when a decision of another quarter or tenant is read, after
// one of the quarter, under its id.
var ErrDuplicateDecision = errors.New("report: decision recorded twice")

// ErrDuplicateRecord is wrapped by the error Build returns when a file of
// the audit log starts with a record already read, in the same bytes, from
// another file given (a log directory given twice, under one path or two,
// or a copy of one sidecar's log given as another's): every record of it
// would be counted twice. The error wraps ErrDuplicateDecision too. A log
// holding no decision of the quarter (only outcomes of decisions in
// another sidecar's log, or admin changes) has no repeated decision id:
// it would otherwise be counted twice without an error.
var ErrDuplicateRecord = errors.New("report: audit log file read twice")

// ErrMalformedDecision is wrapped by the error Build returns for a decision
// record of the quarter that breaks the rule every dialgate Gate writes by
// (allowed exactly when it has no reason, unless in shadow mode, whose
// allows may carry the reasons it did not enforce): a denial without a
// reason code would be counted in Denied under no code of ByReason, an
// enforcing allow with reasons among the reasons shadow mode did not
// enforce. Such a record (written through auditlog.Log.RecordDecision by
// other code) is refused rather than counted short.
var ErrMalformedDecision = errors.New("report: malformed decision record")

// ErrAuditChain is wrapped by the error Build returns when the audit log's
// hash chain is broken: a record whose prev is not the hash of the record
// before it (a record edited after it was written), or records missing from
// the middle of a file, or a record 0 (another log) after the first record
// of a directory's log, or a directory's log that starts at a record
// after 0 dated in or after the quarter (its first files, which may hold
// the quarter's records, not given), or a directory's log, read to its last file,
// holding fewer records than its checkpoint file signs (records cut off
// its end: auditlog.CheckpointFileTree). Build does not check signatures: an edit that
// recomputed every later hash is caught by `dialgate audit verify`, which
// also locates and names the problem.
var ErrAuditChain = errors.New("report: audit log hash chain broken")

// ErrNotVerified is wrapped by the error Build returns when
// Sources.Verification is set and the records Build read in a log
// directory are not those the verification checked: the first TreeSize of
// them do not hash to its TreeHash, there are fewer, or (Sealed) there are
// more. A file edited, swapped, cut or grown between the verification and
// the counting, whatever its size, makes no report.
var ErrNotVerified = errors.New("report: audit log changed since it was verified")

// Quarter is a calendar quarter.
type Quarter struct {
	Year int // four-digit year, 2000–2999 from ParseQuarter
	Q    int // 1–4
}

// ParseQuarter parses "2026Q4" (also "2026q4" and "2026-Q4").
func ParseQuarter(s string) (Quarter, error) {
	t := strings.ToUpper(strings.ReplaceAll(strings.TrimSpace(s), "-", ""))
	y, q, ok := strings.Cut(t, "Q")
	if !ok || len(y) != 4 || len(q) != 1 {
		return Quarter{}, fmt.Errorf("%w: quarter %q: want YYYYQn, e.g. 2026Q4", ErrInvalid, s)
	}
	year, err := strconv.Atoi(y)
	if err != nil || year < 2000 || year > 2999 {
		return Quarter{}, fmt.Errorf("%w: quarter %q: year %q is not between 2000 and 2999", ErrInvalid, s, y)
	}
	n := int(q[0] - '0')
	if n < 1 || n > 4 {
		return Quarter{}, fmt.Errorf("%w: quarter %q: quarter %s is not 1 to 4", ErrInvalid, s, q)
	}
	return Quarter{Year: year, Q: n}, nil
}

// String returns "2026Q4".
func (q Quarter) String() string { return fmt.Sprintf("%dQ%d", q.Year, q.Q) }

// Bounds returns the quarter as [from, to) in loc: the first instant of
// its first day, and of the next quarter's (where the clocks jump forward
// at midnight, the day starts at the jump).
func (q Quarter) Bounds(loc *time.Location) (from, to time.Time) {
	m := time.Month(3*(q.Q-1) + 1)
	return dayStart(q.Year, m, 1, loc), dayStart(q.Year, m+3, 1, loc)
}

// dayStart returns the first instant of the date in loc (normalized as
// time.Date does: month 13 is January of the next year, day 32 of January
// is 1 February). Where the clocks jump forward at midnight, time.Date
// places 00:00 before the jump, on the previous date: the day then starts
// at the jump. Where they go back over midnight (from 01:00 to 00:00),
// midnight comes twice and time.Date may return the second: the day starts
// at the first, in the zone before the change.
func dayStart(y int, m time.Month, d int, loc *time.Location) time.Time {
	y, m, d = time.Date(y, m, d, 12, 0, 0, 0, time.UTC).Date()
	t := time.Date(y, m, d, 0, 0, 0, 0, loc)
	if _, _, got := t.Date(); got != d {
		if _, end := t.ZoneBounds(); !end.IsZero() {
			return end
		}
		return t
	}
	if start, _ := t.ZoneBounds(); !start.IsZero() && start.After(t.Add(-48*time.Hour)) {
		// The instant before the zone t is in began: still on the date?
		before := start.Add(-time.Nanosecond)
		if by, bm, bd := before.Date(); by == y && bm == m && bd == d {
			_, off := before.Zone()
			if first := time.Date(y, m, d, 0, 0, 0, 0, time.FixedZone("", off)); first.Before(start) {
				return first.In(loc)
			}
		}
	}
	return t
}

// Sources are what a report is computed from. AuditFiles is required; a nil
// store leaves its section empty and says so in Report.Missing.
type Sources struct {
	// AuditFiles are the decision log files in order (auditlog.LogFiles).
	AuditFiles []string
	// Tenant, when set, restricts the report to one tenant.
	Tenant string
	// DNC is the do-not-call store whose entries added in the quarter are
	// counted (all tenants: entries are not filtered by Tenant); nil leaves
	// DNCAdditions empty.
	DNC dnc.Store
	// Complaints is the complaint store; nil leaves Complaints empty.
	Complaints complaint.Store
	// Recordings is the recording store; nil leaves Recordings empty.
	Recordings recording.Store
	// Verification, when set, says how the audit logs were verified
	// (auditlog.Verify of each log directory) before Build: Build then
	// counts the records of a directory only when the first TreeSize of
	// them it reads are the Merkle tree the verification checked
	// (TreeHash) and, with Sealed, when it reads Records of them, no more;
	// otherwise it fails with ErrNotVerified. Every directory read must be
	// one of Verification.Logs, and every one of them must be read from
	// its first record. The report's Verification is set to it.
	Verification *Verification
}

// Count is a key with a count, for ordered tables.
type Count struct {
	Key   string `json:"key"`   // what is counted: a reason code, a purpose, a list name, a status, …
	Count int    `json:"count"` // how many times Key occurred; tables are sorted by descending Count, then Key
}

// PolicyVersion is a policy version seen in the quarter's decisions.
type PolicyVersion struct {
	Version   string    `json:"version"`   // the decisions' policy version; "" for decisions recorded without one
	Decisions int       `json:"decisions"` // how many of the quarter's decisions used it
	First     time.Time `json:"first"`     // the earliest of those decisions' instants, in the report's zone
	Last      time.Time `json:"last"`      // the latest of those decisions' instants, in the report's zone
}

// Report is the quarterly report.
//
// Every count covers the quarter [From, To) and, when Tenant is set, that
// tenant only (except DNCAdditions, which counts every tenant's entries).
type Report struct {
	// Schema is always Schema ("dialgate.report.quarterly.v1").
	Schema string `json:"schema"`
	// Quarter is the quarter reported on, as "2026Q4".
	Quarter string `json:"quarter"`
	// From is the quarter's first instant (midnight of its first day in the
	// location given to Build).
	From time.Time `json:"from"`
	// To is the first instant after the quarter (exclusive bound).
	To time.Time `json:"to"`
	// GeneratedAt is the now given to Build.
	GeneratedAt time.Time `json:"generated_at"`
	// Tenant is the tenant the report is restricted to; empty for all tenants.
	Tenant string `json:"tenant,omitempty"`

	// Decisions summarises the quarter's decision and outcome records in the
	// audit log.
	Decisions struct {
		Total   int `json:"total"`   // decisions taken in the quarter
		Allowed int `json:"allowed"` // of which allowed (shadow-mode ones included)
		Denied  int `json:"denied"`  // of which denied
		// ShadowNonCompliant counts decisions taken in shadow mode that were
		// allowed although a rule failed.
		ShadowNonCompliant int `json:"shadow_non_compliant"`
		// ByReason counts the denied decisions by reason code: a decision
		// counts once under each of its codes, however many of its reasons
		// carry that code, so a decision denied for two reasons counts
		// under both (the counts may add up to more than Denied).
		ByReason []Count `json:"by_reason"`
		// ShadowByReason counts the same way the reasons of the decisions
		// allowed in shadow mode although a rule failed (see
		// ShadowNonCompliant): the denials shadow mode did not enforce.
		// Empty (not nil) when there were none.
		ShadowByReason []Count `json:"shadow_by_reason"`
		ByPurpose      []Count `json:"by_purpose"` // decisions by dial purpose
		Outcomes       int     `json:"outcomes"`   // outcome records of the quarter's decisions
		// Released counts the allowed decisions with a release outcome
		// (the dial was not placed); a decision released more than once
		// (Release is idempotent, and a dialer may retry it) counts once.
		Released int `json:"released"`
		// DeniedWithOutcome counts the denied decisions with an outcome
		// other than a release: a call the dialer reported placing although
		// it was denied (or an outcome reported under the wrong id). Their
		// outcomes are left out of Abandonment and RingTime, which count
		// the calls of allowed decisions.
		DeniedWithOutcome int `json:"denied_with_outcome"`
		// AllowedWithoutOutcome counts the allowed decisions with no
		// outcome record in the files read (neither a release nor a call
		// result): calls Abandonment and RingTime cannot count, since
		// whether they were placed, answered or abandoned is unknown (a
		// dialer that reports no outcomes shows no abandoned call).
		AllowedWithoutOutcome int `json:"allowed_without_outcome"`
		// FixedClock counts the decisions recorded at an instant given by
		// hand (dialgate check --at against a store, before check refused
		// --at there; the evidence EvidenceFixedClock holds the instant
		// each was really made), which older logs may hold: they
		// are counted in the quarter of the instant given, which may be far
		// from when they were made. FixedClockAllowed counts the allowed
		// ones: a backdated allow may stand for a call made at another time.
		FixedClock        int `json:"fixed_clock"`
		FixedClockAllowed int `json:"fixed_clock_allowed"`
	} `json:"decisions"`

	// Abandonment is the abandoned-call rate of each campaign with answered
	// calls in the quarter (see AbandonLimitPercent); empty (not nil) when
	// none were reported.
	Abandonment []Abandonment `json:"abandonment"`

	// RingTime counts, per tenant and campaign, the unanswered calls that rang less
	// than the minimum ring time their decisions carried (one-ring calls,
	// 响一声; see RingTime), and flags those reported without a ring time,
	// which could not be checked; empty (not nil) when no decision of the quarter
	// carried a minimum and had an unanswered call reported.
	RingTime []RingTime `json:"ring_time"`

	// DNCAdditions counts the do-not-call entries added (by AddedAt) in the
	// quarter that the store holds when the report is made: an entry
	// removed since is not counted (the removals made through AdminService
	// or the dialgate commands are in Changes); zero when Sources.DNC is nil
	// (see Missing). A number refused again is one entry dated by its
	// latest refusal (dnc.Merge): counted in that refusal's quarter, under
	// its first list and source, and no longer in an earlier quarter's
	// report made afterwards.
	DNCAdditions struct {
		Total    int     `json:"total"`     // entries added in the quarter
		BySource []Count `json:"by_source"` // by entry source ("unspecified" when it had none)
		ByList   []Count `json:"by_list"`   // by list name
	} `json:"dnc_additions"`

	// Changes counts the changes made through the sidecar's AdminService,
	// or by the dialgate commands on a data directory (actor: the system
	// user), in the quarter (by the instant they were received), from the
	// audit log's change records (auditlog.ChangeRecord), every tenant's
	// (like DNCAdditions; a removal in scope global is no one tenant's). A
	// log written before change records existed holds none: its changes
	// are not counted.
	Changes struct {
		// DNCRemovals counts the opt-outs removed (dnc.remove recorded
		// applied).
		DNCRemovals int `json:"dnc_removals"`
		// DNCRemovalsUnconfirmed counts the removals recorded as requested
		// with no record of their result in the files read (the server
		// stopped, or its log failed, in between), and those recorded as
		// failed without a refusal (Unavailable — the store may have lost
		// its answer —, Canceled, DeadlineExceeded: maybeMade): they may
		// have been made.
		DNCRemovalsUnconfirmed int `json:"dnc_removals_unconfirmed"`
		// DNCRemovalsRefused counts the removals recorded as failed with a
		// refusal (most often an opt-out still in its hold:
		// FailedPrecondition).
		DNCRemovalsRefused int `json:"dnc_removals_refused"`
		// DNCRemovalsByActor counts DNCRemovals and DNCRemovalsUnconfirmed
		// by the name of the token that asked for them ("unnamed" for a
		// server without tokens).
		DNCRemovalsByActor []Count `json:"dnc_removals_by_actor"`
		// DNCAdditions counts the opt-outs added through AdminService
		// (dnc.add); the DNCAdditions section counts the store's entries
		// whatever added them, but only those still listed (and an opt-out
		// added over an entry already listed is no new entry there).
		DNCAdditions int `json:"dnc_additions"`
		// ConsentGrants counts the consents granted (consent.grant
		// recorded applied, not unchanged: a retried grant of the same
		// record is no new grant).
		ConsentGrants int `json:"consent_grants"`
		// ConsentRevocations counts the consents revoked (consent.revoke
		// recorded applied, not unchanged: a consent revoked again is
		// counted once).
		ConsentRevocations int `json:"consent_revocations"`
		// ByOp counts every change made (recorded applied) by operation,
		// under "<op> (unconfirmed)" those recorded as requested with no
		// result, and under "<op> (unchanged)" the requests that
		// succeeded but changed nothing (recorded applied with
		// unchanged: a retried grant of the same consent, a consent
		// revoked again), which no other count includes; empty (not nil)
		// when there were none.
		ByOp []Count `json:"by_op"`
	} `json:"admin_changes"`

	// Complaints counts the complaints received in the quarter; zero when
	// Sources.Complaints is nil (see Missing).
	Complaints struct {
		Received  int     `json:"received"`   // complaints received in the quarter
		ByStatus  []Count `json:"by_status"`  // by status as of the earlier of now and the quarter's end
		ByChannel []Count `json:"by_channel"` // by channel
		// Overdue counts the complaints received before the quarter's end
		// (in the quarter or earlier) with a deadline missed and its step
		// not done as of the earlier of now and the quarter's end (its
		// last instant: a deadline at To, midnight after the quarter's
		// last day, is missed in the next quarter): a complaint received
		// late in one quarter whose deadlines are missed in the next is
		// overdue in the next one's report.
		Overdue int `json:"overdue"`
		// OverdueReceivedEarlier counts those of Overdue received before
		// the quarter (not in Received).
		OverdueReceivedEarlier int `json:"overdue_received_earlier"`
		// Late counts the complaints with a step (forward, handle, answer)
		// done in the quarter, before now, at or after its deadline: a
		// deadline missed although the step is no longer pending, so not
		// in Overdue. Each late step counts in the quarter it was done.
		Late int `json:"late"`
	} `json:"complaints"`

	// Recordings counts recordings; zero when Sources.Recordings is nil (see
	// Missing).
	Recordings struct {
		// KeptAtEnd counts the recordings kept at the quarter's end: those
		// in the store now that started before it, and those deleted since
		// (tombstones) that started before it.
		KeptAtEnd int `json:"kept_at_end"`
		// HeldAtEnd counts those in the store now with a hold placed
		// before the quarter's end (a hold placed and released since, or
		// one on a recording deleted since, is not known).
		HeldAtEnd int `json:"held_at_end"`
		Deleted   int `json:"deleted"` // recordings deleted in the quarter (tombstones)
	} `json:"recordings"`

	// PolicyVersions lists the policy versions of the quarter's decisions,
	// ordered by first use, then version; empty (not nil) when there were
	// none.
	PolicyVersions []PolicyVersion `json:"policy_versions"`
	// Repairs counts torn-tail repairs found in the log in the quarter's files.
	Repairs int `json:"audit_repairs"`
	// Missing names the sections left empty because no source was given.
	Missing []string `json:"missing,omitempty"`
	// Verification says how the audit logs counted were verified before
	// the report was made (dialgate report quarterly --key); nil (JSON
	// null) when they were not: the report then checked only their hash
	// chain, which needs no key.
	Verification *Verification `json:"audit_verification"`
}

// Verification says how the audit logs of a report were verified
// (auditlog.Verify) before anything was counted.
type Verification struct {
	// Keys are the public keys trusted to sign checkpoints, as name+hash.
	Keys []string `json:"keys"`
	// Sealed is true when records after a log's last checkpoint were
	// refused (auditlog.VerifyOptions.RequireSealed).
	Sealed bool `json:"sealed"`
	// Logs lists each log directory verified, in the order read.
	Logs []VerifiedLog `json:"logs"`
}

// VerifiedLog is one audit log directory as Verify saw it: compare its tree
// with the checkpoints you hold and with dialgate audit verify's output.
type VerifiedLog struct {
	Dir      string `json:"dir"`       // the log directory
	Records  int64  `json:"records"`   // records in the log (every quarter's)
	TreeSize int64  `json:"tree_size"` // records its last checkpoint signs
	TreeHash string `json:"tree_hash"` // that checkpoint's tree hash (base64)
	Unsealed int64  `json:"unsealed"`  // records no checkpoint signs: after that one and after the trusted one (auditlog.Report.Unsealed)
}

// Schema is the value of Report.Schema.
const Schema = "dialgate.report.quarterly.v1"

// Build computes the report for quarter q, with quarter bounds in loc, as of now
// (complaints are overdue as of the earlier of now and the quarter's end). A
// quarter ParseQuarter would not return is ErrInvalid.
func Build(ctx context.Context, q Quarter, loc *time.Location, now time.Time, src Sources) (*Report, error) {
	if loc == nil {
		return nil, fmt.Errorf("%w: nil location", ErrInvalid)
	}
	if q.Year < 2000 || q.Year > 2999 || q.Q < 1 || q.Q > 4 {
		return nil, fmt.Errorf("%w: quarter %s: want a year from 2000 to 2999 and a quarter from 1 to 4", ErrInvalid, q)
	}
	if len(src.AuditFiles) == 0 {
		return nil, fmt.Errorf("%w: no audit log files", ErrInvalid)
	}
	r := &Report{Schema: Schema, Quarter: q.String(), GeneratedAt: now, Tenant: src.Tenant}
	r.From, r.To = q.Bounds(loc)
	if err := r.readAudit(ctx, src); err != nil {
		return nil, err
	}
	r.Verification = src.Verification
	asOf := now
	if r.To.Before(asOf) {
		asOf = r.To
	}
	if src.DNC == nil {
		r.Missing = append(r.Missing, "dnc_additions")
	} else if err := r.readDNC(ctx, src.DNC); err != nil {
		return nil, err
	}
	if src.Complaints == nil {
		r.Missing = append(r.Missing, "complaints")
	} else if err := r.readComplaints(ctx, src, asOf); err != nil {
		return nil, err
	}
	if src.Recordings == nil {
		r.Missing = append(r.Missing, "recordings")
	} else if err := r.readRecordings(ctx, src); err != nil {
		return nil, err
	}
	return r, nil
}

// EvidenceFixedClock is the evidence key of a decision recorded at an
// instant given by hand (dialgate check --at against a store, which check
// now refuses; older logs may hold such records): its value is the
// wall-clock instant (UTC, RFC 3339) the decision was really made.
const EvidenceFixedClock = "clock.fixed_at_wall_time"

func (r *Report) in(t time.Time) bool { return !t.Before(r.From) && t.Before(r.To) }

func (r *Report) readAudit(ctx context.Context, src Sources) error {
	reasons, shadowReasons, purposes := counter{}, counter{}, counter{}
	versions := map[string]*PolicyVersion{}
	// The quarter's decisions by id, to attribute outcomes: one map of
	// small values (a report may hold millions), their tenant and campaign
	// strings shared (interned) rather than one copy per decision.
	inQuarter := map[string]quarterDecision{}
	interned := map[campaignKey]campaignKey{}
	// Outcomes by decision id, attributed once every file is read: a fleet's
	// logs (one per sidecar) may hold a decision in one file and its outcome
	// (a release through another sidecar) in another read before it.
	// Values, not pointers: no allocation per decision id beyond the map's.
	type outcomes struct {
		n, released int
		first       int64 // the earliest instant an outcome was recorded at (Unix seconds)
		firstAt     int32 // where (index in src.AuditFiles, line)
		firstLine   int32
		ringMillis  int64 // the longest ring time an outcome reported; 0 when none did
		answered    bool  // an outcome said a person answered
		abandoned   bool
		message     bool // an outcome reported the abandoned call's recorded message
		spoke       bool // an outcome reported a conversation or a refusal: a person answered
	}
	seen := map[string]outcomes{}
	// Change records: the ops applied, and the requests of the quarter
	// (by change id) with whether a result was recorded, matched once
	// every file is read (the result may be in a later file).
	ops := counter{}
	type request struct {
		op, actor string
		resolved  bool
	}
	requests := map[string]*request{}
	removers := counter{}
	// The hash chain: each record's prev is the hash of the record before
	// it. The files of one directory are one log: within it a record that
	// does not follow the one before (an edited record, records or a file
	// deleted) refuses the report. The first record read starts a log, and
	// so does the first record of a file of another directory that does not
	// follow the one before (the next sidecar's log, or one whose older
	// files were archived: counted only when its first record read is
	// dated before the quarter, logDir.checkStart); any other record 0 is
	// another log spliced into this one. A file given again (a directory given twice, or a copy of
	// a log) is refused by its first record (ErrDuplicateRecord), and a
	// decision id recorded twice by ErrDuplicateDecision.
	var last struct {
		ok   bool
		seq  int64
		hash tlog.Hash
		dir  string
	}
	read := map[string]bool{} // the files read so far
	// Per directory: what its checkpoint file signed and its last file
	// were before its first file was read (a live log grows meanwhile),
	// its last file read, and how many records its log held up to there
	// (the last seq + 1).
	logDirs := map[string]*logDir{}
	var dirs []string
	held := map[string]int64{}
	// The first record of each file read, and where: a file that starts
	// with a record read before is a file read before (a directory given
	// twice, a copy of a log), whatever its path.
	starts := map[tlog.Hash]string{}
	// With a verification: the Merkle tree of each directory's records as
	// read, to be compared with the tree verified (verifiedTrees).
	var trees map[string]*readTree
	if v := src.Verification; v != nil {
		trees = map[string]*readTree{}
		for _, l := range v.Logs {
			trees[filepath.Clean(l.Dir)] = &readTree{log: l}
		}
	}
	for fileIndex, path := range src.AuditFiles {
		if err := ctx.Err(); err != nil {
			return err
		}
		first := true // no record of this file read yet
		if dir := filepath.Dir(path); logDirs[dir] == nil {
			ld, err := openLogDir(dir)
			if err != nil {
				return err
			}
			logDirs[dir] = ld
			dirs = append(dirs, dir)
		}
		// Opened without waiting and refused unless regular: a FIFO under
		// a log file's name would block the report for ever.
		f, err := regfile.Open(path)
		if err != nil {
			return fmt.Errorf("report: audit log: %w", err)
		}
		// The last file of a directory may be a live log's: a write under
		// way at its end is waited for (briefly) and read whole, as audit
		// verify reads it (auditlog.ReadLines), not taken for a torn line.
		live := fileIndex == len(src.AuditFiles)-1 || filepath.Dir(src.AuditFiles[fileIndex+1]) != filepath.Dir(path)
		n := 0
		err = auditlog.ReadLines(ctx, f, live, func(line []byte, torn bool) error {
			n++
			if len(line) > auditlog.MaxLineBytes {
				return fmt.Errorf("report: %s:%d: %w: longer than %d bytes (run `dialgate audit verify`)", path, n, auditlog.ErrMalformed, auditlog.MaxLineBytes)
			}
			if torn {
				// Not counted, even when the bytes are a whole record:
				// Repair cuts the line off, and the repaired log no
				// longer holds it.
				return fmt.Errorf("report: %s: line %d: %w: it does not end in a newline (a crash during a write, or the file was cut: run `dialgate audit verify`, and `dialgate audit repair` after a crash)", path, n, auditlog.ErrTorn)
			}
			l, err := auditlog.ParseLine(line)
			if err != nil {
				return fmt.Errorf("report: %s:%d: %w (run `dialgate audit verify`)", path, n, err)
			}
			if l.Seq != nil { // a record, not a checkpoint
				seq := *l.Seq
				switch {
				case !last.ok || (first && (read[path] || (seq != last.seq+1 && filepath.Dir(path) != last.dir))):
					// The start of a log, or of the part of one given.
				case seq != last.seq+1:
					return fmt.Errorf("%w: %s:%d: record %d follows record %d: records are missing or out of order (run `dialgate audit verify`)", ErrAuditChain, path, n, seq, last.seq)
				case l.Prev != last.hash.String():
					return fmt.Errorf("%w: %s:%d: record %d: prev is not the hash of record %d: a record was edited after it was written (run `dialgate audit verify`)", ErrAuditChain, path, n, seq, last.seq)
				}
				h := tlog.RecordHash(line)
				if first {
					at := path + ":" + strconv.Itoa(n)
					if was, dup := starts[h]; dup {
						return fmt.Errorf("%w (%w): %s: record %d was already read at %s: the same audit log file given twice (a directory given twice, or a copy of a log): its records would be counted twice", ErrDuplicateRecord, ErrDuplicateDecision, at, seq, was)
					}
					starts[h] = at
				}
				last.ok, last.seq, last.hash, last.dir, first = true, seq, h, filepath.Dir(path), false
				held[last.dir] = max(held[last.dir], seq+1)
				if ld := logDirs[last.dir]; !ld.started {
					ld.started, ld.firstSeq, ld.firstWhere = true, seq, path+":"+strconv.Itoa(n)
				}
				if ld := logDirs[last.dir]; ld.firstAt.IsZero() {
					ld.firstAt = recordAt(l)
				}
				if trees != nil {
					t := trees[last.dir]
					if t == nil {
						return fmt.Errorf("%w: %s: the log directory %s was not verified", ErrNotVerified, path, last.dir)
					}
					if t.n == t.log.Records && t.extraAt == "" {
						t.extraAt = path + ":" + strconv.Itoa(n)
					}
					if err := t.add(seq, h); err != nil {
						return fmt.Errorf("%w: %s:%d: %w", ErrNotVerified, path, n, err)
					}
				}
			}
			switch {
			case l.Decision != nil:
				d := l.Decision
				if !r.in(d.At) || (src.Tenant != "" && d.Tenant != src.Tenant) {
					if q, dup := inQuarter[d.ID]; dup {
						// Another decision (of another quarter or tenant)
						// under the id of one of the quarter: their
						// outcomes could not be told apart.
						return fmt.Errorf("%w: %s:%d: decision %s, at %s, has the id of the quarter's decision recorded at %s:%d (decision ids that repeat): their outcomes cannot be told apart", ErrDuplicateDecision, path, n, d.ID, d.At.UTC().Format(time.RFC3339), src.AuditFiles[q.file], q.line)
					}
					return nil
				}
				if first, dup := inQuarter[d.ID]; dup {
					return fmt.Errorf("%w: %s: decision %s was already recorded at %s:%d (the same log given twice, or decision ids that repeat): it would be counted twice", ErrDuplicateDecision, path+":"+strconv.Itoa(n), d.ID, src.AuditFiles[first.file], first.line)
				}
				if err := reasonRule(d); err != nil {
					return fmt.Errorf("%w: %s:%d: decision %s: %w (run `dialgate audit verify`; the record was not written by a dialgate Gate)", ErrMalformedDecision, path, n, d.ID, err)
				}
				secs, _, err := ringMinimum(d.Evidence)
				if err != nil {
					return fmt.Errorf("report: %s:%d: decision %s: %w", path, n, d.ID, err)
				}
				key := campaignKey{d.Tenant, d.Campaign}
				if k, ok := interned[key]; ok {
					key = k
				} else {
					interned[key] = key
				}
				fixed := slices.ContainsFunc(d.Evidence, func(e auditlog.Evidence) bool { return e.Key == EvidenceFixedClock })
				inQuarter[d.ID] = quarterDecision{at: d.At, key: key, file: fileIndex, line: n, minRing: secs, allowed: d.Allowed, fixedClock: fixed}
				r.Decisions.Total++
				if fixed {
					r.Decisions.FixedClock++
					if d.Allowed {
						r.Decisions.FixedClockAllowed++
					}
				}
				if d.Allowed {
					r.Decisions.Allowed++
					if d.Shadow && len(d.Reasons) > 0 {
						r.Decisions.ShadowNonCompliant++
					}
				} else {
					r.Decisions.Denied++
				}
				// A decision counts once under each of its reason codes,
				// however many of its reasons carry the code (a number on
				// two lists is one denial for dnc.listed). The reasons of a
				// shadow-mode decision (allowed although a rule failed) are
				// no denial: they are counted apart.
				byCode := reasons
				if d.Allowed {
					byCode = shadowReasons
				}
				codes := map[string]bool{}
				for _, rs := range d.Reasons {
					if !codes[rs.Code] {
						codes[rs.Code] = true
						byCode.add(rs.Code)
					}
				}
				purposes.add(d.Purpose)
				pv := versions[d.PolicyVersion]
				if pv == nil {
					pv = &PolicyVersion{Version: d.PolicyVersion, First: d.At, Last: d.At}
					versions[d.PolicyVersion] = pv
				}
				pv.Decisions++
				if d.At.Before(pv.First) {
					pv.First = d.At
				}
				if d.At.After(pv.Last) {
					pv.Last = d.At
				}
			case l.Outcome != nil:
				o := seen[l.Outcome.DecisionID]
				if at := l.Outcome.At.Unix(); o.n == 0 || at < o.first {
					o.first, o.firstAt, o.firstLine = at, int32(fileIndex), int32(n)
				}
				o.n++
				if l.Outcome.Released {
					o.released++
				}
				// A conversation or a refusal says a person answered too.
				if l.Outcome.Answered || l.Outcome.Abandoned || l.Outcome.Conversation || l.Outcome.Refused {
					o.answered = true
					o.abandoned = o.abandoned || l.Outcome.Abandoned
					o.message = o.message || l.Outcome.AbandonMessage
				}
				o.spoke = o.spoke || l.Outcome.Conversation || l.Outcome.Refused
				o.ringMillis = max(o.ringMillis, l.Outcome.RingMillis)
				seen[l.Outcome.DecisionID] = o
			case l.Repair != nil:
				r.Repairs++
			case l.Change != nil:
				c := l.Change
				if c.Result != auditlog.ResultRequested {
					if q := requests[c.ChangeID]; q != nil && c.ChangeID != "" {
						q.resolved = true
					}
				}
				if !r.in(c.At) {
					return nil
				}
				actor := c.Actor
				if actor == "" {
					actor = "unnamed"
				}
				switch c.Result {
				case auditlog.ResultRequested:
					if c.ChangeID != "" {
						requests[c.ChangeID] = &request{op: c.Op, actor: actor}
					}
				case auditlog.ResultFailed:
					if c.Op != auditlog.OpDNCRemove {
						break
					}
					if maybeMade(c.ErrorCode) {
						// Failed without a refusal (the store lost its
						// answer, the client gave up): the removal may be
						// in force, and its retry is recorded unchanged.
						ops.add(c.Op + " (unconfirmed)")
						r.Changes.DNCRemovalsUnconfirmed++
						removers.add(actor)
						break
					}
					r.Changes.DNCRemovalsRefused++
				case auditlog.ResultApplied:
					if c.Unchanged {
						// A request that changed nothing (a retry, a
						// consent revoked again): counted apart, never
						// as another grant or revocation.
						ops.add(c.Op + " (unchanged)")
						break
					}
					ops.add(c.Op)
					switch c.Op {
					case auditlog.OpDNCRemove:
						r.Changes.DNCRemovals++
						removers.add(actor)
					case auditlog.OpDNCAdd:
						r.Changes.DNCAdditions++
					case auditlog.OpConsentGrant:
						r.Changes.ConsentGrants++
					case auditlog.OpConsentRevoke:
						r.Changes.ConsentRevocations++
					}
				}
			}
			return nil
		})
		f.Close()
		read[path] = true
		logDirs[filepath.Dir(path)].lastRead = filepath.Clean(path)
		if err != nil {
			return err
		}
	}
	for _, dir := range dirs {
		if err := logDirs[dir].check(dir, held[dir]); err != nil {
			return err
		}
		if err := logDirs[dir].checkStart(dir, r.From); err != nil {
			return err
		}
	}
	if v := src.Verification; v != nil {
		for _, l := range v.Logs {
			if err := trees[filepath.Clean(l.Dir)].check(v.Sealed); err != nil {
				return fmt.Errorf("%w: %s: %w (a log file was changed after it was verified; run `dialgate audit verify`)", ErrNotVerified, l.Dir, err)
			}
		}
	}
	for _, q := range requests {
		if q.resolved {
			continue
		}
		ops.add(q.op + " (unconfirmed)")
		if q.op == auditlog.OpDNCRemove {
			r.Changes.DNCRemovalsUnconfirmed++
			removers.add(q.actor)
		}
	}
	r.Changes.ByOp, r.Changes.DNCRemovalsByActor = ops.sorted(), removers.sorted()
	answered := map[campaignKey][]answeredCall{}
	var unanswered []unansweredCall
	for id, dec := range inQuarter {
		if _, ok := seen[id]; dec.allowed && !ok {
			r.Decisions.AllowedWithoutOutcome++
		}
	}
	for id, o := range seen {
		if dec, ok := inQuarter[id]; ok {
			// An outcome is recorded after its decision; one recorded
			// well before it (more than outcomeLead: a fleet's clocks
			// differ by less) is another decision's of the same id (an id
			// source that repeats across quarters) or of a clock far off:
			// its call cannot be counted as this decision's. A decision at
			// an instant given by hand (FixedClock) may be dated anywhere.
			if early := dec.at.Unix() - o.first; !dec.fixedClock && early > int64(outcomeLead/time.Second) {
				return fmt.Errorf("%w: decision %s (%s:%d, at %s) has an outcome recorded %s before it (%s:%d): the outcome is of another decision with the same id (a decision id source that repeats) or of a clock far off, and cannot be counted as this decision's call (run `dialgate audit verify`)",
					ErrDuplicateDecision, id, src.AuditFiles[dec.file], dec.line, dec.at.UTC().Format(time.RFC3339), time.Duration(early)*time.Second, src.AuditFiles[o.firstAt], o.firstLine)
			}
			r.Decisions.Outcomes += o.n
			if !dec.allowed {
				// A denied dial places no call: an outcome other than a
				// release says the dialer placed it anyway (or reported
				// under the wrong id). It is no call of the campaign's.
				if o.n > o.released {
					r.Decisions.DeniedWithOutcome++
				}
				continue
			}
			if o.released > 0 {
				// Release is idempotent: a retried release is one dial
				// not placed, however many records it left.
				r.Decisions.Released++
			}
			if o.answered {
				// The call counts in the period of its decision, in the
				// quarter, even when its outcome came after the quarter.
				answered[dec.key] = append(answered[dec.key], answeredCall{at: dec.at, abandoned: o.abandoned, noMessage: o.abandoned && !o.message})
			}
			// A placed call no one answered, of a decision that told the
			// dialer a minimum ring time.
			if dec.minRing > 0 && o.released == 0 && !o.answered && !o.spoke {
				unanswered = append(unanswered, unansweredCall{campaign: dec.key, minSeconds: dec.minRing, ringMillis: o.ringMillis})
			}
		}
	}
	r.Abandonment = abandonment(answered, r.From, r.To)
	r.RingTime = ringTimes(unanswered)
	r.Decisions.ByReason = reasons.sorted()
	r.Decisions.ShadowByReason = shadowReasons.sorted()
	r.Decisions.ByPurpose = purposes.sorted()
	r.PolicyVersions = []PolicyVersion{}
	for _, pv := range versions {
		// In the quarter's zone, like its bounds (the log's instants are UTC).
		pv.First, pv.Last = pv.First.In(r.From.Location()), pv.Last.In(r.From.Location())
		r.PolicyVersions = append(r.PolicyVersions, *pv)
	}
	slices.SortFunc(r.PolicyVersions, func(a, b PolicyVersion) int {
		return cmp.Or(a.First.Compare(b.First), strings.Compare(a.Version, b.Version))
	})
	return nil
}

// reasonRule checks that d is allowed exactly when it has no reason, or,
// in shadow mode, that an allow's reasons are those it did not enforce (a
// shadow-mode deny, an invalid dial's, has its reason too).
func reasonRule(d *auditlog.DecisionRecord) error {
	switch {
	case !d.Allowed && len(d.Reasons) == 0:
		return errors.New("denied without a reason code")
	case d.Allowed && len(d.Reasons) > 0 && !d.Shadow:
		codes := make([]string, len(d.Reasons))
		for i, rs := range d.Reasons {
			codes[i] = rs.Code
		}
		return fmt.Errorf("allowed with reasons (%s) outside shadow mode", strings.Join(codes, ", "))
	}
	return nil
}

// quarterDecision is what a report keeps of a decision of the quarter to
// count its outcomes: when it was made, its tenant's campaign, where it was
// read (src.AuditFiles[file], line), the minimum ring time it carried
// (seconds; 0 when none) and whether it was allowed.
type quarterDecision struct {
	at         time.Time
	key        campaignKey
	file       int
	line       int
	minRing    int
	allowed    bool
	fixedClock bool // recorded at an instant given by hand (EvidenceFixedClock)
}

// outcomeLead is how long before its decision an outcome may be recorded
// (a fleet's sidecars' clocks differ): one recorded earlier still is not
// the decision's (Build fails with ErrDuplicateDecision).
const outcomeLead = time.Hour

func (r *Report) readDNC(ctx context.Context, s dnc.Store) error {
	sources, lists := counter{}, counter{}
	err := s.ScanDNC(ctx, func(e dnc.Entry) error {
		if !r.in(e.AddedAt) {
			return nil
		}
		r.DNCAdditions.Total++
		src := e.Source
		if src == "" {
			src = "unspecified"
		}
		sources.add(src)
		lists.add(e.List)
		return nil
	})
	if err != nil {
		return fmt.Errorf("report: dnc: %w", err)
	}
	r.DNCAdditions.BySource, r.DNCAdditions.ByList = sources.sorted(), lists.sorted()
	return nil
}

func (r *Report) readComplaints(ctx context.Context, src Sources, asOf time.Time) error {
	// Every complaint received before the quarter's end: one received
	// earlier may be overdue in this quarter.
	cs, err := src.Complaints.ListComplaints(ctx, complaint.Filter{Tenant: src.Tenant, To: r.To})
	if err != nil {
		return fmt.Errorf("report: complaints: %w", err)
	}
	// The state at the quarter's end is the state at its last instant: To
	// is the next quarter's first. A deadline at To (midnight after the
	// quarter's last day, where deadlines fall) was not passed in the
	// quarter, and a step done at To was done in the next one (whose
	// report counts it late: lateIn).
	at := asOf
	if !at.Before(r.To) {
		at = r.To.Add(-time.Nanosecond)
	}
	status, channel := counter{}, counter{}
	for _, c := range cs {
		received := r.in(c.ReceivedAt)
		if received {
			r.Complaints.Received++
			status.add(string(statusAt(c, at)))
			channel.add(string(c.Channel))
		}
		if lateIn(c, r.From, asOf) {
			r.Complaints.Late++
		}
		if len(c.Overdue(at)) > 0 {
			r.Complaints.Overdue++
			if !received {
				r.Complaints.OverdueReceivedEarlier++
			}
		}
	}
	r.Complaints.ByStatus, r.Complaints.ByChannel = status.sorted(), channel.sorted()
	return nil
}

// statusAt returns the status c had at t, from the instants of its steps (a
// step done after t was not done then).
func statusAt(c complaint.Complaint, t time.Time) complaint.Status {
	done := func(at time.Time) bool { return !at.IsZero() && !at.After(t) }
	switch {
	case done(c.AnsweredAt):
		return complaint.StatusAnswered
	case done(c.HandledAt):
		return complaint.StatusHandled
	case done(c.ForwardedAt):
		return complaint.StatusForwarded
	}
	return complaint.StatusOpen
}

// lateIn reports whether a step of c was done in [from, to) at or after its
// deadline (the deadline is the first instant after the time allowed).
func lateIn(c complaint.Complaint, from, to time.Time) bool {
	for _, s := range [...]struct{ done, by time.Time }{
		{c.ForwardedAt, c.ForwardBy}, {c.HandledAt, c.HandleBy}, {c.AnsweredAt, c.AnswerBy},
	} {
		if !s.done.IsZero() && !s.by.IsZero() && !s.done.Before(from) && s.done.Before(to) && !s.done.Before(s.by) {
			return true
		}
	}
	return false
}

func (r *Report) readRecordings(ctx context.Context, src Sources) error {
	recs, err := src.Recordings.ListRecordings(ctx, recording.Filter{})
	if err != nil {
		return fmt.Errorf("report: recordings: %w", err)
	}
	for _, rec := range recs {
		if rec.StartedAt.Before(r.To) && (src.Tenant == "" || rec.Tenant == src.Tenant) {
			r.Recordings.KeptAtEnd++
			// Held at the end: a hold placed before it (one placed
			// since did not hold the recording then).
			if slices.ContainsFunc(rec.Holds, func(h recording.Hold) bool { return h.PlacedAt.Before(r.To) }) {
				r.Recordings.HeldAtEnd++
			}
		}
	}
	// Deleted in the quarter; and, deleted since its end, kept at it.
	ts, err := src.Recordings.ListTombstones(ctx, r.From, time.Time{})
	if err != nil {
		return fmt.Errorf("report: recordings: %w", err)
	}
	for _, t := range ts {
		if src.Tenant != "" && t.Tenant != src.Tenant {
			continue
		}
		switch {
		case t.DeletedAt.Before(r.To):
			r.Recordings.Deleted++
		case t.StartedAt.Before(r.To):
			r.Recordings.KeptAtEnd++
		}
	}
	return nil
}

type counter map[string]int

func (c counter) add(k string) { c[k]++ }

// sorted returns the counts by descending count, then key.
func (c counter) sorted() []Count {
	out := make([]Count, 0, len(c))
	for k, v := range c {
		out = append(out, Count{Key: k, Count: v})
	}
	slices.SortFunc(out, func(a, b Count) int {
		if a.Count != b.Count {
			return b.Count - a.Count
		}
		return strings.Compare(a.Key, b.Key)
	})
	return out
}

// readTree is the RFC 6962 Merkle tree (tlog's) of the records of one
// verified log directory as Build reads them, kept as the roots of its
// complete subtrees, with its root at the size the verification checked.
type readTree struct {
	log    VerifiedLog
	n      int64       // records read
	nodes  []tlog.Hash // roots of the complete subtrees, largest first
	levels []int       // their levels
	rootAt string      // the root at log.TreeSize, once read
	// extraAt is where the first record after those verified was read
	// (file:line); "" when none was.
	extraAt string
}

// add adds the record seq, of hash h: the next record of the directory.
func (t *readTree) add(seq int64, h tlog.Hash) error {
	if seq != t.n {
		return fmt.Errorf("record %d where record %d of the verified log was expected", seq, t.n)
	}
	k := 0
	for n := t.n; n&1 == 1; n >>= 1 {
		last := len(t.nodes) - 1
		h = tlog.NodeHash(t.nodes[last], h)
		t.nodes, t.levels = t.nodes[:last], t.levels[:last]
		k++
	}
	t.nodes, t.levels = append(t.nodes, h), append(t.levels, k)
	t.n++
	if t.n == t.log.TreeSize {
		root := t.nodes[len(t.nodes)-1]
		for i := len(t.nodes) - 2; i >= 0; i-- {
			root = tlog.NodeHash(t.nodes[i], root)
		}
		t.rootAt = root.String()
	}
	return nil
}

// check reports how the records read differ from those verified: fewer
// than the verified tree, another tree, or (sealed) more records.
func (t *readTree) check(sealed bool) error {
	switch {
	case t.n < t.log.TreeSize:
		return fmt.Errorf("%d records read, but the verified checkpoint signs %d", t.n, t.log.TreeSize)
	case t.log.TreeSize > 0 && t.rootAt != t.log.TreeHash:
		return fmt.Errorf("the first %d records read are not the tree verified (tree hash %s, verified %s)", t.log.TreeSize, t.rootAt, t.log.TreeHash)
	case sealed && t.n != t.log.Records:
		return fmt.Errorf("%d records read, %d verified (all sealed): the first not verified is at %s", t.n, t.log.Records, t.extraAt)
	}
	return nil
}

// logDir is a log directory whose files a report reads: what its
// checkpoint file signed, and its last file, before the first was read.
type logDir struct {
	signed   tlog.Tree // the checkpoint file's tree (zero without one)
	lastFile string    // its last log file then ("" when it is none)
	lastRead string    // the last of its files read
	// The first record read of the directory's log: its seq, where it was
	// read (file:line), and the instant of the first record read that has
	// one (a decision, outcome or change; zero when none had).
	started    bool
	firstSeq   int64
	firstWhere string
	firstAt    time.Time
}

// checkStart refuses the directory dir whose log, as read, starts at a
// record after 0 (its first files moved away or deleted, or not given)
// dated at or after from, the quarter's first instant: the records before
// it are not in the files given, and some may be the quarter's. A log
// whose first record read is dated before the quarter lacks only older
// records (records are appended in time order), and is counted.
func (ld *logDir) checkStart(dir string, from time.Time) error {
	if !ld.started || ld.firstSeq == 0 || (!ld.firstAt.IsZero() && ld.firstAt.Before(from)) {
		return nil
	}
	dated := "no record read is dated"
	if !ld.firstAt.IsZero() {
		dated = "dated " + ld.firstAt.In(from.Location()).Format(time.RFC3339)
	}
	return fmt.Errorf("%w: %s: its log starts at record %d (%s), %s, not before the quarter (%s): records 0 to %d are not in the files given (older files moved away or deleted?) and some may be the quarter's; give every file of the log (run `dialgate audit verify`)",
		ErrAuditChain, dir, ld.firstSeq, ld.firstWhere, dated, from.Format(time.RFC3339), ld.firstSeq-1)
}

// recordAt returns the instant of a decision, outcome or change record;
// zero for another line.
func recordAt(l *auditlog.Line) time.Time {
	switch {
	case l.Decision != nil:
		return l.Decision.At
	case l.Outcome != nil:
		return l.Outcome.At
	case l.Change != nil:
		return l.Change.At
	}
	return time.Time{}
}

// openLogDir reads what dir's checkpoint file signs
// (auditlog.CheckpointFileTree) and which its last log file is
// (auditlog.LogFiles), before its files are read: a sidecar appending
// meanwhile only adds records after those the file signs.
func openLogDir(dir string) (*logDir, error) {
	tree, err := auditlog.CheckpointFileTree(dir)
	if err != nil {
		return nil, fmt.Errorf("report: %w (run `dialgate audit verify`)", err)
	}
	ld := &logDir{signed: tree}
	if files, err := auditlog.LogFiles(dir); err == nil && len(files) > 0 {
		ld.lastFile = files[len(files)-1]
	}
	return ld, nil
}

// check refuses the directory dir, whose log held held records up to the
// last one read, when it was read to its last file and holds fewer records
// than its checkpoint file signs: records were cut off its end, which no
// crash does (auditlog.Open refuses such a log). The signature is left to
// `dialgate audit verify` (or --key).
func (ld *logDir) check(dir string, held int64) error {
	if ld.lastFile == "" || ld.lastRead != ld.lastFile || ld.signed.N <= held {
		return nil
	}
	return fmt.Errorf("%w: %s: the log holds %d records, but its %s file signs %d: records were cut off its end, or this is a copy of a live log whose %s file was copied after its log files (copy it first) (run `dialgate audit verify`)",
		ErrAuditChain, dir, held, auditlog.CheckpointFile, ld.signed.N, auditlog.CheckpointFile)
}

// maybeMade reports whether a change recorded as failed with status code
// name code may have been made all the same: a failure that refuses
// nothing (Unavailable: the store may have applied the write and lost its
// answer, storage.ErrMaybeApplied; Canceled and DeadlineExceeded: the
// client gave up while it was under way; an empty or unknown code), as
// against a refusal by the request or the stored state, which changed
// nothing.
func maybeMade(code string) bool {
	switch code {
	case "InvalidArgument", "FailedPrecondition", "NotFound", "AlreadyExists", "PermissionDenied",
		"Unauthenticated", "OutOfRange", "Unimplemented":
		return false
	}
	return true
}
