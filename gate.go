package dialgate

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"strings"
	"sync"
	"time"
)

// minClock is the earliest instant the Gate trusts its Clock to read: an
// earlier one is the zero time or a clock reset (see Check).
var minClock = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)

// Gate decides whether dials may be placed. It runs its checks in order for
// every dial, reserves capacity only when all of them pass, and records every
// decision in its audit log.
//
// A Gate is safe for concurrent use by many goroutines. Create it with New; the
// zero Gate (and a nil *Gate) decides nothing: Check returns a Decision
// denying with audit.unavailable and an error wrapping ErrInvalidConfig, and
// Release, ReportOutcome and MarkPlaced return that error.
type Gate struct {
	checks     []entry
	committers []int
	observers  []int
	clock      Clock
	audit      AuditLog
	shadow     bool
	timeout    time.Duration
	lifetime   time.Duration
	ids        func() string
	version    string
	log        *slog.Logger
	// placed guards Release against decisions whose call was placed (nil:
	// no guard); afterRelease is told of an outcome after a release.
	placed       PlacedGuard
	afterRelease func(ctx context.Context, decisionID string)
}

type entry struct {
	name string
	c    Checker
	att  Attester
	exp  Expirer
	com  Committer
	obs  OutcomeObserver
}

var checkName = regexp.MustCompile(`^[a-z][a-z0-9_]{0,31}$`)

// reservedNames are prefixes of codes the Gate itself reports.
var reservedNames = map[string]bool{"dial": true, "audit": true}

// New returns a Gate that consults checks in the given order. Check names must be
// unique lower-case identifiers; "dial" and "audit" are reserved. An empty list
// of checks is allowed (every valid dial is then allowed and recorded). A
// check that is a LifetimeCounter must count at least the Gate's allow
// lifetime (WithAllowLifetime): New refuses the Gate otherwise, with an
// error wrapping ErrInvalidConfig.
func New(checks []Checker, opts ...Option) (*Gate, error) {
	o := gateOptions{clock: SystemClock{}, timeout: DefaultCheckTimeout, lifetime: DefaultAllowLifetime}
	for _, opt := range opts {
		if opt == nil {
			return nil, fmt.Errorf("nil option: %w", ErrInvalidConfig)
		}
		if err := opt.apply(&o); err != nil {
			return nil, err
		}
	}
	if o.audit == nil && !o.noAudit {
		return nil, fmt.Errorf("no audit log: give WithAuditLog (every decision of a Gate in front of a dialer is recorded), or WithoutAuditLog for a Gate whose decisions place no call: %w", ErrInvalidConfig)
	}
	if o.ids == nil {
		ids, err := newIDSource()
		if err != nil {
			return nil, err
		}
		o.ids = ids
	}
	if o.logger == nil {
		o.logger = slog.New(slog.DiscardHandler)
	}
	g := &Gate{
		clock: o.clock, audit: o.audit, shadow: o.shadow, timeout: o.timeout, lifetime: o.lifetime,
		ids: o.ids, version: o.policyVersion, log: o.logger,
		placed: o.placed, afterRelease: o.afterRelease,
	}
	seen := make(map[string]bool, len(checks))
	for i, c := range checks {
		if c == nil {
			return nil, fmt.Errorf("check %d is nil: %w", i, ErrInvalidConfig)
		}
		name := c.Name()
		if !checkName.MatchString(name) {
			return nil, fmt.Errorf("check %d: name %q must match %s: %w", i, name, checkName, ErrInvalidConfig)
		}
		if reservedNames[name] {
			return nil, fmt.Errorf("check %d: name %q is reserved for the gate's own codes: %w", i, name, ErrInvalidConfig)
		}
		if seen[name] {
			return nil, fmt.Errorf("check %d: duplicate name %q: %w", i, name, ErrInvalidConfig)
		}
		seen[name] = true
		e := entry{name: name, c: c}
		e.att, _ = c.(Attester)
		e.exp, _ = c.(Expirer)
		if com, ok := c.(Committer); ok {
			e.com = com
			g.committers = append(g.committers, i)
		}
		if obs, ok := c.(OutcomeObserver); ok {
			e.obs = obs
			g.observers = append(g.observers, i)
		}
		if lc, ok := c.(LifetimeCounter); ok {
			if counted := lc.AllowLifetimeCounted(); g.lifetime > counted {
				return nil, fmt.Errorf("check %d (%s): the Gate's allow lifetime %v is longer than the %v the check counts each allowed dial over (a call placed late could fall within a cap's window of the next): build it with schedule.WithAllowLifetime(%v), or give the Gate a lifetime of at most %v: %w", i, name, g.lifetime, counted, g.lifetime, counted, ErrInvalidConfig)
			}
		}
		g.checks = append(g.checks, e)
	}
	if g.audit == nil {
		g.log.Warn("dialgate: WithoutAuditLog: decisions are not recorded")
	}
	if g.shadow {
		g.log.Warn("dialgate: shadow mode: rules are evaluated and recorded but NOT enforced")
	}
	return g, nil
}

// usable reports a Gate that New did not make (nil, or the zero Gate, whose
// nil Clock New never leaves): it would have no checks and no audit log, so
// it decides nothing rather than allow everything or panic; and a nil ctx,
// which every check, Committer and audit log would panic on.
func (g *Gate) usable(ctx context.Context) error {
	if g == nil || g.clock == nil {
		return fmt.Errorf("dialgate: the Gate was not created with New (a nil or zero Gate): %w", ErrInvalidConfig)
	}
	if ctx == nil {
		// Every check, Committer and the audit log would panic on it.
		return fmt.Errorf("dialgate: ctx: nil context (pass context.Background() or the request's context): %w", ErrInvalidConfig)
	}
	return nil
}

// Shadow reports whether the Gate runs in shadow mode.
func (g *Gate) Shadow() bool { return g.shadow }

// PolicyVersion returns the policy version stamped on every decision.
func (g *Gate) PolicyVersion() string { return g.version }

// CheckNames returns the names of the Gate's checks in order.
func (g *Gate) CheckNames() []string {
	names := make([]string, len(g.checks))
	for i, e := range g.checks {
		names[i] = e.name
	}
	return names
}

// Check decides whether d may be placed now.
//
// It reads the Clock once, sets d.At, validates d, runs every check in order
// (each failing check's reasons are reported, in that order), and only when all
// passed reserves capacity with the Committers. The decision is then recorded in
// the audit log. An allow carries ValidUntil, the decision instant plus the
// allow lifetime capped by the earliest end of a pass its Expirers told: the
// dialer dials only before it, and Checks again after.
//
// Denials are data: a Decision with Allowed false and its Reasons, and a nil
// error. A non-nil error means no trustworthy decision was possible — a malformed
// dial (wrapping ErrInvalidDial, reason dial.invalid), an audit failure
// (wrapping ErrAuditUnavailable, reason audit.unavailable), an empty id from
// the WithDecisionIDs function, or one that is no decision id (longer than
// MaxDecisionIDLen, not UTF-8, holding a control character, ending in
// "#placed"; the Decision
// then has no id) (wrapping ErrInvalidConfig, reason audit.unavailable,
// not recorded), a Clock reading before 2000, a Clock or
// an id function that panics (the same), a Gate not created with New or a
// nil ctx (the same, naming it) — and the Decision returned with
// it denies. A check that fails, times out
// or panics denies with "<check>.unavailable" and does not make Check return
// an error. When ctx ends while the audit log records what would have been
// an allow (the log may write the record all the same), the reservations are
// given back and a Released outcome of the decision is recorded, so the log
// never shows an allow the dialer was not given as a placed call. Whatever
// the audit log does with ctx (and without checks or an audit log), no
// allow is returned under a ctx that ended before the decision was
// recorded: it denies with audit.unavailable and an error wrapping
// ErrAuditUnavailable and ctx's error (ended during the record, the allow
// is followed by a Released outcome, as above). Under a ctx without a
// deadline the Gate waits for the audit log as long as it takes, and an
// allow it confirms late is returned as an allow even when its ValidUntil
// has passed meanwhile (the Gate reads its Clock once): dial on
// Decision.DialableAt with the dialer's clock, not on Allowed alone.
func (g *Gate) Check(ctx context.Context, d Dial) (Decision, error) {
	if err := g.usable(ctx); err != nil {
		// Like a decision without an id: nothing can be recorded, and the
		// deny names why, as every deny does.
		msg := "the Gate was not created with New (a nil or zero Gate): it has no audit log and decides nothing"
		if g != nil && g.clock != nil {
			msg = "no context (a nil ctx): nothing can be checked or recorded"
		}
		return Decision{Reasons: []Reason{{Code: CodeAuditUnavailable, Check: "audit", Message: msg}}}, err
	}
	t, err := g.now()
	if err != nil {
		g.log.Error("dialgate: the clock panicked; denying", "err", err)
		return Decision{Shadow: g.shadow, PolicyVersion: g.version, Dial: d,
			Reasons: []Reason{{Code: CodeAuditUnavailable, Check: "audit", Message: "the clock failed (a panic): the decision has no instant and cannot be trusted or recorded"}}}, err
	}
	d.At = t
	id, err := g.newID()
	dec := Decision{ID: id, At: t, Shadow: g.shadow, PolicyVersion: g.version, Dial: d}
	if err != nil {
		g.log.Error("dialgate: the decision id source panicked; denying", "err", err)
		dec.Reasons = []Reason{{Code: CodeAuditUnavailable, Check: "audit", Message: "the decision id source failed (a panic): the decision has no id, so it cannot be recorded"}}
		return dec, err
	}
	if dec.ID == "" {
		// Without an id the decision cannot be recorded, and every Committer
		// would reserve under the same id (a held id reserves nothing more).
		g.log.Error("dialgate: the decision id source returned an empty id; denying")
		dec.Reasons = []Reason{{Code: CodeAuditUnavailable, Check: "audit", Message: "the decision has no id, so it cannot be recorded"}}
		return dec, fmt.Errorf("decision id: empty id from the id source: %w", ErrInvalidConfig)
	}
	p := decisionIDProblem(dec.ID)
	if p == "" && strings.HasSuffix(dec.ID, placedSuffix) {
		// Release refuses it (notRecountID), and its reservations would
		// share the id of another decision's recount.
		p = fmt.Sprintf("ends in %q, the suffix of a recount's reservation", placedSuffix)
	}
	if p != "" {
		// An id the stores cannot key (a pause after the call's outcome
		// would not be recorded), the sidecar cannot send or a dialer
		// cannot give back (MaxDecisionIDLen): deny, as for no id. The
		// id is not logged whole (it may be long, or hold control
		// characters).
		g.log.Error("dialgate: the decision id source returned an id that is no decision id; denying", "problem", p)
		dec.ID = ""
		dec.Reasons = []Reason{{Code: CodeAuditUnavailable, Check: "audit", Message: "the decision id source gave an id that is not a decision id (" + p + "; see MaxDecisionIDLen), so the decision cannot be recorded"}}
		return dec, fmt.Errorf("decision id: from the id source: %s (at most %d bytes of text): %w", p, MaxDecisionIDLen, ErrInvalidConfig)
	}
	if t.Before(minClock) {
		// A Clock that reads the zero time (a zero-valued test clock) or a
		// time before 2000 (a real-time clock reset to 1970, read before
		// the time is synchronised) gives the checks no true instant: a
		// rule with a start date would look not yet in force, the calling
		// window would be judged at the wrong hour. Deny before any check
		// runs, as for a missing id; such an instant is not recorded.
		g.log.Error("dialgate: the clock reads before 2000; denying", "decision", dec.ID, "clock", t)
		dec.Reasons = []Reason{{Code: CodeAuditUnavailable, Check: "audit", Message: "the clock reads " + t.UTC().Format(time.RFC3339) + ", before 2000: a clock reset or not yet synchronised; the decision cannot be trusted or recorded"}}
		return dec, fmt.Errorf("clock: reads %s, before 2000: %w", t.UTC().Format(time.RFC3339), ErrInvalidConfig)
	}
	if err := d.Validate(); err != nil {
		dec.Reasons = []Reason{{Code: CodeDialInvalid, Check: "dial", Message: err.Error()}}
		if aerr := g.record(ctx, &dec); aerr != nil {
			return dec, errors.Join(err, aerr)
		}
		return dec, err
	}

	cctx := newDeadlineCtx(ctx, time.Now().Add(g.timeout))
	defer cctx.stop()
	// until is the earliest end of a pass the checks told (Expirer), never
	// later than the allow's lifetime.
	until := t.Add(g.lifetime)
	for i := range g.checks {
		g.runCheck(cctx, &g.checks[i], d, &dec, &until)
	}
	var committed []int
	if len(dec.Reasons) == 0 && len(g.committers) > 0 {
		committed = g.commit(cctx, d, &dec)
	}
	dec.Allowed = len(dec.Reasons) == 0 || g.shadow
	if dec.Allowed {
		dec.ValidUntil = until
	}
	allowed := dec.Allowed
	if allowed {
		if cerr := ctx.Err(); cerr != nil {
			// The caller gave up before the allow was recorded (a Gate
			// without checks, or whose last check returned just in time):
			// deny as a log that heeds ctx would, whether or not this one
			// does, and record nothing.
			g.releaseAll(ctx, committed, dec.ID)
			return dec, g.doneDeny(&dec, cerr)
		}
	}
	if err := g.record(ctx, &dec); err != nil {
		g.releaseAll(ctx, committed, dec.ID)
		if allowed && unconfirmed(ctx, err) {
			g.recordUnplaced(ctx, dec)
		}
		return dec, err
	}
	if allowed {
		if cerr := ctx.Err(); cerr != nil {
			// The caller gave up while the log (which ignored ctx) wrote
			// the allow: it is recorded, but the caller may not see it.
			g.releaseAll(ctx, committed, dec.ID)
			g.recordUnplaced(ctx, dec)
			return dec, g.doneDeny(&dec, cerr)
		}
	}
	return dec, nil
}

// now reads the Clock, turning a panic (a host's Clock bug) into an error
// wrapping ErrInvalidConfig: the decision, release or outcome is refused,
// the process does not crash.
func (g *Gate) now() (t time.Time, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("clock: panic: %v: %w", p, ErrInvalidConfig)
		}
	}()
	return g.clock.Now(), nil
}

// newID names a decision with the id source, turning a panic (a
// WithDecisionIDs function's bug) into an error wrapping ErrInvalidConfig.
func (g *Gate) newID() (id string, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("decision id: panic in the id source: %v: %w", p, ErrInvalidConfig)
		}
	}()
	return g.ids(), nil
}

// doneDeny turns dec into the audit.unavailable deny of a decision whose
// caller's context ended (cerr) before its allow was recorded, and returns
// the error of it, wrapping ErrAuditUnavailable and cerr — what record
// returns when the audit log gives up on the context.
func (g *Gate) doneDeny(dec *Decision, cerr error) error {
	g.log.Warn("dialgate: the caller's context ended before the allow was recorded; denying", "decision", dec.ID, "err", cerr)
	dec.Allowed = false
	dec.ValidUntil = time.Time{}
	dec.Reasons = append(dec.Reasons, Reason{Code: CodeAuditUnavailable, Check: "audit", Message: "the caller's context ended (" + cerr.Error() + ") before the decision was recorded: do not dial"})
	return fmt.Errorf("decision %s: %w: %w", dec.ID, ErrAuditUnavailable, cerr)
}

// unconfirmed reports whether the audit log's error err may have left the
// record written: the caller's context ended while the log was writing it
// (auditlog.Log: "the record may still be written"). Any other failure (a
// full disk, a closed or failed log) writes nothing.
func unconfirmed(ctx context.Context, err error) bool {
	return ctx.Err() != nil || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
}

// recordUnplaced records that the dial of decision dec, submitted to the
// audit log as an allow whose record was not confirmed, was not placed. The
// log may have written the record anyway (auditlog.Log when the caller's
// context ends before the sync is confirmed): without this it would hold an
// allow with nothing after it — a call placed, to the quarterly report and
// an auditor — while the dialer was told not to dial and the reservations
// were given back. It runs on a context that outlives the caller's
// cancellation but not the Gate's timeout, and its At is the decision
// instant (the Clock is read once per decision). A failure is logged.
func (g *Gate) recordUnplaced(ctx context.Context, dec Decision) {
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), g.timeout)
	defer cancel()
	o := Outcome{DecisionID: dec.ID, Dial: dec.Dial, At: dec.At, Released: true}
	if err := g.recordOutcome(rctx, o); err != nil {
		g.log.Error("dialgate: recording the release of a decision whose record failed", "decision", dec.ID, "err", err)
	}
}

// record writes the decision to the audit log. On failure the decision is
// turned into an audit.unavailable deny.
func (g *Gate) record(ctx context.Context, dec *Decision) error {
	if g.audit == nil {
		return nil
	}
	err := g.recordDecision(ctx, *dec)
	if err == nil {
		return nil
	}
	g.log.Error("dialgate: audit log failed; denying", "decision", dec.ID, "err", err)
	dec.Allowed = false
	dec.ValidUntil = time.Time{}
	dec.Reasons = append(dec.Reasons, Reason{Code: CodeAuditUnavailable, Check: "audit", Message: "the decision could not be recorded"})
	return fmt.Errorf("decision %s: %w: %w", dec.ID, ErrAuditUnavailable, err)
}

// recordDecision calls the audit log, turning a panic into an error (an
// audit failure: a deny, not a crash).
func (g *Gate) recordDecision(ctx context.Context, dec Decision) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("panic in audit log: %v", p)
		}
	}()
	return g.audit.RecordDecision(ctx, dec)
}

// recordOutcome calls the audit log, turning a panic into an error.
func (g *Gate) recordOutcome(ctx context.Context, o Outcome) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("panic in audit log: %v", p)
		}
	}()
	return g.audit.RecordOutcome(ctx, o)
}

// runCheck runs one check and adds its reasons and evidence to dec. For an
// Expirer that passes d it lowers *until to the end of its pass.
func (g *Gate) runCheck(ctx *deadlineCtx, e *entry, d Dial, dec *Decision, until *time.Time) {
	var (
		rs  []Reason
		ev  []Evidence
		end time.Time
		err error
	)
	func() {
		defer func() {
			if p := recover(); p != nil {
				err = fmt.Errorf("panic: %v", p)
			}
		}()
		switch {
		case e.exp != nil:
			rs, ev, end, err = e.exp.AttestUntil(ctx, d)
		case e.att != nil:
			rs, ev, err = e.att.Attest(ctx, d)
		default:
			rs, err = e.c.Check(ctx, d)
		}
	}()
	if err == nil {
		err = ctx.lateErr()
	}
	if err == nil && len(rs) == 0 && !end.IsZero() && !end.After(d.At) {
		// A pass that ended before it began: the check is broken, and
		// the dialer would have no instant to dial in.
		err = fmt.Errorf("check passed the dial but says its pass ended at %s, not after the decision instant %s",
			end.UTC().Format(time.RFC3339Nano), d.At.UTC().Format(time.RFC3339Nano))
	}
	if err != nil {
		g.unavailable(e.name, dec, err)
		return
	}
	if len(rs) == 0 && !end.IsZero() && end.Before(*until) {
		*until = end
	}
	g.addReasons(e.name, rs, dec)
	if len(ev) > 0 && dec.Evidence == nil {
		// One allocation for the usual evidence of a whole decision (a few
		// items per check) instead of growing the slice check by check.
		dec.Evidence = make([]Evidence, 0, max(len(ev), 2*len(g.checks)))
	}
	dec.Evidence = append(dec.Evidence, ev...)
}

// addReasons copies rs into the decision, naming the check. A reason without a
// code, or with a malformed one or one of the Gate's own (codeProblem), is a
// bug in the check and makes it unavailable.
func (g *Gate) addReasons(name string, rs []Reason, dec *Decision) bool {
	for _, r := range rs {
		if p := codeProblem(r.Code); p != "" {
			g.unavailable(name, dec, errors.New("check returned a reason "+p))
			return true
		}
	}
	for _, r := range rs {
		r.Check = name
		dec.Reasons = append(dec.Reasons, r)
	}
	return len(rs) > 0
}

// maxCodeLen bounds a reason code's length.
const maxCodeLen = 64

// codeProblem says what is wrong with code as a reason code, or "" when
// nothing is: a code is two lower-case identifiers ([a-z][a-z0-9_]*)
// joined by a dot, at most maxCodeLen bytes, as every code of DESIGN §3
// is, and not one of the Gate's own (dial.*, audit.*: a malformed dial, an
// audit failure). Anything else — no code, text that is no code (spaces,
// capitals, controls, another dot), the Gate's codes — would put in the
// audit record and the reports a code the dialer and the auditor cannot
// match, or an audit failure or a malformed dial that did not happen. The
// message quotes no part of code.
func codeProblem(code Code) string {
	c := string(code)
	switch {
	case c == "":
		return "without a code"
	case len(c) > maxCodeLen:
		return "whose code is longer than 64 bytes"
	}
	dot := -1
	for i := 0; i < len(c); i++ {
		b := c[i]
		switch {
		case b == '.' && dot < 0 && i > 0:
			dot = i
		case b >= 'a' && b <= 'z':
		case (b >= '0' && b <= '9' || b == '_') && i > 0 && i != dot+1:
		default:
			return "whose code is not two lower-case identifiers joined by a dot (\"<check>.<code>\", [a-z][a-z0-9_]*)"
		}
	}
	if dot < 0 || dot == len(c)-1 {
		return "whose code is not two lower-case identifiers joined by a dot (\"<check>.<code>\", [a-z][a-z0-9_]*)"
	}
	if reservedNames[c[:dot]] {
		return "with a code of the Gate's own (dial.*, audit.*), which a check may not report"
	}
	return ""
}

// unavailable adds the reason "<name>.unavailable" for err to dec. The
// message is formatted with fmt, which turns a panic in err's Error method
// (a typed nil error from a check: a nil pointer in a non-nil error) into
// text: a direct err.Error() would panic here, outside the recover that
// guards the check, and crash the dialer.
func (g *Gate) unavailable(name string, dec *Decision, err error) {
	g.log.Warn("dialgate: check unavailable; denying", "check", name, "decision", dec.ID, "err", err)
	dec.Reasons = append(dec.Reasons, Reason{
		Code:    UnavailableCode(name),
		Check:   name,
		Message: fmt.Sprintf("the check could not decide: %v", err),
	})
}

// commit reserves capacity with every Committer. When there are several they
// run concurrently — each is atomic on its own, and their latencies (an fsync,
// a round trip) overlap instead of adding up. If any refuses or fails, every
// reservation of the decision is given back (a failed Commit too, in case it
// reserved before failing) and the reasons are reported in check order. It
// returns the indices of the committers holding a reservation.
func (g *Gate) commit(ctx *deadlineCtx, d Dial, dec *Decision) []int {
	n := len(g.committers)
	if n == 1 {
		i := g.committers[0]
		rs, err := g.commitOne(ctx, i, d, dec.ID)
		if err == nil {
			err = ctx.lateErr()
		}
		if err != nil {
			g.unavailable(g.checks[i].name, dec, err)
			g.releaseAll(ctx, g.committers, dec.ID)
			return nil
		}
		if g.addReasons(g.checks[i].name, rs, dec) {
			// A refusal reserves nothing; release anyway (it is idempotent) in
			// case the Committer broke its contract (a reason without a code).
			g.releaseAll(ctx, g.committers, dec.ID)
			return nil
		}
		return g.committers
	}
	res := g.commitAll(ctx, d, dec.ID)
	late := ctx.lateErr()
	failed := false
	for k, r := range res {
		name := g.checks[g.committers[k]].name
		switch {
		case r.err != nil:
			g.unavailable(name, dec, r.err)
			failed = true
		case g.addReasons(name, r.rs, dec):
			failed = true
		case late != nil:
			g.unavailable(name, dec, late)
			failed = true
		}
	}
	if failed {
		g.releaseAll(ctx, g.committers, dec.ID)
		return nil
	}
	return g.committers
}

type commitResult struct {
	rs  []Reason
	err error
}

// commitAll runs every Committer, all but the first in their own goroutines,
// waits, and returns their results in committer order. It takes the
// decision's id and dial by value so that the Decision itself does not
// escape to the heap on the common path; the dial, the results and the wait
// group share one allocation (commitRun).
func (g *Gate) commitAll(ctx *deadlineCtx, d Dial, id string) []commitResult {
	run := &commitRun{d: d}
	if n := len(g.committers); n <= len(run.buf) {
		run.res = run.buf[:n]
	} else {
		run.res = make([]commitResult, n)
	}
	for k := 1; k < len(run.res); k++ {
		run.wg.Add(1)
		go func() {
			defer run.wg.Done()
			run.res[k].rs, run.res[k].err = g.commitOne(ctx, g.committers[k], run.d, id)
		}()
	}
	run.res[0].rs, run.res[0].err = g.commitOne(ctx, g.committers[0], run.d, id)
	run.wg.Wait()
	return run.res
}

// commitRun is what commitAll's goroutines share.
type commitRun struct {
	wg  sync.WaitGroup
	d   Dial
	res []commitResult // buf, or a longer slice for more than len(buf) committers
	buf [4]commitResult
}

// commitOne calls one Committer, turning a panic into an error.
func (g *Gate) commitOne(ctx *deadlineCtx, i int, d Dial, id string) (rs []Reason, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("panic in commit: %v", p)
		}
	}()
	return g.checks[i].com.Commit(ctx, d, id)
}

// recountOne asks one Committer to count d again under id (recount): a
// Recounter's Recount, else its Commit, turning a panic into an error.
func (g *Gate) recountOne(ctx *deadlineCtx, i int, d Dial, id string) (rs []Reason, err error) {
	rc, ok := g.checks[i].com.(Recounter)
	if !ok {
		return g.commitOne(ctx, i, d, id)
	}
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("panic in recount: %v", p)
		}
	}()
	return nil, rc.Recount(ctx, d, id)
}

// releaseAll gives back the reservations of the given committers, on a context
// that outlives the caller's cancellation but not the Gate's timeout.
func (g *Gate) releaseAll(ctx context.Context, idx []int, id string) {
	if len(idx) == 0 {
		return
	}
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), g.timeout)
	defer cancel()
	for _, i := range idx {
		if err := g.releaseOne(rctx, i, id); err != nil {
			g.log.Error("dialgate: release failed", "check", g.checks[i].name, "decision", id, "err", err)
		}
	}
}

// releaseOne calls one Committer's Release, turning a panic into an error
// (a Release runs on the deny path of Check too, which must not crash).
func (g *Gate) releaseOne(ctx context.Context, i int, id string) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("panic in release: %v", p)
		}
	}()
	return g.checks[i].com.Release(ctx, id)
}

// releaseCommitters gives back what every Committer reserved for decision
// id, returning their errors (Release and a Released outcome).
func (g *Gate) releaseCommitters(ctx context.Context, id string) []error {
	var errs []error
	for _, i := range g.committers {
		if err := g.releaseOne(ctx, i, id); err != nil {
			errs = append(errs, fmt.Errorf("release %s: %w", g.checks[i].name, err))
		}
	}
	return errs
}

// Release tells the Gate that the dial of an allowed decision was not placed, so
// the capacity it reserved (frequency caps, segment counters) is given back. It
// is idempotent. The release is recorded in the audit log as an Outcome. Never
// release a decision whose call was placed (one you report an outcome for): a
// placed call counts against its caps whatever its outcome.
//
// With a PlacedGuard (WithPlacedGuard) the Gate enforces it: a decision an
// outcome of a placed call was reported for, through this Gate or another on
// the same store, is refused with an error wrapping ErrPlaced, and nothing is
// given back or recorded. A guard that fails (its store unavailable) fails
// the Release the same way: the capacity stays reserved until its window
// passes, the safe side; retry. Without a guard the Gate keeps no
// per-decision state to refuse it. An id ending in "#placed" names the
// reservation of a call counted again after its release (see ReportOutcome),
// not a decision: it is refused (ErrInvalidOutcome), as is an outcome
// reporting it released. A Clock reading before 2000 refuses the release
// (an error wrapping ErrInvalidConfig; nothing given back or recorded), as
// it refuses Check.
func (g *Gate) Release(ctx context.Context, d Decision) error {
	if err := g.usable(ctx); err != nil {
		return err
	}
	if err := decisionIDError(d.ID); err != nil {
		return err
	}
	if err := notRecountID(d.ID); err != nil {
		return err
	}
	now, err := g.readClock("release")
	if err != nil {
		return err
	}
	if err := g.markReleased(ctx, d.ID, now); err != nil {
		return err
	}
	errs := g.releaseCommitters(ctx, d.ID)
	if g.audit != nil {
		o := Outcome{DecisionID: d.ID, Dial: d.Dial, At: now, Released: true}
		if err := g.recordOutcome(ctx, o); err != nil {
			errs = append(errs, fmt.Errorf("%w: %w", ErrAuditUnavailable, err))
		}
	}
	return errors.Join(errs...)
}

// markReleased asks the PlacedGuard, if any, to mark decision id released
// at t: an error wrapping ErrPlaced when its call was placed, the guard's
// error when it could not tell (then nothing may be given back).
func (g *Gate) markReleased(ctx context.Context, id string, t time.Time) (err error) {
	if g.placed == nil {
		return nil
	}
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("decision %s: release guard: panic: %v; nothing released", id, p)
		}
	}()
	placed, err := g.placed.MarkReleased(ctx, id, t)
	if err != nil {
		return fmt.Errorf("decision %s: release guard: %w; nothing released, the capacity stays reserved", id, err)
	}
	if placed {
		return fmt.Errorf("decision %s: %w; the capacity stays reserved", id, ErrPlaced)
	}
	return nil
}

// markPlaced asks the PlacedGuard, if any, to mark o's decision placed at
// o.At, and logs (and reports to the WithOutcomeAfterRelease function) an
// outcome of a decision released before, whose call it counts again
// (recount). It returns an error when the call of such a decision could not
// be counted (recount): the outcome must be retried.
func (g *Gate) markPlaced(ctx context.Context, o Outcome) (err error) {
	if g.placed == nil {
		return nil
	}
	id := o.DecisionID
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("release guard: panic: %v", p)
		}
	}()
	releasedBefore, err := g.placed.MarkPlaced(ctx, id, o.At)
	if err != nil {
		return fmt.Errorf("release guard: marking the decision placed: %w", err)
	}
	if releasedBefore {
		err = g.recount(ctx, o)
		g.log.Warn("dialgate: outcome of a placed call reported after its decision was released: the dialer placed a call whose capacity it had given back; release only dials that were not placed",
			"decision_id", id, "counted_again", err == nil, "err", err)
		if g.afterRelease != nil {
			g.afterRelease(ctx, id)
		}
		return err
	}
	return nil
}

// placedSuffix is added to a released decision's id to reserve, under an id
// of its own, the capacity of its call reported placed afterwards (recount):
// a retried Release of the decision, which releases the decision's id, does
// not give it back.
const placedSuffix = "#placed"

// notRecountID returns an error wrapping ErrInvalidOutcome, naming
// decision_id, when id is that of a recount's reservation (placedSuffix):
// no decision has it, and releasing it would give back the capacity of a
// call that was placed.
func notRecountID(id string) error {
	if strings.HasSuffix(id, placedSuffix) {
		return &FieldError{Field: "decision_id", Problem: fmt.Sprintf("ends in %q: it names the reservation of a call placed after its decision was released, which is never given back", placedSuffix), Err: ErrInvalidOutcome}
	}
	return nil
}

// recount reserves again, at o.At, the capacity of the call of o's decision,
// which was released before its outcome came (the call was placed after
// all): every Committer reserves o.Dial under the decision's id and
// placedSuffix, so that the callee's next dials count it — a Recounter
// whatever its limits say (over a full cap, during a pause: the call
// happened and counts for its whole window; the built-in Committers, the
// frequency caps and the sweep check, are Recounters), another by Commit (a
// refusal there is logged). It fails closed: a Committer that fails (its
// store unavailable) makes it return an error wrapping the cause, and an
// outcome without a valid o.Dial (its callee unknown, nothing can be
// counted) one wrapping ErrInvalidOutcome naming "dial"; the outcome must
// be retried (with its dial). A retry counts the call once: a Committer
// holding the id reserves nothing more, one that failed reserves it then.
func (g *Gate) recount(ctx context.Context, o Outcome) error {
	if len(g.committers) == 0 {
		return nil
	}
	d := o.Dial
	// Validated without an instant: a clock stepped back since the
	// decision must not refuse the dial's trigger_at as in the future
	// (the dial was valid when decided), or no retry would count it.
	d.At = time.Time{}
	err := d.Validate()
	d.At = o.At
	if err != nil {
		field, problem := "dial", err.Error()
		var fe *FieldError
		if errors.As(err, &fe) {
			field, problem = "dial."+fe.Field, fe.Problem
		}
		if !o.Dial.To.IsValid() {
			field, problem = "dial", "missing"
		}
		return &FieldError{Field: field, Problem: problem + ": the decision was released before this outcome, so its call is counted again, which needs the dial it was placed with: report the outcome again with its dial",
			Err: ErrInvalidOutcome}
	}
	cctx := newDeadlineCtx(context.WithoutCancel(ctx), time.Now().Add(g.timeout))
	defer cctx.stop()
	var errs []error
	for _, i := range g.committers {
		name := g.checks[i].name
		rs, err := g.recountOne(cctx, i, d, o.DecisionID+placedSuffix)
		if err == nil {
			err = cctx.lateErr()
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("decision %s: counting again (%s) the call placed after the decision was released: %w; retry the outcome", o.DecisionID, name, err))
			continue
		}
		if len(rs) > 0 {
			g.log.Warn("dialgate: a call placed after its decision was released was refused a slot of its own (the limit is full)",
				"check", name, "decision_id", o.DecisionID, "reasons", len(rs))
		}
	}
	return errors.Join(errs...)
}

// ReportOutcome records what happened to a placed call and passes it to the
// checks that observe outcomes (a conversation, an abandoned call or a refusal that
// starts a pause, a recording to link). It sets o.At from the Clock. A malformed
// outcome (no DecisionID, a negative RingDuration, AbandonMessage without
// Abandoned, Released with anything of a placed call) returns an error
// wrapping ErrInvalidOutcome and is not recorded; one with a DecisionID
// still marks its decision placed (below), Released or not: whatever else
// is wrong with it, it may be the report of a placed call. An outcome with Released
// gives the decision's capacity back, as Release does (and is refused as
// Release is, with an error wrapping ErrPlaced, by a PlacedGuard).
//
// With a PlacedGuard (WithPlacedGuard), every outcome without Released marks
// the decision placed first (its call was placed, whatever else it says), so
// that no Gate on the same store releases it afterwards. An outcome of a
// decision released before it (the dialer placed a call whose capacity it
// had given back) is logged, and its call counted again: every Committer
// reserves o.Dial at o.At under the decision's id and "#placed" (not given
// back by a later Release of the decision): a Recounter whatever its limits
// say, another Committer when a slot is left. That recount fails closed: a
// Committer that fails (its store unavailable) makes the outcome's error
// wrap the cause (storage.ErrUnavailable), and an outcome without a valid
// dial, which cannot be counted, returns an error wrapping
// ErrInvalidOutcome naming "dial"; retry the outcome (with its dial): a
// retry counts the call once, never twice. A guard that fails, or a recount,
// does not keep the outcome from its observers or the audit log (it is the
// truth, and may start a pause); its error is returned with the others, and
// the outcome should be retried.
//
// A Clock reading before 2000 (reset, or not yet synchronised) refuses the
// outcome whole, with an error wrapping ErrInvalidConfig: stamped with such
// an instant, the pause it starts and the counts it adds would hold back no
// dial. Nothing is marked, observed or recorded; retry it.
func (g *Gate) ReportOutcome(ctx context.Context, o Outcome) error {
	if err := g.usable(ctx); err != nil {
		return err
	}
	if err := decisionIDError(o.DecisionID); err != nil {
		return err
	}
	at, err := g.readClock("outcome")
	if err != nil {
		return err
	}
	o.At = at
	if err := validOutcome(o); err != nil {
		// Malformed, it still says the call was placed (a released dial
		// has nothing else to say): marked placed, so that a Release
		// afterwards is refused and the call keeps counting. Not recorded.
		if merr := g.markPlaced(ctx, o); merr != nil {
			return errors.Join(err, merr)
		}
		return err
	}
	var errs []error
	if o.Released {
		if err := notRecountID(o.DecisionID); err != nil {
			return err
		}
		if err := g.markReleased(ctx, o.DecisionID, o.At); err != nil {
			return err
		}
		// The record says the capacity was given back: give it back, as
		// Release does, or every reservation of the decision stays held.
		errs = g.releaseCommitters(ctx, o.DecisionID)
	} else if err := g.markPlaced(ctx, o); err != nil {
		// Marked before the observers run: a Release elsewhere from here on
		// is refused. The outcome is recorded all the same.
		errs = append(errs, err)
	}
	for _, i := range g.observers {
		e := &g.checks[i]
		if err := observeOne(ctx, e.obs, o); err != nil {
			errs = append(errs, fmt.Errorf("outcome %s: %w", e.name, err))
		}
	}
	if g.audit != nil {
		if err := g.recordOutcome(ctx, o); err != nil {
			errs = append(errs, fmt.Errorf("%w: %w", ErrAuditUnavailable, err))
		}
	}
	return errors.Join(errs...)
}

// MarkPlaced records that decision id's call was placed when its outcome
// cannot be given to ReportOutcome — a report refused as malformed before
// it could be turned into an Outcome (as the gRPC sidecar refuses a request
// whose dial or fields do not parse). With a PlacedGuard (WithPlacedGuard)
// the decision is marked placed, so that a Release of it afterwards, on any
// Gate of the store, is refused; without one it does nothing. Nothing is
// recorded in the audit log and no observer is told. An empty id is an
// error wrapping ErrInvalidOutcome; a Clock reading before 2000, one
// wrapping ErrInvalidConfig (nothing marked). A decision released before
// (its call placed after all) needs its call counted again, which takes the
// dial: MarkPlaced returns an error wrapping ErrInvalidOutcome naming
// "dial" — report the outcome with its dial (ReportOutcome), which counts
// it once.
func (g *Gate) MarkPlaced(ctx context.Context, decisionID string) error {
	return g.markPlacedOf(ctx, Outcome{DecisionID: decisionID})
}

// MarkPlacedDial is MarkPlaced for a malformed report that still carries
// the dial the call was placed with, well formed (as the gRPC sidecar's
// ReportOutcome refused for its ring_duration or its disposition): a
// decision released before has its call counted again with dial, once, as
// ReportOutcome counts a malformed outcome's call. A dial that is not valid
// fails that recount as MarkPlaced does (an error wrapping
// ErrInvalidOutcome naming the dial's field); the decision is marked placed
// all the same.
func (g *Gate) MarkPlacedDial(ctx context.Context, decisionID string, dial Dial) error {
	return g.markPlacedOf(ctx, Outcome{DecisionID: decisionID, Dial: dial})
}

// markPlacedOf is MarkPlaced and MarkPlacedDial: o has the id and the dial.
func (g *Gate) markPlacedOf(ctx context.Context, o Outcome) error {
	if err := g.usable(ctx); err != nil {
		return err
	}
	if err := decisionIDError(o.DecisionID); err != nil {
		return err
	}
	at, err := g.readClock("mark")
	if err != nil {
		return err
	}
	o.At = at
	return g.markPlaced(ctx, o)
}

// readClock reads the Clock for a release, an outcome or a mark (what),
// refusing an instant before 2000 as Check does, with an error wrapping
// ErrInvalidConfig: a pause, a count or a guard's mark stamped decades
// early would hold back no dial (uk's 72 hours after an abandoned call
// would be over before they began), and a release marked then would not be
// seen by the outcome after it. Nothing is applied; the caller retries once
// the clock is right, and meanwhile the capacity stays reserved.
func (g *Gate) readClock(what string) (time.Time, error) {
	t, err := g.now()
	if err != nil {
		g.log.Error("dialgate: the clock panicked; refusing", "what", what, "err", err)
		return time.Time{}, fmt.Errorf("the %s is not applied, retry: %w", what, err)
	}
	if t.Before(minClock) {
		g.log.Error("dialgate: the clock reads before 2000; refusing", "what", what, "clock", t)
		return time.Time{}, fmt.Errorf("clock: reads %s, before 2000 (a clock reset or not yet synchronised): the %s is not applied, retry once the clock is right: %w", t.UTC().Format(time.RFC3339), what, ErrInvalidConfig)
	}
	return t, nil
}

// MaxRingDuration is the longest Outcome.RingDuration ReportOutcome takes:
// a day, as the scenario format bounds ring_seconds. A longer one is a unit
// mistake; it is refused (ErrInvalidOutcome), not recorded.
const MaxRingDuration = 24 * time.Hour

// validOutcome reports the first malformed field of o (its DecisionID
// given) as a FieldError wrapping ErrInvalidOutcome.
func validOutcome(o Outcome) error {
	if o.RingDuration < 0 {
		return &FieldError{Field: "ring_duration", Problem: fmt.Sprintf("negative (%v)", o.RingDuration), Err: ErrInvalidOutcome}
	}
	if o.RingDuration > MaxRingDuration {
		return &FieldError{Field: "ring_duration", Problem: fmt.Sprintf("%v is more than a day (no call rings that long: milliseconds given as seconds?)", o.RingDuration), Err: ErrInvalidOutcome}
	}
	if o.AbandonMessage && !o.Abandoned {
		return &FieldError{Field: "abandon_message", Problem: "set on a call not reported abandoned (the recorded message is for an abandoned call)", Err: ErrInvalidOutcome}
	}
	if o.Released && (o.Answered || o.Conversation || o.Abandoned || o.Refused || o.RingDuration > 0) {
		return &FieldError{Field: "released", Problem: "set on an outcome of a placed call (answered, conversation, abandoned, refused or a ring time): a released dial was not placed", Err: ErrInvalidOutcome}
	}
	return nil
}

// observeOne tells one observer of o, turning a panic into an error: one
// observer's bug must not keep the outcome from the others (a conversation
// that starts a no-call pause) or from the audit log.
func observeOne(ctx context.Context, obs OutcomeObserver, o Outcome) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("panic in outcome observer: %v", p)
		}
	}()
	return obs.ObserveOutcome(ctx, o)
}
