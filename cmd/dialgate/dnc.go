package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/auditlog"
	"github.com/dialgate/dialgate/dnc"
	"github.com/dialgate/dialgate/internal/durable"
	"github.com/dialgate/dialgate/numbering"
	"github.com/dialgate/dialgate/policy"
	"github.com/dialgate/dialgate/storage"
	"github.com/dialgate/dialgate/storage/boltstore"
)

func (a *app) dncCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "dnc",
		Short: "Load do-not-call lists, build registry snapshots, inspect them",
		Long: `Load do-not-call lists into the store (import), build registry snapshot files
from number lists (build), print a snapshot's header (info) and look a number
up in the store and in snapshots (lookup).

Lists are plain text, one number a line, or CSV with the number in one column
(see --column; fields may be quoted); blank lines and lines starting with #
are skipped (but for a CSV row whose --column holds a number, or digits
written as one, as after a "#1001" record id), lines may end in LF, CRLF or CR, and a UTF-8 byte-order
mark is ignored. A first line whose number field is a column name (letters and at
most four digits: phone, 电话号码) is taken as a CSV header; any other line
that is not a number is malformed and reported, and so is a number no dial
can be made to (a +1 number of other than 10 digits, a +86 mobile of other
than 11, a +44 number of other than 7 to 10, a +33 one of other than 9: a
line cut short, digits after the number, the wrong --column).
The US registry's flat file writes a number as area code and local number
in two columns ("201,2000000"): join them first (tr -d , < file).

Numbers written with "+" are international ("+8613800138000"). A number
written without "+" needs one of:
  --country-code CC  it is a national number of that country
                     ("2125550123" with --country-code 1 is +12125550123)
  --international    it already starts with its country code
                     ("8613800138000" is +8613800138000; a 10-digit
                     North American shape such as "2125550123", or 11
                     digits starting with 1, is ambiguous: a bad line)
Without either, import and build refuse a list holding such a number (exit
2, naming the first such line): read as international, a US registry's
"2125550123" would be +212 5550123, a Moroccan number, and list no US callee.`,
		Args: argsUsage(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, args []string) error { return cmd.Help() },
	}
	a.addFleetFlag(cmd)
	cmd.AddCommand(a.dncImportCmd(), a.dncBuildCmd(), a.dncInfoCmd(), a.dncLookupCmd())
	return cmd
}

// listFlags are the flags that say how to read a list file.
type listFlags struct {
	countryCode   int
	international bool
	column        int
	skipBad       bool
}

func (l *listFlags) register(cmd *cobra.Command) {
	f := cmd.Flags()
	f.IntVar(&l.countryCode, "country-code", 0, "country calling code of numbers written without + (e.g. 1 for a US registry file)")
	f.BoolVar(&l.international, "international", false, "numbers written without + already start with their country code (8613800138000)")
	f.IntVar(&l.column, "column", 0, "0-based CSV column that holds the number")
	f.BoolVar(&l.skipBad, "skip-bad", false, "report malformed lines and go on without them (default: reject the whole input)")
}

func (l *listFlags) options() (dnc.ParseOptions, error) {
	if err := checkCountryCode("--country-code", l.countryCode); err != nil {
		// Range-checked only, --country-code 4 (for 44) read a UK list's
		// numbers as another country's: opt-outs that list no UK callee.
		return dnc.ParseOptions{}, err
	}
	if l.column < 0 || l.column > 1000 {
		return dnc.ParseOptions{}, usageErr("--column: %d out of range 0..1000", l.column)
	}
	if l.international && l.countryCode != 0 {
		return dnc.ParseOptions{}, usageErr("--international and --country-code exclude each other (numbers without + either start with their country code or are national numbers of --country-code)")
	}
	// Without either flag a number without "+" is refused (noPlusErr): read
	// as international, a national number silently becomes another
	// country's.
	return dnc.ParseOptions{CountryCode: l.countryCode, Column: l.column, RequirePlus: !l.international}, nil
}

// noPlusErr is the refusal of a list holding a number written without "+"
// when neither --country-code nor --international was given (exit 2).
// what says what was not done ("nothing imported").
func noPlusErr(file string, e *dnc.LineError, what string) error {
	return usageErr("%s:%d: %s, and no --country-code given: give --country-code with the list's country calling code if its numbers are national (--country-code 1 for a US list of 2125550123), or --international if numbers without + already start with their country code; %s",
		file, e.Line, strings.TrimPrefix(e.Err.Error(), "dnc: "), what)
}

// badLine is one malformed line of an input file.
type badLine struct {
	File  string `json:"file"`
	Line  int64  `json:"line"`
	Error string `json:"error"`
}

// fileStats is what was read from one input file.
type fileStats struct {
	File    string `json:"file"`
	Lines   int64  `json:"lines"`
	Numbers int64  `json:"numbers"`
	Bad     int64  `json:"bad"`
	Skipped int64  `json:"skipped"`
}

// isTerminal reports whether w is a terminal (progress bars are drawn only then).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// progress returns a byte-counting progress bar on stderr for total bytes, or
// nil when stderr is not a terminal.
func (a *app) progress(total int64, desc string) *progressbar.ProgressBar {
	if !isTerminal(a.stderr) {
		return nil
	}
	return progressbar.NewOptions64(total,
		progressbar.OptionSetWriter(a.stderr),
		progressbar.OptionSetDescription(desc),
		progressbar.OptionShowBytes(true),
		progressbar.OptionShowTotalBytes(true),
		progressbar.OptionSetWidth(20),
		progressbar.OptionThrottle(100*time.Millisecond),
		progressbar.OptionClearOnFinish(),
	)
}

// openInputs opens every list file (a missing one is bad input) and returns
// them with their total size.
func openInputs(paths []string) ([]*os.File, int64, error) {
	var (
		files []*os.File
		total int64
	)
	for _, p := range paths {
		f, err := os.Open(p)
		if err != nil {
			for _, g := range files {
				g.Close()
			}
			return nil, 0, usageErr("%s: %v", p, unwrapPathErr(err))
		}
		if st, err := f.Stat(); err == nil {
			if st.IsDir() {
				f.Close()
				for _, g := range files {
					g.Close()
				}
				return nil, 0, usageErr("%s: is a directory (want a list file)", p)
			}
			total += st.Size()
		}
		files = append(files, f)
	}
	return files, total, nil
}

func unwrapPathErr(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// minTime is the earliest instant a time flag may give: before it a clock
// was reset or a year mistyped (the gate denies decisions dated before it,
// audit.unavailable), and nothing dialgate records happened then.
var minTime = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)

// parseAt parses an RFC 3339 flag value, or returns now when it is empty. An
// instant before 2000 is bad input.
func parseAt(flag, s string) (time.Time, error) {
	if s == "" {
		return time.Now().Truncate(time.Second), nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return t, usageErr("--%s: %q is not an RFC 3339 time (want e.g. 2026-12-04T22:30:00+08:00)", flag, s)
	}
	if t.Before(minTime) {
		return t, usageErr("--%s: %s is before 2000 (a mistyped year, or a clock reset)", flag, s)
	}
	return t, nil
}

// parsePast is parseAt for the instant something happened that a command
// records (a refusal, a registration, a hold): it may not be after now (give
// or take maxClockSkew); a wrong year or zone offset would date the record
// when nothing happened.
func parsePast(flag, s string) (time.Time, error) {
	t, err := parseAt(flag, s)
	if err != nil {
		return t, err
	}
	if now := time.Now(); t.After(now.Add(maxClockSkew)) {
		return t, usageErr("--%s: %s is in the future (now %s): it says when this happened (check the year and the zone offset)",
			flag, s, now.UTC().Format(time.RFC3339))
	}
	return t, nil
}

// importResult is `dnc import --json`.
type importResult struct {
	List      string      `json:"list"`
	Scope     string      `json:"scope"`
	AddedAt   time.Time   `json:"added_at"`
	HoldUntil time.Time   `json:"hold_until,omitzero"`
	Files     []fileStats `json:"files"`
	BadLines  []badLine   `json:"bad_lines,omitempty"`
	Imported  int         `json:"imported"`
	Rejected  bool        `json:"rejected"`
}

func (a *app) dncImportCmd() *cobra.Command {
	var (
		lf                          listFlags
		scope, list, source, at, pr string
		asJSON                      bool
	)
	cmd := &cobra.Command{
		Use:   "import FILE... --scope SCOPE --list NAME",
		Short: "Add the numbers of list files to a do-not-call list in the store",
		Long: `Add the numbers of list files to a store-backed do-not-call list in the store
at --data (created when missing), or with --config in the fleet's shared store
(the one every sidecar reads; a fleet's sidecars do not read a host's --data
lists): each number becomes an entry in --scope on
list --list, added at --at (default now), held for the profile's minimum hold
(cn: 12 months, us: 60 months) from then. The profile is the one dialgate serve runs
on --data (recorded in its serve-profile.json) unless --profile is given; cn,
with a note on stderr, when none is recorded. A --profile or --config profile
other than the recorded one is refused (exit 2): the entries would be held
for another profile's time.

The import is atomic: every file is read and checked first, and the entries of
all files are written in one durable transaction, or none are. A file with a
malformed line rejects the whole import (exit 2), and every bad line is
reported as FILE:LINE on stderr; with --skip-bad the bad lines are reported
and the rest is imported. A number written without "+" needs --country-code
(national numbers) or --international (numbers that start with their country
code); without either it rejects the import, --skip-bad or not (see
dialgate dnc --help).

Audit: the import is recorded in the audit log of --data (DIR/audit, as
dialgate check writes) as one change record, dnc.import, naming its scope,
list, source, count and the SHA-256 of the files (never the numbers), after
the entries are added: when the log cannot record it they stay in force and
the command exits 1 saying so (import again to record it).

Scopes: global, industry:<x>, business:<x>, tenant:<x>, campaign:<x>.
Exit codes: 0 imported (and recorded), 1 the store failed or the import was
not recorded, 2 bad input (nothing imported).`,
		Example: `  dialgate dnc import refusals.csv --column 1 --scope industry:finance --list opt_out --source crm-export
  dialgate dnc import --skip-bad company-dnc.txt --scope tenant:acme --list internal`,
		Args: argsUsage(cobra.MinimumNArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			if scope == "" {
				return usageErr("--scope: missing (want global, industry:<x>, business:<x>, tenant:<x> or campaign:<x>)")
			}
			if err := checkText("--scope", scope, "--list", list, "--source", source); err != nil {
				return err
			}
			sc, err := dnc.ParseScope(scope)
			if err != nil {
				return usageErr("--scope: %v", err)
			}
			if list == "" || len(list) > 128 {
				return usageErr("--list: must be 1 to 128 bytes (the list's name, e.g. opt_out)")
			}
			opts, err := lf.options()
			if err != nil {
				return err
			}
			added, err := parsePast("at", at)
			if err != nil {
				return err
			}
			name, err := a.resolveProfile(cmd, pr, profileWrites)
			if err != nil {
				return err
			}
			p, err := policy.Load(name)
			if err != nil {
				return usageErr("--profile: %v", err)
			}
			var hold time.Time
			if p.DNC != nil {
				if h := p.DNC.Hold.Until(added); h.After(added) {
					hold = h
				}
			}
			return a.dncImport(cmd.Context(), args, opts, lf.skipBad, dnc.Entry{Scope: sc, List: list, Source: source, AddedAt: added, HoldUntil: hold}, asJSON)
		},
	}
	lf.register(cmd)
	f := cmd.Flags()
	f.StringVar(&scope, "scope", "", "scope the entries apply in (required)")
	f.StringVar(&list, "list", "", "name of the list the entries go on, e.g. opt_out (required)")
	f.StringVar(&source, "source", "", `where the entries come from (default "import:<file name>")`)
	f.StringVar(&at, "at", "", "RFC 3339 time the refusals were made (default now; not in the future)")
	f.StringVar(&pr, "profile", "", "profile whose minimum hold applies: "+profileFlagHelp)
	f.BoolVar(&asJSON, "json", false, "print the result as JSON")
	return cmd
}

func (a *app) dncImport(ctx context.Context, paths []string, opts dnc.ParseOptions, skipBad bool, tmpl dnc.Entry, asJSON bool) error {
	files, total, err := openInputs(paths)
	if err != nil {
		return err
	}
	defer func() {
		for _, f := range files {
			f.Close()
		}
	}()
	res := importResult{List: tmpl.List, Scope: tmpl.Scope.String(), AddedAt: tmpl.AddedAt, HoldUntil: tmpl.HoldUntil}
	bar := a.progress(total, "reading")
	// The change record names the list files by their SHA-256 (of their
	// bytes concatenated in the order given), never by their numbers.
	sum := sha256.New()
	var entries []dnc.Entry
	seen := make(map[uint64]bool) // numbers of earlier files: each is imported once
	for i, f := range files {
		name := paths[i]
		var r io.Reader = io.TeeReader(f, sum)
		if bar != nil {
			r = io.TeeReader(r, bar)
		}
		src := tmpl.Source
		if src == "" {
			// A file name need not be UTF-8, and an entry's source must
			// be (dnc.Entry.Validate): its bad bytes are replaced.
			src = "import:" + strings.ToValidUTF8(filepath.Base(name), "\uFFFD")
		}
		var nums []uint64
		st, err := dnc.ParseList(r, opts, func(n dialgate.Number) error {
			nums = append(nums, n.Uint64())
			return nil
		}, func(e *dnc.LineError) error {
			if errors.Is(e.Err, dnc.ErrNoPlus) {
				return noPlusErr(name, e, "nothing imported")
			}
			res.BadLines = append(res.BadLines, badLine{File: name, Line: e.Line, Error: e.Err.Error()})
			if !asJSON {
				fmt.Fprintf(a.stderr, "%s:%d: %v\n", name, e.Line, e.Err)
			}
			return nil
		})
		res.Files = append(res.Files, fileStats{File: name, Lines: st.Lines, Numbers: st.Numbers, Bad: st.Bad, Skipped: st.Skipped})
		var ee *exitError
		if errors.As(err, &ee) {
			return ee
		}
		if err != nil {
			return usageErr("%s: %v", name, err)
		}
		slices.Sort(nums)
		for _, v := range slices.Compact(nums) {
			if seen[v] {
				continue
			}
			seen[v] = true
			n, err := dialgate.NumberFromUint64(v)
			if err != nil {
				return failErr(fmt.Errorf("%s: %w", name, err))
			}
			e := tmpl
			e.Number, e.Source = n, src
			entries = append(entries, e)
		}
	}
	if bar != nil {
		_ = bar.Finish()
	}
	if len(res.BadLines) > 0 && !skipBad {
		res.Rejected = true
		if asJSON {
			if err := a.printJSON(res); err != nil {
				return err
			}
			return silent(exitBadArgs)
		}
		return usageErr("%d malformed %s; nothing imported (use --skip-bad to import the rest)", len(res.BadLines), plural(len(res.BadLines), "line", "lines"))
	}
	// Bad input is refused before anything is written. The audit log is
	// opened before the store, which it may create: on a new --data the
	// keys are made first (a store without its key is refused).
	if err := a.checkHome(sharedAny, "do-not-call lists"); err != nil {
		return err
	}
	l := a.openChangeLog(ctx)
	defer l.close()
	var s dnc.Store
	if shared, done, err := a.fleetDNC(ctx); err != nil {
		return err
	} else if shared != nil {
		defer done()
		s = shared
	} else {
		if err := a.refuseFleetData(sharedAny, "do-not-call lists"); err != nil {
			return err
		}
		b, err := a.openWriteStore()
		if err != nil {
			return err
		}
		defer b.Close()
		s = b
	}
	var notRecorded error
	if len(entries) > 0 {
		// Opt-outs only deny more: they are added first, never refused
		// because the audit log cannot be written, then recorded in one
		// record for the whole import (its count, scope, list and files'
		// digest): a million entries are not a million records.
		ch, err := newCLIChange(auditlog.OpDNCImport, time.Now())
		if err != nil {
			return err
		}
		src := tmpl.Source
		if src == "" {
			names := make([]string, len(paths))
			for i, p := range paths {
				names[i] = strings.ToValidUTF8(filepath.Base(p), "\uFFFD")
			}
			src = "import:" + strings.Join(names, ",")
		}
		ch.Scope, ch.ID, ch.Source, ch.EffectiveAt = tmpl.Scope.String(), tmpl.List, src, tmpl.AddedAt
		ch.Count, ch.SHA256 = int64(len(entries)), hex.EncodeToString(sum.Sum(nil))
		var aerr error
		if aerr, notRecorded = applyThenRecord(ctx, l, &ch, func() error { return s.AddDNC(ctx, entries...) }); aerr != nil {
			return importFailed(aerr)
		}
	}
	res.Imported = len(entries)
	if asJSON {
		if err := a.printJSON(res); err != nil {
			return err
		}
		return notRecorded
	}
	hold := "no minimum hold"
	if !res.HoldUntil.IsZero() {
		hold = "held until " + res.HoldUntil.Format(time.RFC3339)
	}
	skipped := ""
	if n := len(res.BadLines); n > 0 {
		skipped = fmt.Sprintf(", %d malformed %s skipped", n, plural(n, "line", "lines"))
	}
	fmt.Fprintf(a.stdout, "imported %d %s from %d %s into list %s, scope %s (%s%s)\n",
		res.Imported, plural(res.Imported, "number", "numbers"), len(files), plural(len(files), "file", "files"), res.List, res.Scope, hold, skipped)
	return notRecorded
}

// snapshotInfo is a snapshot header as info, build and lookup print it.
type snapshotInfo struct {
	File      string    `json:"file"`
	Schema    string    `json:"schema"`
	Name      string    `json:"name"`
	Scope     string    `json:"scope,omitempty"`
	Source    string    `json:"source,omitempty"`
	AsOf      time.Time `json:"as_of,omitzero"`
	CreatedAt time.Time `json:"created_at"`
	Count     int       `json:"count"`
	Prefixes  int       `json:"prefixes"`
	BodyBytes int64     `json:"body_bytes"`
	SHA256    string    `json:"sha256"`
	Version   string    `json:"version"`
	// HeaderSHA256 is the SHA-256 of the preamble and header (format 2).
	HeaderSHA256 string `json:"header_sha256"`
	// ShrinkFrom is the version of the copy this one may replace although
	// it lists far fewer numbers (--accept-shrink-from).
	ShrinkFrom string `json:"shrink_from,omitempty"`
}

func infoOf(file string, h dnc.Header) snapshotInfo {
	return snapshotInfo{File: file, Schema: h.Schema, Name: h.Name, Scope: h.Scope, Source: h.Source, AsOf: h.AsOf,
		CreatedAt: h.CreatedAt, Count: h.Count, Prefixes: h.Prefixes, BodyBytes: h.BodyBytes, SHA256: h.SHA256, Version: h.Version(),
		HeaderSHA256: h.HeaderSHA256, ShrinkFrom: h.ShrinkFrom}
}

func (i snapshotInfo) write(w io.Writer) {
	scope := i.Scope
	if scope == "" {
		scope = "global"
	}
	rows := [][2]string{
		{"file", i.File},
		{"schema", i.Schema},
		{"name", i.Name},
		{"scope", scope},
		{"source", i.Source},
	}
	if !i.AsOf.IsZero() {
		rows = append(rows, [2]string{"as_of", i.AsOf.Format(time.RFC3339)})
	}
	rows = append(rows,
		[2]string{"created_at", i.CreatedAt.Format(time.RFC3339)},
		[2]string{"count", strconv.Itoa(i.Count)},
		[2]string{"prefixes", strconv.Itoa(i.Prefixes)},
		[2]string{"body_bytes", strconv.FormatInt(i.BodyBytes, 10)},
		[2]string{"sha256", i.SHA256},
		[2]string{"header_sha256", i.HeaderSHA256},
	)
	if i.ShrinkFrom != "" {
		rows = append(rows, [2]string{"shrink_from", i.ShrinkFrom + " (may replace that copy although it lists far fewer or other numbers, or applies in another scope)"})
	}
	width := 0
	for _, r := range rows {
		width = max(width, len(r[0]))
	}
	var b strings.Builder
	for _, r := range rows {
		fmt.Fprintf(&b, "%-*s %s\n", width+1, r[0]+":", r[1])
	}
	io.WriteString(w, b.String())
}

// readStats is what was read from all input files.
type readStats struct {
	Files   int   `json:"files"`
	Lines   int64 `json:"lines"`
	Numbers int64 `json:"numbers"`
	Bad     int64 `json:"bad"`
	Skipped int64 `json:"skipped"`
}

// buildResult is `dnc build --json`.
type buildResult struct {
	Snapshot snapshotInfo `json:"snapshot,omitzero"`
	Read     readStats    `json:"read"`
	BadLines []badLine    `json:"bad_lines,omitempty"`
	Distinct int          `json:"distinct"`
	Runs     int          `json:"runs"`
}

func (a *app) dncBuildCmd() *cobra.Command {
	var (
		lf                             listFlags
		out, name, asOf, scope, source string
		chunk                          int
		tmpDir                         string
		sums                           []string
		asJSON                         bool
		shrinkFrom                     string
	)
	cmd := &cobra.Command{
		Use:   "build --out FILE --name NAME --as-of TIME LIST...",
		Short: "Build a registry snapshot file from number lists",
		Long: `Build a registry snapshot file (dialgate.dnc.snapshot.v2) from number lists:
a header (schema, name, scope, source, as_of, created_at, count, the body's
SHA-256), the header's own SHA-256 (every reader checks it: an edited as_of,
name or scope is refused) and the exact compact set of the numbers. The lists are streamed: numbers are
sorted in chunks of --chunk-numbers, spilled to sorted runs in --temp-dir and
merged, so a list of 10^8 lines is never held in memory as text. The file is
written beside --out and renamed into place when complete.

--as-of is the instant the registry data is current as of; profiles measure a
registry copy's age from it (us: 31 days); it may not be in the future. Lists
holding no number at all (empty, only comments, or every line malformed) fail
the build: a registry copy of no numbers would list no one. A
malformed line fails the build (every bad line is reported as FILE:LINE)
unless --skip-bad. A number written
without "+" needs --country-code (a national registry's numbers, as the US
registry's "2125550123") or --international (numbers that start with their
country code); without either it fails the build, --skip-bad or not.

--sha256 FILE=HEX checks a list against the SHA-256 its registry published
(repeatable, one per list): a download cut short at a line boundary is a
valid list of fewer numbers, and a copy built from it would answer "not
listed" for every number cut off. A list whose SHA-256 differs fails the
build (exit 2, no snapshot written). (It checks the lists read; the snapshot
written carries SHA-256s of its own header and body.)

--accept-shrink-from FILE|VERSION records in the new copy's header that it
may replace that one copy of the registry (a snapshot file, or the version
` + "`dialgate serve`" + ` logged when it refused the new copy) although it lists
far fewer numbers than serve's registry_max_shrink allows, than it or than
the registry's high-water mark (the most numbers a copy listed since the
last acknowledged shrink), or although it lacks more than that share of
the numbers of the copy it replaces (numbers swapped for others, the count
kept), or although it applies in another --scope than that copy (not
global): a subscription cut to fewer area codes, a registry's purge. Name the copy in force (the version the refusal gives
after --accept-shrink-from); serve then resets the mark to the new copy's
count. It names one copy by its version (the SHA-256 of its numbers: a
later copy of exactly the same numbers has the same one), so it accepts no
shrink from any other; give it
only after checking why the copy is smaller (never in a script that builds
every copy).

Exit codes: 0 built, 1 the build failed, 2 bad input (no file written).`,
		Example: `  dialgate dnc build --out us-national.dnc --name us-national-dnc \
      --as-of 2026-06-01T00:00:00Z --country-code 1 us-dnc-*.txt`,
		Args: argsUsage(cobra.MinimumNArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			if out == "" {
				return usageErr("--out: missing (the snapshot file to write)")
			}
			if name == "" {
				return usageErr("--name: missing (the registry's name, e.g. us-national-dnc)")
			}
			if asOf == "" {
				return usageErr("--as-of: missing (the RFC 3339 instant the registry data is current as of)")
			}
			if err := checkText("--name", name, "--scope", scope, "--source", source); err != nil {
				return err
			}
			if err := checkOut(out); err != nil {
				return err
			}
			if tmpDir != "" {
				if st, err := os.Stat(tmpDir); err != nil {
					return usageErr("--temp-dir: %v", unwrapPathErr(err))
				} else if !st.IsDir() {
					return usageErr("--temp-dir: %s is not a directory", tmpDir)
				}
			}
			t, err := parseAt("as-of", asOf)
			if err != nil {
				return err
			}
			created := time.Now().UTC().Truncate(time.Second)
			if t.After(created.Add(dnc.FutureSkew)) {
				return usageErr("--as-of: %s is in the future (now %s): a copy's data cannot be current after it is built, and profiles age the copy from --as-of",
					t.Format(time.RFC3339), created.Format(time.RFC3339))
			}
			if scope != "" {
				if _, err := dnc.ParseScope(scope); err != nil {
					return usageErr("--scope: %v", err)
				}
			}
			if chunk < 0 {
				return usageErr("--chunk-numbers: %d is negative", chunk)
			}
			opts, err := lf.options()
			if err != nil {
				return err
			}
			if source == "" {
				bases := make([]string, len(args))
				for i, p := range args {
					bases[i] = filepath.Base(p)
				}
				source = strings.Join(bases, ",")
			}
			want, err := parseSums(sums, args)
			if err != nil {
				return err
			}
			from, err := acceptShrinkFrom(shrinkFrom, name)
			if err != nil {
				return err
			}
			h := dnc.Header{Name: name, Scope: scope, Source: source, AsOf: t, CreatedAt: created, ShrinkFrom: from}
			return a.dncBuild(cmd.Context(), args, want, out, h, dnc.BuildOptions{Parse: opts, ChunkNumbers: chunk, TempDir: tmpDir}, lf.skipBad, asJSON)
		},
	}
	lf.register(cmd)
	f := cmd.Flags()
	f.StringVar(&out, "out", "", "snapshot file to write (required)")
	f.StringVar(&name, "name", "", "registry or list name, as profiles refer to it (required)")
	f.StringVar(&asOf, "as-of", "", "RFC 3339 instant the registry data is current as of (required)")
	f.StringVar(&scope, "scope", "", "scope the snapshot applies in (default global; industry:<x> for the CN platform's per-industry lists; a registry a profile requires, such as us-national-dnc, must be global: a narrower copy denies every dial, dnc.registry_stale)")
	f.StringVar(&source, "source", "", "where the numbers come from (default the list file names)")
	f.IntVar(&chunk, "chunk-numbers", 0, "numbers sorted in memory at a time, about 16 bytes each (default 8388608)")
	f.StringVar(&tmpDir, "temp-dir", "", "directory for sorted runs (default the system's)")
	f.StringArrayVar(&sums, "sha256", nil, "FILE=HEX: the SHA-256 a list must have, as its registry published it (repeatable)")
	f.BoolVar(&asJSON, "json", false, "print the result as JSON")
	f.StringVar(&shrinkFrom, "accept-shrink-from", "", "FILE or VERSION: the one copy of the registry this copy may replace although it lists far fewer numbers")
	return cmd
}

// acceptShrinkFrom resolves --accept-shrink-from: a snapshot version (16
// lower-case hex digits, as `dialgate serve` logs it) or a snapshot file of
// the registry name (its header is verified, its Version taken). Empty
// stays empty.
func acceptShrinkFrom(v, name string) (string, error) {
	if v == "" {
		return "", nil
	}
	if len(v) == 16 && strings.Trim(v, "0123456789abcdef") == "" {
		return v, nil
	}
	if err := notDir("--accept-shrink-from", v); err != nil {
		return "", err
	}
	if _, err := os.Stat(v); err != nil {
		return "", usageErr("--accept-shrink-from: %s: %v (want the snapshot file of the copy to replace, or its 16-hex-digit version); no snapshot written",
			v, unwrapPathErr(err))
	}
	h, err := dnc.ReadHeaderFile(v)
	if err != nil {
		return "", usageErr("--accept-shrink-from: %s (want the snapshot file of the copy to replace, or its 16-hex-digit version); no snapshot written",
			strings.TrimPrefix(err.Error(), "dnc: "))
	}
	if h.Name != name {
		return "", usageErr("--accept-shrink-from: %s is a copy of %s, not of --name %s; no snapshot written", v, h.Name, name)
	}
	return h.Version(), nil
}

// parseSums parses the --sha256 values (FILE=HEX) into the SHA-256 each
// list must have, keyed by its index in paths; every FILE must be one of
// paths, given once.
func parseSums(vals, paths []string) (map[int][]byte, error) {
	want := map[int][]byte{}
	for _, v := range vals {
		// At the last "=": a file name may hold one, the hex digits never do.
		k := strings.LastIndexByte(v, '=')
		if k < 0 {
			k = len(v)
		}
		file, hx := v[:k], strings.TrimPrefix(v[k:], "=")
		sum, err := hex.DecodeString(hx)
		if err != nil || len(sum) != sha256.Size {
			return nil, usageErr("--sha256: %s: want FILE=<64 hex digits> (the SHA-256 the registry published for the list); no snapshot written", v)
		}
		i := slices.Index(paths, file)
		if i < 0 {
			return nil, usageErr("--sha256: %s is not one of the lists given (%s); no snapshot written", file, strings.Join(paths, ", "))
		}
		if _, dup := want[i]; dup {
			return nil, usageErr("--sha256: %s given twice; no snapshot written", file)
		}
		want[i] = sum
	}
	return want, nil
}

func (a *app) dncBuild(ctx context.Context, paths []string, sums map[int][]byte, out string, h dnc.Header, bo dnc.BuildOptions, skipBad, asJSON bool) error {
	files, total, err := openInputs(paths)
	if err != nil {
		return err
	}
	defer func() {
		for _, f := range files {
			f.Close()
		}
	}()
	var res buildResult
	bar := a.progress(total, "building")
	srcs := make([]dnc.Source, len(files))
	hashes := map[int]hash.Hash{}
	for i, f := range files {
		var r io.Reader = f
		if _, ok := sums[i]; ok {
			hashes[i] = sha256.New()
			r = io.TeeReader(r, hashes[i])
		}
		if bar != nil {
			r = io.TeeReader(r, bar)
		}
		srcs[i] = dnc.Source{Name: paths[i], R: r}
	}
	var refused error
	bo.Bad = func(source string, e *dnc.LineError) error {
		if errors.Is(e.Err, dnc.ErrNoPlus) {
			refused = noPlusErr(source, e, "no snapshot written")
			return refused
		}
		res.BadLines = append(res.BadLines, badLine{File: source, Line: e.Line, Error: e.Err.Error()})
		if !asJSON {
			fmt.Fprintf(a.stderr, "%s:%d: %v\n", source, e.Line, e.Err)
		}
		return nil
	}
	set, st, err := dnc.BuildSet(ctx, srcs, bo)
	if bar != nil {
		_ = bar.Finish()
	}
	if refused != nil {
		return refused
	}
	if err != nil {
		var le *dnc.LineError
		if errors.As(err, &le) {
			return usageErr("%v", err)
		}
		return failErr(err)
	}
	for i, want := range sums {
		// The parse read every list to its end (a list it stops in fails
		// the build above), so the hash is of the whole file.
		if got := hashes[i].Sum(nil); !bytes.Equal(got, want) {
			return usageErr("%s: SHA-256 is %x, --sha256 says %x: the list is cut short or damaged; no snapshot written", paths[i], got, want)
		}
	}
	res.Read = readStats{Files: len(paths), Lines: st.Lines, Numbers: st.Numbers, Bad: st.Bad, Skipped: st.Skipped}
	res.Distinct, res.Runs = st.Distinct, st.Runs
	if len(res.BadLines) > 0 && !skipBad {
		if asJSON {
			if err := a.printJSON(res); err != nil {
				return err
			}
			return silent(exitBadArgs)
		}
		return usageErr("%d malformed %s; no snapshot written (use --skip-bad to build from the rest)", len(res.BadLines), plural(len(res.BadLines), "line", "lines"))
	}
	if st.Numbers == 0 {
		// An empty or truncated download, or every line malformed under
		// --skip-bad: a copy of no numbers, loaded as the registry's current
		// one, would list no one and let every dial through.
		return usageErr("no numbers in %s (%d lines read, %d malformed, %d skipped); no snapshot written: a registry copy of no numbers would list no one",
			strings.Join(paths, ", "), st.Lines, st.Bad, st.Skipped)
	}
	hh, err := writeSnapshotFile(out, h, set)
	if err != nil {
		return failErr(err)
	}
	res.Snapshot = infoOf(out, hh)
	if asJSON {
		return a.printJSON(res)
	}
	res.Snapshot.write(a.stdout)
	fmt.Fprintf(a.stdout, "read %d lines: %d numbers, %d distinct, %d malformed, %d skipped\n",
		st.Lines, st.Numbers, st.Distinct, st.Bad, st.Skipped)
	return nil
}

// checkOut refuses an --out that cannot be written as a snapshot file: a
// directory (the file would be renamed over it, after its temporary file was
// written into the directory's parent), or a path whose directory is missing
// or is not one.
func checkOut(out string) error {
	if st, err := os.Stat(out); err == nil && st.IsDir() {
		return usageErr("--out: %s is a directory (want the snapshot file to write, e.g. %s)", out, filepath.Join(out, "registry.dnc"))
	}
	dir := filepath.Dir(out)
	st, err := os.Stat(dir)
	if err != nil {
		return usageErr("--out: directory %s: %v", dir, unwrapPathErr(err))
	}
	if !st.IsDir() {
		return usageErr("--out: %s is not a directory", dir)
	}
	return nil
}

// writeSnapshotFile writes the snapshot to a temporary file beside path,
// syncs it and renames it into place, so path is either the old file or the
// complete new one.
func writeSnapshotFile(path string, h dnc.Header, set *dnc.Set) (dnc.Header, error) {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return h, fmt.Errorf("--out: %w", unwrapPathErr(err))
	}
	ok := false
	defer func() {
		if !ok {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	w := bufio.NewWriterSize(tmp, 1<<20)
	hh, err := dnc.WriteSnapshot(w, h, set)
	if err != nil {
		return h, err
	}
	if err := w.Flush(); err != nil {
		return h, fmt.Errorf("--out: %w", err)
	}
	if err := tmp.Chmod(0o644); err != nil {
		return h, fmt.Errorf("--out: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		return h, fmt.Errorf("--out: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return h, fmt.Errorf("--out: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return h, fmt.Errorf("--out: %w", err)
	}
	ok = true
	// The rename is durable only once the directory is: a power loss could
	// otherwise leave the old copy (or none) under the name.
	if err := durable.SyncDir(filepath.Dir(path)); err != nil {
		return hh, fmt.Errorf("--out: %w", err)
	}
	return hh, nil
}

func (a *app) dncInfoCmd() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "info FILE",
		Short: "Verify a snapshot file and print its header",
		Long: `Verify a snapshot file (its header's SHA-256, its body's SHA-256 and its
structure) and print its header: schema, name, scope, source, as_of,
created_at, count, SHA-256, header SHA-256 and shrink_from (when set).
A format-1 snapshot (no header SHA-256) is refused: rebuild it.

Exit codes: 0 the file is a valid snapshot, 2 it is missing, damaged or
truncated (the message says what is wrong).`,
		Args: argsUsage(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			s, err := openSnapshot("FILE", args[0])
			if err != nil {
				return err
			}
			info := infoOf(args[0], s.Header)
			if asJSON {
				return a.printJSON(info)
			}
			info.write(a.stdout)
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the header as JSON")
	return cmd
}

// openSnapshot opens and verifies the snapshot file that flag names (FILE for
// an argument); any problem is bad input.
func openSnapshot(flag, path string) (*dnc.Snapshot, error) {
	if err := notDir(flag, path); err != nil {
		return nil, err
	}
	s, err := dnc.OpenSnapshot(path)
	if err != nil {
		return nil, usageErr("%s: %s", flag, strings.TrimPrefix(err.Error(), "dnc: "))
	}
	return s, nil
}

// notDir refuses a snapshot path that is a directory, naming flag: opening
// one fails with the unhelpful "mmap DIR: no such device".
func notDir(flag, path string) error {
	if st, err := os.Stat(path); err == nil && st.IsDir() {
		return usageErr("%s: %s: is a directory (want a snapshot file written by dnc build)", flag, path)
	}
	return nil
}

// lookupResult is `dnc lookup --json`.
type lookupResult struct {
	Number    string         `json:"number"`
	Listed    bool           `json:"listed"`
	Store     string         `json:"store,omitempty"`
	Entries   []dnc.Entry    `json:"entries"`
	Snapshots []snapshotSeen `json:"snapshots,omitempty"`
}

type snapshotSeen struct {
	File    string    `json:"file"`
	Name    string    `json:"name"`
	Scope   string    `json:"scope"`
	Version string    `json:"version"`
	AsOf    time.Time `json:"as_of"`
	Listed  bool      `json:"listed"`
}

func (a *app) dncLookupCmd() *cobra.Command {
	var (
		snaps  []string
		asJSON bool
	)
	cmd := &cobra.Command{
		Use: "lookup NUMBER [--snapshot FILE]...",
		// Exit 1 says "listed nowhere": output that could not be written
		// is trouble (2), as for grep.
		Annotations: map[string]string{stdoutFailAnnotation: "2"},
		Short:       "Show every do-not-call entry of a number, in the store and in snapshots",
		Long: `Show every store-backed do-not-call entry of a number, in every scope (list,
scope, source, added_at, hold_until), from the store at --data, and whether
each snapshot given with --snapshot lists it. A French overseas line is looked
up under both its spellings (+33 596 … and +596 596 …), as the gate does.

Exit codes (grep's convention): 0 the number is listed somewhere, 1 it is
listed nowhere, 2 bad input or trouble: a store or snapshot that could not be
read (locked by a running dialgate serve, damaged), or no store at --data and
no --snapshot (nothing to look in), so whether the number is listed is not
known. Without a store at --data, --snapshot looks in the snapshots alone.`,
		Example: `  dialgate dnc lookup +8613800138000
  dialgate dnc lookup --snapshot us-national.dnc +12125550123`,
		Args: argsUsage(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			n, err := dialgate.ParseNumber(args[0])
			if err != nil {
				return usageErr("NUMBER: %v", err)
			}
			res := lookupResult{Number: n.String(), Entries: []dnc.Entry{}}
			// A French overseas line is listed under either of its
			// spellings (+33 596 … or +596 596 …), a Mexican number also
			// under the withdrawn prefix 1 (+52 1 55 …), as the gate's
			// do-not-call check and screen --dnc look it up.
			spellings := []dialgate.Number{n}
			if alt, ok := numbering.LineAlias(n); ok {
				spellings = append(spellings, alt)
			}
			entriesOf := func(ctx context.Context, s dnc.Store) ([]dnc.Entry, error) {
				var all []dnc.Entry
				for _, m := range spellings {
					es, err := s.DNCEntries(ctx, m)
					if err != nil {
						return nil, err
					}
					all = append(all, es...)
				}
				return all, nil
			}
			var loaded []*dnc.Snapshot
			for _, p := range snaps {
				s, err := openSnapshot("--snapshot", p)
				if err != nil {
					return err
				}
				loaded = append(loaded, s)
			}
			path := filepath.Join(a.data, boltstore.DefaultFileName)
			fleet, done, err := a.fleetDNC(cmd.Context())
			if err != nil {
				return lookupFailed(err)
			}
			if fleet == nil {
				if err := a.refuseFleetData(sharedAny, "do-not-call lists"); err != nil {
					return err
				}
			}
			if fleet != nil {
				es, err := entriesOf(cmd.Context(), fleet)
				done()
				if err != nil {
					return lookupFailed(err)
				}
				res.Store = "the fleet's (--config " + a.fleetConfig + ")"
				res.Entries = append(res.Entries, es...)
			} else if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
				if len(loaded) == 0 {
					// Nothing to look in: "not listed" (exit 1) would
					// say "listed nowhere" of a number a mistyped --data
					// never looked for.
					return usageErr("--data: no store at %s, and no --snapshot: nothing to look the number up in (give the --data of a store, --config for a fleet's, or --snapshot); whether the number is listed is not known", path)
				}
				fmt.Fprintf(a.stderr, "dialgate: note: no store at %s; looking in snapshots only\n", path)
			} else {
				s, err := boltstore.Open(path, boltstore.Options{})
				if err != nil {
					return lookupFailed(dataErr(err))
				}
				es, err := entriesOf(cmd.Context(), s)
				s.Close()
				if err != nil {
					return lookupFailed(fmt.Errorf("--data: %w", err))
				}
				res.Store = path
				res.Entries = append(res.Entries, es...)
			}
			res.Listed = len(res.Entries) > 0
			for i, s := range loaded {
				h := s.Header
				sc := h.Scope
				if sc == "" {
					sc = "global"
				}
				in := false
				for _, m := range spellings {
					on, err := s.Lookup(m)
					if err != nil {
						return lookupFailed(fmt.Errorf("--snapshot %s: %w", snaps[i], err))
					}
					in = in || on
				}
				res.Listed = res.Listed || in
				res.Snapshots = append(res.Snapshots, snapshotSeen{File: snaps[i], Name: h.Name, Scope: sc, Version: h.Version(), AsOf: h.Effective(), Listed: in})
			}
			if asJSON {
				if err := a.printJSON(res); err != nil {
					return err
				}
			} else {
				a.writeLookup(res)
			}
			if !res.Listed {
				return silent(exitFailed)
			}
			return nil
		},
	}
	cmd.Flags().StringArrayVar(&snaps, "snapshot", nil, "snapshot file to look in (repeatable)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the result as JSON")
	return cmd
}

// lookupFailed is a lookup that could not look: exit 2 as grep's trouble,
// never 1, which says "listed nowhere" (a script would dial the number).
func lookupFailed(err error) error {
	var e *exitError
	if errors.As(err, &e) {
		if e.code == exitBadArgs {
			return e
		}
		err = e.err
	}
	return &exitError{code: exitBadArgs, err: fmt.Errorf("%w; whether the number is listed is not known (exit 2: do not take it for not listed)", err)}
}

func (a *app) writeLookup(res lookupResult) {
	var b strings.Builder
	if res.Listed {
		fmt.Fprintf(&b, "%s: LISTED\n", res.Number)
	} else {
		fmt.Fprintf(&b, "%s: not listed\n", res.Number)
	}
	if res.Store != "" {
		if len(res.Entries) == 0 {
			b.WriteString("store: no entries\n")
		}
		for _, e := range res.Entries {
			fmt.Fprintf(&b, "store: list %s, scope %s, source %s, added %s", e.List, e.Scope, e.Source, e.AddedAt.Format(time.RFC3339))
			if e.Number.String() != res.Number {
				fmt.Fprintf(&b, ", as %s", e.Number)
			}
			if !e.HoldUntil.IsZero() {
				fmt.Fprintf(&b, ", held until %s", e.HoldUntil.Format(time.RFC3339))
			}
			if e.Evidence != "" {
				fmt.Fprintf(&b, ", evidence %s", e.Evidence)
			}
			b.WriteString("\n")
		}
	}
	for _, s := range res.Snapshots {
		word := "not listed"
		if s.Listed {
			word = "listed"
		}
		fmt.Fprintf(&b, "snapshot %s (%s %s, scope %s, as of %s): %s\n", s.File, s.Name, s.Version, s.Scope, s.AsOf.Format(time.RFC3339), word)
	}
	io.WriteString(a.stdout, b.String())
}

// importFailed is the error of an import whose AddDNC failed with aerr:
// nothing imported, unless the store lost its answer
// (storage.ErrMaybeApplied), when the entries may be in force (and are not
// in the audit log until the command runs again).
func importFailed(aerr error) error {
	if errors.Is(aerr, storage.ErrMaybeApplied) {
		return failErr(fmt.Errorf("the entries may have been imported (the store's answer was lost), and are not recorded in the audit log: run the command again (it is idempotent) to import and record them: %w", aerr))
	}
	return failErr(fmt.Errorf("nothing imported: %w", aerr))
}
