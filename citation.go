package dialgate

import (
	"fmt"
	"strings"
)

// SourceTag says what kind of source a regulatory parameter rests on
// (REQUIREMENTS.md): law, regulator guidance, secondary source, vendor practice,
// or dialgate's own convention.
type SourceTag string

// The source tags of REQUIREMENTS.md.
const (
	SourceLaw        SourceTag = "L" // law or regulation text
	SourceRegulator  SourceTag = "R" // regulator guidance
	SourceSecondary  SourceTag = "S" // secondary source
	SourceVendor     SourceTag = "V" // carrier or cloud-vendor practice
	SourceConvention SourceTag = "U" // dialgate's own safe convention, not a legal number
)

// Citation says where a regulatory parameter comes from. Every rule of a profile
// carries one, so that `dialgate policy explain` can show it and an auditor can
// tell a legal number from a convention.
type Citation struct {
	// Source is the kind of source: L, R, S, V or U.
	Source SourceTag `json:"source"`
	// Ref names the text, e.g. "工信厅信管函〔2018〕337号 (CN-S4a)" or "47 CFR 64.1200(c)(1)".
	Ref string `json:"ref"`
	// Note explains how the parameter follows from the text, in plain words.
	Note string `json:"note,omitempty"`
}

// Validate reports a missing or unknown source tag or an empty reference. field
// names the citation's place in the profile, for the error message.
func (c Citation) Validate(field string) error {
	switch c.Source {
	case SourceLaw, SourceRegulator, SourceSecondary, SourceVendor, SourceConvention:
	case "":
		return fmt.Errorf("%s.source: missing (want L, R, S, V or U)", field)
	default:
		return fmt.Errorf("%s.source: unknown source tag %q (want L, R, S, V or U)", field, string(c.Source))
	}
	if strings.TrimSpace(c.Ref) == "" {
		return fmt.Errorf("%s.ref: missing", field)
	}
	return nil
}

// String formats the citation as "ref [tag]".
func (c Citation) String() string {
	return fmt.Sprintf("%s [%s]", c.Ref, c.Source)
}
