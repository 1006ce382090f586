package dialgate

import (
	"fmt"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/dialgate/dialgate/internal/textsafe"
)

// Purpose is why a call is placed. Profiles decide which purposes need consent,
// which calling windows apply and which caps count.
type Purpose string

// The purposes of DESIGN §3.
const (
	PurposeMarketing   Purpose = "marketing"   // commercial marketing; needs consent in most profiles
	PurposeService     Purpose = "service"     // service to an existing customer
	PurposeCallback    Purpose = "callback"    // instant callback after an inbound contact; needs TriggerAt
	PurposeCollections Purpose = "collections" // debt collection
	PurposeSurvey      Purpose = "survey"      // survey or research
)

// Purposes lists every known purpose in a fixed order.
func Purposes() []Purpose {
	return []Purpose{PurposeMarketing, PurposeService, PurposeCallback, PurposeCollections, PurposeSurvey}
}

// IsValid reports whether p is one of the known purposes.
func (p Purpose) IsValid() bool {
	switch p {
	case PurposeMarketing, PurposeService, PurposeCallback, PurposeCollections, PurposeSurvey:
		return true
	}
	return false
}

// ParsePurpose returns the Purpose named s, or an error naming the known ones.
func ParsePurpose(s string) (Purpose, error) {
	p := Purpose(s)
	if !p.IsValid() {
		return "", fmt.Errorf("unknown purpose %q (want one of marketing, service, callback, collections, survey): %w", s, ErrInvalidDial)
	}
	return p, nil
}

// Route is how a call leaves the call centre. The zero value means domestic.
type Route string

// The routes.
const (
	RouteDomestic      Route = "domestic"
	RouteInternational Route = "international"
)

// IsValid reports whether r is empty (domestic), domestic or international.
func (r Route) IsValid() bool {
	return r == "" || r == RouteDomestic || r == RouteInternational
}

// Dial is one call a dialer wants to place. It is a plain value: copy it freely.
//
// A Dial carries lead provenance when it has a ConsentID, a LeadID or a
// TriggerAt; a profile with the blind-dial guard denies dials without any.
type Dial struct {
	// To is the callee. Required.
	To Number
	// From is the caller ID to present. A check decides whether it is allowed;
	// the zero Number means none was given (callerid.missing where required).
	From Number
	// Purpose of the call. Required.
	Purpose Purpose
	// Tenant is the call centre (or client account) placing the call. Caps and
	// tenant-scoped lists are kept per tenant; empty is a tenant of its own.
	Tenant string
	// Industry is the industry category the call belongs to (finance, insurance, …),
	// for industry-scoped do-not-call and consent.
	Industry string
	// BusinessLine is the business line within the industry (loans, cards, …).
	BusinessLine string
	// Campaign identifies the campaign.
	Campaign string
	// Subject is the matter the call is about (a debt or account reference),
	// for per-subject caps such as "7 calls in 7 days per debt". Those caps
	// count a subject ignoring case, white space around it and repeated
	// inside it, Unicode compatibility forms and invisible characters
	// ("Solar", " solar " and "SOLAR" are one subject); other differences
	// ("D-1", "D1") make other subjects, so send one reference per matter.
	// A subject of white space alone is no subject.
	Subject string
	// ConsentID names the consent record the call relies on.
	ConsentID string
	// LeadID names the CRM or list record the number came from.
	LeadID string
	// TriggerAt is when the inbound contact or transaction that triggers an
	// instant callback happened (or the inbound contact the number came from,
	// for any purpose). Required for PurposeCallback; never after At.
	TriggerAt time.Time
	// Route is domestic (the zero value) or international.
	Route Route
	// CalleeZone is the IANA time zone of where the callee is known to be
	// (the address on file: "America/Los_Angeles"), when the dialer knows
	// it. The calling window must hold there as well as in every zone of the
	// callee's number (the rules speak of the local time at the called
	// party's location): it narrows the calling time, never widens it, and
	// it never stands in for a number whose zone is unknown. Empty: the
	// number's zones alone. It must be a zone name this host's time-zone
	// database knows, and a place: "Local", "localtime", "posixrules",
	// "Factory" and the posix/ and right/ copies are refused.
	CalleeZone string
	// AgentReserved reports that an agent is reserved for this call before
	// it is placed (preview or progressive dialing): a person who answers is
	// connected to the agent at once, so the call cannot be abandoned. A
	// profile with an abandoned-call rate cap (us, uk; package schedule,
	// AbandonCheck) allows such a dial while the campaign's abandoned-call
	// rate is over the cap, and denies the dials without it. Set it only
	// when the agent is really held for the call: the decision record keeps
	// it. The zero value (false) is a predictive dial, which may be
	// abandoned.
	AgentReserved bool
	// At is the decision instant. Gate.Check sets it from its Clock before any
	// check runs, overwriting what the caller put there; checks read it and never
	// call time.Now themselves.
	At time.Time
}

// HasProvenance reports whether the dial says where its number came from: a
// consent, a lead record or an inbound trigger.
func (d Dial) HasProvenance() bool {
	// An id of only white space or invisible characters names no record.
	return !blankID(d.ConsentID) || !blankID(d.LeadID) || !d.TriggerAt.IsZero()
}

// blankID reports whether id holds nothing a person can see: only white
// space and invisible characters (a zero-width space, a byte-order mark, a
// soft hyphen, a variation selector, another default-ignorable code point).
// Such an id names no record: "\u200b" as a lead id is as blank as " ".
func blankID(id string) bool {
	for _, r := range id {
		if !unicode.IsSpace(r) && !unicode.Is(unicode.Cf, r) && !unicode.Is(unicode.Variation_Selector, r) &&
			!unicode.Is(unicode.Other_Default_Ignorable_Code_Point, r) {
			return false
		}
	}
	return true
}

// Validate reports the first malformed field of d as an error wrapping
// ErrInvalidDial (a *FieldError naming the field). It checks the callee, the
// purpose, the route, that TriggerAt is set for callbacks and is never after
// At, and that the callee and the caller ID are possible numbers of the
// numbering plans dialgate knows: a North American (+1) number has 10 digits
// NPA-NXX-XXXX with NPA and NXX starting 2–9; a Chinese (+86) callee is no
// longer than the longest Chinese number of its leading digits (a mobile has
// 11 digits, a number with a 2-digit area code at most 10, a 400 or 800
// number exactly 10, any other at most 11, or 10 in an area whose fixed
// lines have 7 local digits); a British (+44) number has 7 to 10 digits after the country code, a
// French one (+33, and +262, +590, +594, +596 of the overseas departments)
// 9, an Australian geographic or mobile one (+61 2, 3, 4, 7, 8) 9. So digits
// written after a number (an extension) cannot make a second Number for the
// same line. Its text fields (tenant, industry, business line,
// campaign, subject, consent and lead ids) must be valid UTF-8 of at most 256
// bytes without control characters (ASCII or C1), bidirectional formatting
// characters (embeddings, overrides, isolates, marks) or line and paragraph
// separators (U+2028, U+2029), which would make the decision record display
// other than it holds.
func (d Dial) Validate() error {
	if p := calleeProblem(d.To); p != "" {
		return dialFieldErr("to", p)
	}
	if p := d.From.planProblem(false); p != "" {
		return dialFieldErr("from", "not a possible number: "+p)
	}
	if d.Purpose == "" {
		return dialFieldErr("purpose", "missing")
	}
	if !d.Purpose.IsValid() {
		return dialFieldErr("purpose", fmt.Sprintf("unknown purpose %q (want marketing, service, callback, collections or survey)", string(d.Purpose)))
	}
	if !d.Route.IsValid() {
		return dialFieldErr("route", fmt.Sprintf("unknown route %q (want domestic or international)", string(d.Route)))
	}
	if d.Purpose == PurposeCallback && d.TriggerAt.IsZero() {
		return dialFieldErr("trigger_at", "required for purpose callback")
	}
	// A trigger after the decision is invalid whatever the purpose: it is
	// lead provenance too (HasProvenance), and a contact that has not
	// happened cannot be where a number came from.
	if !d.TriggerAt.IsZero() && !d.At.IsZero() && d.TriggerAt.After(d.At) {
		return dialFieldErr("trigger_at", fmt.Sprintf("%s is after the decision time %s", d.TriggerAt.Format(time.RFC3339), d.At.Format(time.RFC3339)))
	}
	if d.CalleeZone != "" {
		if p := zoneProblem(d.CalleeZone); p != "" {
			return dialFieldErr("callee_zone", p)
		}
	}
	for _, f := range [...]struct{ name, v string }{
		{"tenant", d.Tenant}, {"industry", d.Industry}, {"business_line", d.BusinessLine},
		{"campaign", d.Campaign}, {"subject", d.Subject}, {"consent_id", d.ConsentID}, {"lead_id", d.LeadID},
	} {
		if len(f.v) > maxFieldLen {
			return dialFieldErr(f.name, fmt.Sprintf("longer than %d bytes", maxFieldLen))
		}
		if !utf8.ValidString(f.v) {
			// The audit log would write each bad byte as U+FFFD: two
			// tenants (or campaigns) to the checks, one in the record.
			return dialFieldErr(f.name, "not valid UTF-8")
		}
		// A control character (ASCII or C1), a bidirectional override or
		// isolate or a line separator would make the decision record show
		// the field other than it is (textsafe).
		if i, r := textsafe.Find(f.v, textsafe.Line); i >= 0 {
			return dialFieldErr(f.name, textsafe.Describe(r, i))
		}
	}
	return nil
}

const maxFieldLen = 256

// CheckCallee reports why no dial can be made to n, as Dial.Validate judges
// a callee (a Chinese mobile has 11 digits after +86, a North American number
// 10 after +1, …), wrapping ErrInvalidNumber; nil when n is a possible callee.
// List readers use it so that a line read as a number no dial is ever made to
// is reported, not listed. The message holds no digits of the number.
func CheckCallee(n Number) error {
	if p := calleeProblem(n); p != "" {
		return fmt.Errorf("%w: %s", ErrInvalidNumber, p)
	}
	return nil
}

// calleeProblem is what makes n no possible callee, or "".
func calleeProblem(n Number) string {
	if !n.IsValid() {
		return "missing callee number"
	}
	if p := n.planProblem(true); p != "" {
		return "not a possible number: " + p
	}
	return ""
}
