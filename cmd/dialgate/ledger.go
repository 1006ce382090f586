package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/auditlog"
	"github.com/dialgate/dialgate/callerid"
	"github.com/dialgate/dialgate/internal/durable"
	"github.com/dialgate/dialgate/internal/sidecar"
	"github.com/dialgate/dialgate/storage"
	"github.com/dialgate/dialgate/storage/boltstore"
)

func (a *app) ledgerCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "ledger",
		Short: "Manage the caller-ID ledger (numbering resources a tenant may present)",
		Long: `The caller-ID ledger records, per tenant, every number the tenant may present
as caller ID: resource type (95, 96, 400, 800, fixed, mobile_business), holder,
access, qualification, purposes, validity and office-use-only flag (CN-S7).
It is kept in the store in --data, or with --config in the fleet's PostgreSQL
(the one the sidecars read).`,
	}
	a.addFleetFlag(cmd)
	cmd.AddCommand(a.ledgerAddCmd(), a.ledgerShowCmd(), a.ledgerImportCmd())
	return cmd
}

// openWriteStore opens (creating it when needed) the durable store in --data.
// A --data that cannot be a directory is bad input (exit 2); a store that
// cannot be opened — locked by a dialgate serve on the same --data, damaged,
// of a newer schema — is a failure (exit 1), as for check.
func (a *app) openWriteStore() (*boltstore.Store, error) {
	if err := mkdirData(a.data); err != nil {
		return nil, usageErr("--data: %v", err)
	}
	return a.openDataStore()
}

// openDataStore opens the store in --data (which exists), creating it when
// needed. Before it creates the store it makes the data directory's keys, as
// the first start of dialgate serve does: serve and the CLI refuse a store
// whose HMAC key is missing (taken for a lost key), so a store made by
// `dnc import`, `consent` or `ledger` before the first serve must come with
// its key.
//
// A store it creates is announced on stderr with its absolute path: --data
// (default ./dialgate-data) is relative to the working directory, and a
// write into a new store that no sidecar reads (an opt-out imported from
// the wrong directory) would otherwise exit 0 and stop no dial. With
// --config (a fleet) the note is not printed: the commands then write to
// the fleet's shared stores, which every sidecar reads, and keep in --data
// only what is not shared (its keys, its audit log).
func (a *app) openDataStore() (*boltstore.Store, error) {
	path := filepath.Join(a.data, boltstore.DefaultFileName)
	created := false
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		created = true
		var keyFile string
		if f := a.fleet(); f != nil {
			keyFile = f.HMACKeyFile
		}
		if _, err := sidecar.LoadKeysFile(a.data, keyFile); err != nil {
			return nil, keysErr(fmt.Errorf("%s: %w", keysFlag(keyFile), err))
		}
	}
	s, err := boltstore.Open(path, boltstore.Options{})
	if err != nil {
		return nil, failErr(dataErr(err))
	}
	if created && a.fleet() == nil {
		abs, aerr := filepath.Abs(a.data)
		if aerr != nil {
			abs = a.data
		}
		a.notef("created a new store in %s (--data): a dialgate serve reads only the store in its own --data, so what is written here reaches no sidecar running on another --data; give its --data, make the change with dialgate admin, or in a fleet give --config", abs)
	}
	return s, nil
}

// ledgerAdded is `ledger add --json`: the entry written.
type ledgerAdded struct {
	Tenant    string          `json:"tenant"`
	Number    string          `json:"number"` // the caller ID (the tenant's own number)
	Type      string          `json:"type"`
	Unchanged bool            `json:"unchanged,omitempty"` // the ledger held this entry already
	Replaced  *callerid.Entry `json:"replaced,omitempty"`  // the entry --replace replaced
}

// ledgerImported is `ledger import --json`.
type ledgerImported struct {
	Tenant    string `json:"tenant"`
	File      string `json:"file"`
	Imported  int    `json:"imported"`  // entries stored
	New       int    `json:"new"`       // of those, numbers the ledger did not hold
	Unchanged int    `json:"unchanged"` // held already, the same
	Replaced  int    `json:"replaced"`  // held already, replaced (--replace)
}

// ledgerChange is what writing e would do to the ledger.
type ledgerChange int

const (
	ledgerNew ledgerChange = iota
	ledgerUnchanged
	ledgerReplaces
)

// ledgerPrior reads the entry the ledger holds for e's tenant and number
// and tells what writing e does to it. An entry with other facts is
// refused (exit 1, naming the fields and their stored values) unless
// replace: the ledger keeps no history, so a silent replacement would lose
// the holder, purposes or validity an earlier decision relied on. A stored
// entry that cannot be read (damaged) is replaced only with replace. prev
// is the stored entry when it was read.
func ledgerPrior(ctx context.Context, s callerid.Store, e callerid.Entry, replace bool, where string) (ledgerChange, *callerid.Entry, error) {
	prev, err := s.LedgerEntry(ctx, e.Tenant, e.Number)
	switch {
	case errors.Is(err, storage.ErrNotFound):
		return ledgerNew, nil, nil
	case err != nil && replace && errors.Is(err, storage.ErrCorrupt):
		return ledgerReplaces, nil, nil
	case err != nil:
		return 0, nil, failErr(err)
	}
	diff := prev.ChangedFields(e)
	if diff == nil {
		return ledgerUnchanged, &prev, nil
	}
	if !replace {
		return 0, nil, failErr(fmt.Errorf("%s%s is already in the ledger of tenant %q with another %s (stored: %s); give --replace to replace the entry (the ledger keeps no history; its ledger.add change record will name the entry replaced)",
			where, e.Number, e.Tenant, strings.Join(diff, ", "), ledgerFields(prev, diff)))
	}
	return ledgerReplaces, &prev, nil
}

// ledgerExpect is what the ledger must still hold for e's tenant and
// number when e is written, for ledgerPrior's change and prev to stay
// true: nothing (a new number), the entry read (unchanged or replaced), or
// an entry that cannot be read (replaced unreadable).
func ledgerExpect(e callerid.Entry, change ledgerChange, prev *callerid.Entry) callerid.Expect {
	switch {
	case change == ledgerNew:
		return callerid.ExpectNone(e.Tenant, e.Number)
	case prev != nil:
		return callerid.ExpectSame(*prev)
	}
	return callerid.ExpectDamaged(e.Tenant, e.Number)
}

// ledgerWrite stores entries, all or none, only while the ledger holds,
// for each, what expect (in the same order) says — what its change record
// says it replaces. A store that implements callerid.ConditionalStore (the
// store in --data, a fleet's PostgreSQL) checks that in the transaction of
// the write, so another writer can neither come between nor be
// overwritten unseen; with any other store the check is a read made just
// before the write (callerid.PutLedgerChecked: two steps). When another
// writer changed, added, deleted or damaged an entry since it was read the
// error wraps storage.ErrConflict and names the number (where(i) starts the
// message for entry i), and nothing is stored.
func ledgerWrite(ctx context.Context, s callerid.Store, expect []callerid.Expect, entries []callerid.Entry, where func(i int) string) error {
	err := callerid.PutLedgerChecked(ctx, s, expect, entries...)
	var ce *callerid.ConflictError
	if !errors.As(err, &ce) {
		return err
	}
	at := ""
	for i, e := range entries {
		if e.Tenant == ce.Tenant && e.Number == ce.Number {
			at = where(i)
			break
		}
	}
	return fmt.Errorf("%s%w: nothing stored; run the command again", at, ce)
}

// ledgerImportPlan is what an import does to the ledger, read before its
// change record is written: per entry, the change and the entry it
// replaces (nil when new, or unreadable).
type ledgerImportPlan struct {
	file    string
	entries []callerid.Entry
	changes []ledgerChange
	prevs   []*callerid.Entry
	replace bool
	res     ledgerImported
	// replaced names, for the change record, every entry replaced, in the
	// order of the file.
	replaced []auditlog.LedgerReplacement
}

// where names entry i of the file in messages.
func (p *ledgerImportPlan) where(i int) string { return fmt.Sprintf("%s: entry %d: ", p.file, i+1) }

// planLedgerImport reads what importing entries (of file) would do; an
// entry with other facts than the ledger's is an error (exit 1) unless
// replace, as for ledger add.
func planLedgerImport(ctx context.Context, s callerid.Store, entries []callerid.Entry, replace bool, file string) (*ledgerImportPlan, error) {
	p := &ledgerImportPlan{file: file, entries: entries, replace: replace, changes: make([]ledgerChange, len(entries)), prevs: make([]*callerid.Entry, len(entries))}
	p.res.Imported = len(entries)
	for i, e := range entries {
		change, prev, err := ledgerPrior(ctx, s, e, replace, p.where(i))
		if err != nil {
			return nil, err
		}
		p.changes[i], p.prevs[i] = change, prev
		switch change {
		case ledgerNew:
			p.res.New++
		case ledgerUnchanged:
			p.res.Unchanged++
		case ledgerReplaces:
			p.res.Replaced++
			p.replaced = append(p.replaced, auditlog.LedgerReplacement{CallerID: e.Number.String(),
				Replaced: sidecar.ReplacedLedgerEntry(prev), ReplacedUnreadable: prev == nil})
		}
	}
	return p, nil
}

// apply stores the plan's entries, all or none, only if every one of them
// still does what the plan (and so the change record) says: a number
// another writer added, changed, deleted or damaged since it was read is
// refused (storage.ErrConflict, naming the entry) and nothing is stored.
// The check is made by the store in the transaction of the write
// (ledgerWrite; the store in --data and a fleet's PostgreSQL both can).
func (p *ledgerImportPlan) apply(ctx context.Context, s callerid.Store) error {
	expect := make([]callerid.Expect, len(p.entries))
	for i, e := range p.entries {
		expect[i] = ledgerExpect(e, p.changes[i], p.prevs[i])
	}
	return ledgerWrite(ctx, s, expect, p.entries, p.where)
}

// ledgerFields writes the named fields of e as name=value.
func ledgerFields(e callerid.Entry, names []string) string {
	parts := make([]string, 0, len(names))
	for _, n := range names {
		var v string
		switch n {
		case "type":
			v = string(e.Type)
		case "holder":
			v = strconv.Quote(e.Holder)
		case "access":
			v = strconv.Quote(e.Access)
		case "qualification":
			v = strconv.Quote(e.Qualification)
		case "purposes":
			ps := make([]string, len(e.Purposes))
			for i, p := range e.Purposes {
				ps[i] = string(p)
			}
			v = strings.Join(ps, ",")
		case "valid_from":
			v = fmtT(e.ValidFrom)
		case "valid_until":
			v = fmtT(e.ValidUntil)
		case "office_use_only":
			v = strconv.FormatBool(e.OfficeUseOnly)
		default:
			continue
		}
		parts = append(parts, n+"="+v)
	}
	return strings.Join(parts, " ")
}

// ledgerFlags are the flags that give one ledger entry: ledger add writes
// it to the store, admin ledger add sends it to a running sidecar.
type ledgerFlags struct {
	e                   callerid.Entry
	number, typ, purps  string
	validFrom, validTil string
}

// register adds the entry's flags to cmd.
func (l *ledgerFlags) register(cmd *cobra.Command) {
	f := cmd.Flags()
	f.StringVar(&l.e.Tenant, "tenant", "", "tenant that holds the number")
	f.StringVar(&l.number, "number", "", "the caller ID, e.g. +861058001234 (required)")
	f.StringVar(&l.typ, "type", "", "resource type: 95, 96, 400, 800, fixed or mobile_business (default: from the number; mobiles must say mobile_business)")
	f.StringVar(&l.e.Holder, "holder", "", "legal entity the number is allocated to (required)")
	f.StringVar(&l.e.Access, "access", "", "how the number is connected (carrier, trunk)")
	f.StringVar(&l.e.Qualification, "qualification", "", "holder's licence or qualification")
	f.StringVar(&l.purps, "purposes", "", "comma-separated purposes: marketing, service, callback, collections, survey (required)")
	f.StringVar(&l.validFrom, "valid-from", "", "first instant the number may be used (RFC 3339)")
	f.StringVar(&l.validTil, "valid-until", "", "instant the number stops being usable (RFC 3339)")
	f.BoolVar(&l.e.OfficeUseOnly, "office-use-only", false, "the number is for office use only (never an outbound caller ID)")
}

// entry returns the normalized entry the flags give; a bad or missing value
// is bad input (exit 2) naming its flag.
func (l *ledgerFlags) entry() (callerid.Entry, error) {
	e := l.e
	if l.number == "" {
		return e, usageErr("--number: missing")
	}
	n, err := dialgate.ParseNumber(l.number)
	if err != nil {
		return e, usageErr("--number: %v", err)
	}
	e.Number, e.Type = n, callerid.ResourceType(l.typ)
	for _, p := range strings.Split(l.purps, ",") {
		if p = strings.TrimSpace(p); p != "" {
			e.Purposes = append(e.Purposes, dialgate.Purpose(p))
		}
	}
	for _, f := range []struct {
		flag, v string
		dst     *time.Time
	}{{"--valid-from", l.validFrom, &e.ValidFrom}, {"--valid-until", l.validTil, &e.ValidUntil}} {
		if f.v == "" {
			continue
		}
		t, err := time.Parse(time.RFC3339, f.v)
		if err != nil {
			return e, usageErr("%s: %q is not an RFC 3339 time (2027-12-31T00:00:00+08:00)", f.flag, f.v)
		}
		*f.dst = t
	}
	norm, err := e.Normalize()
	if err != nil {
		// The message starts with the entry's field (valid_until):
		// name its flag (--valid-until), and leave the rest, which
		// quotes values and names them as written (mobile_business).
		field, rest, _ := strings.Cut(err.Error(), ": ")
		return e, usageErr("--%s: %s", strings.ReplaceAll(field, "_", "-"), rest)
	}
	return norm, nil
}

func (a *app) ledgerAddCmd() *cobra.Command {
	var (
		lf      ledgerFlags
		asJSON  bool
		replace bool
	)
	cmd := &cobra.Command{
		Use:   "add --tenant T --number N --holder H --purposes P[,P…] [--replace] [flags]",
		Short: "Add one ledger entry (or replace one with --replace)",
		Long: `Add one ledger entry. A number the tenant's ledger already holds with other
facts (holder, purposes, validity…) is refused (exit 1, naming the fields and
their stored values) unless --replace is given: the ledger keeps no history,
but the change record (ledger.add) names the entry replaced, as stored. The
same entry again changes nothing
(exit 0, "unchanged"). An entry is recorded (change record ledger.add) in the
audit log of --data before it is stored; when the log cannot record it nothing
is stored (exit 1). While dialgate serve runs on the same --data its store
is locked: send the entry through it with dialgate admin ledger add.`,
		Args: argsUsage(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			norm, err := lf.entry()
			if err != nil {
				return err
			}
			// Bad input is refused before anything is written. The log is
			// opened first: on a new --data its keys are made before the
			// store (a store without its key is refused).
			if err := a.checkHome(sharedPostgres, "the caller-ID ledger"); err != nil {
				return err
			}
			l := a.openChangeLog(cmd.Context())
			defer l.close()
			s, done, err := a.openLedger(cmd.Context(), true)
			if err != nil {
				return err
			}
			defer done()
			change, prev, err := ledgerPrior(cmd.Context(), s, norm, replace, "--number: ")
			if err != nil {
				return err
			}
			var notRecorded error
			if change != ledgerUnchanged {
				// A ledger entry may allow dials (or, replaced, lose the
				// stored one): it is recorded as requested first, and not
				// stored when it cannot be.
				ch, err := newCLIChange(auditlog.OpLedgerAdd, time.Now())
				if err != nil {
					return err
				}
				ch.Tenant, ch.CallerID, ch.EffectiveAt, ch.Replace = norm.Tenant, norm.Number.String(), norm.ValidFrom, replace
				if change == ledgerReplaces {
					// The ledger keeps no history: the record names the
					// entry replaced, or that it could not be read; the
					// write is made only while it is still that entry.
					ch.Replaced, ch.ReplacedUnreadable = sidecar.ReplacedLedgerEntry(prev), prev == nil
				}
				var refused, aerr error
				refused, aerr, notRecorded = a.recordThenApply(cmd.Context(), l, ch, func() error {
					// A fleet's ledger is shared: the entry is stored only
					// if the ledger still holds what the record says,
					// checked in the write's transaction.
					return ledgerWrite(cmd.Context(), s, []callerid.Expect{ledgerExpect(norm, change, prev)}, []callerid.Entry{norm},
						func(int) string { return "--number: " })
				})
				if refused != nil {
					return refused
				}
				if aerr != nil {
					return failErr(aerr)
				}
			}
			if asJSON {
				res := ledgerAdded{Tenant: norm.Tenant, Number: norm.Number.String(), Type: string(norm.Type), Unchanged: change == ledgerUnchanged}
				if change == ledgerReplaces {
					res.Replaced = prev
				}
				if err := a.printJSON(res); err != nil {
					return err
				}
				return notRecorded
			}
			switch {
			case change == ledgerUnchanged:
				fmt.Fprintf(a.stdout, "unchanged %s (%s) for tenant %q: the ledger holds this entry\n", norm.Number, norm.Type, norm.Tenant)
			case change == ledgerReplaces && prev != nil:
				fmt.Fprintf(a.stdout, "replaced %s (%s) for tenant %q; was: %s\n", norm.Number, norm.Type, norm.Tenant, ledgerFields(*prev, prev.ChangedFields(norm)))
			case change == ledgerReplaces:
				fmt.Fprintf(a.stdout, "replaced %s (%s) for tenant %q; the stored entry was damaged\n", norm.Number, norm.Type, norm.Tenant)
			default:
				fmt.Fprintf(a.stdout, "added %s (%s) for tenant %q\n", norm.Number, norm.Type, norm.Tenant)
			}
			return notRecorded
		},
	}
	lf.register(cmd)
	cmd.Flags().BoolVar(&replace, "replace", false, "replace the entry the tenant's ledger holds for the number, if it differs (without it a different entry is refused)")
	cmd.Flags().BoolVar(&asJSON, "json", false, `print what was added as JSON: {"tenant", "number", "type"}`)
	return cmd
}

func (a *app) ledgerShowCmd() *cobra.Command {
	var (
		tenant string
		all    bool
		asJSON bool
	)
	cmd := &cobra.Command{
		Use:   "show [NUMBER]",
		Short: "Show the ledger, or one entry",
		Long:  "Without NUMBER, shows every entry of --tenant (or of every tenant with --all-tenants). Exit 1 when NUMBER is not in the ledger.",
		Args:  argsUsage(cobra.MaximumNArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			s, done, err := a.openLedger(cmd.Context(), false)
			if err != nil {
				return err
			}
			defer done()
			var entries []callerid.Entry
			if len(args) == 1 {
				n, err := dialgate.ParseNumber(args[0])
				if err != nil {
					return usageErr("NUMBER: %v", err)
				}
				e, err := s.LedgerEntry(cmd.Context(), tenant, n)
				if errors.Is(err, storage.ErrNotFound) {
					fmt.Fprintf(a.stderr, "dialgate: %s is not in the ledger of tenant %q\n", n, tenant)
					return silent(exitFailed)
				}
				if err != nil {
					return failErr(err)
				}
				entries = []callerid.Entry{e}
			} else {
				list, err := s.ListLedger(cmd.Context())
				if err != nil {
					return failErr(err)
				}
				for _, e := range list {
					if all || e.Tenant == tenant {
						entries = append(entries, e)
					}
				}
			}
			if asJSON {
				if entries == nil {
					entries = []callerid.Entry{}
				}
				return a.printJSON(entries)
			}
			tw := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "TENANT\tNUMBER\tTYPE\tHOLDER\tPURPOSES\tVALID FROM\tVALID UNTIL\tOFFICE ONLY\tACCESS\tQUALIFICATION")
			for _, e := range entries {
				ps := make([]string, len(e.Purposes))
				for i, p := range e.Purposes {
					ps[i] = string(p)
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%v\t%s\t%s\n", e.Tenant, e.Number, e.Type, e.Holder,
					strings.Join(ps, ","), fmtT(e.ValidFrom), fmtT(e.ValidUntil), e.OfficeUseOnly, e.Access, e.Qualification)
			}
			return tw.Flush()
		},
	}
	cmd.Flags().StringVar(&tenant, "tenant", "", "tenant whose ledger to show")
	cmd.Flags().BoolVar(&all, "all-tenants", false, "show the entries of every tenant")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print as JSON")
	return cmd
}

func fmtT(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.Format(time.RFC3339)
}

func (a *app) ledgerImportCmd() *cobra.Command {
	var tenant string
	var asJSON, replace bool
	cmd := &cobra.Command{
		Use:   "import FILE --tenant T [--replace]",
		Short: "Import a ledger file (CSV with a header, or JSON lines), all entries or none",
		Long: `Reads a ledger file and stores every entry for --tenant in one transaction.
CSV: a header row naming the columns number, holder, purposes (required) and
type, access, qualification, valid_from, valid_until, office_use_only; purposes
separated by ";". In a ledger CSV written for spreadsheets (its first line
"# dialgate ledger CSV with spreadsheet-safe text cells: …") a holder, access
or qualification cell whose leading apostrophes are followed by =, +, -, @
loses one apostrophe ('=x reads =x, 'Acme stays 'Acme); in any other CSV such
a cell is refused (the apostrophe may be the text's own: add that line, or
give the entry as JSON lines). JSON lines: one object per line with the same
keys. A
malformed file is rejected with the line and field at fault, and nothing is stored.
A file that would change an entry the ledger already holds is refused (exit 1,
naming the number and the fields), and nothing is stored, unless --replace is
given; entries the ledger holds as they are in the file are left unchanged.
The import is recorded (one change record, ledger.import: tenant, count, the
file's SHA-256 and, with --replace, every entry it replaces: its number and
the entry as stored, or that it was unreadable) in the audit log of --data
before anything is stored; when the log cannot record it nothing is stored
(exit 1). The entries are stored only if the ledger still holds, for every
number of the file, what the record says (another writer in between: exit 1,
nothing stored). An import replacing more entries than one record can name
(some thousands) is refused: split the file.`,
		Args: argsUsage(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			f, err := os.Open(args[0])
			if err != nil {
				return usageErr("FILE: %v", err)
			}
			defer f.Close()
			if st, err := f.Stat(); err == nil && st.IsDir() {
				return usageErr("FILE: %s: is a directory (want a ledger file, CSV or JSON lines)", args[0])
			}
			// The change record names the file by its SHA-256.
			sum := sha256.New()
			entries, err := callerid.ParseLedger(io.TeeReader(f, sum), tenant)
			if err != nil {
				return usageErr("%s: %v", args[0], err)
			}
			if _, err := io.Copy(sum, f); err != nil { // any rest the parser left
				return failErr(fmt.Errorf("%s: %w", args[0], err))
			}
			if err := a.checkHome(sharedPostgres, "the caller-ID ledger"); err != nil {
				return err
			}
			l := a.openChangeLog(cmd.Context())
			defer l.close()
			s, done, err := a.openLedger(cmd.Context(), true)
			if err != nil {
				return err
			}
			defer done()
			plan, err := planLedgerImport(cmd.Context(), s, entries, replace, args[0])
			if err != nil {
				return err
			}
			res := plan.res
			res.Tenant, res.File = tenant, args[0]
			// Ledger entries may allow dials: the import is recorded as
			// requested first (one record: tenant, count, file digest and
			// the entries it replaces, as stored), and nothing is stored
			// when it cannot be.
			ch, err := newCLIChange(auditlog.OpLedgerImport, time.Now())
			if err != nil {
				return err
			}
			ch.Tenant, ch.Source, ch.Count, ch.SHA256 = tenant, "import:"+filepath.Base(args[0]), int64(len(entries)), hex.EncodeToString(sum.Sum(nil))
			ch.Replace, ch.ReplacedEntries = replace, plan.replaced
			refused, aerr, notRecorded := a.recordThenApply(cmd.Context(), l, ch, func() error { return plan.apply(cmd.Context(), s) })
			if refused != nil {
				if errors.Is(refused, auditlog.ErrInvalidRecord) && len(plan.replaced) > 0 {
					return failErr(fmt.Errorf("%s: the import replaces %d ledger entries, more than its one change record can name: split the file into smaller imports: %w", args[0], len(plan.replaced), refused))
				}
				return refused
			}
			if aerr != nil {
				return failErr(aerr)
			}
			if asJSON {
				if err := a.printJSON(res); err != nil {
					return err
				}
				return notRecorded
			}
			fmt.Fprintf(a.stdout, "imported %d ledger %s for tenant %q: %d new, %d unchanged, %d replaced\n", len(entries), plural(len(entries), "entry", "entries"), tenant, res.New, res.Unchanged, res.Replaced)
			return notRecorded
		},
	}
	cmd.Flags().StringVar(&tenant, "tenant", "", "tenant that holds the numbers")
	cmd.Flags().BoolVar(&replace, "replace", false, "replace the entries the ledger holds that the file changes (without it such a file is refused)")
	cmd.Flags().BoolVar(&asJSON, "json", false, `print what was imported as JSON: {"tenant", "file", "imported"}`)
	return cmd
}

// syncDir fsyncs a directory (a variable so that tests see which are).
var syncDir = durable.SyncDir

// mkdirData creates --data, and any missing parent, durably (each new
// directory fsynced in its parent): the store fsyncs its files inside
// --data, which does not keep --data itself.
func mkdirData(dir string) error { return durable.MkdirAll(dir, 0o700, syncDir) }
