package auditlog

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"math/bits"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/numbering"
	"golang.org/x/mod/sumdb/tlog"
)

// MinKeyBytes is the shortest HMAC key accepted.
const MinKeyBytes = 16

// Redactor turns decisions and outcomes into records: it replaces the callee
// number by its keyed hash and segment and removes it wherever else it
// appears. The zero Redactor is not usable; create one with NewRedactor. A
// Redactor is safe for concurrent use.
type Redactor struct {
	keyID   string
	profile string
	pool    sync.Pool // of *hmacState
}

// hmacState is an HMAC-SHA256 with the key and its buffers, pooled together
// so that hashing a callee allocates only the resulting string.
type hmacState struct {
	m   hash.Hash
	in  [24]byte
	sum [sha256.Size]byte
	hex [2 * sha256.Size]byte
}

// NewRedactor returns a Redactor hashing callees with key (at least
// MinKeyBytes bytes), naming it keyID in every record. profile, when not
// empty, is recorded as every decision's profile; otherwise the profile is the
// part of the decision's policy version before its first "@", if any.
func NewRedactor(key []byte, keyID, profile string) (*Redactor, error) {
	if len(key) < MinKeyBytes {
		return nil, fmt.Errorf("auditlog: hmac key: %d bytes, want at least %d: %w", len(key), MinKeyBytes, ErrInvalidOptions)
	}
	if keyID == "" {
		return nil, fmt.Errorf("auditlog: hmac key id: missing: %w", ErrInvalidOptions)
	}
	k := append([]byte(nil), key...)
	r := &Redactor{keyID: keyID, profile: profile}
	r.pool.New = func() any { return &hmacState{m: hmac.New(sha256.New, k)} }
	return r, nil
}

// CalleeHMAC returns hex(HMAC-SHA256(key, n.String())): the keyed hash of a
// number as it appears in records. Whoever holds the key can test whether a
// record is about a given number; nobody else can.
func CalleeHMAC(key []byte, n dialgate.Number) string {
	m := hmac.New(sha256.New, key)
	m.Write(n.AppendTo(nil))
	return hex.EncodeToString(m.Sum(nil))
}

func (r *Redactor) hmac(n dialgate.Number) string {
	st := r.pool.Get().(*hmacState)
	st.m.Reset()
	st.m.Write(n.AppendTo(st.in[:0]))
	hex.Encode(st.hex[:], st.m.Sum(st.sum[:0]))
	h := string(st.hex[:])
	r.pool.Put(st)
	return h
}

// Segment returns the segment (号段) of n as numbering.Classify names it:
// "1380013" for a Chinese mobile number (its first 7 national digits),
// "010-5800" for a Chinese fixed line, "+1 212555" for an international
// number (the NPA-NXX of a North American one), "" for service codes and
// unknown numbers. It never holds a whole number.
func Segment(n dialgate.Number) string {
	return numbering.Classify(n).Segment.String()
}

// redaction notes
const (
	redactedCallee = "callee: raw number replaced by callee.hmac and callee.segment"
	// redactedChangeCallee is redactedCallee for a change record.
	redactedChangeCallee = redactedCallee
	redactedSubject      = "subject: omitted (may identify a person or a debt)"
	redactedMark         = "[redacted: callee number]"
)

// fieldPath names a record field, such as reasons[1].evidence[0].value; it
// is formatted only when something is redacted.
type fieldPath struct {
	a string
	i int // index after a, -1 for none
	b string
	j int // index after b, -1 for none
	c string
}

func field(name string) fieldPath { return fieldPath{name, -1, "", -1, ""} }

// String formats p as a record field path, such as
// "reasons[1].evidence[0].value".
func (p fieldPath) String() string {
	s := p.a
	if p.i >= 0 {
		s += "[" + strconv.Itoa(p.i) + "]"
	}
	s += p.b
	if p.j >= 0 {
		s += "[" + strconv.Itoa(p.j) + "]"
	}
	return s + p.c
}

// scrubber replaces strings that contain the callee's national digits.
type scrubber struct {
	national []byte // nil when there is nothing to look for
	nat      [20]byte
	redacted []string
	// anyNumber: the callee is not known (an outcome reported without its
	// dial), so every string holding something that may be a phone number
	// (phoneDigits digits in a row, see phoneLike) is replaced.
	anyNumber bool
	// anyWhy, when set, replaces the note of a string anyNumber replaced.
	anyWhy string
}

// phoneDigits is the fewest digits in a row that an outcome without its dial
// may not hold in its free text: a local number without its area code has 7.
const phoneDigits = 7

// phoneSeps is how many separators (see phoneSep) phoneLike allows between
// two digits of a number: "138 - 0013", "(212)  555".
const phoneSeps = 3

// phoneSep reports whether r may stand between the digits of a written phone
// number: a space, a dash, '.', '/', '(' or ')' (full-width forms too).
func phoneSep(r rune) bool {
	return unicode.IsSpace(r) || unicode.Is(unicode.Pd, r) || strings.ContainsRune(".()/．（）／", r)
}

// phoneLike reports whether v holds phoneDigits or more digits (of any
// script: full-width ones from an input method too) in a row, allowing up to
// phoneSeps separators between two of them (as numbers are written:
// "138 0013 8000", "(212) 555-0100", "138 - 0013 - 8000", "138/0013/8000").
func phoneLike(v string) bool {
	run, sep := 0, 0
	for _, r := range v {
		switch {
		case unicode.IsDigit(r):
			run++
			sep = 0
			if run >= phoneDigits {
				return true
			}
		case run > 0 && sep < phoneSeps && phoneSep(r):
			sep++
		default:
			run, sep = 0, 0
		}
	}
	return false
}

// asciiDigit returns the ASCII digit of r, a decimal digit of any script
// (unicode.IsDigit): ASCII, full-width from a Chinese input method
// ("１３８…"), Arabic-Indic, Devanagari, …
func asciiDigit(r rune) (byte, bool) {
	switch {
	case r >= '0' && r <= '9':
		return byte(r), true
	case r < 0x80 || !unicode.IsDigit(r):
		return 0, false
	}
	// Unicode encodes decimal digits (Nd) in runs of ten, zero to nine,
	// some runs back to back (the mathematical digits): a digit's value is
	// its distance from the start of its run, modulo ten.
	start := r
	for unicode.IsDigit(start - 1) {
		start--
	}
	return byte('0' + (r-start)%10), true
}

func (s *scrubber) init(n dialgate.Number, redacted []string) {
	s.redacted = redacted
	s.national = nil
	if !n.IsValid() {
		return
	}
	d := n.AppendTo(s.nat[:0])
	cc := 1 // the "+"
	for c := n.CountryCode(); c > 0; c /= 10 {
		cc++
	}
	if len(d)-cc < 6 { // too short to recognise without redacting every number
		return
	}
	s.national = d[cc:]
}

// clean returns s, or redactedMark if s contains the callee's national digits
// (in the decimal digits of any script: ASCII, full-width, Arabic-Indic, …;
// ignoring every non-digit between them), and notes the path.
func (s *scrubber) clean(p fieldPath, v string) string {
	if s.anyNumber {
		if !phoneLike(v) {
			return v
		}
		why := s.anyWhy
		if why == "" {
			why = "the outcome came without its dial"
		}
		s.redacted = append(s.redacted, p.String()+": may contain a phone number ("+why+")")
		return redactedMark
	}
	if s.national == nil || len(v) < len(s.national) || !s.holdsNational(v) {
		return v
	}
	s.redacted = append(s.redacted, p.String()+": contained the callee number")
	return redactedMark
}

// holdsNational reports whether the decimal digits of v (of any script, see
// asciiDigit), every non-digit between them ignored, contain the callee's
// national digits. A string of ASCII alone (most of a record: ids, names,
// instants, counts) is read eight bytes at a time and holds the number only
// if it has as many digits (most have none or a few); one with any other
// byte is read rune by rune (holdsNationalRunes).
func (s *scrubber) holdsNational(v string) bool {
	const (
		ones = 0x0101010101010101
		high = 0x80 * ones
	)
	digits, i := 0, 0
	for ; i+8 <= len(v); i += 8 {
		x := uint64(v[i]) | uint64(v[i+1])<<8 | uint64(v[i+2])<<16 | uint64(v[i+3])<<24 |
			uint64(v[i+4])<<32 | uint64(v[i+5])<<40 | uint64(v[i+6])<<48 | uint64(v[i+7])<<56
		if x&high != 0 {
			return s.holdsNationalRunes(v)
		}
		// Per byte b < 0x80 (no carry between bytes): b+0x50 has its high
		// bit set when b >= '0', b+0x46 when b > '9'.
		digits += bits.OnesCount64((x + 0x50*ones) &^ (x + 0x46*ones) & high)
	}
	for ; i < len(v); i++ {
		c := v[i]
		if c >= utf8.RuneSelf {
			return s.holdsNationalRunes(v)
		}
		if c-'0' <= 9 {
			digits++
		}
	}
	if digits < len(s.national) {
		return false
	}
	var buf [64]byte
	d := buf[:0]
	for i := 0; i < len(v); i++ {
		if c := v[i]; c-'0' <= 9 {
			d = append(d, c)
		}
	}
	return bytes.Contains(d, s.national)
}

// holdsNationalRunes is holdsNational for a string of any runes.
func (s *scrubber) holdsNationalRunes(v string) bool {
	var buf [64]byte
	d := buf[:0]
	for _, r := range v {
		if c, ok := asciiDigit(r); ok {
			d = append(d, c)
		}
	}
	return len(d) >= len(s.national) && bytes.Contains(d, s.national)
}

func (s *scrubber) evidence(reason int, ev []Evidence) []Evidence {
	if len(ev) == 0 {
		return nil
	}
	out := make([]Evidence, len(ev))
	for i, e := range ev {
		out[i] = Evidence{
			Key:   s.clean(fieldPath{"reasons", reason, ".evidence", i, ".key"}, e.Key),
			Value: s.clean(fieldPath{"reasons", reason, ".evidence", i, ".value"}, e.Value),
		}
	}
	return out
}

// Decision returns the record of d: the callee hashed, its segment, every
// string scrubbed of the callee's digits, evidence sorted into fields (see
// DecisionRecord).
func (r *Redactor) Decision(d dialgate.Decision) (*DecisionRecord, error) {
	rb := new(recBuf)
	if err := r.fill(rb, d); err != nil {
		return nil, err
	}
	return &rb.rec, nil
}

// recBuf holds a decision record and what it points to, for reuse.
type recBuf struct {
	rec     DecisionRecord
	callee  Callee
	consent Consent
	s       scrubber
	body    []byte

	from     dialgate.Number // the last caller ID seen, and its text
	fromText string
}

// fill sets rb.rec to the record of d, reusing rb's slices.
func (r *Redactor) fill(rb *recBuf, d dialgate.Decision) error {
	if d.ID == "" {
		return fmt.Errorf("auditlog: decision: id: missing: %w", ErrInvalidRecord)
	}
	if err := checkTime("decision.at", d.At); err != nil {
		return err
	}
	dl := d.Dial
	// What ParseLine refuses is never written: a line the log's own
	// reader refuses makes the log unopenable (not torn, so no repair
	// mends it) and every later record unverifiable.
	if d.Allowed && !dl.To.IsValid() {
		return fmt.Errorf("auditlog: decision: dial.to: missing or invalid in an allowed decision: %w", ErrInvalidRecord)
	}
	for i := range d.Reasons {
		if d.Reasons[i].Code == "" {
			return fmt.Errorf("auditlog: decision: reasons[%d].code: missing: %w", i, ErrInvalidRecord)
		}
	}
	s := &rb.s
	s.init(dl.To, rb.rec.Redacted[:0])
	rec := &rb.rec
	*rec = DecisionRecord{
		ID:             s.clean(field("id"), d.ID),
		At:             d.At.UTC(),
		Tenant:         s.clean(field("tenant"), dl.Tenant),
		Campaign:       s.clean(field("campaign"), dl.Campaign),
		Purpose:        s.clean(field("purpose"), string(dl.Purpose)),
		Industry:       s.clean(field("industry"), dl.Industry),
		BusinessLine:   s.clean(field("business_line"), dl.BusinessLine),
		LeadID:         s.clean(field("lead_id"), dl.LeadID),
		Route:          string(dl.Route),
		CalleeZone:     s.clean(field("callee_zone"), dl.CalleeZone),
		AgentReserved:  dl.AgentReserved,
		PolicyVersion:  s.clean(field("policy_version"), d.PolicyVersion),
		Allowed:        d.Allowed,
		Shadow:         d.Shadow,
		Window:         WindowNotChecked,
		CallerIDLedger: rec.CallerIDLedger[:0],
		Lists:          rec.Lists[:0],
		Counters:       rec.Counters[:0],
		Evidence:       rec.Evidence[:0],
		Reasons:        rec.Reasons[:0],
	}
	if rec.Route != "" && !dl.Route.IsValid() {
		rec.Route = s.clean(field("route"), rec.Route)
	}
	if !dl.TriggerAt.IsZero() {
		if err := checkTime("dial.trigger_at", dl.TriggerAt); err != nil {
			return err
		}
		rec.TriggerAt = dl.TriggerAt.UTC()
	}
	rec.Profile = r.profile
	if rec.Profile == "" {
		if i := strings.IndexByte(rec.PolicyVersion, '@'); i > 0 {
			rec.Profile = rec.PolicyVersion[:i]
		}
	}
	if dl.To.IsValid() {
		rb.callee = Callee{HMAC: r.hmac(dl.To), KeyID: r.keyID, CountryCode: dl.To.CountryCode(), Segment: Segment(dl.To)}
		rec.Callee = &rb.callee
		s.redacted = append(s.redacted, redactedCallee)
	}
	if dl.From.IsValid() {
		// A dialer uses a few caller IDs: keep the last one's text.
		if dl.From != rb.from || rb.fromText == "" {
			rb.from, rb.fromText = dl.From, dl.From.String()
		}
		rec.CallerID = s.clean(field("caller_id"), rb.fromText)
	}
	if dl.Subject != "" {
		s.redacted = append(s.redacted, redactedSubject)
	}
	var consent Consent
	consent.ID = s.clean(field("consent.id"), dl.ConsentID)
	for i, e := range d.Evidence {
		e = Evidence{
			Key:   s.clean(fieldPath{"evidence", i, ".key", -1, ""}, e.Key),
			Value: s.clean(fieldPath{"evidence", i, ".value", -1, ""}, e.Value),
		}
		switch {
		case e.Key == "consent.id":
			if consent.ID == "" {
				consent.ID = e.Value
			} else if consent.ID != e.Value {
				rec.Evidence = append(rec.Evidence, e)
			}
		case e.Key == "consent.disclosure_sha256" || e.Key == "consent.sha256" || e.Key == "consent.evidence_sha256":
			consent.EvidenceSHA256 = e.Value
		case e.Key == "schedule.zone":
			rec.Zone = joinZone(rec.Zone, e.Value)
		case strings.HasPrefix(e.Key, "dnc."):
			rec.Lists = append(rec.Lists, e)
		case strings.HasPrefix(e.Key, "frequency."), strings.HasPrefix(e.Key, "sweep."):
			rec.Counters = append(rec.Counters, e)
		case strings.HasPrefix(e.Key, "callerid."):
			rec.CallerIDLedger = append(rec.CallerIDLedger, e)
		default:
			rec.Evidence = append(rec.Evidence, e)
		}
		if strings.HasPrefix(e.Key, "schedule.") {
			rec.Window = WindowInside
		}
	}
	if consent != (Consent{}) {
		rb.consent = consent
		rec.Consent = &rb.consent
	}
	for i, rs := range d.Reasons {
		rr := ReasonRecord{
			Code:     s.clean(fieldPath{"reasons", i, ".code", -1, ""}, string(rs.Code)),
			Check:    s.clean(fieldPath{"reasons", i, ".check", -1, ""}, rs.Check),
			Message:  s.clean(fieldPath{"reasons", i, ".message", -1, ""}, rs.Message),
			Evidence: s.evidence(i, rs.Evidence),
		}
		if !rs.NextAllowedAt.IsZero() {
			if !timeOK(rs.NextAllowedAt) { // the path is formatted only for the error
				return checkTime(fieldPath{"reasons", i, ".next_allowed_at", -1, ""}.String(), rs.NextAllowedAt)
			}
			rr.NextAllowedAt = rs.NextAllowedAt.UTC()
		}
		rec.Reasons = append(rec.Reasons, rr)
		if rs.Check == "schedule" || dialgate.Code(rs.Code).Check() == "schedule" {
			if rs.Code.IsUnavailable() {
				rec.Window = WindowUnavailable
			} else if rec.Window != WindowUnavailable {
				rec.Window = WindowOutside
			}
		}
	}
	if rec.Zone == "" {
		for _, rr := range rec.Reasons {
			for _, e := range rr.Evidence {
				if e.Key == "schedule.zone" {
					rec.Zone = joinZone(rec.Zone, e.Value)
				}
			}
		}
	}
	rec.Redacted = s.redacted
	if rec.Redacted == nil {
		rec.Redacted = []string{}
	}
	return nil
}

// Outcome returns the record of o. The callee is not recorded (the decision
// record holds its hash); any field containing its digits is redacted.
func (r *Redactor) Outcome(o dialgate.Outcome) (*OutcomeRecord, error) {
	if o.DecisionID == "" {
		return nil, fmt.Errorf("auditlog: outcome: decision_id: missing: %w", ErrInvalidRecord)
	}
	if err := checkTime("outcome.at", o.At); err != nil {
		return nil, err
	}
	if o.RingDuration < 0 {
		return nil, fmt.Errorf("auditlog: outcome: ring_duration: negative (%v): %w", o.RingDuration, ErrInvalidRecord)
	}
	if o.AbandonMessage && !o.Abandoned {
		return nil, fmt.Errorf("auditlog: outcome: abandon_message: set on a call not reported abandoned: %w", ErrInvalidRecord)
	}
	var s scrubber
	s.init(o.Dial.To, nil)
	rec := &OutcomeRecord{
		DecisionID:     s.clean(field("decision_id"), o.DecisionID),
		At:             o.At.UTC(),
		Released:       o.Released,
		Answered:       o.Answered,
		Conversation:   o.Conversation,
		Abandoned:      o.Abandoned,
		AbandonMessage: o.AbandonMessage,
		Refused:        o.Refused,
		RingMillis:     o.RingDuration.Milliseconds(),
	}
	// Without the dial the callee's digits are unknown: the free text is
	// scrubbed of anything that may be a phone number instead (the
	// decision id, which the Gate made, is not free text).
	s.anyNumber = !o.Dial.To.IsValid()
	rec.Disposition = s.clean(field("disposition"), o.Disposition)
	rec.RecordingID = s.clean(field("recording_id"), o.RecordingID)
	rec.Redacted = s.redacted
	return rec, nil
}

// Change returns the record of c: the number replaced by its keyed hash and
// segment, and every string field that contains its national digits
// replaced (and noted in Redacted). An unknown result, an operation that is
// not a lower-case dotted name, or a missing or unwritable instant is an
// error wrapping ErrInvalidRecord.
func (r *Redactor) Change(c Change) (*ChangeRecord, error) {
	if !changeOp.MatchString(c.Op) {
		return nil, fmt.Errorf("auditlog: change: op: %q is not a lower-case dotted name: %w", c.Op, ErrInvalidRecord)
	}
	switch c.Result {
	case ResultApplied, ResultRequested, ResultFailed:
	default:
		return nil, fmt.Errorf("auditlog: change: result: unknown %q: %w", c.Result, ErrInvalidRecord)
	}
	if c.Unchanged && c.Result != ResultApplied {
		return nil, fmt.Errorf("auditlog: change: unchanged: set on a %s record (only an applied one can have changed nothing): %w", c.Result, ErrInvalidRecord)
	}
	if err := checkTime("change.at", c.At); err != nil {
		return nil, err
	}
	if !c.EffectiveAt.IsZero() {
		if err := checkTime("change.effective_at", c.EffectiveAt); err != nil {
			return nil, err
		}
	}
	if c.Count < 0 {
		return nil, fmt.Errorf("auditlog: change: count: %d is negative: %w", c.Count, ErrInvalidRecord)
	}
	if c.SHA256 != "" && !hmacHex.MatchString(c.SHA256) {
		return nil, fmt.Errorf("auditlog: change: sha256: want 64 lower-case hex digits: %w", ErrInvalidRecord)
	}
	// Every change names who made it: a writer that cannot say records
	// it explicitly (ActorUnauthenticated), never as nobody.
	if strings.TrimSpace(c.Actor) == "" {
		return nil, fmt.Errorf("auditlog: change: actor: missing (name who made the change; %q… when the client is not known): %w", ActorUnauthenticated, ErrInvalidRecord)
	}
	if cc := c.ActorCert; cc != nil {
		if !hmacHex.MatchString(cc.SHA256) {
			return nil, fmt.Errorf("auditlog: change: actor_cert.sha256: want 64 lower-case hex digits: %w", ErrInvalidRecord)
		}
		if !certSerial.MatchString(cc.Serial) {
			return nil, fmt.Errorf("auditlog: change: actor_cert.serial: want lower-case hex digits: %w", ErrInvalidRecord)
		}
	}
	if c.Replaced != nil || c.ReplacedUnreadable {
		if !c.Replace {
			return nil, fmt.Errorf("auditlog: change: replaced: set on a change without replace: %w", ErrInvalidRecord)
		}
		if c.Replaced != nil && c.ReplacedUnreadable {
			return nil, fmt.Errorf("auditlog: change: replaced_unreadable: set with replaced (an entry read is not unreadable): %w", ErrInvalidRecord)
		}
	}
	if e := c.Replaced; e != nil {
		if err := checkLedgerEntry("change.replaced", e); err != nil {
			return nil, err
		}
	}
	if len(c.ReplacedEntries) > 0 {
		if !c.Replace {
			return nil, fmt.Errorf("auditlog: change: replaced_entries: set on a change without replace: %w", ErrInvalidRecord)
		}
		seen := make(map[string]bool, len(c.ReplacedEntries))
		for i, rp := range c.ReplacedEntries {
			name := fmt.Sprintf("change.replaced_entries[%d]", i)
			switch {
			case rp.CallerID == "":
				return nil, fmt.Errorf("auditlog: %s.caller_id: missing: %w", name, ErrInvalidRecord)
			case seen[rp.CallerID]:
				return nil, fmt.Errorf("auditlog: %s.caller_id: %s named twice: %w", name, rp.CallerID, ErrInvalidRecord)
			case (rp.Replaced != nil) == rp.ReplacedUnreadable:
				return nil, fmt.Errorf("auditlog: %s: want exactly one of replaced and replaced_unreadable: %w", name, ErrInvalidRecord)
			}
			seen[rp.CallerID] = true
			if rp.Replaced != nil {
				if err := checkLedgerEntry(name+".replaced", rp.Replaced); err != nil {
					return nil, err
				}
			}
		}
	}
	var s scrubber
	s.init(c.Number, nil)
	// Without the number (a hold by recording id) its digits are unknown:
	// every string holding something that may be a phone number is
	// replaced, as in an outcome without its dial.
	s.anyNumber, s.anyWhy = !c.Number.IsValid(), "the change named no number"
	rec := &ChangeRecord{
		// Op, Result, At, ChangeID and ErrorCode are the server's, not
		// free text (CallerID neither, below).
		Op:         c.Op,
		At:         c.At.UTC(),
		Result:     c.Result,
		Unchanged:  c.Unchanged,
		ChangeID:   c.ChangeID,
		Actor:      s.clean(field("actor"), c.Actor),
		Tenant:     s.clean(field("tenant"), c.Tenant),
		Scope:      s.clean(field("scope"), c.Scope),
		ID:         s.clean(field("id"), c.ID),
		HoldID:     s.clean(field("hold_id"), c.HoldID),
		DecisionID: s.clean(field("decision_id"), c.DecisionID),
		Source:     s.clean(field("source"), c.Source),
		ErrorCode:  c.ErrorCode,
		// A count and a digest are the writer's, not free text.
		Count:  c.Count,
		SHA256: c.SHA256,
	}
	if !c.EffectiveAt.IsZero() {
		rec.EffectiveAt = c.EffectiveAt.UTC()
	}
	// A ledger entry's number is a caller ID, kept in the clear as
	// decisions keep the caller ID presented (the writer renders it from
	// a parsed number: it is no free text).
	rec.CallerID = c.CallerID
	rec.Replace = c.Replace
	// The replaced entry's facts are the ledger's, as it stored them: the
	// tenant's own numbering resource (its holder, connection and
	// licence), validated when stored, not the request's free text, and
	// naming no callee — kept whole, or the history they are recorded
	// for would lose the licence numbers the anyNumber rule would take.
	rec.Replaced = ledgerEntryRecord(c.Replaced)
	rec.ReplacedUnreadable = c.ReplacedUnreadable
	// So are the entries a bulk change replaced, each named by its caller
	// ID (in the clear, as CallerID).
	if len(c.ReplacedEntries) > 0 {
		rec.ReplacedEntries = make([]LedgerReplacement, len(c.ReplacedEntries))
		for i, rp := range c.ReplacedEntries {
			rec.ReplacedEntries[i] = LedgerReplacement{CallerID: rp.CallerID, Replaced: ledgerEntryRecord(rp.Replaced), ReplacedUnreadable: rp.ReplacedUnreadable}
		}
	}
	if cc := c.ActorCert; cc != nil {
		// The fingerprint and serial are digests of the certificate,
		// not free text; its names are scrubbed like the actor.
		rec.ActorCert = &ClientCert{
			Subject: s.clean(field("actor_cert.subject"), cc.Subject),
			Issuer:  s.clean(field("actor_cert.issuer"), cc.Issuer),
			Serial:  cc.Serial,
			SHA256:  cc.SHA256,
			URI:     s.clean(field("actor_cert.uri"), cc.URI),
		}
	}
	if c.Number.IsValid() {
		rec.Callee = &Callee{HMAC: r.hmac(c.Number), KeyID: r.keyID, CountryCode: c.Number.CountryCode(), Segment: Segment(c.Number)}
		s.redacted = append(s.redacted, redactedChangeCallee)
	}
	rec.Redacted = s.redacted
	return rec, nil
}

// checkLedgerEntry rejects a replaced ledger entry (named name) that a
// ledger could not have stored: without type, holder or purposes, or with
// an instant that cannot be written.
func checkLedgerEntry(name string, e *LedgerEntry) error {
	if e.Type == "" || e.Holder == "" || len(e.Purposes) == 0 {
		return fmt.Errorf("auditlog: change: %s: type, holder and purposes are required: %w", strings.TrimPrefix(name, "change."), ErrInvalidRecord)
	}
	for _, f := range []struct {
		name string
		t    time.Time
	}{{name + ".valid_from", e.ValidFrom}, {name + ".valid_until", e.ValidUntil}} {
		if !f.t.IsZero() {
			if err := checkTime(f.name, f.t); err != nil {
				return err
			}
		}
	}
	return nil
}

// ledgerEntryRecord returns a copy of e with its instants in UTC; nil for
// nil.
func ledgerEntryRecord(e *LedgerEntry) *LedgerEntry {
	if e == nil {
		return nil
	}
	re := *e
	re.Purposes = slices.Clone(e.Purposes)
	if !re.ValidFrom.IsZero() {
		re.ValidFrom = re.ValidFrom.UTC()
	}
	if !re.ValidUntil.IsZero() {
		re.ValidUntil = re.ValidUntil.UTC()
	}
	return &re
}

// joinZone adds zone z to the comma-separated list zs (a number whose area
// spans several zones is checked in each).
func joinZone(zs, z string) string {
	if zs == "" {
		return z
	}
	for _, have := range strings.Split(zs, ",") {
		if have == z {
			return zs
		}
	}
	return zs + "," + z
}

// timeOK reports whether checkTime accepts t.
func timeOK(t time.Time) bool {
	if t.IsZero() {
		return false
	}
	y := t.UTC().Year()
	return y >= 0 && y <= 9999
}

// checkTime rejects times that cannot be written in RFC 3339.
func checkTime(field string, t time.Time) error {
	if t.IsZero() {
		return fmt.Errorf("auditlog: %s: missing: %w", field, ErrInvalidRecord)
	}
	if y := t.UTC().Year(); y < 0 || y > 9999 {
		return fmt.Errorf("auditlog: %s: year %d outside 0–9999: %w", field, y, ErrInvalidRecord)
	}
	return nil
}

// Errors.
var (
	// ErrInvalidOptions is wrapped by errors about bad Options.
	ErrInvalidOptions = errors.New("auditlog: invalid options")
	// ErrInvalidRecord is wrapped by errors about a decision or outcome that
	// cannot be recorded (missing id or instant, or a record longer than
	// MaxLineBytes).
	ErrInvalidRecord = errors.New("auditlog: invalid record")
)

func appendHash(b []byte, h tlog.Hash) []byte {
	return base64.StdEncoding.AppendEncode(b, h[:])
}
