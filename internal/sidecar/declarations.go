package sidecar

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"time"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/schedule"
)

// reloadBlackouts is the reload kind of the blackouts file.
const reloadBlackouts = "blackouts"

// declaredBlackouts keeps the declarations of Config.BlackoutsFile in force
// on the profile's window checks: a changed good copy is declared, a copy
// that cannot be read or parsed makes every dial the schedule judges
// undecidable (schedule.WindowCheck.DeclarationsFailed) until a good one is
// back — unlike the tokens and TLS files, whose copy in force stays, since
// keeping the old declarations could miss an emergency being declared.
type declaredBlackouts struct {
	r        *fileReloader[schedule.Declarations]
	checks   []*schedule.WindowCheck
	log      *slog.Logger
	loadedAt time.Time // when the copy read at start was put in force

	mu      sync.Mutex
	inForce *schedule.Declarations // declared on checks
	failed  error                  // why the file in force could not be loaded; nil when it was
}

// checkBlackoutsFile reads and parses the blackouts file at path; an error
// names the config key.
func checkBlackoutsFile(path string) error {
	if err := checkFileMode("blackouts_file", path, "", ""); err != nil {
		return err
	}
	b, err := os.ReadFile(path)
	if err == nil {
		_, err = schedule.ParseDeclarations(path, b)
	}
	if err != nil {
		return fmt.Errorf("blackouts_file: %w", err)
	}
	return nil
}

// newDeclaredBlackouts loads the blackouts file at path and declares it on
// the window checks among checks. A file that cannot be read or parsed, or a
// profile without a window check, is an error wrapping ErrConfig.
func newDeclaredBlackouts(path, profile string, checks []dialgate.Checker, log *slog.Logger, m *metrics) (*declaredBlackouts, error) {
	d := &declaredBlackouts{log: log}
	for _, c := range checks {
		if w, ok := c.(*schedule.WindowCheck); ok {
			d.checks = append(d.checks, w)
		}
	}
	if len(d.checks) == 0 {
		return nil, fmt.Errorf("%w: blackouts_file: profile %s has no schedule section: declared blackouts would stop no call", ErrConfig, profile)
	}
	parse := func(b [][]byte, _ bool) (*schedule.Declarations, error) {
		// A copy other users may write is a bad copy: any of them could
		// lift a declared emergency ("blackouts: []").
		if err := checkFileMode("blackouts_file", path, "", ""); err != nil {
			return nil, err
		}
		decl, err := schedule.ParseDeclarations(path, b[0])
		if err != nil {
			return nil, err
		}
		return &decl, nil
	}
	describe := func(old, new *schedule.Declarations) []any {
		return []any{"from", old.Version(), "to", new.Version(), "blackouts", len(new.Blackouts)}
	}
	r, err := newFileReloader(reloadBlackouts, []reloadFile{{key: "blackouts_file", path: path}}, parse, describe, log, m)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrConfig, err)
	}
	r.refused = "every dial the schedule judges is denied (schedule.unavailable) until a good copy is in place"
	d.r = r
	if err := d.declare(r.Load()); err != nil {
		return nil, fmt.Errorf("%w: blackouts_file: %w", ErrConfig, err)
	}
	d.loadedAt = time.Now()
	log.Info("sidecar: blackouts declared", "file", path, "version", r.Load().Version(), "blackouts", len(r.Load().Blackouts))
	return d, nil
}

// declare puts decl in force on every window check; d.mu held or d not yet
// shared.
func (d *declaredBlackouts) declare(decl *schedule.Declarations) error {
	for _, w := range d.checks {
		if err := w.Declare(*decl); err != nil {
			return err
		}
	}
	d.inForce, d.failed = decl, nil
	return nil
}

// fail makes every dial the window checks judge undecidable, for err.
func (d *declaredBlackouts) fail(err error) {
	for _, w := range d.checks {
		w.DeclarationsFailed(err)
	}
	if d.failed == nil {
		d.log.Error("sidecar: blackouts file not loaded; every dial the schedule judges is denied (schedule.unavailable) until a good copy is in place", "err", err)
	}
	d.failed = err
}

// Reload looks at the file again (see fileReloader.Reload) and puts a
// changed good copy in force, or, when the file cannot be read or parsed,
// denies until it can.
func (d *declaredBlackouts) Reload(force bool) error {
	err := d.r.Reload(force)
	d.mu.Lock()
	defer d.mu.Unlock()
	if err != nil {
		d.fail(err)
		return err
	}
	if cur := d.r.Load(); cur != d.inForce || d.failed != nil {
		recovered := d.failed != nil
		if err := d.declare(cur); err != nil {
			d.fail(err)
			return err
		}
		if recovered {
			d.log.Info("sidecar: blackouts file loaded again; the schedule decides again", "version", cur.Version())
		}
	}
	return nil
}

// check is the health probe of the "blackouts" component: it fails while
// the file cannot be loaded.
func (d *declaredBlackouts) check(context.Context) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.failed != nil {
		return fmt.Errorf("blackouts file not loaded: %w", d.failed)
	}
	return nil
}
