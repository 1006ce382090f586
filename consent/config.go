package consent

import (
	"fmt"
	"time"

	"github.com/dialgate/dialgate"
)

// Config says which purposes need consent, from when, and what kind of record
// satisfies the rule. It is the `consent:` section of a profile.
//
// The zero Config requires consent for nothing; NewCheck rejects it, so that a
// consent check that could never deny is not built by mistake (leave the check
// out of the Gate instead).
type Config struct {
	// Require lists the consent rules. A dial must satisfy every rule whose
	// purposes include its purpose and that is in effect at the dial's instant.
	Require []Requirement `json:"require"`
}

// Requirement is one consent rule of a profile.
type Requirement struct {
	// Purposes the rule applies to. Required, at least one.
	Purposes []dialgate.Purpose `json:"purposes"`
	// EffectiveFrom is when the rule takes effect (inclusive). Zero means it
	// always applies. Example: fr requires consent from 2026-08-11.
	EffectiveFrom time.Time `json:"effective_from,omitzero"`
	// Methods restricts the capture methods that satisfy the rule; empty means
	// any method.
	Methods []Method `json:"methods,omitempty"`
	// RequireDisclosure requires the record to carry the disclosure hash, even
	// for methods that do not need one otherwise (e.g. US prior express written
	// consent must include a clear disclosure; the hash proves which).
	RequireDisclosure bool `json:"require_disclosure,omitempty"`
	// RequireEvidenceURI requires the record to point to its evidence (the
	// signed agreement, the recording), even for methods that do not need one
	// otherwise.
	RequireEvidenceURI bool `json:"require_evidence_uri,omitempty"`
	// Cite is where the rule comes from. Required.
	Cite dialgate.Citation `json:"cite"`
}

// Validate reports the first malformed field as a *FieldError wrapping
// ErrInvalid, named from the profile root ("consent.require[0].purposes[1]").
// An empty Require list is an error.
func (c Config) Validate() error {
	if len(c.Require) == 0 {
		return fieldErr("consent.require", "empty: the consent check would require consent for nothing (leave the consent section out instead)")
	}
	for i := range c.Require {
		r := &c.Require[i]
		f := fmt.Sprintf("consent.require[%d]", i)
		if len(r.Purposes) == 0 {
			return fieldErr(f+".purposes", "missing (want one or more of marketing, service, callback, collections, survey)")
		}
		for j, p := range r.Purposes {
			if !p.IsValid() {
				return fieldErr(fmt.Sprintf("%s.purposes[%d]", f, j), "unknown purpose %q (want marketing, service, callback, collections or survey)", clip(string(p)))
			}
		}
		for j, m := range r.Methods {
			if !m.IsValid() {
				return fieldErr(fmt.Sprintf("%s.methods[%d]", f, j), "unknown method %q (want web_form, ivr_keypress, recorded_verbal, written or in_app)", clip(string(m)))
			}
		}
		if err := r.Cite.Validate(f + ".cite"); err != nil {
			return &FieldError{Field: f + ".cite", Problem: err.Error()}
		}
	}
	return nil
}

// satisfiedBy reports whether rec meets the rule's record requirements, and if
// not, why (for the reason message).
func (r *Requirement) satisfiedBy(rec *Record) (bool, string) {
	if len(r.Methods) > 0 {
		ok := false
		for _, m := range r.Methods {
			if m == rec.Method {
				ok = true
				break
			}
		}
		if !ok {
			return false, fmt.Sprintf("method %s is not accepted (want %v; %s)", rec.Method, r.Methods, r.Cite)
		}
	}
	if r.RequireDisclosure && rec.DisclosureSHA256 == "" {
		return false, fmt.Sprintf("no disclosure hash (required by %s)", r.Cite)
	}
	if r.RequireEvidenceURI && rec.EvidenceURI == "" {
		return false, fmt.Sprintf("no evidence URI (required by %s)", r.Cite)
	}
	return true, ""
}
