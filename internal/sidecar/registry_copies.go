package sidecar

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/dialgate/dialgate/dnc"
	"github.com/dialgate/dialgate/policy"
)

// RegistryCopiesFile, in Config.Data, records the registry copies last in
// force (registryCopies, JSON): each registry's version, count, as_of and
// scope, its high-water mark (the most numbers a copy of it listed since the last
// acknowledged shrink) and a sample of its numbers, written at start (a
// failed write stops it) and by every reload before it swaps a copy in (a
// failed write refuses the copy), atomically (a temporary file,
// mode 0600, fsynced, renamed over it, the directory fsynced). A start
// compares each copy it loads with it (the shrink and swap guards,
// registry_max_shrink): the copy in force before a restart is gone by then,
// and a copy cut short or swapped for other numbers must not get in by a
// restart that a reload would have refused. A damaged record, or one that
// cannot be read, stops the start (checkStartShrink); a missing one is a
// first start.
const RegistryCopiesFile = "registry-copies.json"

// registryCopiesFormat is the version of RegistryCopiesFile's format. Format
// 2 added high_water_count and high_water_version; a format-1 record is read
// with the mark at the recorded copy's count. Format 3 added sample; a
// format-1 or -2 record is read without one (a start then has no sample to
// compare a swap with). Either is written again in format 3 at the next
// start.
const registryCopiesFormat = 3

// registrySampleSize is the most numbers of a registry copy recorded in
// RegistryCopiesFile (registryCopy.Sample), for the swap guard at the next
// start: one number at a random position of each stratum of k = ⌈count/4,096⌉
// of the copy (sampleOf, dnc.Snapshot.SampleFrom). A sample of
// 4,096 puts a copy that swapped 4 % of its numbers more than 3 standard
// deviations below the 5 % limit (a false refusal about once in a thousand
// such starts; 1,024 would refuse one in twenty), and one that swapped 10 %
// more than 10 above it, in about 60 KB of JSON a registry.
const registrySampleSize = 4096

// registryReloadSample is the most numbers of the copy in force a reload
// looks up in a new copy (checkSwap): one at a random position of each
// stratum of k = ⌈count/65,536⌉, drawn afresh at each compare, so
// that the check costs the same whatever the registry's size (about 65,536
// binary searches and lookups in memory-mapped files).
const registryReloadSample = 65536

// registryCopies is the content of RegistryCopiesFile.
type registryCopies struct {
	// Format is the version of the file's format.
	Format int `json:"format"`
	// Registries are the copies last in force, by registry name.
	Registries map[string]registryCopy `json:"registries"`
}

// registryCopy is one registry's copy as recorded.
type registryCopy struct {
	Version  string    `json:"version"`
	Count    int       `json:"count"`
	AsOf     time.Time `json:"as_of"`
	File     string    `json:"file"`
	LoadedAt time.Time `json:"loaded_at"`
	// HighWaterCount is the registry's high-water mark (registryMark): at
	// least Count. Absent in format 1.
	HighWaterCount int `json:"high_water_count,omitempty"`
	// HighWaterVersion is the version of the copy that set the mark.
	HighWaterVersion string `json:"high_water_version,omitempty"`
	// Sample is a random sample of the copy, one number of each stratum of
	// k of its sorted numbers (sampleOf; E.164 digits as
	// dialgate.Number.Uint64, ascending; at most registrySampleSize; all
	// of them for a small copy): what the next start looks up in its copy
	// (checkSwap). They are the numbers themselves, not hashes: a number
	// must be looked up in the new copy, and a hash of a phone number —
	// salted or not, the salt stored beside it — is undone by hashing
	// every number of the numbering plan (10¹⁰ for the NANP), so it would
	// hide nothing; a key from elsewhere (the audit HMAC key) would only
	// allow a lookup by hashing every number of the new copy (10⁹ at
	// start). They are a few thousand of the numbers the registry's own
	// copy on the same host lists, in a file of mode 0600 in the data
	// directory (0700), replaced with the copy in force's at every record.
	// Absent before format 3.
	Sample []uint64 `json:"sample,omitempty"`
	// Scope is the scope the copy applies in (dnc.Scope's text form,
	// "global" for a copy without one): a copy in another scope is refused
	// (checkRegistryScope). Absent in a record written before it (format 3 without
	// scope, or before format 3): nothing to compare with.
	Scope string `json:"scope,omitempty"`
}

// mark returns c's high-water mark.
func (c registryCopy) mark() registryMark {
	return registryMark{Count: c.HighWaterCount, Version: c.HighWaterVersion}
}

// registryMark is a registry's high-water mark: the most numbers a copy of
// it accepted since the last acknowledged shrink listed (Count), and that
// copy's version. A copy listing more than registry_max_shrink fewer numbers
// than the mark is refused as one listing that many fewer than the copy in
// force is (checkShrink): otherwise shrinks each within the limit add up
// (twenty of −4.9 % lose 63 % of the registry). The zero mark is none.
type registryMark struct {
	Count   int
	Version string
}

// acknowledged reports whether the copy h was built to replace the copy
// inForce (its version) although it lists far fewer numbers: its
// shrink_from names that copy (`dialgate dnc build --accept-shrink-from`).
func acknowledged(h dnc.Header, inForce string) bool {
	return h.ShrinkFrom != "" && h.ShrinkFrom == inForce
}

// nextMark returns the high-water mark once the copy h replaced the copy
// inForce (its version; empty: none) under mark: the larger of mark and h's
// count, or — when h acknowledges a shrink from inForce — h's count: the
// operator's acknowledgement resets the mark to the copy acknowledged, so
// that the next copies are compared with it and not with the numbers the
// registry listed before the intended cut.
func nextMark(mark registryMark, inForce string, h dnc.Header) registryMark {
	if mark.Version == "" || h.Count > mark.Count || acknowledged(h, inForce) {
		return registryMark{Count: h.Count, Version: h.Version()}
	}
	return mark
}

// registryCopiesUnreadable is the error of readRegistryCopies when
// RegistryCopiesFile exists but cannot be read (EACCES, a directory on its
// path, an I/O error): not a damaged record, which is told apart so that a
// start refused by it does not advise deleting a record that may be whole.
type registryCopiesUnreadable struct {
	path string
	err  error
}

func (e *registryCopiesUnreadable) Error() string {
	return fmt.Sprintf("registry copies %s: cannot be read: %v", e.path, e.err)
}

func (e *registryCopiesUnreadable) Unwrap() error { return e.err }

// readRegistryCopies reads RegistryCopiesFile in data; a missing file is an
// empty record, one that cannot be read a *registryCopiesUnreadable, a
// damaged one an error naming it. A format-1 record has no
// high-water mark: the mark is the recorded copy's count.
func readRegistryCopies(data string) (registryCopies, error) {
	path := filepath.Join(data, RegistryCopiesFile)
	rc := registryCopies{Format: registryCopiesFormat, Registries: map[string]registryCopy{}}
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return rc, nil
	}
	if err != nil {
		// Not damaged: not read (permissions, a directory on the path,
		// an I/O error). It may be whole.
		return rc, &registryCopiesUnreadable{path: path, err: err}
	}
	var got registryCopies
	if err := decodeOne(b, &got); err != nil {
		return rc, fmt.Errorf("registry copies %s: %w", path, err)
	}
	if got.Format < 1 || got.Format > registryCopiesFormat {
		return rc, fmt.Errorf("registry copies %s: format %d, want 1 to %d", path, got.Format, registryCopiesFormat)
	}
	for name, c := range got.Registries {
		if c.Count < 0 || c.Version == "" {
			return rc, fmt.Errorf("registry copies %s: registry %q: count %d, version %q", path, name, c.Count, c.Version)
		}
		if got.Format == 1 {
			if c.HighWaterCount != 0 || c.HighWaterVersion != "" {
				return rc, fmt.Errorf("registry copies %s: registry %q: high_water_count in a format-1 record", path, name)
			}
			c.HighWaterCount, c.HighWaterVersion = c.Count, c.Version
		} else if c.HighWaterCount < c.Count || c.HighWaterVersion == "" {
			return rc, fmt.Errorf("registry copies %s: registry %q: high_water_count %d (version %q) below its count %d or without its version",
				path, name, c.HighWaterCount, c.HighWaterVersion, c.Count)
		}
		if err := checkSample(c, got.Format); err != nil {
			return rc, fmt.Errorf("registry copies %s: registry %q: %w", path, name, err)
		}
		if c.Scope != "" {
			if got.Format < 3 {
				return rc, fmt.Errorf("registry copies %s: registry %q: scope in a format-%d record", path, name, got.Format)
			}
			if _, err := dnc.ParseScope(c.Scope); err != nil {
				return rc, fmt.Errorf("registry copies %s: registry %q: %w", path, name, err)
			}
		}
		rc.Registries[name] = c
	}
	rc.Format = got.Format
	return rc, nil
}

// checkSample checks the sample of a record c of format format: none before
// format 3; else at most registrySampleSize numbers, ascending, each of 1 to
// 15 digits, no more than the copy lists. A format-3 record may have none:
// a record of a registry not loaded since the record was written in format
// 1 or 2 is carried over as it was (recordRegistryCopies keeps the records
// of registries it is not given), and a start then has no sample of it to
// compare with, as with a format-2 record.
func checkSample(c registryCopy, format int) error {
	if format < 3 {
		if len(c.Sample) != 0 {
			return fmt.Errorf("sample in a format-%d record", format)
		}
		return nil
	}
	if len(c.Sample) > registrySampleSize || len(c.Sample) > c.Count {
		return fmt.Errorf("sample of %d numbers for a copy of %d (at most %d)", len(c.Sample), c.Count, registrySampleSize)
	}
	for i, v := range c.Sample {
		if v == 0 || v > 999_999_999_999_999 || (i > 0 && v <= c.Sample[i-1]) {
			return fmt.Errorf("sample[%d]: %d is not a number of 1 to 15 digits above the one before", i, v)
		}
	}
	return nil
}

// recordedRegistry is one registry as recordRegistryCopies records it.
type recordedRegistry struct {
	// name is the registry's name.
	name string
	// file is the path its copy was loaded from.
	file string
	// snap is the copy recorded: the copy in force, or the copy about to
	// go into force (a reload records it first); nil: none, not recorded.
	snap *dnc.Snapshot
	// withdrawn is whether the copy was withdrawn (its file written in
	// place).
	withdrawn bool
	// mark is the registry's high-water mark with that copy.
	mark registryMark
	// sample is the copy's sample as taken when it went in
	// (registryFile.sample); nil: none was taken.
	sample []uint64
}

// recordedRegistries returns the registries regs (loaded from files[i]),
// with their copies in force and their high-water marks (marks[i]), as
// recordRegistryCopies records them at start: no sample taken yet.
func recordedRegistries(files []string, regs []*dnc.Registry, marks []registryMark) []recordedRegistry {
	out := make([]recordedRegistry, len(regs))
	for i, r := range regs {
		out[i] = recordedRegistry{name: r.Name(), file: files[i], snap: r.Snapshot(), withdrawn: r.Withdrawn() != nil, mark: marks[i]}
	}
	return out
}

// recordRegistryCopies records the copies regs, with their high-water marks,
// in RegistryCopiesFile in data, durably and atomically (writeAtomic: a
// process killed or a machine that loses power meanwhile leaves the record
// before or the record after, never a cut one), keeping the records of
// registries not among them; unchanged records are not written again. Each
// record holds a sample of its copy (registrySampleSize, drawn at random:
// sampleOf); a record without one (format 1 or 2) is written
// again with it. A damaged or unreadable record is replaced by one of regs
// only: start refuses such a record before it gets here
// (checkStartShrink), and a reloader passes every registry it keeps. An
// error names the record file.
//
// A registry's sample, when it has one (recordedRegistry.sample), is the
// one taken when its copy went in, and is recorded instead of a sample taken
// now: a copy withdrawn because its file was written in place is still
// mapped from that file, and a sample taken now would hold the numbers
// written in place — the next start would compare the copy on the path
// with a sample of itself. A withdrawn copy of which no sample was taken
// keeps the sample recorded of it, if any, and is otherwise recorded
// without one.
func recordRegistryCopies(data string, regs []recordedRegistry, now time.Time) error {
	path := filepath.Join(data, RegistryCopiesFile)
	if len(regs) == 0 {
		// A start without registries neither reads nor replaces the
		// record: a damaged one stays for the next start with registries
		// to refuse (checkStartShrink).
		return nil
	}
	rc, err := readRegistryCopies(data)
	if err != nil {
		// serve's own record: a damaged one is replaced.
		rc = registryCopies{Format: registryCopiesFormat, Registries: map[string]registryCopy{}}
	}
	// A format-1 record is written again in the current format, with its marks.
	changed := err != nil || rc.Format != registryCopiesFormat
	rc.Format = registryCopiesFormat
	for _, r := range regs {
		s := r.snap
		if s == nil {
			continue
		}
		m := r.mark
		if m.Count < s.Header.Count || m.Version == "" {
			return fmt.Errorf("registry copies %s: registry %s: high-water mark %d (%q) below the copy's count %d", path, r.name, m.Count, m.Version, s.Header.Count)
		}
		prev, ok := rc.Registries[r.name]
		if ok && prev.Version == s.Header.Version() && prev.Count == s.Header.Count && prev.AsOf.Equal(s.Header.Effective()) && prev.File == r.file &&
			prev.mark() == m && (len(prev.Sample) > 0 || s.Header.Count == 0) && prev.Scope == scopeOf(s.Header) {
			continue
		}
		var sample []uint64
		switch {
		case r.sample != nil || s.Header.Count == 0:
			sample = r.sample
		case r.withdrawn:
			// Its file was written in place: the bytes mapped are not
			// the copy verified.
			if ok && prev.Version == s.Header.Version() {
				sample = prev.Sample
			}
		default:
			if sample, err = sampleOf(s, registrySampleSize, nil); err != nil {
				return fmt.Errorf("registry copies %s: registry %s: sample of the copy: %w", path, r.name, err)
			}
		}
		rc.Registries[r.name] = registryCopy{Version: s.Header.Version(), Count: s.Header.Count, AsOf: s.Header.Effective().UTC(),
			File: r.file, LoadedAt: now.UTC(), HighWaterCount: m.Count, HighWaterVersion: m.Version, Sample: sample,
			Scope: scopeOf(s.Header)}
		changed = true
	}
	if !changed {
		return nil
	}
	out, err := json.MarshalIndent(rc, "", "  ")
	if err != nil {
		return fmt.Errorf("registry copies %s: %w", path, err)
	}
	if err := writeAtomic(path, append(out, '\n')); err != nil {
		return fmt.Errorf("registry copies %s: not written: %w", path, err)
	}
	return nil
}

// checkShrink returns an error when the copy h lists fewer than (1 −
// maxShrink) × prevCount numbers — a download cut short, a wrong filter —
// or fewer than (1 − maxShrink) × mark.Count, the registry's high-water mark
// (shrinks each within the limit of the copy they replace add up), unless
// its shrink_from names prevVersion, the copy it replaces (the operator
// built it with --accept-shrink-from): that acknowledgement accepts it
// whatever its count, and resets the mark (nextMark). The error says both
// counts, the key and how to accept the copy.
func checkShrink(h dnc.Header, prevVersion string, prevCount int, mark registryMark, maxShrink float64) error {
	short := func(than int) bool { return than > 0 && float64(h.Count) < (1-maxShrink)*float64(than) }
	if !short(prevCount) && !short(mark.Count) {
		return nil
	}
	if acknowledged(h, prevVersion) {
		return nil
	}
	why := ""
	if h.ShrinkFrom != "" {
		why = fmt.Sprintf(" (its shrink_from names copy %s, not this one)", h.ShrinkFrom)
	}
	if short(prevCount) {
		fewer := 100 * (1 - float64(h.Count)/float64(prevCount))
		return fmt.Errorf("copy %s lists %d numbers, %s%% fewer than the %d of copy %s, more than registry_max_shrink %v allows%s: a download cut short or a wrong filter would list fewer people than the registry does; if the shrink is intended, build the copy again with `dialgate dnc build --accept-shrink-from %s`",
			h.Version(), h.Count, trimPercent(fewer), prevCount, prevVersion, maxShrink, why, prevVersion)
	}
	fewer := 100 * (1 - float64(h.Count)/float64(mark.Count))
	return fmt.Errorf("copy %s lists %d numbers, %s%% fewer than the registry's high-water mark of %d (copy %s: the most a copy listed since the last acknowledged shrink), more than registry_max_shrink %v allows, although it is within the limit of the %d of copy %s in force%s: shrinks each within the limit add up, and a registry losing numbers a little at a time lists fewer people than the registry does as surely as one cut at once; if the shrink is intended, build the copy again with `dialgate dnc build --accept-shrink-from %s` (the mark is then reset to this copy's count)",
		h.Version(), h.Count, trimPercent(fewer), mark.Count, mark.Version, maxShrink, prevCount, prevVersion, why, prevVersion)
}

// checkRequiredScopes refuses (ErrConfig, naming the file) a copy in regs
// (loaded from cfg.Registries) of a registry prof requires whose scope is
// not the one the profile requires it in (dnc.registries[].scope; global
// by default): a national registry applies to every dial, and a copy built
// in a narrower scope lists its numbers only for the dials of that scope
// (the dnc check denies every dial with it).
func checkRequiredScopes(cfg Config, prof *policy.Profile, regs []*dnc.Registry) error {
	if prof == nil || prof.DNC == nil {
		return nil
	}
	for i, r := range regs {
		j := slices.IndexFunc(prof.DNC.Registries, func(rc dnc.RegistryConfig) bool { return rc.Name == r.Name() })
		if j < 0 {
			continue
		}
		want, err := prof.DNC.Registries[j].CopyScope()
		if err != nil {
			return fmt.Errorf("%w: profile %s: dnc.registries[%d].scope: %w", ErrConfig, prof.Name, j, err)
		}
		sc, ok := r.CopyScope()
		switch {
		case !ok || sc.Equivalent(want):
		case want == dnc.GlobalScope:
			return fmt.Errorf("%w: registries: registry %s: %s applies only in scope %s, but profile %s requires the registry for every dial: rebuild it with dnc build --scope global (the default)",
				ErrConfig, r.Name(), cfg.Registries[i], sc, prof.Name)
		default:
			return fmt.Errorf("%w: registries: registry %s: %s applies in scope %s, but profile %s requires the registry in scope %s: rebuild it with dnc build --scope %s",
				ErrConfig, r.Name(), cfg.Registries[i], sc, prof.Name, want, want)
		}
	}
	return nil
}

// trimPercent formats a percentage with one decimal, rounded down so that a
// shrink just past the limit is not shown as the limit.
func trimPercent(p float64) string {
	return fmt.Sprintf("%.1f", math.Floor(p*10)/10)
}

// checkSwap returns an error when the copy h lacks more than maxShrink of
// the sampled numbers of the copy prevVersion it replaces (missing of
// sampled, drawn at random: sampleOf): a copy that dropped numbers and
// added as many others keeps its count and passes checkShrink, and every
// number it dropped would be allowed. As for checkShrink, a copy whose
// shrink_from names prevVersion is accepted (the operator's
// acknowledgement), and so is the same copy (its version). The error says
// the share, the copy compared with and how to accept the copy.
func checkSwap(h dnc.Header, prevVersion string, sampled, missing int, maxShrink float64) error {
	if sampled == 0 || h.Version() == prevVersion || float64(missing) <= maxShrink*float64(sampled) {
		return nil
	}
	if acknowledged(h, prevVersion) {
		return nil
	}
	why := ""
	if h.ShrinkFrom != "" {
		why = fmt.Sprintf(" (its shrink_from names copy %s, not this one)", h.ShrinkFrom)
	}
	return fmt.Errorf("copy %s lacks %d of %d numbers sampled at random from copy %s: an estimated %s%% of the numbers it listed are dropped, more than registry_max_shrink %v allows, although the copy lists %d numbers: a copy that drops numbers and adds as many others keeps its count, and every number it dropped would be allowed; if the change is intended, build the copy again with `dialgate dnc build --accept-shrink-from %s`%s",
		h.Version(), missing, sampled, prevVersion, trimPercent(100*float64(missing)/float64(sampled)), maxShrink, h.Count, prevVersion, why)
}

// scopeOf returns the scope h's copy applies in, in dnc.Scope's text form:
// "global" for a copy without one (as dnc.Registry.Swap reads it), and the
// header's scope as written when it does not parse (dnc.OpenSnapshot
// refuses such a copy before it gets here).
func scopeOf(h dnc.Header) string {
	if h.Scope == "" {
		return dnc.GlobalScope.String()
	}
	sc, err := dnc.ParseScope(h.Scope)
	if err != nil {
		return h.Scope
	}
	return sc.String()
}

// checkRegistryScope returns an error when the copy h applies in another scope than
// prevScope, that of the copy prevVersion it replaces (empty: not known, a
// record written before scopes were recorded), unless h's scope is global
// (it then applies to every dial: nothing is checked less) or its
// shrink_from names prevVersion (the operator's acknowledgement, as for
// checkShrink). A copy's version is the SHA-256 of its numbers alone, and
// the shrink and swap guards compare numbers: a copy of the same numbers
// built in a narrower scope (--scope campaign:x by mistake) passes them,
// and every dial outside that scope would no longer be checked against
// the registry — each of its numbers allowed. Scopes are compared as
// dnc.Scope matches dials: without regard to case.
func checkRegistryScope(h dnc.Header, prevVersion, prevScope string) error {
	to := scopeOf(h)
	if prevScope == "" || strings.EqualFold(to, prevScope) || to == dnc.GlobalScope.String() || acknowledged(h, prevVersion) {
		return nil
	}
	why := ""
	if h.ShrinkFrom != "" {
		why = fmt.Sprintf(" (its shrink_from names copy %s, not this one)", h.ShrinkFrom)
	}
	return fmt.Errorf("copy %s applies in scope %s, the copy %s in force in scope %s: every dial outside %s would no longer be checked against the registry's numbers, and each of them would be allowed; if the change of scope is intended, build the copy again with `dialgate dnc build --accept-shrink-from %s`%s",
		h.Version(), to, prevVersion, prevScope, to, prevVersion, why)
}

// checkStartShrink compares each registry copy regs (loaded from
// cfg.Registries) with the copy of its registry last in force, as recorded
// in the data directory, and refuses (ErrConfig) a copy older than it (as a
// reload does), in another scope than it (checkRegistryScope; a record
// without a scope has none to compare with), or that lists more than registry_max_shrink fewer numbers
// than it or than the registry's high-water mark (checkShrink), or that
// lacks more than registry_max_shrink of the numbers sampled from it
// (checkSwap; a record without a sample, format 1 or 2, has none to compare
// with). It returns each registry's high-water mark with its copy in force
// (nextMark; a registry not recorded starts at its copy's count). A missing
// record is a first start; a damaged one is refused (ErrConfig, naming the
// file): compared with nothing, a copy cut short or swapped would get in
// and the marks would be lost. Restoring the file, or deleting it to take
// the copies as given, is the operator's choice. One that exists but cannot
// be read (registryCopiesUnreadable) is refused too, saying so: its
// permissions, not its content, are at fault.
func checkStartShrink(cfg Config, regs []*dnc.Registry) ([]registryMark, error) {
	max := cfg.maxShrink()
	if !(max > 0 && max <= 1) {
		return nil, fmt.Errorf("%w: registry_max_shrink: %v is outside 0 < x ≤ 1", ErrConfig, max)
	}
	marks := make([]registryMark, len(regs))
	if len(regs) == 0 {
		return marks, nil
	}
	rc, err := readRegistryCopies(cfg.Data)
	if unreadable := (*registryCopiesUnreadable)(nil); errors.As(err, &unreadable) {
		return nil, fmt.Errorf("%w: registries: %w: the record of the registry copies last in force exists but cannot be read, so the copies given cannot be compared with it (registry_max_shrink, as_of) and a copy cut short or swapped would get in by this start: check its permissions and owner (a regular file the user serve runs as can read and replace, mode 0600, in a data directory of mode 0700) and the disk, then start again (the record may be whole: removing it would lose the high-water marks and samples it holds)",
			ErrConfig, err)
	}
	if err != nil {
		rec := filepath.Join(cfg.Data, RegistryCopiesFile)
		return nil, fmt.Errorf("%w: registries: %w: the record of the registry copies last in force cannot be read, so the copies given cannot be compared with them (registry_max_shrink, as_of) and a copy cut short or swapped would get in by this start: restore %s from a backup, or delete it to accept the copies given as they are (the registries' high-water marks then start again at their counts)",
			ErrConfig, err, rec)
	}
	for i, r := range regs {
		h := r.Snapshot().Header
		prev, ok := rc.Registries[r.Name()]
		if !ok {
			marks[i] = nextMark(registryMark{}, "", h)
			continue
		}
		if !prev.AsOf.IsZero() && h.Effective().Before(prev.AsOf) {
			// A reload refuses an older copy; a restart must not roll
			// the registry back either (the numbers registered since
			// would be allowed).
			return nil, fmt.Errorf("%w: registries: registry %s: %s is a copy as of %s, older than the copy last in force as of %s (version %s, recorded in %s): give a copy as of then or later; to go back to an older copy on purpose, delete that file",
				ErrConfig, r.Name(), cfg.Registries[i], h.Effective().UTC().Format(time.RFC3339), prev.AsOf.UTC().Format(time.RFC3339),
				prev.Version, filepath.Join(cfg.Data, RegistryCopiesFile))
		}
		if err := checkRegistryScope(h, prev.Version, prev.Scope); err != nil {
			return nil, fmt.Errorf("%w: registries: registry %s: %s: %w (the scope of the copy last in force is recorded in %s)",
				ErrConfig, r.Name(), cfg.Registries[i], err, filepath.Join(cfg.Data, RegistryCopiesFile))
		}
		if err := checkShrink(h, prev.Version, prev.Count, prev.mark(), max); err != nil {
			return nil, fmt.Errorf("%w: registries: registry %s: %s: %w (the copy last in force and the mark are recorded in %s)",
				ErrConfig, r.Name(), cfg.Registries[i], err, filepath.Join(cfg.Data, RegistryCopiesFile))
		}
		if len(prev.Sample) > 0 && h.Version() != prev.Version && !acknowledged(h, prev.Version) {
			missing, err := r.Snapshot().Missing(prev.Sample)
			if err != nil {
				return nil, fmt.Errorf("%w: registries: registry %s: %s: %w", ErrConfig, r.Name(), cfg.Registries[i], err)
			}
			if err := checkSwap(h, prev.Version, len(prev.Sample), missing, max); err != nil {
				return nil, fmt.Errorf("%w: registries: registry %s: %s: %w (the numbers sampled from the copy last in force are recorded in %s)",
					ErrConfig, r.Name(), cfg.Registries[i], err, filepath.Join(cfg.Data, RegistryCopiesFile))
			}
		}
		marks[i] = nextMark(prev.mark(), prev.Version, h)
	}
	return marks, nil
}
