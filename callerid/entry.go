package callerid

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/internal/textsafe"
	"github.com/dialgate/dialgate/numbering"
)

// ErrInvalidEntry is wrapped by every error Entry.Validate and ParseLedger
// return for a malformed ledger entry.
var ErrInvalidEntry = errors.New("callerid: invalid ledger entry")

// ResourceType is the kind of numbering resource a ledger entry holds.
type ResourceType string

// The resource types of the ledger (CN-S7).
const (
	Type95             ResourceType = "95"              // 95xxx(x) customer-service code
	Type96             ResourceType = "96"              // 96xxx(x) customer-service code, allocated by provinces
	Type400            ResourceType = "400"             // 400 shared-cost number; inbound only
	Type800            ResourceType = "800"             // 800 free-phone number; inbound only
	TypeFixed          ResourceType = "fixed"           // fixed line: area code + 7 or 8 digits
	TypeMobileBusiness ResourceType = "mobile_business" // a mobile number allocated to the holder as a business line
)

// ResourceTypes lists every resource type in a fixed order.
func ResourceTypes() []ResourceType {
	return []ResourceType{Type95, Type96, Type400, Type800, TypeFixed, TypeMobileBusiness}
}

// IsValid reports whether t is one of the known resource types.
func (t ResourceType) IsValid() bool {
	return slices.Contains(ResourceTypes(), t)
}

// InboundOnly reports whether numbers of type t take calls but must not be
// presented as the caller ID of an outbound call (400 and 800).
func (t ResourceType) InboundOnly() bool { return t == Type400 || t == Type800 }

// Entry is one numbering resource in a tenant's caller-ID ledger (CN-S7): what
// the number is, who holds it, how it is connected, the holder's qualification,
// what it may be used for and when.
//
// Entries are plain values. The zero Entry is not valid.
type Entry struct {
	// Tenant is the call centre (or client account) that holds the number; a dial
	// may present the number only when its Tenant is the same. Empty is a tenant
	// of its own, like Dial.Tenant.
	Tenant string `json:"tenant,omitempty"`
	// Number is the caller ID, a Chinese (+86) number. Required.
	Number dialgate.Number `json:"number"`
	// Type is the resource type. When empty, Normalize derives it from the
	// number (95, 96, 400, 800 or fixed); a mobile number must say
	// mobile_business explicitly.
	Type ResourceType `json:"type,omitempty"`
	// Holder is the legal entity the resource is allocated to (使用主体). Required.
	Holder string `json:"holder"`
	// Access describes how the number is connected (接入信息): carrier, trunk,
	// platform. Optional.
	Access string `json:"access,omitempty"`
	// Qualification names the holder's licence or qualification (用户资质),
	// e.g. the call-centre business licence number. Optional.
	Qualification string `json:"qualification,omitempty"`
	// Purposes lists the purposes the resource may be used for (资源用途). At
	// least one is required; a dial with another purpose is denied
	// (callerid.purpose_mismatch).
	Purposes []dialgate.Purpose `json:"purposes"`
	// ValidFrom is the first instant the resource may be used; zero means no
	// lower bound.
	ValidFrom time.Time `json:"valid_from,omitzero"`
	// ValidUntil is the instant the resource stops being usable (exclusive); zero
	// means no end date.
	ValidUntil time.Time `json:"valid_until,omitzero"`
	// OfficeUseOnly marks a resource for office use only: it may not be the caller
	// ID of any outbound business call (callerid.purpose_mismatch).
	OfficeUseOnly bool `json:"office_use_only,omitempty"`
}

// entryErr returns an error naming the field, wrapping ErrInvalidEntry.
func entryErr(field, format string, args ...any) error {
	return fmt.Errorf("%s: %s: %w", field, fmt.Sprintf(format, args...), ErrInvalidEntry)
}

// Normalize returns e with an empty Type derived from the number, and validates
// the result, refusing besides a fixed-line number that is no line of the
// plan (numbering.AssignedFixedLine: an area code not in use, a local number
// of the wrong length for its area) and, in its text fields, the characters
// that make text display other than it holds (C1 controls, bidirectional
// formatting characters, line and paragraph separators; Validate, which
// loads stored entries, refuses neither). It is what every writer of the ledger (store, file
// import, CLI, scenario) calls before storing an entry.
func (e Entry) Normalize() (Entry, error) {
	if e.Type == "" && e.Number.IsValid() && e.Number.CountryCode() == 86 {
		switch classOf(e.Number) {
		case class95:
			e.Type = Type95
		case class96:
			e.Type = Type96
		case class400:
			e.Type = Type400
		case class800:
			e.Type = Type800
		case classFixed:
			e.Type = TypeFixed
		case classMobile:
			return e, entryErr("type", "missing for mobile number %s (write mobile_business if it is an allocated business line)", e.Number)
		default:
			return e, entryErr("type", "missing, and %s is not a 95, 96, 400, 800 or fixed-line number", e.Number)
		}
	}
	if err := e.Validate(); err != nil {
		return e, err
	}
	// A fixed-line shape that is no line of the plan (an area code not in
	// use, a digit added or dropped) is refused on write; Validate, which
	// loads, still takes entries earlier builds stored (the check denies a
	// dial presenting one: callerid.invalid).
	if e.Type == TypeFixed && !numbering.AssignedFixedLine(e.Number) {
		return e, entryErr("number", "%s is not a Chinese fixed line in use (no such area code, or a local number of the wrong length for it)", e.Number)
	}
	// A C1 control, a bidirectional override or a line separator would make
	// the ledger listing and the decision's evidence show another holder
	// than the entry holds. Checked on write only (not by Validate, which
	// loads): entries earlier builds stored still load.
	for _, f := range [...]struct{ name, v string }{
		{"tenant", e.Tenant}, {"holder", e.Holder}, {"access", e.Access}, {"qualification", e.Qualification},
	} {
		if i, r := textsafe.Find(f.v, textsafe.Line); i >= 0 {
			return e, entryErr(f.name, "%s", textsafe.Describe(r, i))
		}
	}
	return e, nil
}

// NormalizeEntries normalizes each of entries (Normalize) into a new slice
// and refuses a batch that gives one (Tenant, Number) twice: stored in one
// call, one of the two would replace the other without a word. An error
// names the entry ("entries[2]: number: +861058001234 of tenant "acme"
// already given as entries[0]") and wraps ErrInvalidEntry. Every Store's
// PutLedger calls it.
func NormalizeEntries(entries []Entry) ([]Entry, error) {
	out := make([]Entry, len(entries))
	seen := make(map[key]int, len(entries))
	for i, e := range entries {
		n, err := e.Normalize()
		if err != nil {
			return nil, fmt.Errorf("entries[%d]: %w", i, err)
		}
		k := key{n.Tenant, n.Number}
		if j, dup := seen[k]; dup {
			return nil, fmt.Errorf("entries[%d]: %w", i, entryErr("number", "%s of tenant %q already given as entries[%d]", n.Number, n.Tenant, j))
		}
		seen[k] = i
		n.Purposes = slices.Clone(n.Purposes)
		out[i] = n
	}
	return out, nil
}

// Validate reports the first malformed field of e as an error wrapping
// ErrInvalidEntry and naming the field ("holder: missing"). The number must be
// a Chinese number whose class matches the resource type (a 400 entry must hold
// a 400 number).
func (e Entry) Validate() error {
	if err := checkText("tenant", e.Tenant, false); err != nil {
		return err
	}
	if !e.Number.IsValid() {
		return entryErr("number", "missing")
	}
	if e.Number.CountryCode() != 86 {
		return entryErr("number", "%s is not a Chinese (+86) number", e.Number)
	}
	if e.Type == "" {
		return entryErr("type", "missing (want 95, 96, 400, 800, fixed or mobile_business)")
	}
	if !e.Type.IsValid() {
		return entryErr("type", "unknown resource type %q (want 95, 96, 400, 800, fixed or mobile_business)", string(e.Type))
	}
	if want := typeClass(e.Type); classOf(e.Number) != want {
		return entryErr("number", "%s is not a %s number", e.Number, e.Type)
	}
	if err := checkText("holder", e.Holder, true); err != nil {
		return err
	}
	if err := checkText("access", e.Access, false); err != nil {
		return err
	}
	if err := checkText("qualification", e.Qualification, false); err != nil {
		return err
	}
	if len(e.Purposes) == 0 {
		return entryErr("purposes", "missing (list at least one of marketing, service, callback, collections, survey)")
	}
	for i, p := range e.Purposes {
		if !p.IsValid() {
			return entryErr(fmt.Sprintf("purposes[%d]", i), "unknown purpose %q (want marketing, service, callback, collections or survey)", string(p))
		}
		if slices.Contains(e.Purposes[:i], p) {
			return entryErr(fmt.Sprintf("purposes[%d]", i), "duplicate purpose %q", string(p))
		}
	}
	for _, f := range [...]struct {
		name string
		t    time.Time
	}{{"valid_from", e.ValidFrom}, {"valid_until", e.ValidUntil}} {
		if err := keepableTime(f.name, f.t); err != nil {
			return err
		}
	}
	if !e.ValidFrom.IsZero() && !e.ValidUntil.IsZero() && !e.ValidUntil.After(e.ValidFrom) {
		return entryErr("valid_until", "%s is not after valid_from %s", e.ValidUntil.Format(time.RFC3339), e.ValidFrom.Format(time.RFC3339))
	}
	return nil
}

// ValidateStored reports what makes e, read back from a store under the key
// (tenant, n), unfit to be handed to the check: a field Validate refuses, or
// a tenant or number other than the key's (zero n: not compared). Stores
// call it on every entry they read and return its error wrapped in a
// storage.RecordError (storage.ErrCorrupt). Entries written by older builds
// load: no field has been added since the first release.
func (e Entry) ValidateStored(tenant string, n dialgate.Number) error {
	if err := e.Validate(); err != nil {
		return err
	}
	if e.Tenant != tenant {
		return entryErr("tenant", "%q differs from the key's %q", e.Tenant, tenant)
	}
	if n.IsValid() && e.Number != n {
		return entryErr("number", "%s differs from the key's %s", e.Number, n)
	}
	return nil
}

// ChangedFields returns the fields, by their ledger-file names ("type",
// "holder", "purposes", "valid_until", …), in which o differs from e, in
// the order of the ledger columns; nil when o is the same entry. Purposes
// are compared as sets, times as instants. The tenant and number (the key)
// are compared too, so that a nil result means one entry. A writer that must
// not replace an entry without saying so (the CLI, the AdminService) calls
// it before writing.
func (e Entry) ChangedFields(o Entry) []string {
	var out []string
	add := func(changed bool, name string) {
		if changed {
			out = append(out, name)
		}
	}
	add(e.Tenant != o.Tenant, "tenant")
	add(e.Number != o.Number, "number")
	add(e.Type != o.Type, "type")
	add(e.Holder != o.Holder, "holder")
	add(e.Access != o.Access, "access")
	add(e.Qualification != o.Qualification, "qualification")
	add(!samePurposes(e.Purposes, o.Purposes), "purposes")
	add(!e.ValidFrom.Equal(o.ValidFrom), "valid_from")
	add(!e.ValidUntil.Equal(o.ValidUntil), "valid_until")
	add(e.OfficeUseOnly != o.OfficeUseOnly, "office_use_only")
	return out
}

func samePurposes(a, b []dialgate.Purpose) bool {
	if len(a) != len(b) {
		return false
	}
	for _, p := range a {
		if !slices.Contains(b, p) {
			return false
		}
	}
	for _, p := range b {
		if !slices.Contains(a, p) {
			return false
		}
	}
	return true
}

// Allows reports whether the entry lists purpose p.
func (e Entry) Allows(p dialgate.Purpose) bool { return slices.Contains(e.Purposes, p) }

const maxText = 256

func checkText(field, v string, required bool) error {
	if strings.TrimSpace(v) == "" {
		if required {
			return entryErr(field, "missing")
		}
		return nil
	}
	if len(v) > maxText {
		return entryErr(field, "longer than %d bytes", maxText)
	}
	if !utf8.ValidString(v) {
		return entryErr(field, "not valid UTF-8")
	}
	for i := 0; i < len(v); i++ {
		if c := v[i]; c < 0x20 || c == 0x7f {
			return entryErr(field, "control character at byte %d", i)
		}
	}
	return nil
}

// keepableTime reports an instant (not zero) that a store keeping JSON
// cannot keep as given: a year outside 0000–9999 (in the instant's own
// zone) does not encode, nor does a zone offset of 24 hours or more, and
// RFC 3339 drops the seconds of a zone offset (another instant read back).
// Refused alike by every store, whatever it keeps. A comparison, not an
// encoding: stores call Validate on every entry they read.
func keepableTime(field string, t time.Time) error {
	if t.IsZero() {
		return nil
	}
	if y := t.Year(); y < 0 || y > 9999 {
		return entryErr(field, "%s cannot be stored: year outside 0000–9999", t.Format(time.RFC3339Nano))
	}
	if _, off := t.Zone(); off%60 != 0 || off <= -24*3600 || off >= 24*3600 {
		return entryErr(field, "%s cannot be stored as the same instant (a zone offset with seconds, or of 24 hours or more: give it in UTC or another offset)", t.Format(time.RFC3339Nano))
	}
	return nil
}
