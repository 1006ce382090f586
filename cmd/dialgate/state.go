package main

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/callerid"
	"github.com/dialgate/dialgate/complaint"
	"github.com/dialgate/dialgate/consent"
	"github.com/dialgate/dialgate/dnc"
	"github.com/dialgate/dialgate/internal/sidecar"
	"github.com/dialgate/dialgate/policy"
	"github.com/dialgate/dialgate/recording"
	"github.com/dialgate/dialgate/storage"
	"github.com/dialgate/dialgate/storage/boltstore"
	"github.com/spf13/cobra"
)

// state is the durable state of --data opened for a command that changes it:
// the store, the keys shared with `dialgate serve` (so a number hashes the same
// everywhere), and the profile's checks built over them (so a do-not-call
// addition goes through the same overlay a Gate reads).
type state struct {
	store      *boltstore.Store
	profile    *policy.Profile
	deps       policy.Deps
	checks     []dialgate.Checker
	complaints complaint.Store // the fleet's with --config naming PostgreSQL, else store
	shared     func() error    // closes the fleet back-ends; nil without --config
}

// close closes the fleet back-ends, if any, and the store.
func (st *state) close() error {
	var err error
	if st.shared != nil {
		err = st.shared()
	}
	return errors.Join(err, st.store.Close())
}

// openState opens --data (creating it) with the profile resolveProfile
// gives for profileFlag and use and, with --config, the fleet back-ends the
// config names, in place of the local store's (as dialgate serve does). The
// caller calls st.close.
func (a *app) openState(cmd *cobra.Command, profileFlag string, use profileUse) (*state, error) {
	ctx := cmd.Context()
	profileName, err := a.resolveProfile(cmd, profileFlag, use)
	if err != nil {
		return nil, err
	}
	p, err := policy.Load(profileName)
	if err != nil {
		return nil, usageErr("--profile: %v", err)
	}
	fleet := a.fleet()
	// With Redis alone the recordings and complaints would land in this
	// host's store, which no sidecar reads.
	if err := a.checkHome(sharedPostgres, "recordings and complaints"); err != nil {
		return nil, err
	}
	var keyFile string
	if fleet != nil {
		keyFile = fleet.HMACKeyFile
	}
	// A store whose key was lost must not get a new one (its recordings and
	// complaints' holds are keyed by the callee hash).
	if err := sidecar.CheckStoreKey(a.data, keyFile); err != nil {
		return nil, failErr(fmt.Errorf("%s: %w", keysFlag(keyFile), err))
	}
	s, err := a.openWriteStore()
	if err != nil {
		return nil, err
	}
	st := &state{store: s, profile: p, complaints: s}
	fail := func(err error) (*state, error) {
		st.close()
		return nil, err
	}
	keys, err := sidecar.LoadKeysFile(a.data, keyFile)
	if err != nil {
		return fail(keysErr(fmt.Errorf("%s: %w", keysFlag(keyFile), err)))
	}
	if st.deps, err = policy.StoreDeps(s, keys.HMAC); err != nil {
		return fail(failErr(err))
	}
	if fleet != nil {
		c, closeShared, err := sidecar.OpenShared(ctx, *fleet, &st.deps)
		if err != nil {
			return fail(failErr(fmt.Errorf("--config: %w", err)))
		}
		st.shared = closeShared
		if c != nil {
			st.complaints = c
		}
	}
	if st.checks, err = policy.Checks(p, st.deps); err != nil {
		return fail(usageErr("--profile: %v", err))
	}
	return st, nil
}

// loadFleet reads the config --config names, once, before a command runs:
// commands then use its data directory unless --data is given (as dialgate
// serve --config does). A config naming Redis or PostgreSQL without
// hmac_key_file is refused, as serve refuses it: another key would name
// callees differently from the sidecars (caps, holds and lists would miss).
func (a *app) loadFleet() error {
	if a.fleetConfig == "" {
		return nil
	}
	c, err := sidecar.LoadConfig(a.fleetConfig)
	if err != nil {
		return usageErr("--config: %v", err)
	}
	if (c.Redis != "" || c.Postgres != "") && c.HMACKeyFile == "" {
		return usageErr("--config: %s: hmac_key_file: required with redis or postgres (the fleet's key)", a.fleetConfig)
	}
	// The fleet's key as serve takes it: missing, malformed, or a file
	// other users may read or write, is refused before the command runs.
	if c.HMACKeyFile != "" {
		if err := sidecar.CheckFiles(sidecar.Config{HMACKeyFile: c.HMACKeyFile}); err != nil {
			return usageErr("--config: %s: %v", a.fleetConfig, err)
		}
	}
	if !a.dataSet && c.Data != "" {
		a.data = c.Data
	}
	a.fleetCfg = &c
	return nil
}

// keysErr is the error of a command whose keys failed to load (err names
// the flag): bad input (exit 2) when a key file is refused as
// configuration — one other users may read or write (sidecar.ErrConfig) —,
// a failure (exit 1) otherwise.
func keysErr(err error) error {
	if errors.Is(err, sidecar.ErrConfig) {
		return &exitError{code: exitBadArgs, err: err}
	}
	return failErr(err)
}

// fleet returns the config --config names (nil without --config).
func (a *app) fleet() *sidecar.Config { return a.fleetCfg }

// addFleetFlag adds --config to a command group whose records a fleet keeps
// in its shared back-ends.
func (a *app) addFleetFlag(cmd *cobra.Command) {
	cmd.PersistentFlags().StringVar(&a.fleetConfig, "config", "",
		"the YAML config of dialgate serve: with redis or postgres in it, use the fleet's shared records (and its hmac_key_file) instead of the store in --data")
}

// recordings returns the profile's recording Manager, deleting media below
// mediaRoot when it is set. done releases the media root.
func (st *state) recordings(mediaRoot string) (m *recording.Manager, done func(), err error) {
	done = func() {}
	deps := st.deps
	if mediaRoot != "" {
		fb, err := recording.NewFSBlob(mediaRoot)
		if err != nil {
			return nil, nil, usageErr("--media-root: %v", err)
		}
		deps.Media, done = fb, func() { fb.Close() }
	}
	m, err = policy.NewRecordingManager(st.profile, deps)
	if err != nil {
		done()
		return nil, nil, failErr(err)
	}
	if st.complaints != nil {
		m.GuardHolds(complaint.HoldGuard(st.complaints))
		m.HoldNew(complaint.RecordingHolds(st.complaints))
	}
	return m, done, nil
}

// desk returns the profile's complaint desk, listing numbers through the
// profile's own do-not-call check.
func (st *state) desk() (*complaint.Desk, error) {
	lists, ok := policy.CheckOf[*dnc.Check](st.checks)
	if !ok {
		return nil, usageErr("--profile: profile %s has no dnc section, so a complaint cannot list the number", st.profile.Name)
	}
	m, _, err := st.recordings("")
	if err != nil {
		return nil, err
	}
	d, err := policy.NewComplaintDesk(st.profile, st.complaints, lists, m, st.deps.CalleeHasher)
	if err != nil {
		return nil, failErr(err)
	}
	return d, nil
}

// fleetDeps opens the fleet back-ends --config names into stores of their
// own (nil without --config; a config that names none is an error). done
// closes them.
func (a *app) fleetDeps(ctx context.Context) (deps *policy.Deps, done func(), err error) {
	fleet := a.fleet()
	if fleet == nil {
		return nil, nil, nil
	}
	if err := a.checkHome(sharedAny, ""); err != nil {
		return nil, nil, err
	}
	deps = &policy.Deps{}
	_, closeShared, err := sidecar.OpenShared(ctx, *fleet, deps)
	if err != nil {
		return nil, nil, failErr(fmt.Errorf("--config: %w", err))
	}
	return deps, func() { closeShared() }, nil
}

// checkHome refuses, before anything is written (the data directory, its
// keys, the audit log, the store), a command whose records (what names
// them) would not be kept where the sidecars read them: with --config, a
// config naming no fleet back-end, or (home sharedPostgres) no postgres,
// or fewer than --data's sidecar keeps records on; without it, a --data whose sidecar keeps them on a fleet's back-ends
// (refuseFleetData). Every write command calls it before it opens the
// audit log.
func (a *app) checkHome(home recordHome, what string) error {
	fleet := a.fleet()
	if fleet == nil {
		return a.refuseFleetData(home, what)
	}
	if fleet.Postgres == "" && fleet.Redis == "" {
		// --data's default is ./dialgate-data of the working directory, not
		// the config's data: name the store the config's sidecar uses.
		data := fleet.WithDefaults().Data
		if abs, err := filepath.Abs(data); err == nil {
			data = abs
		}
		return usageErr("--config: %s names no fleet back-end (redis or postgres); drop --config and give --data %s (the config's data) to use the store of its sidecar (stopped, or through dialgate admin while it runs)", a.fleetConfig, data)
	}
	if home == sharedPostgres && fleet.Postgres == "" {
		return usageErr("--config: %s names no postgres: a fleet keeps %s in PostgreSQL", a.fleetConfig, what)
	}
	// A config naming fewer back-ends than the sidecar of --data keeps
	// records on (postgres alone where it has redis too, whose do-not-call
	// lists are then Redis's) would write where no sidecar reads.
	return a.refuseFleetData(home, what)
}

// fleetDNC returns the do-not-call store of the fleet --config names (the one
// every sidecar of the fleet reads: Redis when configured, else PostgreSQL),
// or nil without --config. done closes it.
func (a *app) fleetDNC(ctx context.Context) (s dnc.Store, done func(), err error) {
	deps, done, err := a.fleetDeps(ctx)
	if err != nil || deps == nil {
		return nil, nil, err
	}
	return deps.DNC, done, nil
}

// consentStore is what the consent commands need of a store.
type consentStore interface {
	consent.Store
	ConsentHistory(ctx context.Context, n dialgate.Number) ([]consent.Event, error)
}

// openConsents opens where consents live: with --config the fleet's
// PostgreSQL (the sidecars read consents there, not in a host's --data
// store: a revocation written to --data would be read by none), else the
// store in --data (created when write). done closes it.
func (a *app) openConsents(ctx context.Context, write bool) (consentStore, func(), error) {
	deps, done, err := a.fleetDeps(ctx)
	if err != nil {
		return nil, nil, err
	}
	if deps != nil {
		cs, ok := deps.Consents.(consentStore)
		if !ok {
			done()
			return nil, nil, usageErr("--config: %s names no store a fleet keeps consents in (postgres, or redis alone)", a.fleetConfig)
		}
		return cs, done, nil
	}
	if err := a.checkHome(sharedAny, "consents"); err != nil {
		return nil, nil, err
	}
	open := a.openReadStore
	if write {
		open = a.openWriteStore
	}
	s, err := open()
	if err != nil {
		return nil, nil, err
	}
	return s, func() { s.Close() }, nil
}

// openLedger opens where the caller-ID ledger lives: with --config the
// fleet's PostgreSQL, else the store in --data (created when write).
func (a *app) openLedger(ctx context.Context, write bool) (callerid.Store, func(), error) {
	deps, done, err := a.fleetDeps(ctx)
	if err != nil {
		return nil, nil, err
	}
	if deps != nil {
		if deps.Ledger == nil {
			done()
			return nil, nil, usageErr("--config: %s names no postgres: a fleet keeps its caller-ID ledger in PostgreSQL", a.fleetConfig)
		}
		return deps.Ledger, done, nil
	}
	if err := a.checkHome(sharedPostgres, "the caller-ID ledger"); err != nil {
		return nil, nil, err
	}
	var s *boltstore.Store
	if write {
		s, err = a.openWriteStore()
	} else {
		s, err = a.openReadStore()
	}
	if err != nil {
		return nil, nil, err
	}
	return s, func() { s.Close() }, nil
}

// dataErr is the error of a store in --data that could not be opened. A
// store locked by another process is, almost always, held by a dialgate
// serve on the same --data: say so, and what to do instead.
func dataErr(err error) error {
	if errors.Is(err, storage.ErrLocked) {
		return fmt.Errorf("--data: %w; a dialgate serve running on this --data holds the store: stop it first, or make the change through it with dialgate admin (dnc add|remove, consent add|revoke, complaint add, ledger add, recordings register|end|hold|release; see dialgate admin --help; in a fleet, give --config); reads and the other commands need the sidecar stopped, or a copy of its data directory taken while it was (docs/deploy.md)", err)
	}
	return fmt.Errorf("--data: %w", err)
}

// keysFlag names the flag whose keys failed to load: --config when the key
// comes from its hmac_key_file, else --data (its keys directory).
func keysFlag(keyFile string) string {
	if keyFile != "" {
		return "--config"
	}
	return "--data"
}
