package schedule

import (
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/internal/decimal"
	"github.com/dialgate/dialgate/numbering"
)

// maxBlackoutReason bounds Blackout.Reason, in characters: it is shown in
// every deny's message and kept in every decision record.
const maxBlackoutReason = 200

// The instants a blackout may name: the span of the zones' offset tables. A
// year outside it is a typing error, not an emergency.
var (
	blackoutEarliest = time.Unix(tableFrom, 0).UTC()
	blackoutLatest   = time.Unix(tableTo, 0).UTC()
)

// blackoutPlan is a compiled Blackout.
type blackoutPlan struct {
	label       string // where it was declared, for messages: "schedule.blackouts[0]"
	from, until time.Time
	prefixes    []e164Prefix // empty: every callee
	reason      string
	untilText   string // Until in RFC 3339 (fraction of a second kept), with the offset it was written with
}

// e164Prefix is a compiled E.164 prefix: its digits as an integer and their
// count.
type e164Prefix struct {
	v uint64
	n int
}

// inForce reports whether t is in [from, until).
func (b *blackoutPlan) inForce(t time.Time) bool {
	return !t.Before(b.from) && t.Before(b.until)
}

// covers reports whether the blackout covers the callee n: it has no
// prefixes, or n's E.164 digits start with one of them — under either
// spelling of its line (calleeHasPrefix). It does not allocate.
func (b *blackoutPlan) covers(n dialgate.Number) bool {
	return len(b.prefixes) == 0 || calleeHasPrefix(n, b.prefixes)
}

// calleeHasPrefix reports whether the E.164 digits of n, or of the other
// spelling of its line (numbering.LineAlias: +596 596 12 34 56 is
// +33 596 12 34 56, +52 1 55 … is +52 55 …), start with one of ps. A
// dialer may send either spelling of the one callee, and a blackout or
// regional calendar given for one must cover the other. It does not
// allocate.
func calleeHasPrefix(n dialgate.Number, ps []e164Prefix) bool {
	if hasPrefix(n, ps) {
		return true
	}
	alt, ok := numbering.LineAlias(n)
	return ok && hasPrefix(alt, ps)
}

// hasPrefix reports whether n's E.164 digits start with one of ps.
func hasPrefix(n dialgate.Number, ps []e164Prefix) bool {
	v, l := n.Uint64(), n.Len()
	for _, p := range ps {
		if p.n <= l && v/decimal.Pow10[l-p.n] == p.v {
			return true
		}
	}
	return false
}

// blackoutAt returns the index in p.blackouts of the first blackout in force
// at t that covers to, or -1.
func (p *plan) blackoutAt(t time.Time, to dialgate.Number) int {
	for i := range p.blackouts {
		if b := &p.blackouts[i]; b.inForce(t) && b.covers(to) {
			return i
		}
	}
	return -1
}

// afterBlackouts returns the first instant ≥ t at which no blackout covering
// to is in force: t itself, or the end of a chain of such blackouts. Each
// blackout moves the instant at most once (it is then at or past its
// exclusive end), so len(p.blackouts) moves suffice; the bound only guards
// the loop.
func (p *plan) afterBlackouts(t time.Time, to dialgate.Number) time.Time {
	for range len(p.blackouts) + 1 {
		i := p.blackoutAt(t, to)
		if i < 0 {
			break
		}
		t = p.blackouts[i].until
	}
	return t
}

// blackoutReason builds the schedule.outside_window reason for the blackouts
// in force at the decision instant that cover the callee (active, indexes
// into p.blackouts). ev is the zone evidence of the window check (nil when
// the callee's zone is unknown); suffix says when the next allowed instant is.
func (p *plan) blackoutReason(active []int, next time.Time, suffix string, ev []dialgate.Evidence) dialgate.Reason {
	parts := make([]string, len(active))
	bev := make([]dialgate.Evidence, 0, 2*len(active)+len(ev))
	for k, i := range active {
		b := &p.blackouts[i]
		parts[k] = fmt.Sprintf("%s (%s, until %s)", b.reason, b.label, b.untilText)
		bev = append(bev,
			dialgate.Evidence{Key: EvidenceBlackout, Value: b.reason},
			dialgate.Evidence{Key: EvidenceBlackoutUntil, Value: b.untilText})
	}
	return dialgate.Reason{
		Code:          dialgate.CodeOutsideWindow,
		Message:       "a declared no-call period is in force for the callee: " + strings.Join(parts, "; ") + suffix,
		NextAllowedAt: next,
		Evidence:      append(bev, ev...),
	}
}

// activeBlackouts returns the indexes of every blackout in force at t that
// covers to.
func (p *plan) activeBlackouts(t time.Time, to dialgate.Number) []int {
	var out []int
	for i := range p.blackouts {
		if b := &p.blackouts[i]; b.inForce(t) && b.covers(to) {
			out = append(out, i)
		}
	}
	return out
}

// compileBlackouts validates the blackouts bs and compiles them; list names
// them in errors and messages ("schedule.blackouts" for a Config's,
// "blackouts" for Declarations', which the file's name then prefixes).
func compileBlackouts(bs []Blackout, list string) ([]blackoutPlan, error) {
	var out []blackoutPlan
	for i, b := range bs {
		field := fmt.Sprintf("%s[%d]", list, i)
		if err := b.Cite.Validate(field + ".cite"); err != nil {
			return nil, fmt.Errorf("%w: %w", err, ErrInvalidConfig)
		}
		if err := checkBlackoutInstant(field+".from", b.From, ""); err != nil {
			return nil, err
		}
		if err := checkBlackoutInstant(field+".until", b.Until,
			"; a blackout must end: when an emergency is extended, add an entry from the old end"); err != nil {
			return nil, err
		}
		if !b.Until.After(b.From) {
			return nil, fieldErr(field+".until", "%s is not after from (%s)",
				b.Until.Format(time.RFC3339), b.From.Format(time.RFC3339))
		}
		if err := checkBlackoutReason(b.Reason); err != nil {
			return nil, fieldErr(field+".reason", "%v", err)
		}
		bp := blackoutPlan{label: field, from: b.From, until: b.Until, reason: b.Reason,
			untilText: b.Until.Format(time.RFC3339Nano)}
		seen := map[string]int{}
		for j, s := range b.Prefixes {
			pf := fmt.Sprintf("%s.prefixes[%d]", field, j)
			px, err := parsePrefix(s)
			if err != nil {
				return nil, fieldErr(pf, "%v", err)
			}
			if k, dup := seen[s]; dup {
				return nil, fieldErr(pf, "%q repeats prefixes[%d]", s, k)
			}
			seen[s] = j
			bp.prefixes = append(bp.prefixes, px)
		}
		out = append(out, bp)
	}
	return out, nil
}

// checkBlackoutInstant checks that t is set and within the years a blackout
// may name; more is added to the message of a missing instant.
func checkBlackoutInstant(field string, t time.Time, more string) error {
	switch {
	case t.IsZero():
		return fieldErr(field, "missing (an RFC 3339 instant with its offset, e.g. 2026-08-26T06:00:00-05:00%s)", more)
	case t.Before(blackoutEarliest) || !t.Before(blackoutLatest):
		return fieldErr(field, "%s is outside the years 1970–2099", t.Format(time.RFC3339))
	}
	return nil
}

// checkBlackoutReason checks a blackout's reason: present, at most
// maxBlackoutReason characters of valid UTF-8, no control characters (it is
// shown on one line of every deny).
func checkBlackoutReason(s string) error {
	switch {
	case strings.TrimSpace(s) == "":
		return errors.New("missing (say what was declared, e.g. \"Hurricane X, Proclamation 123 JBE 2026\")")
	case !utf8.ValidString(s):
		return errors.New("not valid UTF-8")
	case utf8.RuneCountInString(s) > maxBlackoutReason:
		return fmt.Errorf("longer than %d characters", maxBlackoutReason)
	case strings.ContainsFunc(s, unicode.IsControl):
		return errors.New("contains a control character (a line break or tab)")
	}
	return nil
}

// parsePrefix parses an E.164 prefix: "+" and 1–15 digits, the first not 0
// (no E.164 number starts with 0, so such a prefix would cover no callee).
func parsePrefix(s string) (e164Prefix, error) {
	bad := func(why string) (e164Prefix, error) {
		return e164Prefix{}, fmt.Errorf("%q is not an E.164 prefix (%s; want \"+\" and 1–15 digits, e.g. \"+1504\")", s, why)
	}
	digits, ok := strings.CutPrefix(s, "+")
	switch {
	case !ok:
		return bad("no leading +")
	case digits == "":
		return bad("no digits")
	case len(digits) > 15:
		return bad("more than 15 digits")
	case digits[0] == '0':
		return bad("an E.164 number never starts with 0")
	}
	var v uint64
	for i := 0; i < len(digits); i++ {
		c := digits[i]
		if c < '0' || c > '9' {
			return bad("only digits may follow the +")
		}
		v = v*10 + uint64(c-'0')
	}
	if !prefixCanMatch(v, len(digits)) {
		return bad("no E.164 number starts with it: an unassigned country code, or a national trunk prefix 0 after the country code")
	}
	return e164Prefix{v: v, n: len(digits)}, nil
}

// prefixCanMatch reports whether some valid Number's digits start with the n
// digits v: it completes the country code with up to three digits, pads the
// rest with 1s to 15 digits and asks dialgate.NumberFromUint64. A prefix no
// Number can have ("+44020": the UK trunk 0 kept) would cover nobody, and a
// blackout would silently allow the dials it was declared for.
func prefixCanMatch(v uint64, n int) bool {
	for extra := 0; extra <= 3 && n+extra <= 15; extra++ {
		for e := uint64(0); e < decimal.Pow10[extra]; e++ {
			w, m := v*decimal.Pow10[extra]+e, n+extra
			for ; m < 15; m++ {
				w = w*10 + 1
			}
			if _, err := dialgate.NumberFromUint64(w); err == nil {
				return true
			}
		}
	}
	return false
}
