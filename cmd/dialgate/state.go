package main

import (
	"fmt"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/complaint"
	"github.com/dialgate/dialgate/dnc"
	"github.com/dialgate/dialgate/internal/sidecar"
	"github.com/dialgate/dialgate/policy"
	"github.com/dialgate/dialgate/recording"
	"github.com/dialgate/dialgate/storage/boltstore"
)

// state is the durable state of --data opened for a command that changes it:
// the store, the keys shared with `dialgate serve` (so a number hashes the same
// everywhere), and the profile's checks built over them (so a do-not-call
// addition goes through the same overlay a Gate reads).
type state struct {
	store   *boltstore.Store
	profile *policy.Profile
	deps    policy.Deps
	checks  []dialgate.Checker
}

// openState opens --data (creating it) with the named profile. The caller
// closes st.store.
func (a *app) openState(profileName string) (*state, error) {
	p, err := policy.Load(profileName)
	if err != nil {
		return nil, usageErr("--profile: %v", err)
	}
	s, err := a.openWriteStore()
	if err != nil {
		return nil, err
	}
	st := &state{store: s, profile: p}
	keys, err := sidecar.LoadKeys(a.data)
	if err != nil {
		s.Close()
		return nil, failErr(fmt.Errorf("--data: %w", err))
	}
	if st.deps, err = policy.StoreDeps(s, keys.HMAC); err != nil {
		s.Close()
		return nil, failErr(err)
	}
	if st.checks, err = policy.Checks(p, st.deps); err != nil {
		s.Close()
		return nil, usageErr("--profile: %v", err)
	}
	return st, nil
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
	d, err := policy.NewComplaintDesk(st.profile, st.store, lists, m, st.deps.CalleeHasher)
	if err != nil {
		return nil, failErr(err)
	}
	return d, nil
}
