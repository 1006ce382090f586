package sidecar

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"math"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/dialgate/dialgate/dnc"
	"github.com/dialgate/dialgate/policy"
)

// RegistryCopiesFile, in Config.Data, records the registry copies last in
// force (registryCopies, JSON): each registry's version, count and as_of,
// written at start and after every reload that swaps a copy in. A start
// compares each copy it loads with it (the shrink guard, registry_max_shrink):
// the copy in force before a restart is gone by then, and a copy cut short
// must not get in by a restart that a reload would have refused.
const RegistryCopiesFile = "registry-copies.json"

// registryCopiesFormat is the version of RegistryCopiesFile's format.
const registryCopiesFormat = 1

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
}

// readRegistryCopies reads RegistryCopiesFile in data; a missing file is an
// empty record, a damaged one an error naming it.
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
	if got.Format != registryCopiesFormat {
		return rc, fmt.Errorf("registry copies %s: format %d, want %d", path, got.Format, registryCopiesFormat)
	}
	for name, c := range got.Registries {
		if c.Count < 0 || c.Version == "" {
			return rc, fmt.Errorf("registry copies %s: registry %q: count %d, version %q", path, name, c.Count, c.Version)
		}
	}
	maps.Copy(rc.Registries, got.Registries)
	return rc, nil
}

// recordRegistryCopies records the copies of regs (loaded from files[i]) in
// RegistryCopiesFile in data, durably, keeping the records of registries not
// among them; unchanged records are not written again.
func recordRegistryCopies(data string, files []string, regs []*dnc.Registry, now time.Time) error {
	rc, err := readRegistryCopies(data)
	if err != nil {
		// serve's own record: a damaged one is replaced.
		rc = registryCopies{Format: registryCopiesFormat, Registries: map[string]registryCopy{}}
	}
	changed := err != nil
	for i, r := range regs {
		s := r.Snapshot()
		if s == nil {
			continue
		}
		prev, ok := rc.Registries[r.Name()]
		if ok && prev.Version == s.Header.Version() && prev.Count == s.Header.Count && prev.AsOf.Equal(s.Header.Effective()) && prev.File == files[i] {
			continue
		}
		rc.Registries[r.Name()] = registryCopy{Version: s.Header.Version(), Count: s.Header.Count, AsOf: s.Header.Effective().UTC(),
			File: files[i], LoadedAt: now.UTC()}
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
// unless its shrink_from names prevVersion, the copy it replaces (the
// operator built it with --accept-shrink-from). The error says both counts,
// the key and how to accept the copy.
func checkShrink(h dnc.Header, prevVersion string, prevCount int, maxShrink float64) error {
	if prevCount <= 0 || float64(h.Count) >= (1-maxShrink)*float64(prevCount) {
		return nil
	}
	if h.ShrinkFrom != "" && h.ShrinkFrom == prevVersion {
		return nil
	}
	fewer := 100 * (1 - float64(h.Count)/float64(prevCount))
	why := ""
	if h.ShrinkFrom != "" {
		why = fmt.Sprintf(" (its shrink_from names copy %s, not this one)", h.ShrinkFrom)
	}
	return fmt.Errorf("copy %s lists %d numbers, %s%% fewer than the %d of copy %s, more than registry_max_shrink %v allows%s: a download cut short or a wrong filter would list fewer people than the registry does; if the shrink is intended, build the copy again with `dialgate dnc build --accept-shrink-from %s`",
		h.Version(), h.Count, trimPercent(fewer), prevCount, prevVersion, maxShrink, why, prevVersion)
}

// checkRequiredScopes refuses (ErrConfig, naming the file) a copy in regs
// (loaded from cfg.Registries) of a registry prof requires whose scope is
// not global: the national registry applies to every dial, and such a copy
// lists its numbers only for the dials of its scope (the dnc check denies
// every dial with it).
func checkRequiredScopes(cfg Config, prof *policy.Profile, regs []*dnc.Registry) error {
	if prof == nil || prof.DNC == nil {
		return nil
	}
	for i, r := range regs {
		if !slices.ContainsFunc(prof.DNC.Registries, func(rc dnc.RegistryConfig) bool { return rc.Name == r.Name() }) {
			continue
		}
		if sc, ok := r.CopyScope(); ok && sc != dnc.GlobalScope {
			return fmt.Errorf("%w: registries: registry %s: %s applies only in scope %s, but profile %s requires the registry for every dial: rebuild it with dnc build --scope global (the default)",
				ErrConfig, r.Name(), cfg.Registries[i], sc, prof.Name)
		}
	}
	return nil
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
// (checkShrink). A damaged record is
// logged and not compared with (it is written again once the server starts).
func checkStartShrink(cfg Config, regs []*dnc.Registry, log interface {
	Error(msg string, args ...any)
}) error {
	max := cfg.maxShrink()
	if !(max > 0 && max <= 1) {
		return fmt.Errorf("%w: registry_max_shrink: %v is outside 0 < x ≤ 1", ErrConfig, max)
	}
	if len(regs) == 0 {
		return nil
	}
	rc, err := readRegistryCopies(cfg.Data)
	if err != nil {
		log.Error("sidecar: the record of the registry copies last in force is damaged: this start does not compare its copies with it (registry_max_shrink); it is written again", "err", err)
		return nil
	}
	for i, r := range regs {
		prev, ok := rc.Registries[r.Name()]
		if !ok {
			continue
		}
		h := r.Snapshot().Header
		if !prev.AsOf.IsZero() && h.Effective().Before(prev.AsOf) {
			// A reload refuses an older copy; a restart must not roll
			// the registry back either (the numbers registered since
			// would be allowed).
			return fmt.Errorf("%w: registries: registry %s: %s is a copy as of %s, older than the copy last in force as of %s (version %s, recorded in %s): give a copy as of then or later; to go back to an older copy on purpose, delete that file",
				ErrConfig, r.Name(), cfg.Registries[i], h.Effective().UTC().Format(time.RFC3339), prev.AsOf.UTC().Format(time.RFC3339),
				prev.Version, filepath.Join(cfg.Data, RegistryCopiesFile))
		}
		if err := checkShrink(h, prev.Version, prev.Count, max); err != nil {
			return fmt.Errorf("%w: registries: registry %s: %s: %w (the copy last in force is recorded in %s)",
				ErrConfig, r.Name(), cfg.Registries[i], err, filepath.Join(cfg.Data, RegistryCopiesFile))
		}
	}
	return nil
}
