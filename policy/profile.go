package policy

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"regexp"

	"github.com/dialgate/dialgate/callerid"
	"github.com/dialgate/dialgate/complaint"
	"github.com/dialgate/dialgate/consent"
	"github.com/dialgate/dialgate/dnc"
	"github.com/dialgate/dialgate/recording"
	"github.com/dialgate/dialgate/schedule"
	"github.com/dialgate/dialgate/sweep"
)

// Schema is the schema tag every profile file carries.
const Schema = "dialgate.profile.v1"

// Profile is a jurisdiction profile: the rules a Gate enforces, each section the
// configuration of one check, each rule with its citation.
//
// A Profile is plain data; copy it with Clone. A nil section means the profile
// has no rules of that domain and Build adds no check for it. The zero Profile
// is not valid (no schema, no name).
type Profile struct {
	// Schema must be "dialgate.profile.v1".
	Schema string `json:"schema"`
	// Name identifies the profile: lower-case letters, digits and hyphens ("cn",
	// "cn-insurance"). Required.
	Name string `json:"name"`
	// Description says in a sentence what the profile is for.
	Description string `json:"description,omitempty"`
	// Jurisdiction names where the rules apply ("CN", "US-FL").
	Jurisdiction string `json:"jurisdiction,omitempty"`
	// Extends names the profile this one was layered onto: a built-in name or a
	// path relative to the file. Empty for a base profile.
	Extends string `json:"extends,omitempty"`

	// Sections, one per domain; each helper adds its field here.
	DNC *dnc.Config `json:"dnc,omitempty"`
	// Consent is the consent section: which purposes need a consent record, from when, of what kind.
	Consent *consent.Config `json:"consent,omitempty"`
	// CallerID is the caller-ID section: ledger, subscriber numbers, inbound-only codes, +86 over international routes.
	CallerID *callerid.Config `json:"callerid,omitempty"`
	// Sweep is the blind-dial section: provenance, segment rate, sequential runs, list coverage.
	Sweep *sweep.Config `json:"sweep,omitempty"`
	// Schedule is the calling-time section: windows, holidays, callback exemption.
	Schedule *schedule.Config `json:"schedule,omitempty"`
	// Frequency is the frequency-cap section: caps per callee or matter, pause after a conversation.
	Frequency *schedule.CapsConfig `json:"frequency,omitempty"`
	// Abandonment is the abandoned-call rate cap per campaign (us 3 % per
	// 30 days, uk 3 % per 24 h): dials without an agent reserved are denied
	// while the campaign's rate is above it.
	Abandonment *schedule.AbandonConfig `json:"abandonment,omitempty"`
	// Ring is the minimum ring time of an unanswered call: an instruction on
	// every decision (evidence ring.min_seconds) and a measure in the
	// quarterly report; it never denies a dial.
	Ring *schedule.RingConfig `json:"ring,omitempty"`
	// Recording is the recording-retention section (30-day floor, legal holds).
	Recording *recording.Config `json:"recording,omitempty"`
	// Complaint sets the complaint-handling deadlines.
	Complaint *complaint.Config `json:"complaint,omitempty"`

	// lintBase is the built-in profile at the bottom of the extends chain the
	// profile was loaded with (the nearest built-in ancestor), which Lint
	// compares it with; empty when unknown (then Lint uses Extends when it
	// names a built-in profile). Not part of the profile's content.
	lintBase string
}

var nameRE = regexp.MustCompile(`^[a-z][a-z0-9-]{0,63}$`)

// Validate reports every problem of p: schema and name, each section's own
// validation, and every rule's citation (a missing or unknown source tag, an
// empty reference). Each problem is an error naming the field's path, e.g.
// "schedule.windows[1].cite.source: missing"; they are joined with errors.Join.
func (p *Profile) Validate() error {
	if p == nil {
		return errNilProfile()
	}
	var errs []error
	if p.Schema != Schema {
		if p.Schema == "" {
			errs = append(errs, fmt.Errorf("schema: missing (want %s)", Schema))
		} else {
			errs = append(errs, fmt.Errorf("schema: %q is not supported (want %s)", p.Schema, Schema))
		}
	}
	if !nameRE.MatchString(p.Name) {
		if p.Name == "" {
			errs = append(errs, errors.New("name: missing"))
		} else {
			errs = append(errs, fmt.Errorf("name: %q must be lower-case letters, digits and hyphens, starting with a letter", p.Name))
		}
	}
	for _, s := range p.sections() {
		if err := s.validate(); err != nil {
			errs = append(errs, prefixErr(s.name, err))
		}
	}
	errs = append(errs, citationErrors(p)...)
	return errors.Join(errs...)
}

// prefixErr makes sure a section's error starts with the section's name.
func prefixErr(name string, err error) error {
	msg := err.Error()
	if len(msg) > len(name) && msg[:len(name)] == name && (msg[len(name)] == '.' || msg[len(name)] == ':' || msg[len(name)] == '[') {
		return err
	}
	return fmt.Errorf("%s: %w", name, err)
}

// presentSection is a section of p that is set.
type presentSection struct {
	name     string
	validate func() error
}

// sections returns the set sections of p (the non-nil pointer fields after the
// header) in field order, with their Validate methods.
func (p *Profile) sections() []presentSection {
	var out []presentSection
	v := reflect.ValueOf(p).Elem()
	t := v.Type()
	for i := range t.NumField() {
		f := t.Field(i)
		if f.Type.Kind() != reflect.Pointer || v.Field(i).IsNil() {
			continue
		}
		name := jsonName(f)
		val, ok := v.Field(i).Interface().(interface{ Validate() error })
		if !ok {
			continue
		}
		out = append(out, presentSection{name: name, validate: val.Validate})
	}
	return out
}

// Clone returns a deep copy of p. It copies the values as they are, valid or
// not (a NaN rate, a negative duration stay for Validate to refuse), and never
// panics: it copies field by field rather than through the JSON form, which
// cannot hold NaN or ±Inf. A nil p clones to nil.
func (p *Profile) Clone() *Profile {
	if p == nil {
		return nil
	}
	c := deepCopy(reflect.ValueOf(p).Elem()).Interface().(Profile)
	c.lintBase = p.lintBase
	return &c
}

// deepCopy returns a copy of v that shares no pointer, slice or map with it.
// A struct with unexported fields (time.Time) is copied by value: the
// profile's only such type is immutable.
func deepCopy(v reflect.Value) reflect.Value {
	t := v.Type()
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() {
			return reflect.Zero(t)
		}
		c := reflect.New(t.Elem())
		c.Elem().Set(deepCopy(v.Elem()))
		return c
	case reflect.Slice:
		if v.IsNil() {
			return reflect.Zero(t)
		}
		c := reflect.MakeSlice(t, v.Len(), v.Len())
		for i := range v.Len() {
			c.Index(i).Set(deepCopy(v.Index(i)))
		}
		return c
	case reflect.Map:
		if v.IsNil() {
			return reflect.Zero(t)
		}
		c := reflect.MakeMapWithSize(t, v.Len())
		iter := v.MapRange()
		for iter.Next() {
			c.SetMapIndex(deepCopy(iter.Key()), deepCopy(iter.Value()))
		}
		return c
	case reflect.Array:
		c := reflect.New(t).Elem()
		for i := range v.Len() {
			c.Index(i).Set(deepCopy(v.Index(i)))
		}
		return c
	case reflect.Struct:
		c := reflect.New(t).Elem()
		c.Set(v) // every field, unexported ones included
		for i := range t.NumField() {
			if t.Field(i).IsExported() {
				c.Field(i).Set(deepCopy(v.Field(i)))
			}
		}
		return c
	default:
		// Scalars and strings are values. Interfaces, funcs and channels do
		// not occur in a profile's plain data; copied as they are.
		c := reflect.New(t).Elem()
		c.Set(v)
		return c
	}
}

// JSON returns the profile in its canonical JSON form, the form Version hashes.
func (p *Profile) JSON() ([]byte, error) {
	return json.Marshal(p)
}

// Version returns the policy version stamped on every decision of a Gate built
// from p: the name, "@", and the first 12 hex digits of the SHA-256 of the
// canonical JSON form ("cn@3f2a9c1b7d04"). Any change to any rule changes it.
func (p *Profile) Version() string {
	b, err := p.JSON()
	if err != nil {
		return p.Name + "@invalid"
	}
	sum := sha256.Sum256(b)
	return p.Name + "@" + hex.EncodeToString(sum[:6])
}

// errNilProfile is the error for a nil *Profile: most often the result of a
// Builtin or Load whose error was dropped.
func errNilProfile() error {
	return fmt.Errorf("%w: nil *Profile (was the error of Builtin or Load dropped?)", ErrInvalidProfile)
}
