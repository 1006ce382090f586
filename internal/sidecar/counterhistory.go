package sidecar

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

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

// counterHistory reads the counter history of the data directory data, turns
// it into the history of prof's frequency rules started at now
// (schedule.NextCounterHistory) and logs the rules whose earlier counts are
// carried. The returned function writes that history back, atomically; Open
// calls it once everything else has started. A missing file (a first start,
// or a data directory from an earlier build) carries nothing; a damaged one
// is an error naming it (deleting it starts without carrying).
func counterHistory(data string, prof *policy.Profile, now time.Time, log *slog.Logger) (schedule.CounterHistory, func() error, error) {
	path := filepath.Join(data, CounterHistoryFile)
	var prev counterHistoryDoc
	b, err := os.ReadFile(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		log.Info("sidecar: no counter history yet: a frequency window changed before this start is not carried", "file", path)
	case err != nil:
		return schedule.CounterHistory{}, nil, fmt.Errorf("counter history: %w", err)
	default:
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&prev); err != nil {
			return schedule.CounterHistory{}, nil, fmt.Errorf("counter history %s: %w (delete it to start without carrying the counts of changed frequency windows)", path, err)
		}
		if prev.Version != counterHistoryVersion {
			return schedule.CounterHistory{}, nil, fmt.Errorf("counter history %s: version %d, want %d", path, prev.Version, counterHistoryVersion)
		}
	}
	var cfg schedule.CapsConfig
	if prof.Frequency != nil {
		cfg = *prof.Frequency
	}
	next, err := schedule.NextCounterHistory(prev.CounterHistory, cfg, now)
	if err != nil {
		return schedule.CounterHistory{}, nil, fmt.Errorf("counter history %s: %w", path, err)
	}
	for _, t := range next.Transitions {
		attrs := []any{"profile", prof.Name, "earlier_key", t.From.Suffix, "since", t.Since.UTC().Format(time.RFC3339),
			"until", t.Until(cfg).UTC().Format(time.RFC3339)}
		switch {
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
	for _, k := range keys {
		if k.Suffix != suffix && strings.HasPrefix(k.Suffix, group+"|") && strings.LastIndexByte(k.Suffix, '|') == len(group) {
			return true
		}
	}
	return false
}

// writeAtomic replaces path with b (mode 0600), durably: a temporary file
// beside it, synced, renamed into place, and the directory synced, so that
// path is either the old file or the complete new one.
func writeAtomic(path string, b []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return err
	}
	ok := false
	defer func() {
		if !ok {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if _, err := tmp.Write(b); err != nil {
		return err
	}
	if err := tmp.Sync(); err != nil {
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return err
	}
	ok = true
	return syncDir(filepath.Dir(path))
}
