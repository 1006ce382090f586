package scenario

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/dialgate/dialgate/internal/textsafe"
)

// Report is the result of running one scenario file.
type Report struct {
	// File is the scenario file's path.
	File string `json:"file"`
	// Name is the scenario's name.
	Name string `json:"name"`
	// Profile is the resolved profile's name.
	Profile string `json:"profile"`
	// PolicyVersion is the version of the policy the Gate enforced.
	PolicyVersion string `json:"policy_version"`
	// Overrides are the profile sections the file's policy: key overrides,
	// sorted; empty when it has none. A file with overrides proves its
	// steps under that changed policy, not under the profile as shipped.
	Overrides []string `json:"overrides,omitempty"`
	// Steps reports every step in order.
	Steps []StepReport `json:"steps"`
	// Passed and Failed count the steps.
	Passed int `json:"passed"`
	Failed int `json:"failed"` // steps with at least one problem; zero means the scenario passed
	// Warnings are expectations that pass more than their step may mean to
	// (see File.Warnings); they do not fail the scenario.
	Warnings []string `json:"warnings,omitempty"`
}

// OK reports whether every step passed.
func (r *Report) OK() bool { return r.Failed == 0 }

// StepReport says what a step expected and what came back.
type StepReport struct {
	Step int       `json:"step"`         // the step's 1-based position in the file (Step.Index)
	ID   string    `json:"id,omitempty"` // the step's id; empty when it has none
	Line int       `json:"line"`         // the step's line in the file
	At   time.Time `json:"at"`           // the instant the clock was set to for the step
	// Kind is "dial" or the event type.
	Kind string `json:"kind"`
	// Decision is the step id an event referred to.
	Decision string `json:"decision,omitempty"`
	Want     Want   `json:"want"` // what the step had to come back with
	Got      Got    `json:"got"`  // what it came back with
	Pass     bool   `json:"pass"` // the step passed: Problems is empty
	// Problems says how Got differs from Want; empty when the step passed.
	Problems []string `json:"problems,omitempty"`
}

// Got is what a step came back with.
type Got struct {
	Allowed    *bool         `json:"allowed,omitempty"`     // the decision's Allowed; nil for an event or when the dial met an error
	Codes      []string      `json:"codes,omitempty"`       // the decision's reason codes in order; nil when none
	Reasons    []GotReason   `json:"reasons,omitempty"`     // the decision's reasons with their messages; nil when none
	Error      string        `json:"error,omitempty"`       // the error name met ("dial.invalid", "audit.unavailable", an event's error, or "error"); empty on success
	Message    string        `json:"message,omitempty"`     // the error's text, for people; empty when there was no error
	Deleted    *int          `json:"deleted,omitempty"`     // how many items the event deleted (sweep_recordings); nil otherwise
	DecisionID string        `json:"decision_id,omitempty"` // the id of the dial's decision; empty for an event or a dial that never reached the Gate
	Evidence   []GotEvidence `json:"evidence,omitempty"`    // the decision's evidence, then its reasons', in order; nil when none
}

// GotEvidence is one evidence entry of a decision as the report shows it.
type GotEvidence struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// GotReason is one reason of a decision as the report shows it.
type GotReason struct {
	Code    string `json:"code"`              // the reason code ("schedule.outside_window")
	Message string `json:"message,omitempty"` // the reason's message; empty when the check gave none
}

func (sr *StepReport) fail(format string, args ...any) {
	sr.Problems = append(sr.Problems, fmt.Sprintf(format, args...))
}

// Label names the step for people: "step 3 (s3, line 27)".
func (sr *StepReport) Label() string {
	if sr.ID != "" {
		return fmt.Sprintf("step %d (%s, line %d)", sr.Step, sr.ID, sr.Line)
	}
	return fmt.Sprintf("step %d (line %d)", sr.Step, sr.Line)
}

// Summary says in one line what the step wanted and got.
func (sr *StepReport) Summary() string {
	if sr.Kind == "dial" {
		return fmt.Sprintf("dial: want %s, got %s", describeWant(sr.Want), describe(sr.Got))
	}
	kind := sr.Kind
	if sr.Decision != "" {
		kind += " of " + sr.Decision
	}
	want := "success"
	switch {
	case sr.Want.Error != "":
		want = "error " + sr.Want.Error
	case sr.Want.Deleted != nil:
		want = "deleted " + strconv.Itoa(*sr.Want.Deleted)
	}
	got := "success"
	switch {
	case sr.Got.Error != "":
		got = "error " + sr.Got.Error
	case sr.Got.Deleted != nil:
		got = "deleted " + strconv.Itoa(*sr.Got.Deleted)
	}
	return fmt.Sprintf("%s: want %s, got %s", kind, want, got)
}

func describeWant(w Want) string {
	var s string
	switch {
	case w.Error != "":
		return "error " + w.Error
	case w.Allowed == nil:
		return "?"
	case *w.Allowed:
		s = "allowed"
	case len(w.Codes) > 0:
		s = "denied " + codeList(w.Codes)
	default:
		s = "denied"
	}
	if len(w.Evidence) > 0 {
		keys := slices.Sorted(maps.Keys(w.Evidence))
		for i, k := range keys {
			keys[i] = k + "=" + w.Evidence[k]
		}
		s += " with evidence " + strings.Join(keys, ", ")
	}
	return s
}

func describe(g Got) string {
	switch {
	case g.Error != "":
		return "error " + g.Error
	case g.Allowed == nil:
		return "nothing"
	case *g.Allowed && len(g.Codes) == 0:
		return "allowed"
	case *g.Allowed:
		return "allowed (shadow) " + codeList(g.Codes)
	}
	return "denied " + codeList(g.Codes)
}

// WriteText writes the report as text: a header, one line per step, and for a
// failed step what differed and the reasons that came back. A control or
// bidirectional formatting character in what it prints (a path, a message
// naming an id the file gave) is written escaped (\x1b, \u202e): it never
// moves the cursor or reorders the lines a reader sees.
func (r *Report) WriteText(w io.Writer) error {
	var b strings.Builder
	line := func(format string, args ...any) {
		b.WriteString(textsafe.Escape(fmt.Sprintf(format, args...), textsafe.Line))
		b.WriteByte('\n')
	}
	if len(r.Overrides) > 0 {
		line("=== %s: %s (policy %s, %s with the file's overrides: %s)", r.File, r.Name, r.PolicyVersion, r.Profile, strings.Join(r.Overrides, ", "))
	} else {
		line("=== %s: %s (policy %s)", r.File, r.Name, r.PolicyVersion)
	}
	for i := range r.Steps {
		sr := &r.Steps[i]
		mark := "ok  "
		if !sr.Pass {
			mark = "FAIL"
		}
		line("%s %s %s %s", mark, sr.Label(), sr.At.Format(time.RFC3339), sr.Summary())
		if sr.Pass {
			continue
		}
		for _, p := range sr.Problems {
			line("       %s", p)
		}
		for _, rs := range sr.Got.Reasons {
			line("       reason %s: %s", rs.Code, rs.Message)
		}
		if sr.Got.Message != "" {
			line("       message: %s", sr.Got.Message)
		}
	}
	for _, w := range r.Warnings {
		line("warning: %s", w)
	}
	if r.OK() {
		line("--- PASS: %d steps", r.Passed)
	} else {
		line("--- FAIL: %d of %d steps failed", r.Failed, r.Passed+r.Failed)
	}
	_, err := io.WriteString(w, b.String())
	return err
}
