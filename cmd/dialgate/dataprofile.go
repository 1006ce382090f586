package main

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"

	"github.com/dialgate/dialgate/internal/sidecar"
	"github.com/dialgate/dialgate/policy"
	"github.com/spf13/cobra"
)

// profileUse says what a command does with its profile: profileWrites for a
// command that writes records whose meaning depends on the profile
// (a recording's retention, a do-not-call entry's hold, a complaint's
// deadlines, a decision reserved against the store), profileReads for one
// that only reads or decides what-if.
type profileUse bool

const (
	profileReads  profileUse = false
	profileWrites profileUse = true
)

// profileFlagHelp is the help of the --profile flag of the commands that
// work on --data.
const profileFlagHelp = "built-in profile name or profile file (default: the profile dialgate serve runs on --data, recorded in its " +
	sidecar.DataProfileFile + "; " + sidecar.DefaultProfile + " when none is recorded)"

// resolveProfile returns the profile (a built-in name or a file) a command on
// --data works under:
//
//   - --profile when given, or with --config the config's profile (a
//     --profile that differs from it is refused);
//   - else the profile dialgate serve recorded in --data (DataProfileFile);
//   - else sidecar.DefaultProfile, with a note on stderr.
//
// A profile given (by --profile or --config) that is not the recorded one is
// refused (exit 2) when use is profileWrites, and warned about otherwise. It
// is the recorded one when it is named the same way (the same built-in name,
// or the same file) or has the same policy version (the same rules). The
// same way named, but a changed version (the file was edited, or dialgate
// upgraded, since serve started) is a warning: serve runs the recorded
// version until it is restarted. The same file now naming another profile
// is refused like another profile.
func (a *app) resolveProfile(cmd *cobra.Command, flag string, use profileUse) (string, error) {
	given, explicit := flag, false
	if f := cmd.Flags().Lookup("profile"); f != nil && f.Changed {
		explicit = true
	}
	if fleet := a.fleet(); fleet != nil {
		name := fleet.WithDefaults().Profile
		if explicit && flag != name {
			return "", usageErr("--profile: %s, but the profile of --config %s is %s (the fleet's records follow its profile)", flag, a.fleetConfig, name)
		}
		given, explicit = name, true
	}
	file := filepath.Join(a.data, sidecar.DataProfileFile)
	rec, found, err := sidecar.ReadDataProfile(a.data)
	if err != nil {
		if use == profileWrites {
			return "", usageErr("--data: %v: the profile dialgate serve runs on this data is unknown; start dialgate serve on it (it writes the file again), or remove the file and give --profile", err)
		}
		a.warnf("--data: %v: the profile dialgate serve runs on this data is unknown", err)
		found = false
	}
	if !found {
		if !explicit {
			given = sidecar.DefaultProfile
			a.notef("no profile recorded in %s (no dialgate serve of this version has run on this --data): using the default profile %s; give --profile to name the profile dialgate serve runs", file, given)
		}
		return given, nil
	}
	if !explicit {
		given = rec.Profile
	}
	p, err := policy.Load(given)
	if err != nil {
		if !explicit {
			return "", usageErr("--profile: the profile dialgate serve runs on this --data (recorded in %s), %s, does not load: %v; give --profile", file, rec.Profile, err)
		}
		return "", usageErr("--profile: %v", err)
	}
	sameSource := sidecar.ProfileSource(given) == rec.Profile
	switch {
	case p.Version() == rec.PolicyVersion:
		return given, nil
	case sameSource && p.Name == rec.Name:
		a.warnf("profile %s is now at version %s, but dialgate serve on this --data started with %s (recorded in %s): the profile changed since, and serve applies the new version only once restarted",
			given, p.Version(), rec.PolicyVersion, file)
		return given, nil
	}
	by := "--profile"
	if a.fleet() != nil {
		by = "the profile of --config " + a.fleetConfig
	}
	if !explicit {
		// The recorded file now holds another profile.
		by = "the profile file dialgate serve runs"
	}
	msg := fmt.Sprintf("%s is %s (%s), but dialgate serve on this --data runs %s (%s, recorded in %s)",
		by, given, p.Version(), rec.Profile, rec.PolicyVersion, file)
	if use == profileReads {
		a.warnf("%s: this command's answer follows %s's rules, not those the records were made under", msg, p.Name)
		return given, nil
	}
	if !explicit {
		return "", usageErr("%s: what this command writes would follow rules serve does not run (a recording's retention, a do-not-call hold, complaint deadlines, a decision); restart dialgate serve with the file first", msg)
	}
	return "", usageErr("%s: what this command writes would follow %s's rules (a recording's retention, a do-not-call hold, complaint deadlines, a decision), not those serve runs; drop --profile to use %s, or start dialgate serve on this --data with %s first (it records the new profile)",
		msg, p.Name, rec.Profile, given)
}

// notef prints a note on stderr.
func (a *app) notef(format string, args ...any) {
	fmt.Fprintf(a.stderr, "dialgate: note: "+format+"\n", args...)
}

// warnf prints a warning on stderr.
func (a *app) warnf(format string, args ...any) {
	fmt.Fprintf(a.stderr, "dialgate: warning: "+format+"\n", args...)
}

// recordHome says which fleet back-ends take a kind of record from the
// store in --data: sharedAny for those either takes (consents, do-not-call
// lists, counters: Redis or PostgreSQL), sharedPostgres for those only
// PostgreSQL takes (the caller-ID ledger, recordings, complaints: a
// Redis-only fleet keeps them on each host).
type recordHome int

const (
	sharedAny recordHome = iota
	sharedPostgres
)

// refuseFleetData refuses (exit 2) a command about to read or write what
// (records of home) in the store in --data, without --config, when dialgate
// serve on --data keeps them on a fleet back-end (DataProfile.Shared): a
// revocation or an opt-out written there would reach no sidecar, and a
// look-up there would miss what the fleet holds. A record that cannot be
// read refuses too (exit 2, naming it): it cannot say the records are local.
//
// With --config, the config must name every fleet back-end the record
// names (home sharedPostgres: postgres): a config naming none, or fewer (the
// config of another sidecar, an empty file), would read and write those
// records in the local store or on the wrong back-end.
func (a *app) refuseFleetData(home recordHome, what string) error {
	if fleet := a.fleet(); fleet != nil {
		rec, found, err := sidecar.ReadDataProfile(a.data)
		if err != nil || !found {
			return nil // the config says where the records are
		}
		have := fleet.SharedBackends()
		for _, b := range rec.Shared {
			if home == sharedPostgres && b != "postgres" {
				continue
			}
			if !slices.Contains(have, b) {
				return usageErr("--config: %s names no %s: dialgate serve on this --data keeps %s on the fleet's %s (recorded in %s); give --config with that sidecar's config file",
					a.fleetConfig, b, what, strings.Join(rec.Shared, " and "), filepath.Join(a.data, sidecar.DataProfileFile))
			}
		}
		return nil
	}
	rec, found, err := sidecar.ReadDataProfile(a.data)
	if err != nil {
		// A record that cannot be read cannot say the records are local:
		// a consent revocation or an opt-out written here might reach no
		// sidecar (fail closed).
		return usageErr("--data: %v: whether dialgate serve on this --data keeps %s on a fleet's back-ends is unknown; give --config with the sidecar's config file, or start dialgate serve on it (it writes the file again)", err, what)
	}
	if !found || len(rec.Shared) == 0 {
		return nil
	}
	if home == sharedPostgres && !slices.Contains(rec.Shared, "postgres") {
		return nil
	}
	return usageErr("--config: required: dialgate serve on this --data keeps %s on the fleet's %s (recorded in %s), and no sidecar reads them from the store in --data; give --config with the sidecar's config file, or make the change through a running sidecar with dialgate admin",
		what, strings.Join(rec.Shared, " and "), filepath.Join(a.data, sidecar.DataProfileFile))
}
