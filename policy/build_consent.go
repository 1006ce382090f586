package policy

import (
	"fmt"
	"strings"
	"time"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/consent"
)

func consentSection() section {
	return section{
		name:    "consent",
		present: func(p *Profile) bool { return p.Consent != nil },
		build: func(p *Profile, deps Deps) ([]dialgate.Checker, error) {
			if deps.Consents == nil {
				return nil, fmt.Errorf("deps.Consents: missing (the consent section needs a consent.Store)")
			}
			c, err := consent.NewCheck(*p.Consent, deps.Consents)
			if err != nil {
				return nil, err
			}
			return []dialgate.Checker{c}, nil
		},
		explain: func(p *Profile) []Rule {
			var rules []Rule
			for i, r := range p.Consent.Require {
				var purposes []string
				for _, pu := range r.Purposes {
					purposes = append(purposes, string(pu))
				}
				text := fmt.Sprintf("%s calls need a valid consent record in scope (named by consent_id or found for the callee); revoked consent never allows a dial",
					strings.Join(purposes, ", "))
				if !r.EffectiveFrom.IsZero() {
					text += fmt.Sprintf("; from %s", r.EffectiveFrom.Format(time.RFC3339))
				}
				if len(r.Methods) > 0 {
					text += fmt.Sprintf("; captured by %v", r.Methods)
				}
				if r.RequireDisclosure {
					text += "; with the disclosure's SHA-256"
				}
				if r.RequireEvidenceURI {
					text += "; with a pointer to the signed agreement or recording"
				}
				rules = append(rules, Rule{Section: "consent", Path: fmt.Sprintf("consent.require[%d]", i), Text: text, Cite: r.Cite})
			}
			return rules
		},
	}
}
