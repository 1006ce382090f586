package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/auditlog"
	"github.com/dialgate/dialgate/consent"
	"github.com/dialgate/dialgate/internal/sidecar"
	"github.com/dialgate/dialgate/numbering"
	"github.com/dialgate/dialgate/storage"
	"github.com/dialgate/dialgate/storage/boltstore"
)

func (a *app) consentCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "consent",
		Short: "Manage consent evidence (add, revoke, show, export)",
		Long: `Consent records prove that a person agreed to marketing calls (337号 CN-S3):
number, scope (industry:, business:, campaign: or tenant:), the seller it was
given to (tenant; optional), capture method, the SHA-256 of the disclosure
text, a pointer to the evidence, and when it was granted, lapses and was
revoked. Records are never edited: consent given again
is a new record with a new id. They are kept in the store in --data, or
with --config in the fleet's shared store (the one the sidecars read); a
revocation is durable before the command returns.`,
	}
	a.addFleetFlag(cmd)
	cmd.AddCommand(a.consentAddCmd(), a.consentRevokeCmd(), a.consentShowCmd(), a.consentExportCmd())
	return cmd
}

// flagOf maps a record field's wire name to its flag.
func flagOf(field string) string { return "--" + strings.ReplaceAll(field, "_", "-") }

// consentAdded is `consent add --json`: the record written.
type consentAdded struct {
	ID     string `json:"id"`
	Number string `json:"number"`
	Scope  string `json:"scope"`
	Tenant string `json:"tenant,omitempty"` // the seller it was given to; absent when tied to none
	Method string `json:"method"`
}

// consentRevoked is `consent revoke --json`.
type consentRevoked struct {
	ID        string    `json:"id"`
	RevokedAt time.Time `json:"revoked_at"` // of the first revocation, when it was already revoked
	Channel   string    `json:"channel,omitempty"`
	// RequestedAt is --at when it was before the consent's granted_at (the
	// consent is then revoked as of its grant: RevokedAt = granted_at), or
	// after the current time or before 2000 (revoked as of now).
	RequestedAt time.Time `json:"requested_at,omitzero"`
}

// consentFlags are the flags that give one consent record: consent add
// writes it to the store, admin consent add sends it to a running sidecar.
type consentFlags struct {
	r                                       consent.Record
	number, scope, method, granted, expires string
}

// consentFlagNames are the flags consentFlags registers.
var consentFlagNames = []string{"id", "number", "scope", "tenant", "method", "disclosure-sha256", "evidence-uri", "channel", "granted-at", "expires-at"}

// register adds the record's flags to cmd.
func (c *consentFlags) register(cmd *cobra.Command) {
	f := cmd.Flags()
	f.StringVar(&c.r.ID, "id", "", "the record's id (required)")
	f.StringVar(&c.number, "number", "", "the person's number, e.g. +8613900139000 (required)")
	f.StringVar(&c.scope, "scope", "", "what the consent covers: industry:NAME, business:NAME, campaign:NAME or tenant:NAME (required)")
	f.StringVar(&c.r.Tenant, "tenant", "", "the seller (dial tenant) it was given to; it then covers only that tenant's dials (default: every tenant's)")
	f.StringVar(&c.method, "method", "", "how it was captured: web_form, ivr_keypress, recorded_verbal, written or in_app (required)")
	f.StringVar(&c.r.DisclosureSHA256, "disclosure-sha256", "", "SHA-256 (hex) of the disclosure text agreed to (required for web_form, ivr_keypress, in_app; a profile may require it for every method — us does: dialgate policy explain PROFILE; a record without it is stored but allows none of that profile's dials)")
	f.StringVar(&c.r.EvidenceURI, "evidence-uri", "", "where the proof is kept (required for recorded_verbal and written; a profile may require it for every method — us does: dialgate policy explain PROFILE; a record without it is stored but allows none of that profile's dials)")
	f.StringVar(&c.r.Channel, "channel", "", "where it was captured (website, ivr, agent, app)")
	f.StringVar(&c.granted, "granted-at", "", "when it was given (RFC 3339, required)")
	f.StringVar(&c.expires, "expires-at", "", "when it lapses (RFC 3339; default: never)")
}

// record returns the record the flags give, validated as a new record; a
// bad or missing value is bad input (exit 2) naming its flag.
func (c *consentFlags) record(cmd *cobra.Command) (consent.Record, error) {
	r := c.r
	if c.number == "" {
		return r, usageErr("--number: missing")
	}
	n, err := dialgate.ParseNumber(c.number)
	if err != nil {
		return r, usageErr("--number: %v", err)
	}
	if cmd.Flags().Changed("tenant") && r.Tenant == "" {
		// An empty --tenant (an unset shell variable) would grant
		// for every tenant; leaving the flag out says that.
		return r, usageErr("--tenant: empty; leave it out for a consent tied to no tenant (it then covers every tenant's dials in its scope)")
	}
	if cmd.Flags().Changed("expires-at") && c.expires == "" {
		// An empty --expires-at (an unset shell variable) would store a
		// consent that never lapses; leaving the flag out says that.
		return r, usageErr("--expires-at: empty; leave it out for a consent that does not lapse by time")
	}
	r.Number, r.Scope, r.Method = n, consent.Scope(c.scope), consent.Method(c.method)
	for _, f := range []struct {
		flag, v string
		dst     *time.Time
	}{{"--granted-at", c.granted, &r.GrantedAt}, {"--expires-at", c.expires, &r.ExpiresAt}} {
		if f.v == "" {
			continue
		}
		t, err := time.Parse(time.RFC3339, f.v)
		if err != nil {
			return r, usageErr("%s: %q is not an RFC 3339 time (2026-11-01T10:00:00+08:00)", f.flag, f.v)
		}
		if t.IsZero() && f.flag == "--expires-at" {
			// The zero instant (what a template prints for an unset
			// time) reads as no expiry: the consent would never lapse.
			// Leaving the flag out says that, as for JSON "expires_at".
			return r, usageErr("--expires-at: %s is the zero instant (an unset time?); leave it out for a consent that does not lapse by time", f.v)
		}
		*f.dst = t
	}
	if err := r.ValidateNew(); err != nil {
		var fe *consent.FieldError
		if errors.As(err, &fe) {
			return r, usageErr("%s: %s", flagOf(fe.Field), fe.Problem)
		}
		return r, usageErr("%v", err)
	}
	return r, checkGrantedAt(r.GrantedAt)
}

// checkGrantedAt refuses a consent granted in the future, or before 2000
// (bad input).
func checkGrantedAt(t time.Time) error {
	if t.Before(minTime) {
		// A zero Unix time a template filled in, a clock reset: not when
		// the person agreed (the sidecar's GrantConsent refuses it too).
		return usageErr("--granted-at: %s is before 2000: a zero or unset time? (give when the person agreed)", t.Format(time.RFC3339))
	}
	if now := time.Now(); t.After(now) {
		// Dated in the future it is a wrong clock or zone offset: it
		// would start allowing dials at an instant nobody agreed to. Not
		// even a little ahead (the capturing host's clock): a withdrawal
		// recorded before that instant would be dated before the grant,
		// which would then read as consent given again after it, and
		// allow dials the person withdrew. The sidecar's GrantConsent
		// refuses it too.
		return usageErr("--granted-at: %s is in the future (now %s): consent cannot be granted in the future (check the zone offset, or the clock of the host that captured it)",
			t.Format(time.RFC3339), now.UTC().Format(time.RFC3339))
	}
	return nil
}

func (a *app) consentAddCmd() *cobra.Command {
	var (
		cf     consentFlags
		js     string
		asJSON bool
	)
	cmd := &cobra.Command{
		Use:   "add (--id ID --number N --scope S [--tenant NAME] --method M --granted-at T [flags] | --from-json FILE)",
		Short: "Add one consent record, from flags or from a JSON object (FILE, or - for stdin)",
		Long: `Adds one consent record. With --from-json, reads one JSON object with the keys
id, number, scope, tenant, method, disclosure_sha256, evidence_uri, channel,
granted_at, expires_at (unknown keys are an error). An id that already exists
is refused (exit 1): consent given again is a new record with a new id. The
same record again (every field as stored, not revoked since: a rerun after
its answer or audit record was lost) is a retry, as through the sidecar's
GrantConsent: exit 0, recorded as applied and unchanged (not another grant).

--tenant names the seller (the dials' tenant) the person consented to: the
record then covers only that tenant's dials in its scope. Without it the
record covers every tenant's dials in its scope, which is right only where one
seller dials; a sidecar dialling for several sellers should give each consent
its tenant.

Audit: the consent is recorded (change record consent.grant, actor: the OS
user) in the audit log of --data (DIR/audit, as dialgate check writes) before
it is added; when the log cannot record it nothing is added (exit 1).

While dialgate serve runs on the same --data its store is locked: record
consents through it with dialgate admin consent add.`,
		Args: argsUsage(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			var r consent.Record
			if js != "" {
				if countSet(cmd, consentFlagNames...) > 0 {
					return usageErr("--from-json: give the record either as JSON or as flags, not both")
				}
				data, err := a.readInput(js)
				if err != nil {
					return usageErr("--from-json: %v", err)
				}
				if r, err = consent.ParseRecordJSON(data); err != nil {
					return usageErr("--from-json: %s", strings.TrimPrefix(err.Error(), "consent: "))
				}
				if err := checkGrantedAt(r.GrantedAt); err != nil {
					return err
				}
			} else {
				var err error
				if r, err = cf.record(cmd); err != nil {
					return err
				}
			}
			// Bad input is refused before anything is written. The log is
			// opened first: on a new --data its keys are made before the
			// store (a store without its key is refused).
			if err := a.checkHome(sharedAny, "consents"); err != nil {
				return err
			}
			l := a.openChangeLog(cmd.Context())
			defer l.close()
			s, done, err := a.openConsents(cmd.Context(), true)
			if err != nil {
				return err
			}
			defer done()
			// A consent may allow dials: it is recorded in the audit log
			// as requested first, and not added when it cannot be.
			ch, err := newCLIChange(auditlog.OpConsentGrant, time.Now())
			if err != nil {
				return err
			}
			ch.ID, ch.Number, ch.Scope, ch.Tenant, ch.Source, ch.EffectiveAt = r.ID, r.Number, string(r.Scope), r.Tenant, r.Channel, r.GrantedAt
			// The same grant again (its answer or completion record
			// lost) is a retry, as through the sidecar's GrantConsent:
			// recorded as unchanged, not as another grant.
			unchanged := false
			refused, err, notRecorded := a.recordThenApply(cmd.Context(), l, ch, func() error {
				err := s.AddConsent(cmd.Context(), r)
				if !errors.Is(err, storage.ErrConflict) {
					return err
				}
				old, gerr := s.Consent(cmd.Context(), r.ID)
				switch {
				case gerr != nil || !old.SameGrant(&r):
					return err
				case old.Revoked():
					return fmt.Errorf("consent %s exists and was revoked; consent given again is a new record with a new id: %w", r.ID, err)
				}
				unchanged = true
				return auditlog.ErrUnchanged
			})
			if refused != nil {
				return refused
			}
			if err != nil {
				return failErr(err)
			}
			if asJSON {
				if err := a.printJSON(consentAdded{ID: r.ID, Number: r.Number.String(), Scope: string(r.Scope), Tenant: r.Tenant, Method: string(r.Method)}); err != nil {
					return err
				}
				return notRecorded
			}
			if unchanged {
				fmt.Fprintf(a.stdout, "unchanged consent %s: the store holds this record (a retry)\n", r.ID)
				return notRecorded
			}
			fmt.Fprintln(a.stdout, consentAddedText(r))
			return notRecorded
		},
	}
	cf.register(cmd)
	f := cmd.Flags()
	f.StringVar(&js, "from-json", "", "read the record as a JSON object from FILE (- for stdin)")
	f.BoolVar(&asJSON, "json", false, `print what was added as JSON: {"id", "number", "scope", "tenant" (when given), "method"}`)
	return cmd
}

// consentAddedText says that r was added.
func consentAddedText(r consent.Record) string {
	if r.Tenant != "" {
		return fmt.Sprintf("added consent %s (%s, tenant %s, %s) for %s", r.ID, r.Scope, r.Tenant, r.Method, r.Number)
	}
	return fmt.Sprintf("added consent %s (%s, %s) for %s", r.ID, r.Scope, r.Method, r.Number)
}

func countSet(cmd *cobra.Command, names ...string) int {
	n := 0
	for _, name := range names {
		if f := cmd.Flags().Lookup(name); f != nil && f.Changed {
			n++
		}
	}
	return n
}

// readInput reads a JSON input of at most maxJSONInput bytes: stdin for
// "-", else the file name (not a directory).
func (a *app) readInput(name string) ([]byte, error) {
	if name == "-" {
		return readLimited(a.stdin, "stdin")
	}
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if st, err := f.Stat(); err == nil && st.IsDir() {
		return nil, fmt.Errorf("%s: is a directory", name)
	}
	return readLimited(f, name)
}

// maxJSONInput is the most a command reads of a JSON input (a dial, a
// consent record).
const maxJSONInput = 1 << 20

// readLimited reads r to its end, or fails when it holds more than
// maxJSONInput bytes: cut there, the input would be misreported (or, read
// whole, exhaust memory).
func readLimited(r io.Reader, name string) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, maxJSONInput+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, unwrapPathErr(err))
	}
	if len(b) > maxJSONInput {
		return nil, fmt.Errorf("%s: larger than 1 MiB (a JSON object is expected)", name)
	}
	return b, nil
}

func (a *app) consentRevokeCmd() *cobra.Command {
	var at, channel string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "revoke ID [--at T] [--channel C]",
		Short: "Withdraw a consent; effective (and fsynced) before the command returns",
		Long: `Withdraws the consent record ID at --at (default: now), noting how the
withdrawal arrived (--channel: call, sms, web, complaint…). Revoking an already
revoked record changes nothing. An unknown id exits 1 and writes nothing; a
--data holding no store (a mistyped path) exits 2.
A withdrawal is never refused for its instant: --at before the record's
granted_at (clock skew, a wrong zone offset) revokes it as of its grant, and
--at after the current time revokes it as of now (a withdrawal is not dated
in the future), and so does --at before 2000 (a zero or unset time: taken
literally it would not reach the person's consents granted since); the
command says so.
Audit: the withdrawal is made first, then recorded (change record
consent.revoke) in the audit log of --data; when the log cannot record it the
withdrawal stays in force and the command exits 1 saying so (run it again to
record it).`,
		Args: argsUsage(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			now := time.Now()
			t := now
			var future time.Time // --at when it was after now: revoked as of now
			var unset time.Time  // --at when it was before 2000: revoked as of now
			if at != "" {
				var err error
				if t, err = time.Parse(time.RFC3339, at); err != nil {
					return usageErr("--at: %q is not an RFC 3339 time (want e.g. 2026-12-05T09:05:00+08:00)", at)
				}
				switch {
				case t.After(now.Add(maxClockSkew)):
					// A wrong year or zone offset: the withdrawal has been
					// made, so it is recorded as of now, not refused, and
					// not dated when nobody withdrew.
					future, t = t, now.Truncate(time.Second)
				case t.Before(minTime):
					// A zero Unix time a script filled in, a clock reset:
					// as the sidecar's RevokeConsent, now. Taken literally
					// it revoked the consent as of its grant, and a
					// withdrawal dated that early did not reach the
					// person's records granted since, which kept allowing
					// dials.
					unset, t = t, now.Truncate(time.Second)
				}
			}
			if err := consent.ValidateID(args[0]); err != nil {
				return usageErr("ID: %s", strings.TrimPrefix(err.Error(), "consent: id: "))
			}
			if err := checkText("--channel", channel); err != nil {
				return err
			}
			// The store must exist: a revocation needs the record, and at a
			// mistyped --data a new store would only answer "not found".
			s, done, err := a.openConsents(cmd.Context(), false)
			if err != nil {
				return err
			}
			defer done()
			// A withdrawal only denies more: it is made first, never
			// refused because the audit log cannot be written, then
			// recorded.
			ch, err := newCLIChange(auditlog.OpConsentRevoke, now)
			if err != nil {
				return err
			}
			ch.ID, ch.Source = args[0], channel
			// After the store, which must exist: a mistyped --data gets
			// no keys or log.
			l := a.openChangeLog(cmd.Context())
			defer l.close()
			var r consent.Record
			err, notRecorded := applyThenRecord(cmd.Context(), l, &ch, func() error {
				// A consent revoked already (a retry, a second
				// withdrawal) stays revoked as of the first: the record
				// says it changed nothing, and the report does not count
				// it again. The store answers both alike, so the record
				// is read first; a read that fails does not hold the
				// withdrawal back.
				old, rerr := s.Consent(cmd.Context(), args[0])
				var err error
				r, err = s.RevokeConsent(cmd.Context(), args[0], t, channel)
				// The record names the consent's number, so that a
				// number's history holds its revocations too.
				ch.Number, ch.EffectiveAt = r.Number, r.RevokedAt
				if err == nil && rerr == nil && old.Revoked() {
					return auditlog.ErrUnchanged
				}
				return err
			})
			if errors.Is(err, storage.ErrNotFound) {
				return failErr(fmt.Errorf("consent %s not found; nothing revoked", args[0]))
			}
			if fe := (*consent.FieldError)(nil); errors.As(err, &fe) {
				// Never for --at before granted_at (revoked as of the grant);
				// a bad --channel, or a stored record that is malformed.
				flag := map[string]string{"revoked_at": "--at", "revocation_channel": "--channel"}[fe.Field]
				if flag == "" {
					return failErr(err)
				}
				return usageErr("%s: %s", flag, fe.Problem)
			}
			if err != nil {
				return failErr(err)
			}
			// Revoked as of its grant: --at was before it.
			early := t.Before(r.GrantedAt) && r.RevokedAt.Equal(r.GrantedAt)
			if asJSON {
				out := consentRevoked{ID: r.ID, RevokedAt: r.RevokedAt, Channel: r.RevocationChannel}
				if early {
					out.RequestedAt = t
				}
				if !future.IsZero() {
					out.RequestedAt = future
				}
				if !unset.IsZero() {
					out.RequestedAt = unset
				}
				if err := a.printJSON(out); err != nil {
					return err
				}
				return notRecorded
			}
			if early {
				fmt.Fprintf(a.stdout, "revoked consent %s as of its grant %s (--at %s is before granted_at)\n",
					r.ID, r.RevokedAt.Format(time.RFC3339), t.Format(time.RFC3339))
				return notRecorded
			}
			if !unset.IsZero() && r.RevokedAt.Equal(t) {
				fmt.Fprintf(a.stdout, "revoked consent %s at %s, now (--at %s is before 2000: a zero or unset time?)\n", r.ID, r.RevokedAt.Format(time.RFC3339), unset.Format(time.RFC3339))
				return notRecorded
			}
			if !future.IsZero() && r.RevokedAt.Equal(t) {
				fmt.Fprintf(a.stdout, "revoked consent %s at %s, now (--at %s is in the future)\n", r.ID, r.RevokedAt.Format(time.RFC3339), future.Format(time.RFC3339))
				return notRecorded
			}
			fmt.Fprintf(a.stdout, "revoked consent %s at %s\n", r.ID, r.RevokedAt.Format(time.RFC3339))
			return notRecorded
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, `print what was revoked as JSON: {"id", "revoked_at", "channel"}`)
	cmd.Flags().StringVar(&at, "at", "", "instant of the withdrawal (RFC 3339; default now)")
	cmd.Flags().StringVar(&channel, "channel", "", "how the withdrawal arrived (call, sms, web, complaint…)")
	return cmd
}

// openReadStore opens the existing store in --data. No store there is bad
// input (exit 2: --data names the wrong directory); a store that exists but
// cannot be opened — locked by a dialgate serve on the same --data, damaged,
// of a newer schema — is a failure (exit 1), as for check.
func (a *app) openReadStore() (*boltstore.Store, error) {
	path := filepath.Join(a.data, boltstore.DefaultFileName)
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return nil, usageErr("--data: no store at %s", path)
	}
	s, err := boltstore.Open(path, boltstore.Options{})
	if err != nil {
		return nil, failErr(dataErr(err))
	}
	return s, nil
}

func (a *app) consentShowCmd() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "show NUMBER [--json]",
		Short: "Show the consent records of a number; exit 1 when it has none",
		Long: `Shows every consent record of NUMBER, revoked and expired ones too, by
grant time then id. For a French overseas line (+596 596 … and +33 596 …) it
shows the records of both spellings, as the check reads them, and says so on
stderr when the other spelling has some. TENANT is the seller the record was
given to; "(any)" marks a record tied to no tenant, which covers every
tenant's dials in its scope. --json prints the records as stored (tenant
absent when tied to none).`,
		Args: argsUsage(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			n, err := dialgate.ParseNumber(args[0])
			if err != nil {
				return usageErr("NUMBER: %v", err)
			}
			s, done, err := a.openConsents(cmd.Context(), false)
			if err != nil {
				return err
			}
			defer done()
			// A French overseas line's records under its other spelling
			// are the same person's, and the check relies on them too.
			recs, err := consent.LineRecords(cmd.Context(), s, n)
			if err != nil {
				return failErr(err)
			}
			if alt, ok := numbering.OverseasAlias(n); ok && slices.ContainsFunc(recs, func(r consent.Record) bool { return r.Number == alt }) {
				fmt.Fprintf(a.stderr, "dialgate: the records of %s, the line's other spelling, are listed too\n", alt)
			}
			if asJSON {
				if err := a.printJSON(recs); err != nil {
					return err
				}
			} else {
				tw := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "ID\tSCOPE\tTENANT\tMETHOD\tGRANTED\tEXPIRES\tREVOKED\tCHANNEL\tDISCLOSURE SHA-256\tEVIDENCE")
				for _, r := range recs {
					rev := fmtT(r.RevokedAt)
					if r.RevocationChannel != "" {
						rev += " (" + r.RevocationChannel + ")"
					}
					fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.ID, r.Scope, tenantCol(r.Tenant), r.Method, fmtT(r.GrantedAt),
						fmtT(r.ExpiresAt), rev, dash(r.Channel), dash(r.DisclosureSHA256), dash(r.EvidenceURI))
				}
				if err := tw.Flush(); err != nil {
					return err
				}
			}
			if len(recs) == 0 {
				fmt.Fprintf(a.stderr, "dialgate: no consent records for %s\n", n)
				return silent(exitFailed)
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print as JSON")
	return cmd
}

// tenantCol is a record's tenant in `consent show`: "(any)" for a record
// tied to no tenant (it covers every tenant's dials in its scope).
func tenantCol(t string) string {
	if t == "" {
		return "(any)"
	}
	return t
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// consentExportSchema tags the evidence bundle of `dialgate consent export`.
const consentExportSchema = "dialgate.consent-export.v1"

// consentBundle is the evidence bundle for one number: its records, their
// history, and the audit-log decisions that named one of the records.
type consentBundle struct {
	Schema     string                     `json:"schema"`
	Number     dialgate.Number            `json:"number"`
	ExportedAt time.Time                  `json:"exported_at"`
	Records    []consent.Record           `json:"records"`
	History    []consent.Event            `json:"history"`
	Decisions  []*auditlog.DecisionRecord `json:"decisions"`
	// AuditLog says where decisions were read from, or why none were.
	AuditLog string `json:"audit_log"`
}

func (a *app) consentExportCmd() *cobra.Command {
	var auditDirs []string
	cmd := &cobra.Command{
		Use:   "export NUMBER",
		Short: "Print the evidence bundle (JSON) of a number: records, history, and the decisions that relied on them",
		Long: `Prints, as JSON, everything dialgate holds on the consent of NUMBER, for a
complaint or an audit: every record (revoked and expired ones too), their
history (grants and withdrawals, in order), for a French overseas line those
of both its spellings (the records in the order consent show lists them),
and the decisions in the audit log
(--data/audit) that named one of the records as their consent — allowed dials
that relied on it and dials it could not allow. Decisions are matched by
consent id; denials for a missing consent name no record and are not included.
The output is always JSON; --json is accepted for scripts that pass it to
every command.`,
		Args: argsUsage(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			n, err := dialgate.ParseNumber(args[0])
			if err != nil {
				return usageErr("NUMBER: %v", err)
			}
			s, done, err := a.openConsents(cmd.Context(), false)
			if err != nil {
				return err
			}
			defer done()
			ctx := cmd.Context()
			b := consentBundle{Schema: consentExportSchema, Number: n, ExportedAt: time.Now().UTC()}
			// A French overseas line's records under its other spelling
			// are the same person's, and the check relies on them too.
			if b.Records, err = consent.LineRecords(ctx, s, n); err != nil {
				return failErr(err)
			}
			if b.History, err = consent.LineHistory(ctx, s, n); err != nil {
				return failErr(err)
			}
			ids := make([]string, len(b.Records))
			for i, r := range b.Records {
				ids[i] = r.ID
			}
			// A directory named on the command line must be one: a mistyped
			// path would export no decisions, as if none had relied on the
			// consent. Only the default may be missing (no decision yet).
			for _, dir := range auditDirs {
				st, err := os.Stat(dir)
				if err != nil {
					return usageErr("--audit: %s: %v", dir, unwrapPathErr(err))
				}
				if !st.IsDir() {
					return usageErr("--audit: %s: not a directory (want an audit log directory, such as DATA/audit)", dir)
				}
			}
			dirs := auditDirs
			if len(dirs) == 0 {
				dirs = []string{filepath.Join(a.data, sidecar.AuditDir)}
			}
			var notes []string
			b.Decisions = []*auditlog.DecisionRecord{}
			for _, dir := range dirs {
				ds, note, err := decisionsNaming(dir, ids)
				if err != nil {
					return failErr(err)
				}
				b.Decisions = append(b.Decisions, ds...)
				notes = append(notes, note)
			}
			b.AuditLog = strings.Join(notes, "; ")
			if err := a.printJSON(b); err != nil {
				return err
			}
			if len(b.Records) == 0 {
				fmt.Fprintf(a.stderr, "dialgate: no consent records for %s\n", n)
				return silent(exitFailed)
			}
			return nil
		},
	}
	cmd.Flags().StringArrayVar(&auditDirs, "audit", nil, "an audit log directory to search, repeatable (default --data/audit; in a fleet, every sidecar's)")
	cmd.Flags().Bool("json", true, "print as JSON (always; accepted for consistency)")
	return cmd
}

// decisionsNaming reads the audit log in dir and returns the decisions whose
// consent, or a reason's consent.id evidence, is one of ids.
func decisionsNaming(dir string, ids []string) ([]*auditlog.DecisionRecord, string, error) {
	out := []*auditlog.DecisionRecord{}
	if _, err := os.Stat(dir); errors.Is(err, os.ErrNotExist) {
		return out, "no audit log at " + dir + "; no decisions exported", nil
	}
	files, err := auditlog.LogFiles(dir)
	if err != nil {
		return nil, "", fmt.Errorf("audit log: %w", err)
	}
	for _, path := range files {
		if err := scanDecisions(path, ids, &out); err != nil {
			return nil, "", err
		}
	}
	return out, fmt.Sprintf("%s (%d files; run `dialgate audit verify` to check its integrity)", dir, len(files)), nil
}

func scanDecisions(path string, ids []string, out *[]*auditlog.DecisionRecord) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("audit log: %w", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64*1024), auditlog.MaxLineBytes+1)
	for lineNo := 1; sc.Scan(); lineNo++ {
		l, err := auditlog.ParseLine(sc.Bytes())
		if err != nil {
			return fmt.Errorf("audit log %s:%d: %w", path, lineNo, err)
		}
		if d := l.Decision; d != nil && namesConsent(d, ids) {
			*out = append(*out, d)
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("audit log %s: %w", path, err)
	}
	return nil
}

func namesConsent(d *auditlog.DecisionRecord, ids []string) bool {
	if d.Consent != nil && slices.Contains(ids, d.Consent.ID) {
		return true
	}
	for _, r := range d.Reasons {
		for _, e := range r.Evidence {
			if e.Key == consent.EvidenceID && slices.Contains(ids, e.Value) {
				return true
			}
		}
	}
	return false
}
