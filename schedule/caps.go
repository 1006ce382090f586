package schedule

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/dialgate/dialgate"
)

// ErrInvalidCaps is wrapped by every error CapsConfig.Validate and NewCapCheck
// return for a bad frequency-cap configuration.
var ErrInvalidCaps = errors.New("schedule: invalid frequency caps")

// CapScope says whose calls a frequency cap counts together. Every scope is
// within one tenant (Dial.Tenant) and across all its caller IDs and campaigns.
type CapScope string

// The cap scopes. The zero value "" means CapPerCallee.
const (
	// CapPerCallee counts every call to the callee number.
	CapPerCallee CapScope = "callee"
	// CapPerSubject counts every call about one matter (Dial.Subject, e.g. a
	// debt), whichever number is called. The subject is counted however it
	// is spelt: case folded, surrounding white space dropped and inner runs
	// made one space, Unicode compatibility forms and invisible characters
	// ignored ("D-1", "d-1" and " D-1 " are one matter; see CapCheck). A
	// dial without a Subject, or with one of white space alone, that such a
	// rule applies to is denied (frequency.unavailable, ErrNoSubject):
	// counted apart it would slip past the calls about its real matter.
	CapPerSubject CapScope = "subject"
	// CapPerCalleeSubject counts the calls to one callee about one matter ("on
	// the same subject matter"), the subject spelt as for CapPerSubject. A
	// dial without a Subject that such a rule applies to is denied, as for
	// CapPerSubject.
	CapPerCalleeSubject CapScope = "callee_subject"
)

// CapsConfig is the frequency section of a profile (`frequency:` in a profile
// file): caps on how often one callee (or one matter) may be called within
// sliding windows, and the pauses after a reported outcome (a conversation, an
// abandoned call, a refusal). It is plain data; NewCapCheck validates it.
//
// The zero CapsConfig has no caps and no pause: the check allows every dial.
// Profiles that need caps must list them (see CapsCN and friends).
type CapsConfig struct {
	// Caps are the sliding-window caps. A dial must fit every cap that applies
	// to its purpose.
	Caps []Cap `json:"caps,omitempty"`
	// PauseAfterConversation forbids calls for a while after a conversation
	// with the callee was reported (Outcome.Conversation via
	// Gate.ReportOutcome). Nil: no pause.
	PauseAfterConversation *Pause `json:"pause_after_conversation,omitempty"`
	// PauseAfterAbandoned forbids calls for a while after an abandoned call to
	// the callee was reported (Outcome.Abandoned via Gate.ReportOutcome), as
	// Ofcom's "no repeat call within 72 hours of an abandoned call". Nil: no
	// pause.
	PauseAfterAbandoned *Pause `json:"pause_after_abandoned,omitempty"`
	// PauseAfterRefusal forbids calls for a while after the callee refused the
	// offer (Outcome.Refused via Gate.ReportOutcome), as France's 60 days
	// after a refusal. Nil: no pause.
	PauseAfterRefusal *Pause `json:"pause_after_refusal,omitempty"`
}

// Cap is one frequency cap: at most Count calls within Window.
type Cap struct {
	// Count is the number of calls allowed within Window. At least 1.
	Count int `json:"count"`
	// Window is the length of the sliding window ("5m", "24h", "30d").
	// At least one minute; at most 366 days.
	Window dialgate.Duration `json:"window"`
	// Purposes limits the cap to dials of these purposes, which are then also
	// the only calls it counts. Empty means every purpose.
	Purposes []dialgate.Purpose `json:"purposes,omitempty"`
	// Per says whose calls are counted together; "" means "callee".
	Per CapScope `json:"per,omitempty"`
	// Cite says where the cap comes from. Required.
	Cite dialgate.Citation `json:"cite"`
}

// Pause is "no call within Window after an outcome": after a conversation
// (CapsConfig.PauseAfterConversation), an abandoned call
// (PauseAfterAbandoned) or a refusal (PauseAfterRefusal). The pause runs from
// when the outcome was reported (Outcome.At); a dial inside it is denied with
// frequency.capped.
type Pause struct {
	// Window is how long after a reported outcome no call may be placed.
	// At least one minute; at most 366 days.
	Window dialgate.Duration `json:"window"`
	// Purposes limits the pause to outcomes of calls of, and dials of, these
	// purposes. Empty means every purpose.
	Purposes []dialgate.Purpose `json:"purposes,omitempty"`
	// Per says whose outcomes pause whose calls; "" means "callee".
	Per CapScope `json:"per,omitempty"`
	// Cite says where the pause comes from. Required.
	Cite dialgate.Citation `json:"cite"`
}

// ConversationPause is the former name of Pause, kept so that code written
// for the pause after a conversation keeps compiling.
type ConversationPause = Pause

// maxCapWindow bounds windows so that a typo ("30000d") is caught.
const maxCapWindow = 366 * 24 * time.Hour

// minCapWindow bounds windows from below so that a unit mistake ("1ns",
// "30s" for 30 minutes) is caught: no rule counts calls over seconds, and a
// cap that short holds back nothing but the allow lifetime it is counted
// over, a pause nothing at all.
const minCapWindow = time.Minute

// Validate reports the first malformed field as an error wrapping
// ErrInvalidCaps and naming the field, e.g.
// "frequency.caps[1].count: -1 is negative".
func (c CapsConfig) Validate() error {
	for i, cp := range c.Caps {
		f := "frequency.caps[" + strconv.Itoa(i) + "]"
		switch {
		case cp.Count < 0:
			return capErr(f+".count", "%d is negative", cp.Count)
		case cp.Count == 0:
			return capErr(f+".count", "missing or 0 (want at least 1 call per window)")
		}
		if err := validateCapCommon(f, cp.Window, cp.Purposes, cp.Per, cp.Cite); err != nil {
			return err
		}
	}
	for _, k := range pauseKinds() {
		if p := k.get(&c); p != nil {
			if err := validateCapCommon("frequency."+k.field, p.Window, p.Purposes, p.Per, p.Cite); err != nil {
				return err
			}
		}
	}
	return nil
}

// pauseKind describes one of CapsConfig's pauses: its field, the outcome that
// starts it and how it is named in counter keys and messages.
type pauseKind struct {
	field    string                        // the profile key, "pause_after_conversation"
	get      func(*CapsConfig) *Pause      // the pause in a config
	happened func(o dialgate.Outcome) bool // whether o starts the pause
	event    string                        // "a conversation", for descriptions
	reported string                        // message prefix of a denial
	kind     string                        // counter-key kind; "pause" for the conversation pause (stored keys predate the others)
	record   string                        // reservation-id prefix of a recorded outcome
}

// pauseKinds lists the pauses in the order they are checked and reported.
func pauseKinds() [3]pauseKind {
	return [...]pauseKind{
		{
			field: "pause_after_conversation", get: func(c *CapsConfig) *Pause { return c.PauseAfterConversation },
			happened: func(o dialgate.Outcome) bool { return o.Conversation },
			event:    "a conversation", reported: "a conversation took place within the pause",
			kind: "pause", record: "frequency.conversation:",
		},
		{
			field: "pause_after_abandoned", get: func(c *CapsConfig) *Pause { return c.PauseAfterAbandoned },
			happened: func(o dialgate.Outcome) bool { return o.Abandoned },
			event:    "an abandoned call", reported: "a call was abandoned within the pause",
			kind: "pause_abandoned", record: "frequency.abandoned:",
		},
		{
			field: "pause_after_refusal", get: func(c *CapsConfig) *Pause { return c.PauseAfterRefusal },
			happened: func(o dialgate.Outcome) bool { return o.Refused },
			event:    "a refusal", reported: "the callee refused within the pause",
			kind: "pause_refusal", record: "frequency.refusal:",
		},
	}
}

func validateCapCommon(f string, w dialgate.Duration, purposes []dialgate.Purpose, per CapScope, cite dialgate.Citation) error {
	switch {
	case w < 0:
		return capErr(f+".window", "%s is negative", w)
	case w == 0:
		return capErr(f+".window", "missing or zero (want e.g. 24h or 30d)")
	case w.Std() > maxCapWindow:
		return capErr(f+".window", "%s is longer than 366 days", w)
	case w.Std() < minCapWindow:
		return capErr(f+".window", "%s is shorter than a minute (a unit mistake? want e.g. 5m, 24h or 30d)", w)
	}
	for j, p := range purposes {
		if !p.IsValid() {
			return capErr(f+".purposes["+strconv.Itoa(j)+"]", "unknown purpose %q (want marketing, service, callback, collections or survey)", string(p))
		}
		if slices.Contains(purposes[:j], p) {
			return capErr(f+".purposes["+strconv.Itoa(j)+"]", "duplicate purpose %q", string(p))
		}
	}
	switch per {
	case "", CapPerCallee, CapPerSubject, CapPerCalleeSubject:
	default:
		return capErr(f+".per", "unknown scope %q (want callee, subject or callee_subject)", string(per))
	}
	if err := cite.Validate(f + ".cite"); err != nil {
		return fmt.Errorf("%w: %w", err, ErrInvalidCaps)
	}
	return nil
}

func capErr(field, format string, args ...any) error {
	return fmt.Errorf("%s: %s: %w", field, fmt.Sprintf(format, args...), ErrInvalidCaps)
}

// String describes the cap in plain words: "2 calls per 24h per callee".
func (c Cap) String() string {
	var b strings.Builder
	b.WriteString(strconv.Itoa(c.Count))
	if c.Count == 1 {
		b.WriteString(" call per ")
	} else {
		b.WriteString(" calls per ")
	}
	b.WriteString(windowString(c.Window))
	b.WriteString(" per ")
	b.WriteString(string(scopeOrDefault(c.Per)))
	if len(c.Purposes) > 0 {
		b.WriteString(" (")
		for i, p := range c.Purposes {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(string(p))
		}
		b.WriteString(")")
	}
	return b.String()
}

func scopeOrDefault(s CapScope) CapScope {
	if s == "" {
		return CapPerCallee
	}
	return s
}

// appliesTo reports whether a rule limited to purposes covers p.
func appliesTo(purposes []dialgate.Purpose, p dialgate.Purpose) bool {
	return len(purposes) == 0 || slices.Contains(purposes, p)
}

// windowString formats a window in the largest whole unit: "30d", "24h",
// "5m", else as time.Duration does (one day is "24h").
func windowString(w dialgate.Duration) string {
	d := w.Std()
	switch {
	case d > 24*time.Hour && d%(24*time.Hour) == 0:
		return strconv.FormatInt(int64(d/(24*time.Hour)), 10) + "d"
	case d != 0 && d%time.Hour == 0:
		return strconv.FormatInt(int64(d/time.Hour), 10) + "h"
	case d != 0 && d%time.Minute == 0:
		return strconv.FormatInt(int64(d/time.Minute), 10) + "m"
	}
	return d.String()
}
