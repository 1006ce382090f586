package sidecar

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/dialgate/dialgate/policy"
)

// DataProfileFile, in Config.Data, records the profile `dialgate serve` runs
// on that data directory (DataProfile, JSON), written at every start whose
// profile differs from the one recorded. The CLI commands that work on the
// same data directory (recordings, complaints, dnc import, check) default to
// it and refuse another where their records would follow its rules
// (retention, do-not-call holds, complaint deadlines).
const DataProfileFile = "serve-profile.json"

// dataProfileFormat is the version of DataProfileFile's format.
const dataProfileFormat = 1

// DataProfile is the content of DataProfileFile.
type DataProfile struct {
	// Format is the version of the file's format.
	Format int `json:"format"`
	// Profile is how serve was given the profile: a built-in name, or the
	// absolute path of a profile file (ProfileSource).
	Profile string `json:"profile"`
	// Name is the profile's name (policy.Profile.Name).
	Name string `json:"name"`
	// PolicyVersion is the version of the profile serve loaded
	// (policy.Profile.Version): the name and a hash of the resolved rules.
	PolicyVersion string `json:"policy_version"`
	// Since is when serve first started with this profile and version.
	Since time.Time `json:"since"`
	// Shared names the fleet back-ends serve keeps records on ("postgres",
	// "redis"; Config.SharedBackends), empty when it keeps them all in the
	// data directory's store. The CLI refuses to read or write, in the
	// local store without --config, the records a fleet keeps there: a
	// revocation or an opt-out written locally would reach no sidecar.
	Shared []string `json:"shared,omitempty"`
	// AllowLifetime is the allow lifetime serve gives its Gate
	// (Config.AllowLifetime); zero for the Gate's default. check on the
	// data directory counts the frequency caps over their window plus it,
	// as the sidecar does.
	AllowLifetime Duration `json:"allow_lifetime,omitempty"`
}

// SharedBackends names the fleet back-ends c keeps records on: "postgres"
// (ledger, do-not-call lists, consents, recordings, complaints, and, without
// Redis, counters and sweep runs) and "redis" (counters, do-not-call lists,
// sweep runs, and, without PostgreSQL, consents). Nil for a sidecar on its
// embedded store alone.
func (c Config) SharedBackends() []string {
	var out []string
	if c.Postgres != "" {
		out = append(out, "postgres")
	}
	if c.Redis != "" {
		out = append(out, "redis")
	}
	return out
}

// ProfileSource returns how a profile argument (a built-in name or a file
// path, as policy.Load takes it) is recorded and compared: a built-in name
// as it is, a file by its absolute path.
func ProfileSource(arg string) string {
	if slices.Contains(policy.Builtins(), arg) {
		return arg
	}
	if abs, err := filepath.Abs(arg); err == nil {
		return abs
	}
	return arg
}

// ReadDataProfile returns the profile recorded in the data directory data
// (DataProfileFile). found is false when none is recorded (a new directory,
// or one no serve of this version has started on); a damaged file is an
// error naming it.
func ReadDataProfile(data string) (dp DataProfile, found bool, err error) {
	path := filepath.Join(data, DataProfileFile)
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return DataProfile{}, false, nil
	}
	if err != nil {
		return DataProfile{}, false, fmt.Errorf("serve profile: %w", err)
	}
	if err := decodeOne(b, &dp); err != nil {
		return DataProfile{}, false, fmt.Errorf("serve profile %s: %w", path, err)
	}
	if dp.Format != dataProfileFormat {
		return DataProfile{}, false, fmt.Errorf("serve profile %s: format %d, want %d", path, dp.Format, dataProfileFormat)
	}
	if dp.Profile == "" || dp.Name == "" || dp.PolicyVersion == "" {
		return DataProfile{}, false, fmt.Errorf("serve profile %s: profile, name and policy_version are required", path)
	}
	return dp, true, nil
}

// decodeOne decodes b, one JSON document of the data directory's own files,
// into v: unknown fields and anything after the document (a second one
// appended, garbage) are errors, so that a damaged file is never read as the
// document it starts with.
func decodeOne(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	end := dec.InputOffset()
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return fmt.Errorf("data after the JSON document, which ends at byte %d", end)
	}
	return nil
}

// recordDataProfile records in data that serve runs prof, given as arg,
// from now: DataProfileFile is replaced, durably, unless it already records
// the same profile and version. A change of profile is logged at Warn; a
// damaged record is logged and replaced (it is serve's own record).
func recordDataProfile(data, arg string, prof *policy.Profile, shared []string, allowLifetime Duration, now time.Time, log *slog.Logger) error {
	path := filepath.Join(data, DataProfileFile)
	next := DataProfile{Format: dataProfileFormat, Profile: ProfileSource(arg), Name: prof.Name,
		PolicyVersion: prof.Version(), Since: now.UTC(), Shared: shared, AllowLifetime: allowLifetime}
	prev, found, err := ReadDataProfile(data)
	switch {
	case err != nil:
		log.Warn("sidecar: the recorded serve profile is damaged: it is written again", "file", path, "error", err)
	case found && prev.Profile == next.Profile && prev.PolicyVersion == next.PolicyVersion && prev.Name == next.Name &&
		slices.Equal(prev.Shared, next.Shared) && prev.AllowLifetime == next.AllowLifetime:
		return nil
	case found && prev.Profile == next.Profile && prev.PolicyVersion == next.PolicyVersion && prev.Name == next.Name:
		// The same profile, other back-ends or allow lifetime: the
		// records' home, or how long an allow counts, changed.
		next.Since = prev.Since
		log.Info("sidecar: the fleet back-ends or the allow lifetime of this data directory changed", "file", path,
			"previous", prev.Shared, "shared", next.Shared,
			"previous_allow_lifetime", time.Duration(prev.AllowLifetime), "allow_lifetime", time.Duration(next.AllowLifetime))
	case found && prev.Name != next.Name:
		log.Warn("sidecar: this data directory was served under another profile: the CLI commands on it now default to this one",
			"file", path, "previous", prev.Name, "previous_version", prev.PolicyVersion, "profile", next.Name, "policy_version", next.PolicyVersion)
	case found:
		log.Info("sidecar: the profile of this data directory changed version", "file", path,
			"previous", prev.Profile, "previous_version", prev.PolicyVersion, "profile", next.Profile, "policy_version", next.PolicyVersion)
	}
	out, err := json.MarshalIndent(next, "", "  ")
	if err != nil {
		return fmt.Errorf("serve profile: %w", err)
	}
	if err := writeAtomic(path, append(out, '\n')); err != nil {
		return fmt.Errorf("serve profile: %w", err)
	}
	return nil
}
