package sidecar

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"time"

	"github.com/dialgate/dialgate/dnc"
)

// RegistryCopiesFile, in Config.Data, records the registry copies last in
// force (registryCopies, JSON): each registry's version, count and as_of,
// and its high-water mark (the most numbers a copy of it listed since the
// last acknowledged shrink), written at start and after every reload that
// swaps a copy in, atomically (a temporary file, fsynced, renamed over it,
// the directory fsynced). A start compares each copy it loads with it (the
// shrink guard, registry_max_shrink): the copy in force before a restart is
// gone by then, and a copy cut short must not get in by a restart that a
// reload would have refused.
const RegistryCopiesFile = "registry-copies.json"

// registryCopiesFormat is the version of RegistryCopiesFile's format. Format
// 2 added high_water_count and high_water_version; a format-1 record is read
// with the mark at the recorded copy's count, and written again in format 2.
const registryCopiesFormat = 2

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

// readRegistryCopies reads RegistryCopiesFile in data; a missing file is an
// empty record, a damaged one an error naming it. A format-1 record has no
// high-water mark: the mark is the recorded copy's count.
func readRegistryCopies(data string) (registryCopies, error) {
	path := filepath.Join(data, RegistryCopiesFile)
	rc := registryCopies{Format: registryCopiesFormat, Registries: map[string]registryCopy{}}
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return rc, nil
	}
	if err != nil {
		return rc, fmt.Errorf("registry copies: %w", err)
	}
	var got registryCopies
	if err := decodeOne(b, &got); err != nil {
		return rc, fmt.Errorf("registry copies %s: %w", path, err)
	}
	if got.Format != 1 && got.Format != registryCopiesFormat {
		return rc, fmt.Errorf("registry copies %s: format %d, want 1 or %d", path, got.Format, registryCopiesFormat)
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
		rc.Registries[name] = c
	}
	rc.Format = got.Format
	return rc, nil
}

// recordRegistryCopies records the copies of regs (loaded from files[i]),
// with their high-water marks (marks[i]), in RegistryCopiesFile in data,
// durably and atomically (writeAtomic: a process killed or a machine that
// loses power meanwhile leaves the record before or the record after, never
// a cut one), keeping the records of registries not among them; unchanged
// records are not written again.
func recordRegistryCopies(data string, files []string, regs []*dnc.Registry, marks []registryMark, now time.Time) error {
	rc, err := readRegistryCopies(data)
	if err != nil {
		// serve's own record: a damaged one is replaced.
		rc = registryCopies{Format: registryCopiesFormat, Registries: map[string]registryCopy{}}
	}
	// A format-1 record is written again in the current format, with its marks.
	changed := err != nil || rc.Format != registryCopiesFormat
	rc.Format = registryCopiesFormat
	for i, r := range regs {
		s := r.Snapshot()
		if s == nil {
			continue
		}
		m := marks[i]
		if m.Count < s.Header.Count || m.Version == "" {
			return fmt.Errorf("registry copies: registry %s: high-water mark %d (%q) below the copy's count %d", r.Name(), m.Count, m.Version, s.Header.Count)
		}
		prev, ok := rc.Registries[r.Name()]
		if ok && prev.Version == s.Header.Version() && prev.Count == s.Header.Count && prev.AsOf.Equal(s.Header.Effective()) && prev.File == files[i] &&
			prev.mark() == m {
			continue
		}
		rc.Registries[r.Name()] = registryCopy{Version: s.Header.Version(), Count: s.Header.Count, AsOf: s.Header.Effective().UTC(),
			File: files[i], LoadedAt: now.UTC(), HighWaterCount: m.Count, HighWaterVersion: m.Version}
		changed = true
	}
	if !changed {
		return nil
	}
	out, err := json.MarshalIndent(rc, "", "  ")
	if err != nil {
		return fmt.Errorf("registry copies: %w", err)
	}
	if err := writeAtomic(filepath.Join(data, RegistryCopiesFile), append(out, '\n')); err != nil {
		return fmt.Errorf("registry copies: %w", err)
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

// trimPercent formats a percentage with one decimal, rounded down so that a
// shrink just past the limit is not shown as the limit.
func trimPercent(p float64) string {
	return fmt.Sprintf("%.1f", math.Floor(p*10)/10)
}

// checkStartShrink compares each registry copy regs (loaded from
// cfg.Registries) with the copy of its registry last in force, as recorded
// in the data directory, and refuses (ErrConfig) a copy older than it (as a
// reload does) or that lists more than registry_max_shrink fewer numbers
// than it or than the registry's high-water mark (checkShrink). It returns
// each registry's high-water mark with its copy in force (nextMark; a
// registry not recorded starts at its copy's count). A damaged record is
// logged and not compared with (it is written again once the server
// starts, the marks starting at the copies' counts).
func checkStartShrink(cfg Config, regs []*dnc.Registry, log interface {
	Error(msg string, args ...any)
}) ([]registryMark, error) {
	max := cfg.maxShrink()
	if !(max > 0 && max <= 1) {
		return nil, fmt.Errorf("%w: registry_max_shrink: %v is outside 0 < x ≤ 1", ErrConfig, max)
	}
	marks := make([]registryMark, len(regs))
	if len(regs) == 0 {
		return marks, nil
	}
	rc, err := readRegistryCopies(cfg.Data)
	if err != nil {
		log.Error("sidecar: the record of the registry copies last in force is damaged: this start does not compare its copies with it (registry_max_shrink) and their high-water marks start again at their counts; it is written again", "err", err)
		rc.Registries = nil
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
		if err := checkShrink(h, prev.Version, prev.Count, prev.mark(), max); err != nil {
			return nil, fmt.Errorf("%w: registries: registry %s: %s: %w (the copy last in force and the mark are recorded in %s)",
				ErrConfig, r.Name(), cfg.Registries[i], err, filepath.Join(cfg.Data, RegistryCopiesFile))
		}
		marks[i] = nextMark(prev.mark(), prev.Version, h)
	}
	return marks, nil
}
