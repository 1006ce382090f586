package consent

import (
	"fmt"
	"strings"

	"github.com/dialgate/dialgate/internal/textfold"

	"github.com/dialgate/dialgate"
)

// ScopeKind is the dimension of a Dial a consent is scoped to.
type ScopeKind string

// The scope kinds. A consent always names what it covers: there is no global
// consent (PIPL art. 14 requires consent to be specific).
const (
	ScopeIndustry ScopeKind = "industry" // Dial.Industry
	ScopeBusiness ScopeKind = "business" // Dial.BusinessLine
	ScopeCampaign ScopeKind = "campaign" // Dial.Campaign
	ScopeTenant   ScopeKind = "tenant"   // Dial.Tenant
)

// Scope says what a consent covers, written "<kind>:<name>", e.g.
// "industry:finance", "business:loans", "campaign:winter-2026", "tenant:acme".
// Names match the Dial's field exactly (case-sensitive).
//
// The zero Scope is not valid. Build one with ParseScope or NewScope.
type Scope string

// NewScope returns the Scope "<kind>:<name>", or an error if kind is unknown or
// name is empty, too long or has control characters.
func NewScope(kind ScopeKind, name string) (Scope, error) {
	return ParseScope(string(kind) + ":" + name)
}

// ParseScope parses "<kind>:<name>". The kind must be industry, business,
// campaign or tenant; the name must be 1–256 bytes without control
// characters or leading or trailing spaces. Errors wrap ErrInvalid.
func ParseScope(s string) (Scope, error) {
	sc := Scope(s)
	if err := sc.validate("scope"); err != nil {
		return "", err
	}
	return sc, nil
}

func (s Scope) validate(field string) error {
	if s == "" {
		return fieldErr(field, "missing (want industry:<name>, business:<name>, campaign:<name> or tenant:<name>)")
	}
	kind, name, ok := strings.Cut(string(s), ":")
	if !ok {
		if strings.EqualFold(strings.TrimSpace(string(s)), "global") {
			return fieldErr(field, "%q: consent is never global; it is given for one industry, business line, campaign or tenant (want industry:<name>, business:<name>, campaign:<name> or tenant:<name>)", clip(string(s)))
		}
		return fieldErr(field, "%q is not <kind>:<name> (want industry:<name>, business:<name>, campaign:<name> or tenant:<name>, e.g. industry:finance)", clip(string(s)))
	}
	switch ScopeKind(kind) {
	case ScopeIndustry, ScopeBusiness, ScopeCampaign, ScopeTenant:
	default:
		return fieldErr(field, "unknown kind %q (want industry, business, campaign or tenant; consent is never global)", clip(kind))
	}
	if name == "" {
		return fieldErr(field, "empty name after %q", kind+":")
	}
	if problem := nameProblem(name); problem != "" {
		return fieldErr(field, "name %s", problem)
	}
	return nil
}

// maxNameLen is the longest name a consent matches against a Dial field: the
// bound dialgate.Dial.Validate puts on those fields, so a longer name could
// cover no valid dial.
const maxNameLen = 256

// nameProblem says what is wrong with a non-empty name a consent matches
// against a Dial field — a scope's name, a record's tenant — or returns ""
// when it is well-formed: at most maxNameLen bytes, no control characters
// (the rule of dialgate.Dial.Validate), and no leading or trailing space,
// which a name typed into a form picks up by accident and which would then
// match no dial.
func nameProblem(name string) string {
	if len(name) > maxNameLen {
		return fmt.Sprintf("longer than %d bytes", maxNameLen)
	}
	for i := 0; i < len(name); i++ {
		if c := name[i]; c < 0x20 || c == 0x7f {
			return fmt.Sprintf("has a control character at byte %d", i)
		}
	}
	if strings.TrimSpace(name) != name {
		return "has leading or trailing space"
	}
	return ""
}

// Kind returns the scope's kind, or "" if s is malformed.
func (s Scope) Kind() ScopeKind {
	k, _, ok := strings.Cut(string(s), ":")
	if !ok {
		return ""
	}
	return ScopeKind(k)
}

// Name returns the part after the kind ("finance" for "industry:finance").
func (s Scope) Name() string {
	_, n, _ := strings.Cut(string(s), ":")
	return n
}

// Covers reports whether a consent with scope s covers dial d: the Dial field
// of the scope's kind equals the scope's name. An empty Dial field is never
// covered, and a malformed scope covers nothing.
func (s Scope) Covers(d *dialgate.Dial) bool {
	_, name, v, ok := s.field(d)
	return ok && v == name
}

// withdraws reports whether the withdrawal of a record of scope s reaches d:
// Covers, with d's field compared as the do-not-call lists compare a
// refusal's scope (dnc.Scope.Matches) — a field empty or of white space
// alone, which could be any name, is reached, and so is one that differs
// from the scope's name only in case, in compatibility form (full-width
// letters) or in invisible characters. A consent allows only the dials its
// scope names exactly (Covers); a withdrawal, which only ever denies, reaches
// every dial that may be the one the person refused. A scope of kind tenant
// is compared exactly: the tenant is whose consent it is (Record.foreign);
// a dial that leaves its tenant empty or blank is reached all the same.
// A scope this build cannot read (a kind a newer build writes, a name lost
// to damage: only a revoked record is read back with one, see
// Record.ValidateStored) reaches every dial: what it withdrew cannot be
// told, and the do-not-call lists take a scope of no known kind as global
// for the same reason.
func (s Scope) withdraws(d *dialgate.Dial) bool {
	kind, name, v, ok := s.field(d)
	switch {
	case !ok:
		return true
	case v == name:
		return true
	case kind == ScopeTenant:
		// A dial of no tenant (or a blank one) may be this tenant's.
		return textfold.Compat(v) == ""
	}
	v = textfold.Name(v)
	return v == "" || v == textfold.Name(name)
}

// readable reports whether s has a kind this build knows and a name: the
// only scopes Covers can match (and, for a revoked record, what withdraws
// can tell apart).
func (s Scope) readable() bool {
	_, _, _, ok := s.field(&dialgate.Dial{})
	return ok
}

// field returns s's kind and name and the field of d that kind names; ok is
// false for a malformed scope (no name, or a kind that is not a scope kind).
func (s Scope) field(d *dialgate.Dial) (kind ScopeKind, name, v string, ok bool) {
	k, name, found := strings.Cut(string(s), ":")
	if !found || name == "" {
		return "", "", "", false
	}
	kind = ScopeKind(k)
	switch kind {
	case ScopeIndustry:
		v = d.Industry
	case ScopeBusiness:
		v = d.BusinessLine
	case ScopeCampaign:
		v = d.Campaign
	case ScopeTenant:
		v = d.Tenant
	default:
		return "", "", "", false
	}
	return kind, name, v, true
}

// String returns s as written.
func (s Scope) String() string { return string(s) }
