package scenario

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/dialgate/dialgate/callerid"
	"github.com/dialgate/dialgate/complaint"
	"github.com/dialgate/dialgate/consent"
	"github.com/dialgate/dialgate/dnc"
	"github.com/dialgate/dialgate/recording"
	"github.com/dialgate/dialgate/storage"
	"github.com/dialgate/dialgate/storage/memstore"
)

// Stores are the stores one run of a scenario file works on: its seed data
// and events are written into them and the Gate's checks read them. Every
// field but Runs and Close is required; they may all be one value (a
// *memstore.Store, a *boltstore.Store, a *pgstore.Store) or, as a fleet
// wires them, several (redisstore for the counters, the do-not-call entries
// and the sweep runs, pgstore for the rest).
//
// The stores must be fresh: a run assumes they hold nothing, and its seed
// data and events are written into them.
type Stores struct {
	// DNC keeps the store-backed do-not-call entries (the dnc: seed,
	// opt_out and complaint events).
	DNC dnc.Store
	// Ledger keeps the caller-ID ledger (the ledger: seed).
	Ledger callerid.Store
	// Consents keeps consent records (the consents: seed, grant_consent and
	// revoke_consent events).
	Consents consent.Store
	// Counters keeps the frequency caps', the segment rate's and the
	// abandoned calls' counters.
	Counters storage.Counters
	// Runs keeps the sweep.sequential and sweep.stride run state; nil: the
	// sweep checks keep it in their own memory (as the in-memory default and
	// the embedded store do).
	Runs storage.Runs
	// Recordings keeps recording metadata and holds.
	Recordings recording.Store
	// Complaints keeps the complaints the complaint event files.
	Complaints complaint.Store
	// Close, if not nil, is called once the run is over, whatever its
	// result, to close the stores and remove what they wrote.
	Close func() error
}

// validate reports a required field that is nil.
func (s Stores) validate() error {
	for _, f := range []struct {
		name string
		nil  bool
	}{
		{"DNC", s.DNC == nil}, {"Ledger", s.Ledger == nil}, {"Consents", s.Consents == nil},
		{"Counters", s.Counters == nil}, {"Recordings", s.Recordings == nil}, {"Complaints", s.Complaints == nil},
	} {
		if f.nil {
			return fmt.Errorf("scenario: stores: %s: nil", f.name)
		}
	}
	return nil
}

// NewStores returns fresh, empty Stores for one run of f. It is called once
// per run, before the seed data is written; an error it returns is the run's
// error (it does not wrap ErrInvalid: the file may be valid, its stores
// could not be had).
type NewStores func(ctx context.Context, f *File) (Stores, error)

// MemStores is the default NewStores: every field is one new
// *memstore.Store, except Runs, which is nil (the sweep checks keep their
// runs in memory).
func MemStores(context.Context, *File) (Stores, error) {
	s := memstore.New()
	return Stores{DNC: s, Ledger: s, Consents: s, Counters: s, Recordings: s, Complaints: s}, nil
}

// Options configure RunWith. The zero Options runs on MemStores with the
// Gate's default check timeout.
type Options struct {
	// Stores gives each run its fresh stores; nil means MemStores.
	Stores NewStores
	// CheckTimeout bounds the checks of each decision
	// (dialgate.WithCheckTimeout); zero means dialgate.DefaultCheckTimeout.
	// A check still running at the deadline is a deny (<check>.unavailable),
	// as in production: a run on a loaded or distant server may want more
	// time, so that its steps show the rules, not the load.
	CheckTimeout time.Duration
	// Gates is how many Gates run the file, each with checks of its own on
	// the same stores, as the sidecars of a fleet: the dial steps go to
	// them in turn (the first dial to the first Gate, the second to the
	// second...), the events and outcomes to the first. Zero or one: one
	// Gate. With several, a rule that keeps state in its Gate's memory
	// rather than in the stores sees only its Gate's dials: the sweep runs
	// without Stores.Runs (so on MemStores and the embedded store). The
	// registry copies are shared, as the same files loaded by every host.
	// At most MaxGates.
	Gates int
}

// MaxGates is the most Gates Options.Gates may ask for: each has checks
// and caches of its own, and a few already show state a sidecar keeps in
// its memory.
const MaxGates = 1024

// openStores returns the run's stores as opts give them.
func (opts Options) openStores(ctx context.Context, f *File) (Stores, error) {
	open := opts.Stores
	if open == nil {
		open = MemStores
	}
	s, err := open(ctx, f)
	if err != nil {
		return Stores{}, fmt.Errorf("%s: stores: %w", f.Path, err)
	}
	if err := s.validate(); err != nil {
		if s.Close != nil {
			err = errors.Join(err, s.Close())
		}
		return Stores{}, fmt.Errorf("%s: %w", f.Path, err)
	}
	return s, nil
}
