package sidecar

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/dialgate/dialgate/internal/durable"
	"github.com/dialgate/dialgate/policy"
	"github.com/dialgate/dialgate/schedule"
)

// CounterHistoryFile, in Config.Data, holds the frequency counter keys of the
// profile the sidecar last started with and the earlier keys it still
// carries (schedule.CounterHistory, JSON), so that a changed rule window
// keeps the calls and outcomes already counted (see counterHistory).
const CounterHistoryFile = "counter-history.json"

// counterHistoryVersion is the version of CounterHistoryFile's format.
const counterHistoryVersion = 1

// counterHistoryDoc is CounterHistoryFile's content.
type counterHistoryDoc struct {
	Version int `json:"version"`
	schedule.CounterHistory
}

// LoadCounterHistory returns the counter history of prof's frequency rules
// started at now (schedule.NextCounterHistory) from the one kept in the data
// directory data (CounterHistoryFile), without writing it: what a decision
// made on data outside `dialgate serve` (dialgate check) carries. A missing
// file carries nothing (found reports false), unless earlier is true: the
// data directory's store existed before this start, so a build that kept
// no history may have counted calls under pre-window keys (in that store or
// in a fleet's it shared), which are then carried
// (schedule.CarryPreWindowKeys). A damaged file is an error naming it.
func LoadCounterHistory(data string, prof *policy.Profile, now time.Time, earlier bool) (h schedule.CounterHistory, found bool, err error) {
	path := filepath.Join(data, CounterHistoryFile)
	var prev counterHistoryDoc
	b, err := os.ReadFile(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return schedule.CounterHistory{}, false, fmt.Errorf("counter history: %w", err)
	default:
		found = true
		if err := decodeOne(b, &prev); err != nil {
			return schedule.CounterHistory{}, false, fmt.Errorf("counter history %s: %w (delete it to start without carrying the counts of changed frequency windows)", path, err)
		}
		if prev.Version != counterHistoryVersion {
			return schedule.CounterHistory{}, false, fmt.Errorf("counter history %s: version %d, want %d", path, prev.Version, counterHistoryVersion)
		}
		if prev.Keys == nil {
			// Written, the keys are always there (a profile without
			// frequency rules has none: []); without them nothing the
			// earlier profile counted would be carried.
			return schedule.CounterHistory{}, false, fmt.Errorf("counter history %s: keys: missing (delete the file to start without carrying the counts of changed frequency windows)", path)
		}
	}
	next, err := schedule.NextCounterHistory(prev.CounterHistory, frequencyOf(prof), now)
	if err != nil {
		return schedule.CounterHistory{}, false, fmt.Errorf("counter history %s: %w", path, err)
	}
	if !found && earlier {
		// Builds from before the history wrote their counters under keys
		// without the window (up to f8aa432) or with it: the first kept
		// history carries the former, which are otherwise never read.
		next = schedule.CarryPreWindowKeys(next, now)
	}
	return next, found, nil
}

func frequencyOf(prof *policy.Profile) schedule.CapsConfig {
	if prof.Frequency != nil {
		return *prof.Frequency
	}
	return schedule.CapsConfig{}
}

// counterHistory is LoadCounterHistory that logs the rules whose earlier
// counts are carried and returns, with the history, the function that writes
// it back, atomically; Open calls it once everything else has started.
// earlier is LoadCounterHistory's.
func counterHistory(data string, prof *policy.Profile, now time.Time, earlier bool, log *slog.Logger) (schedule.CounterHistory, func() error, error) {
	path := filepath.Join(data, CounterHistoryFile)
	next, found, err := LoadCounterHistory(data, prof, now, earlier)
	if err != nil {
		return schedule.CounterHistory{}, nil, err
	}
	if !found {
		log.Info("sidecar: no counter history yet: a frequency window changed before this start is not carried", "file", path)
	}
	cfg := frequencyOf(prof)
	for _, t := range next.Transitions {
		attrs := []any{"profile", prof.Name, "earlier_key", t.From.Suffix, "since", t.Since.UTC().Format(time.RFC3339),
			"until", t.Until(cfg).UTC().Format(time.RFC3339)}
		switch {
		case preWindowSuffix(t.From.Suffix):
			log.Warn("sidecar: carrying the calls counted by a build from before counter keys named their window (an upgraded data directory or fleet store) until the given time", attrs...)
		case !carriedInto(t.From.Suffix, next.Keys):
			log.Info("sidecar: an earlier frequency rule has no successor in the profile (removed, or its scope or purposes changed): its counts are not carried", attrs...)
		case t.Since.Equal(now):
			log.Warn("sidecar: a frequency rule's window changed: the calls and outcomes counted under its earlier counter key keep counting until the given time", attrs...)
		default:
			log.Info("sidecar: still carrying the counts of an earlier frequency window", attrs...)
		}
	}
	write := func() error {
		out, err := json.MarshalIndent(counterHistoryDoc{Version: counterHistoryVersion, CounterHistory: next}, "", "  ")
		if err != nil {
			return fmt.Errorf("counter history: %w", err)
		}
		if err := writeAtomic(path, append(out, '\n')); err != nil {
			return fmt.Errorf("counter history: %w", err)
		}
		return nil
	}
	return next, write, nil
}

// carriedInto reports whether one of keys has the kind, scope and purposes
// of the earlier key suffix (all but its window), so that it carries it.
func carriedInto(suffix string, keys []schedule.CounterKey) bool {
	group := suffix[:max(strings.LastIndexByte(suffix, '|'), 0)]
	if preWindowSuffix(suffix) {
		group = suffix
	}
	for _, k := range keys {
		if k.Suffix != suffix && strings.HasPrefix(k.Suffix, group+"|") && strings.LastIndexByte(k.Suffix, '|') == len(group) {
			return true
		}
	}
	return false
}

// preWindowSuffix reports whether suffix is a counter key suffix without
// its window, "|kind|scope|purposes" (schedule.CarryPreWindowKeys).
func preWindowSuffix(suffix string) bool { return strings.Count(suffix, "|") == 3 }

// writeAtomic replaces path with b (mode 0600), durably: a temporary file
// beside it, synced, renamed into place, and the directory synced, so that
// path is either the old file or the complete new one.
func writeAtomic(path string, b []byte) error {
	return durable.WriteFile(path, b, syncDir)
}

// counterExpiryDelay returns, for the history h of the frequency rules cfg,
// how much earlier than now a counter expiry (storage.CounterExpirer) must
// be made as of, or nil if it need not be. A store expires an entry past the
// longest window its key was used with when it was recorded; an entry
// recorded under an earlier counter key whose rule's window was since
// lengthened (30 days to 60) still counts under the carried rule for the new
// window (schedule.CounterTransition), so while a transition is carried the
// expiry is made as of now minus the difference. It is never less safe than
// expiring as of now: entries are kept longer, never dropped sooner.
func counterExpiryDelay(h schedule.CounterHistory, cfg schedule.CapsConfig) func(now time.Time) time.Duration {
	type lengthened struct {
		until time.Time
		by    time.Duration
	}
	var ls []lengthened
	for _, t := range h.Transitions {
		until := t.Until(cfg)
		if by := until.Sub(t.Since) - t.From.Window.Std(); by > 0 {
			ls = append(ls, lengthened{until: until, by: by})
		}
	}
	if len(ls) == 0 {
		return nil
	}
	return func(now time.Time) time.Duration {
		var d time.Duration
		for _, l := range ls {
			if now.Before(l.until) {
				d = max(d, l.by)
			}
		}
		return d
	}
}

// counterExpiryExtender is a counter store whose keys expire on their own
// (storage/redisstore): see extendCarriedCounters.
type counterExpiryExtender interface {
	ExtendCounterExpiry(ctx context.Context, suffix string, until, now time.Time) (int, error)
}

// extendCarriedCounters makes the earlier counter keys of h whose rule's
// window was lengthened last, in a store whose keys expire (Redis: a key's
// window plus a slack after its last reservation), until their carrying
// ends: a callee capped before the change is not called again, so its
// earlier key is not written again and would expire with the old window
// while the carried rule still counts its calls for the new one.
func extendCarriedCounters(ctx context.Context, ex counterExpiryExtender, h schedule.CounterHistory, cfg schedule.CapsConfig, now time.Time, log *slog.Logger) error {
	for _, t := range h.Transitions {
		until := t.Until(cfg)
		if until.Sub(t.Since) <= t.From.Window.Std() || !now.Before(until) {
			continue // not lengthened, or ended
		}
		n, err := ex.ExtendCounterExpiry(ctx, t.From.Suffix, until, now)
		if err != nil {
			return fmt.Errorf("counter history: keep the earlier counters %s until %s: %w", t.From.Suffix, until.UTC().Format(time.RFC3339), err)
		}
		log.Info("sidecar: the earlier counters of a lengthened frequency window are kept until their carrying ends",
			"earlier_key", t.From.Suffix, "until", until.UTC().Format(time.RFC3339), "extended", n)
	}
	return nil
}
