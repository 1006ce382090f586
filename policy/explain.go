package policy

import (
	"fmt"
	"io"
	"strings"

	"github.com/dialgate/dialgate"
)

// Rule is one rule of a profile in plain words, with its citation.
type Rule struct {
	// Section is the profile section ("schedule").
	Section string `json:"section"`
	// Path is the rule's place in the profile ("schedule.windows[0]").
	Path string `json:"path"`
	// Text says what the rule does, in plain words.
	Text string `json:"text"`
	// Cite says where the rule comes from.
	Cite dialgate.Citation `json:"cite"`
}

// Explain returns every rule of p in plain words with its citation, section by
// section in check order. A section without an explainer of its own is
// described by its citations.
func Explain(p *Profile) []Rule {
	var rules []Rule
	explained := map[string]bool{}
	for _, s := range sections() {
		if !s.present(p) {
			continue
		}
		explained[s.name] = true
		if s.explain != nil {
			rules = append(rules, s.explain(p)...)
			continue
		}
		rules = append(rules, citedRules(p, s.name)...)
	}
	for _, c := range Citations(p) {
		sec, _, _ := strings.Cut(c.Path, ".")
		sec, _, _ = strings.Cut(sec, "[")
		if !explained[sec] {
			explained[sec] = true
			rules = append(rules, citedRules(p, sec)...)
		}
	}
	return rules
}

func citedRules(p *Profile, sec string) []Rule {
	var rules []Rule
	for _, c := range Citations(p) {
		if c.Path == sec+".cite" || strings.HasPrefix(c.Path, sec+".") || strings.HasPrefix(c.Path, sec+"[") {
			path := strings.TrimSuffix(c.Path, ".cite")
			rules = append(rules, Rule{Section: sec, Path: path, Text: "the rule at " + path, Cite: c.Cite})
		}
	}
	return rules
}

// WriteExplain writes p's header and every rule of Explain(p) as text.
func WriteExplain(w io.Writer, p *Profile) error {
	ew := &errWriter{w: w}
	ew.printf("%s (%s)\n", p.Name, p.Version())
	if p.Description != "" {
		ew.printf("%s\n", p.Description)
	}
	if p.Jurisdiction != "" {
		ew.printf("jurisdiction: %s\n", p.Jurisdiction)
	}
	if p.Extends != "" {
		ew.printf("extends: %s\n", p.Extends)
	}
	rules := Explain(p)
	if len(rules) == 0 {
		ew.printf("\nno rules: a gate built from this profile allows every valid dial\n")
	}
	last := ""
	for _, r := range rules {
		if r.Section != last {
			ew.printf("\n%s\n", r.Section)
			last = r.Section
		}
		ew.printf("  - %s\n", r.Text)
		ew.printf("    source: %s [%s] %s\n", r.Cite.Ref, r.Cite.Source, sourceWord(r.Cite.Source))
		if r.Cite.Note != "" {
			ew.printf("    note: %s\n", r.Cite.Note)
		}
	}
	return ew.err
}

func sourceWord(t dialgate.SourceTag) string {
	switch t {
	case dialgate.SourceLaw:
		return "(law or regulation)"
	case dialgate.SourceRegulator:
		return "(regulator guidance)"
	case dialgate.SourceSecondary:
		return "(secondary source)"
	case dialgate.SourceVendor:
		return "(carrier or vendor practice)"
	case dialgate.SourceConvention:
		return "(dialgate convention, not a legal number; configurable)"
	}
	return ""
}

type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) printf(format string, args ...any) {
	if e.err == nil {
		_, e.err = fmt.Fprintf(e.w, format, args...)
	}
}

// joinPurposes writes purposes for an explanation, separated by sep.
func joinPurposes(ps []dialgate.Purpose, sep string) string {
	s := make([]string, len(ps))
	for i, p := range ps {
		s[i] = string(p)
	}
	return strings.Join(s, sep)
}
