package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/consent"
	"github.com/dialgate/dialgate/dnc"
	"github.com/dialgate/dialgate/internal/sidecar"
	"github.com/dialgate/dialgate/internal/strictjson"
	"github.com/dialgate/dialgate/policy"
	"github.com/dialgate/dialgate/schedule"
	"github.com/dialgate/dialgate/storage/boltstore"
	"github.com/dialgate/dialgate/storage/memstore"
	"github.com/dialgate/dialgate/sweep"
)

// dialInput is a dial as `check --json` reads it on stdin; the keys are the
// scenario file's dial keys.
type dialInput struct {
	To           string `json:"to"`
	From         string `json:"from,omitempty"`
	Purpose      string `json:"purpose"`
	Tenant       string `json:"tenant,omitempty"`
	Industry     string `json:"industry,omitempty"`
	BusinessLine string `json:"business_line,omitempty"`
	Campaign     string `json:"campaign,omitempty"`
	Subject      string `json:"subject,omitempty"`
	ConsentID    string `json:"consent_id,omitempty"`
	LeadID       string `json:"lead_id,omitempty"`
	TriggerAt    string `json:"trigger_at,omitempty"`
	Route        string `json:"route,omitempty"`
	CalleeZone   string `json:"callee_zone,omitempty"`
	// AgentReserved says an agent is reserved for the call: it cannot be
	// abandoned, so an abandoned-call rate cap does not deny it.
	AgentReserved bool   `json:"agent_reserved,omitempty"`
	At            string `json:"at,omitempty"`
}

// dialFlags maps the wire names of dial fields to their flags.
var dialFlags = map[string]string{
	"to": "to", "from": "from", "purpose": "purpose", "tenant": "tenant", "industry": "industry",
	"business_line": "business-line", "campaign": "campaign", "subject": "subject",
	"consent_id": "consent-id", "lead_id": "lead-id", "trigger_at": "trigger-at", "route": "route",
	"callee_zone": "callee-zone", "agent_reserved": "agent-reserved", "at": "at",
}

func (a *app) checkCmd() *cobra.Command {
	var (
		in         dialInput
		profile    string
		registries []string
		blackouts  string
		whatIf     bool
		asJSON     bool
	)
	cmd := &cobra.Command{
		Use:   "check --to NUMBER --purpose PURPOSE [flags]",
		Short: "Decide one dial and print the decision",
		Long: `Decide one dial under a profile and print the decision: allowed, or denied with
every reason code. With --json, read the dial as a JSON object on stdin (keys
to, from, purpose, tenant, industry, business_line, campaign, subject,
consent_id, lead_id, trigger_at, route, callee_zone, agent_reserved, at) and print
the decision as JSON.

Registries: profiles that require national registries (us, uk, ca, au) deny
every dial (dnc.registry_stale) unless a current copy is given with --registry.

State: when DIR/dialgate.db (see --data) exists, check uses that store (do-not-
call lists, counters), records its reservations there and the decision in the
audit log in DIR/audit, like dialgate serve (which must not be running on the
same DIR: the store is locked to one process). The runs of the sweep
sequential and stride rules, which that store does not hold, check keeps in
DIR/sweep-runs.jsonl, so that a walk through a segment checked dial by dial
is seen (dialgate serve keeps its own in memory; a fleet's Redis or
PostgreSQL, with --config, keeps the fleet's). Otherwise it decides
without stored lists, consents or counters, says so on stderr and never
creates the store. Such a decision fails closed: it is DENIED (exit 1), each
check that would have read the store — dnc, consent, frequency, and sweep
under a segment_rate rule (the profile's or the tenant's own) — adding its <check>.unavailable reason naming the
missing store to whatever the rules say against empty state. --what-if says
you only want to know what the rules themselves say: the checks judge empty
lists, consents and counters, and an allow exits 0. --what-if with a store
(or a fleet's Redis or PostgreSQL) is refused (exit 2): the decision would
reserve capacity and be recorded.

Time: --at (or the input's at) decides at another instant than now, only
without a store, where nothing is stored (with --what-if or without). With a
store (or a fleet's Redis or PostgreSQL) it is refused (exit 2): that
decision is real, made now, and its reservations (frequency caps, sweep
runs, pauses) and audit record belong to the instant the dial is placed;
stored at another instant they would miss today's caps and count in another
quarter's report.

Profile: the one dialgate serve runs on --data (recorded in its
serve-profile.json) unless --profile is given; cn, with a note on stderr,
when none is recorded. With a store (or a fleet's), another profile is
refused (exit 2): the decision is real; without, it is only warned about.
The allow lifetime is the one serve recorded there too (the frequency caps
count over their window plus it).

Fleets: with --config (the YAML of dialgate serve) check decides as that
config's sidecar would: under its profile (a different --profile is refused),
with its registries, its HMAC key, its shared Redis/PostgreSQL stores, its
blackouts file, its allow_lifetime (the frequency caps count over their
window plus it) and its check_timeout. --blackouts FILE decides under that declarations file
instead (try one before putting it in force).

Exit codes: 0 allowed; 1 denied, or no decision possible (the audit log or the
store failed): do not dial; 2 bad input.`,
		Example: `  dialgate check --to +8613800138000 --from +861058001234 --purpose service --lead-id crm-42
  dialgate check --data ./scratch --what-if --to +8613800138000 --purpose service \
      --lead-id crm-42 --at 2026-12-04T22:30:00+08:00
  echo '{"to":"+8613800138000","purpose":"service","lead_id":"crm-42"}' | dialgate check --json`,
		Args: argsUsage(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, args []string) error {
			name := func(field string) string { return "--" + dialFlags[field] }
			if asJSON {
				for _, f := range dialFlags {
					if cmd.Flags().Changed(f) && f != "at" {
						return usageErr("--%s: not allowed with --json (give the dial on stdin)", f)
					}
				}
				at := in.At
				in = dialInput{}
				if err := decodeDial(a.stdin, &in); err != nil {
					return err
				}
				if at != "" {
					if in.At != "" {
						return usageErr("--at and the input's at both set the decision time; give one")
					}
					in.At = at
				}
				name = func(field string) string {
					if field == "at" && at != "" {
						return "--at"
					}
					return fmt.Sprintf("input key %q", field)
				}
			}
			d, at, err := in.toDial(name)
			if err != nil {
				return err
			}
			profile, err := a.resolveProfile(cmd, profile, a.checkUse())
			if err != nil {
				return err
			}
			if !cmd.Flags().Changed("blackouts") {
				if fleet := a.fleet(); fleet != nil {
					blackouts = fleet.BlackoutsFile
				}
			}
			return a.check(cmd.Context(), d, at, profile, registries, blackouts, whatIf, asJSON, name)
		},
	}
	f := cmd.Flags()
	f.StringVar(&in.To, "to", "", "callee number in E.164 form, e.g. +8613800138000 (required)")
	f.StringVar(&in.From, "from", "", "caller ID to present, e.g. +861058001234")
	f.StringVar(&in.Purpose, "purpose", "", "marketing, service, callback, collections or survey (required)")
	f.StringVar(&in.Tenant, "tenant", "", "tenant placing the call")
	f.StringVar(&in.Industry, "industry", "", "industry category, e.g. finance")
	f.StringVar(&in.BusinessLine, "business-line", "", "business line within the industry, e.g. loans")
	f.StringVar(&in.Campaign, "campaign", "", "campaign id")
	f.StringVar(&in.Subject, "subject", "", "matter the call is about (a debt or account reference)")
	f.StringVar(&in.ConsentID, "consent-id", "", "consent record the call relies on")
	f.StringVar(&in.LeadID, "lead-id", "", "CRM or list record the number came from")
	f.StringVar(&in.TriggerAt, "trigger-at", "", "RFC 3339 time of the inbound contact an instant callback answers")
	f.StringVar(&in.Route, "route", "", "domestic (default) or international")
	f.StringVar(&in.CalleeZone, "callee-zone", "", "IANA time zone of the callee's known location (e.g. America/Los_Angeles), judged as well as the number's zones")
	f.BoolVar(&in.AgentReserved, "agent-reserved", false, "an agent is reserved for the call (preview or progressive dialing), so it cannot be abandoned: a campaign over its abandoned-call rate cap (us, uk) does not deny it")
	f.StringVar(&in.At, "at", "", "decide at this RFC 3339 time instead of now (a fixed clock), where nothing is stored: refused with a store at --data (or a fleet's, --config), whose decisions are real and made now; try an instant with --what-if on a --data without a store")
	f.StringVar(&profile, "profile", "", profileFlagHelp)
	f.StringVar(&a.fleetConfig, "config", "", "the YAML config of dialgate serve: decide as its sidecar would (its profile, registries, HMAC key and shared Redis/PostgreSQL stores)")
	f.BoolVar(&whatIf, "what-if", false, "with no store at --data, judge the rules against empty lists, consents and counters (otherwise the checks reading them deny, <check>.unavailable); refused when there is a store")
	f.StringArrayVar(&registries, "registry", nil, "registry snapshot file (dnc build), repeatable; its header names the registry")
	f.StringVar(&blackouts, "blackouts", "", "declared no-call periods file (schema dialgate.blackouts.v1); default: the --config's blackouts_file")
	f.BoolVar(&asJSON, "json", false, "read the dial as JSON on stdin and print the decision as JSON")
	return cmd
}

func decodeDial(r io.Reader, in *dialInput) error {
	data, err := readLimited(r, "stdin")
	if err != nil {
		return usageErr("%v", err)
	}
	// encoding/json matches keys case-insensitively and keeps the last of
	// duplicates: {"purpose":"service","Purpose":"marketing"} would be
	// decided as a marketing call without a word.
	if k, p, bad := strictjson.BadKey(data, dialKeys); bad {
		if len(k) > 40 {
			k = k[:40] + "…"
		}
		k = strings.ToValidUTF8(k, "?")
		if p == strictjson.Twice {
			return usageErr("stdin: field %q given twice", k)
		}
		return usageErr("stdin: unknown field %q (keys are lower case: %s)", k, strings.Join(slices.Sorted(maps.Keys(dialKeys)), ", "))
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(in); err != nil {
		if errors.Is(err, io.EOF) {
			return usageErr("stdin: empty (want a JSON object with the dial's keys)")
		}
		return usageErr("stdin: %s", strings.TrimPrefix(err.Error(), "json: "))
	}
	// dec.More reports a stray "}" or "]" as no more input: only the end
	// of the input may follow the object.
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return usageErr("stdin: more than one JSON value")
	}
	return nil
}

// dialKeys are the keys of the dial `check --json` reads, exactly as
// written.
var dialKeys = func() map[string]bool {
	m := make(map[string]bool, len(dialFlags))
	for k := range dialFlags {
		m[k] = true
	}
	return m
}()

// toDial parses the input; name says how to call a field in errors.
func (in *dialInput) toDial(name func(string) string) (dialgate.Dial, time.Time, error) {
	var (
		d   dialgate.Dial
		at  time.Time
		err error
	)
	if in.To == "" {
		return d, at, usageErr("%s: missing (the callee number, e.g. +8613800138000)", name("to"))
	}
	if d.To, err = dialgate.ParseNumber(in.To); err != nil {
		return d, at, usageErr("%s: %v", name("to"), err)
	}
	if in.From != "" {
		if d.From, err = dialgate.ParseNumber(in.From); err != nil {
			return d, at, usageErr("%s: %v", name("from"), err)
		}
	}
	if in.Purpose == "" {
		return d, at, usageErr("%s: missing (want marketing, service, callback, collections or survey)", name("purpose"))
	}
	if d.Purpose, err = dialgate.ParsePurpose(in.Purpose); err != nil {
		return d, at, usageErr("%s: %s", name("purpose"), strings.TrimSuffix(err.Error(), ": "+dialgate.ErrInvalidDial.Error()))
	}
	for _, t := range []struct {
		field string
		s     string
		dst   *time.Time
	}{{"trigger_at", in.TriggerAt, &d.TriggerAt}, {"at", in.At, &at}} {
		if t.s == "" {
			continue
		}
		if *t.dst, err = time.Parse(time.RFC3339, t.s); err != nil {
			return d, at, usageErr("%s: %q is not an RFC 3339 time (want e.g. 2026-12-04T22:30:00+08:00)", name(t.field), t.s)
		}
	}
	d.Tenant, d.Industry, d.BusinessLine, d.Campaign = in.Tenant, in.Industry, in.BusinessLine, in.Campaign
	d.Subject, d.ConsentID, d.LeadID, d.Route = in.Subject, in.ConsentID, in.LeadID, dialgate.Route(in.Route)
	d.CalleeZone, d.AgentReserved = in.CalleeZone, in.AgentReserved
	d.At = at
	if err := d.Validate(); err != nil {
		var fe *dialgate.FieldError
		if errors.As(err, &fe) {
			return d, at, usageErr("%s: %s", name(fe.Field), fe.Problem)
		}
		return d, at, usageErr("%v", err)
	}
	return d, at, nil
}

// openDeps opens the store in --data when it exists (with the data
// directory's keys, shared with dialgate serve), else an empty in-memory store
// with a throw-away key; and loads the registry snapshots given. close
// releases the store.
//
// With --config (the YAML of dialgate serve) it decides as that config's
// sidecar would: its registries too, the fleet's HMAC key, and the fleet's
// shared stores (Redis, PostgreSQL) in place of the local store's.
func (a *app) openDeps(ctx context.Context, registries []string) (deps policy.Deps, close func() error, ephemeral bool, err error) {
	for _, r := range registries {
		if err := notDir("--registry", r); err != nil {
			return deps, nil, false, err
		}
	}
	fleet := a.fleet()
	if err := a.refuseFleetData(sharedAny, "its do-not-call lists, consents and counters"); err != nil {
		return deps, nil, false, err
	}
	var keyFile string
	if fleet != nil {
		registries = append(slices.Clone(fleet.Registries), registries...)
		keyFile = fleet.HMACKeyFile
	}
	regs, err := dnc.LoadRegistries(registries...)
	if err != nil {
		return deps, nil, false, usageErr("--registry: %v", err)
	}
	var (
		st  interface{ Close() error }
		key []byte
	)
	path := filepath.Join(a.data, boltstore.DefaultFileName)
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		fmt.Fprintf(a.stderr, "dialgate: note: no store at %s; %s\n", path, noStoreState(fleet).note())
		st, key, ephemeral = memstore.New(), make([]byte, 32), true
		if _, err := rand.Read(key); err != nil {
			return deps, nil, false, failErr(err)
		}
		if keyFile != "" {
			keys, err := sidecar.LoadKeysFile(a.data, keyFile)
			if err != nil {
				return deps, nil, false, keysErr(fmt.Errorf("--config: %w", err))
			}
			key = keys.HMAC
		}
	} else {
		if err := sidecar.CheckStoreKey(a.data, keyFile); err != nil {
			return deps, nil, false, failErr(fmt.Errorf("%s: %w", keysFlag(keyFile), err))
		}
		b, err := boltstore.Open(path, boltstore.Options{})
		if err != nil {
			// The store exists but cannot be used (locked by a running
			// sidecar, damaged, too new): no decision possible, exit 1.
			return deps, nil, false, failErr(dataErr(err))
		}
		keys, err := sidecar.LoadKeysFile(a.data, keyFile)
		if err != nil {
			b.Close()
			return deps, nil, false, keysErr(fmt.Errorf("%s: %w", keysFlag(keyFile), err))
		}
		st, key = b, keys.HMAC
	}
	if deps, err = policy.StoreDeps(st, key); err != nil {
		st.Close()
		return deps, nil, false, failErr(err)
	}
	for _, r := range regs {
		deps.DNCRegistries = append(deps.DNCRegistries, r)
	}
	close = st.Close
	if fleet != nil {
		_, closeShared, err := sidecar.OpenShared(ctx, *fleet, &deps)
		if err != nil {
			st.Close()
			return deps, nil, false, failErr(fmt.Errorf("--config: %w", err))
		}
		close = func() error { return errors.Join(closeShared(), st.Close()) }
		// Counters and sweep runs shared through Redis, or through
		// PostgreSQL without Redis, are the fleet's: the decision is real
		// (it reserves and records there) even without a local store.
		ephemeral = ephemeral && fleet.Redis == "" && fleet.Postgres == ""
	}
	if _, local := deps.Runs.(*boltstore.Store); !ephemeral && (deps.Runs == nil || local) {
		// check keeps the sweep runs of its decisions beside the store
		// (runsJournalFile), as it did before the embedded store kept
		// runs of its own (those are serve's): in this process's memory
		// alone they were gone when check exited, and a walk through a
		// segment checked dial by dial was never seen.
		j, err := openRunsJournal(ctx, a.data, a.clock().Now())
		if err != nil {
			return deps, nil, false, failErr(errors.Join(fmt.Errorf("--data: %w", err), close()))
		}
		deps.Runs = j
		closeStore := close
		close = func() error { return errors.Join(j.Close(), closeStore()) }
	}
	return deps, close, ephemeral, nil
}

// storeState is what check reads when --data holds no store: each kind of
// state the local store would hold, and whether the fleet of --config
// shares it (Redis: do-not-call entries, counters, consents; PostgreSQL:
// do-not-call entries, consents, and counters without Redis).
type storeState []struct {
	name   string
	shared bool
}

// noStoreState returns the state check reads without a local store, with
// fleet the config of --config or nil.
func noStoreState(fleet *sidecar.Config) storeState {
	var redis, pg bool
	if fleet != nil {
		redis, pg = fleet.Redis != "", fleet.Postgres != ""
	}
	return storeState{
		{"do-not-call lists", redis || pg},
		{"consents", redis || pg},
		{"counters", redis || pg},
	}
}

// note says what a decision without a local store reads: "deciding with the
// fleet's shared do-not-call lists and consents (--config) and without
// stored counters".
func (s storeState) note() string {
	shared, missing := s.split()
	switch {
	case len(shared) == 0:
		return "deciding without stored " + joinWords(missing, "or")
	case len(missing) == 0:
		return "deciding with the fleet's shared " + joinWords(shared, "and") + " (--config)"
	}
	return "deciding with the fleet's shared " + joinWords(shared, "and") + " (--config) and without stored " + joinWords(missing, "or")
}

// split returns the names of the kinds the fleet shares and of those it
// does not.
func (s storeState) split() (shared, missing []string) {
	for _, k := range s {
		if k.shared {
			shared = append(shared, k.name)
		} else {
			missing = append(missing, k.name)
		}
	}
	return shared, missing
}

// joinWords joins words as a list in prose: "a", "a or b", "a, b or c".
func joinWords(words []string, conj string) string {
	if len(words) <= 1 {
		return strings.Join(words, "")
	}
	return strings.Join(words[:len(words)-1], ", ") + " " + conj + " " + words[len(words)-1]
}

func (a *app) check(ctx context.Context, d dialgate.Dial, at time.Time, profile string, registries []string, blackouts string, whatIf, asJSON bool, name func(string) string) error {
	p, err := policy.Load(profile)
	if err != nil {
		return usageErr("--profile: %v", err)
	}
	var decl *schedule.Declarations
	if blackouts != "" {
		b, err := os.ReadFile(blackouts)
		if err != nil {
			return usageErr("--blackouts: %v", err)
		}
		v, err := schedule.ParseDeclarations(blackouts, b)
		if err != nil {
			return usageErr("--blackouts: %v", err)
		}
		decl = &v
	}
	deps, closeStore, ephemeral, err := a.openDeps(ctx, registries)
	if err != nil {
		return err
	}
	defer closeStore()
	if !at.IsZero() && !ephemeral {
		// A decision against a store is real: its reservations (frequency
		// caps, sweep runs, pauses) and its audit record would be stored at
		// the instant given by hand, not when the dial is placed, so they
		// would not count toward today's caps and an allow would land in
		// that instant's quarter. Fail closed: only the real clock decides.
		return usageErr("%s: refused with a store (%s): a decision there is real, and its reservations and audit record would be stored at that instant instead of now (left out of today's frequency caps, counted in that instant's quarter); leave %s out to decide now, or try an instant with --what-if on a --data without a store, where nothing is reserved or recorded",
			name("at"), a.checkStore(), name("at"))
	}
	if whatIf && !ephemeral {
		// --what-if says nothing real is decided; against a store the
		// decision would reserve capacity and be recorded in its audit log.
		return usageErr("--what-if: only for a --data without a store, but %s (or the fleet of --config) is a store: check would reserve capacity and record the decision there; drop --what-if to decide for real, or give a --data without a store", filepath.Join(a.data, boltstore.DefaultFileName))
	}
	if !ephemeral {
		// Carry the counters of a changed frequency window as the sidecar
		// on this data directory does (a store that exists may hold the
		// counters of a build that kept no history).
		_, statErr := os.Stat(filepath.Join(a.data, boltstore.DefaultFileName))
		h, _, err := sidecar.LoadCounterHistory(a.data, p, a.clock().Now(), statErr == nil)
		if err != nil {
			return failErr(fmt.Errorf("--data: %w", err))
		}
		deps.CounterHistory = &h
	}
	clock := a.clock()
	if !at.IsZero() {
		clock = dialgate.ClockFunc(func() time.Time { return at })
	}
	// A decision against the store reserves capacity like one of dialgate
	// serve: it is recorded in the same audit log. Without a store nothing
	// real was decided (see --what-if) and nothing is recorded.
	audit := dialgate.WithoutAuditLog()
	if !ephemeral {
		var keyFile string
		if fleet := a.fleet(); fleet != nil {
			keyFile = fleet.HMACKeyFile
		}
		alog, _, err := sidecar.OpenAuditLog(ctx, a.data, keyFile, p.Name)
		if err != nil {
			return keysErr(fmt.Errorf("--data: %w", err))
		}
		defer func() {
			if cerr := alog.Close(); cerr != nil {
				fmt.Fprintf(a.stderr, "dialgate: audit log: %v\n", cerr)
			}
		}()
		audit = dialgate.WithAuditLog(alog)
	}
	// With --config, the Gate of that config's sidecar: its allow lifetime
	// (the frequency check counts every cap over its window plus it) and
	// its check timeout.
	gopts := []dialgate.Option{dialgate.WithPolicyVersion(p.Version()), audit, dialgate.WithClock(clock)}
	if fleet := a.fleet(); fleet == nil && !ephemeral {
		// Without --config, the allow lifetime of the sidecar on --data,
		// as it recorded it (resolveProfile reported a damaged record).
		if rec, found, err := sidecar.ReadDataProfile(a.data); err == nil && found && rec.AllowLifetime != 0 {
			l := time.Duration(rec.AllowLifetime)
			if l < 0 || l > dialgate.MaxAllowLifetime {
				return usageErr("--data: %s: allow_lifetime: %v is outside (0, %v]", filepath.Join(a.data, sidecar.DataProfileFile), l, dialgate.MaxAllowLifetime)
			}
			deps.AllowLifetime = l
			gopts = append(gopts, dialgate.WithAllowLifetime(l))
		}
	} else if fleet != nil {
		if l := time.Duration(fleet.AllowLifetime); l != 0 {
			if l < 0 || l > dialgate.MaxAllowLifetime {
				return usageErr("--config: %s: allow_lifetime: %v is outside (0, %v]", a.fleetConfig, l, dialgate.MaxAllowLifetime)
			}
			deps.AllowLifetime = l
			gopts = append(gopts, dialgate.WithAllowLifetime(l))
		}
		if t := time.Duration(fleet.CheckTimeout); t != 0 {
			if t < 0 {
				return usageErr("--config: %s: check_timeout: %v is negative", a.fleetConfig, t)
			}
			gopts = append(gopts, dialgate.WithCheckTimeout(t))
		}
	}
	checks, err := policy.Checks(p, deps)
	if err != nil {
		return usageErr("--profile: %v", err)
	}
	if ephemeral && !whatIf {
		checks = storeless(checks, filepath.Join(a.data, boltstore.DefaultFileName))
	}
	g, err := dialgate.New(checks, gopts...)
	if err != nil {
		return usageErr("--profile: %v", err)
	}
	if decl != nil {
		declared := false
		for _, c := range checks {
			if w, ok := c.(*schedule.WindowCheck); ok {
				if err := w.Declare(*decl); err != nil {
					return usageErr("--blackouts: %v", err)
				}
				declared = true
			}
		}
		if !declared {
			return usageErr("--blackouts: profile %s has no schedule section: declared blackouts would stop no call", p.Name)
		}
	}
	dec, err := g.Check(ctx, d)
	if err != nil {
		var fe *dialgate.FieldError
		if errors.As(err, &fe) {
			return usageErr("%s: %s", name(fe.Field), fe.Problem)
		}
	}
	if asJSON {
		if jerr := a.printJSON(dec); jerr != nil {
			return jerr
		}
	} else {
		writeDecision(a.stdout, dec)
	}
	if err != nil {
		return failErr(err)
	}
	if !dec.Allowed {
		return silent(exitFailed)
	}
	return nil
}

// storeless returns checks for a decision without a store (and without
// --what-if): each check that reads stored state — the do-not-call check
// (its stored lists), consent, frequency (counters) and sweep when a
// segment_rate rule (the profile's or the dial's tenant's) counts the dial —
// still judges the dial against the empty state and adds its
// "<check>.unavailable" reason naming store; its evidence is dropped (the
// check did not see what it would have relied on). So the decision is a
// deny, and what is printed, its JSON and the exit code say the same. The other checks judge the dial as usual.
func storeless(checks []dialgate.Checker, store string) []dialgate.Checker {
	out := make([]dialgate.Checker, len(checks))
	for i, c := range checks {
		out[i] = c
		var what string
		reads := func(dialgate.Dial) bool { return true }
		switch s := c.(type) {
		case *dnc.Check:
			what = "do-not-call lists were"
		case *consent.Check:
			what = "consents were"
		case *schedule.CapCheck:
			what = "counters were"
		case *sweep.Check:
			// The segment_rate that counts may be the dial's tenant's own
			// (sweep.tenants), which the profile may lack.
			if s.HasSegmentRate() {
				what = "segment counters were"
				reads = func(d dialgate.Dial) bool { return s.CountsSegments(d.Tenant) }
			}
		}
		if what == "" {
			continue
		}
		missing := dialgate.Reason{Code: dialgate.UnavailableCode(c.Name()),
			Message: fmt.Sprintf("no store at %s, so no stored %s consulted (give --data, or --what-if to judge the rules against empty state)", store, what)}
		out[i] = dialgate.CheckerFunc(c.Name(), func(ctx context.Context, d dialgate.Dial) ([]dialgate.Reason, error) {
			rs, err := c.Check(ctx, d)
			if err != nil || !reads(d) {
				return rs, err
			}
			return append(slices.Clip(rs), missing), nil
		})
	}
	return out
}

func writeDecision(w io.Writer, dec dialgate.Decision) {
	var b strings.Builder
	switch {
	case dec.Allowed && dec.Shadow && len(dec.Reasons) > 0:
		b.WriteString("ALLOWED (shadow mode: the rules below were not enforced)\n")
	case dec.Allowed:
		b.WriteString("ALLOWED\n")
	default:
		b.WriteString("DENIED\n")
	}
	if dec.Allowed && !dec.ValidUntil.IsZero() {
		// RFC 3339 drops the fraction of a second: the instant printed is
		// never after the real one.
		fmt.Fprintf(&b, "  place the call before %s; after it, check again\n", dec.ValidUntil.In(dec.At.Location()).Format(time.RFC3339))
	}
	for _, r := range dec.Reasons {
		fmt.Fprintf(&b, "  - %s: %s\n", r.Code, r.Message)
		if !r.NextAllowedAt.IsZero() {
			fmt.Fprintf(&b, "      next allowed at %s\n", r.NextAllowedAt.In(dec.At.Location()).Format(time.RFC3339))
		}
		for _, e := range r.Evidence {
			fmt.Fprintf(&b, "      %s: %s\n", e.Key, e.Value)
		}
	}
	if len(dec.Evidence) > 0 {
		b.WriteString("evidence:\n")
		for _, e := range dec.Evidence {
			fmt.Fprintf(&b, "  %s: %s\n", e.Key, e.Value)
		}
	}
	fmt.Fprintf(&b, "decision %s at %s, policy %s\n", dec.ID, dec.At.Format(time.RFC3339), dec.PolicyVersion)
	io.WriteString(w, b.String())
}

// checkUse is what check does with its profile: with a store in --data, or
// a fleet's shared stores (--config), the decision is real (it reserves
// capacity and is recorded) and follows the profile serve runs; without,
// it is a what-if.
func (a *app) checkUse() profileUse {
	if fleet := a.fleet(); fleet != nil && (fleet.Redis != "" || fleet.Postgres != "") {
		return profileWrites
	}
	if _, err := os.Stat(filepath.Join(a.data, boltstore.DefaultFileName)); err == nil {
		return profileWrites
	}
	return profileReads
}

// checkStore names the store a check at --data decides against: the
// fleet's shared stores of --config when it has Redis or PostgreSQL, else
// the store in --data.
func (a *app) checkStore() string {
	if fleet := a.fleet(); fleet != nil && (fleet.Redis != "" || fleet.Postgres != "") {
		return "the fleet's shared stores of --config"
	}
	return filepath.Join(a.data, boltstore.DefaultFileName)
}
