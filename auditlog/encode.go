package auditlog

import (
	"strconv"
	"time"
	"unicode/utf8"

	"golang.org/x/mod/sumdb/tlog"
)

// The encoder below writes exactly the bytes encoding/json.Marshal writes for
// the same values (tested byte for byte in encode_test.go), without
// reflection: records are encoded on the Gate's hot path. The parser is
// encoding/json itself (ParseLine).

const hexDigits = "0123456789abcdef"

// jsonSafe[c] reports whether ASCII byte c is written as itself in a JSON
// string by encoding/json with HTML escaping on.
var jsonSafe = func() (t [utf8.RuneSelf]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\' && c != '<' && c != '>' && c != '&'
	}
	return t
}()

// appendString appends s as a JSON string, escaping like encoding/json with
// HTML escaping on (its default).
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf {
			if jsonSafe[c] {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '\\', '"':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

func appendKey(b []byte, comma bool, key string) []byte {
	if comma {
		b = append(b, ',')
	}
	b = append(b, '"')
	b = append(b, key...)
	return append(b, '"', ':')
}

func appendStringField(b []byte, comma bool, key, v string) []byte {
	return appendString(appendKey(b, comma, key), v)
}

func appendTime(b []byte, t time.Time) []byte {
	b = append(b, '"')
	b = t.AppendFormat(b, time.RFC3339Nano)
	return append(b, '"')
}

func appendBool(b []byte, v bool) []byte {
	if v {
		return append(b, "true"...)
	}
	return append(b, "false"...)
}

func appendEvidence(b []byte, ev []Evidence) []byte {
	b = append(b, '[')
	for i, e := range ev {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendStringField(append(b, '{'), false, "key", e.Key)
		b = appendStringField(b, true, "value", e.Value)
		b = append(b, '}')
	}
	return append(b, ']')
}

func appendStrings(b []byte, ss []string) []byte {
	if ss == nil {
		return append(b, "null"...)
	}
	b = append(b, '[')
	for i, s := range ss {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, s)
	}
	return append(b, ']')
}

// appendOptString appends ,"key":"v" unless v is empty (omitempty).
func appendOptString(b []byte, key, v string) []byte {
	if v == "" {
		return b
	}
	return appendStringField(b, true, key, v)
}

// appendCallee appends ,"callee":{…} unless c is nil.
func appendCallee(b []byte, c *Callee) []byte {
	if c == nil {
		return b
	}
	b = appendKey(b, true, "callee")
	b = appendStringField(append(b, '{'), false, "hmac", c.HMAC)
	b = appendStringField(b, true, "key_id", c.KeyID)
	b = strconv.AppendInt(appendKey(b, true, "country_code"), int64(c.CountryCode), 10)
	if c.Segment != "" {
		b = appendStringField(b, true, "segment", c.Segment)
	}
	return append(b, '}')
}

// appendDecisionBody appends {"kind":"decision","decision":{…}}.
func appendDecisionBody(b []byte, r *DecisionRecord) []byte {
	b = append(b, `{"kind":"decision","decision":{`...)
	b = appendStringField(b, false, "id", r.ID)
	b = appendTime(appendKey(b, true, "at"), r.At)
	b = appendStringField(b, true, "tenant", r.Tenant)
	b = appendOptString(b, "campaign", r.Campaign)
	b = appendOptString(b, "purpose", r.Purpose)
	b = appendOptString(b, "industry", r.Industry)
	b = appendOptString(b, "business_line", r.BusinessLine)
	b = appendOptString(b, "lead_id", r.LeadID)
	if !r.TriggerAt.IsZero() {
		b = appendTime(appendKey(b, true, "trigger_at"), r.TriggerAt)
	}
	b = appendOptString(b, "route", r.Route)
	b = appendOptString(b, "callee_zone", r.CalleeZone)
	if r.AgentReserved {
		b = appendBool(appendKey(b, true, "agent_reserved"), true)
	}
	b = appendCallee(b, r.Callee)
	b = appendOptString(b, "caller_id", r.CallerID)
	if len(r.CallerIDLedger) > 0 {
		b = appendEvidence(appendKey(b, true, "caller_id_ledger"), r.CallerIDLedger)
	}
	if c := r.Consent; c != nil {
		b = append(appendKey(b, true, "consent"), '{')
		comma := false
		if c.ID != "" {
			b = appendStringField(b, false, "id", c.ID)
			comma = true
		}
		if c.EvidenceSHA256 != "" {
			b = appendStringField(b, comma, "evidence_sha256", c.EvidenceSHA256)
		}
		b = append(b, '}')
	}
	b = appendOptString(b, "zone", r.Zone)
	b = appendStringField(b, true, "window", r.Window)
	if len(r.Lists) > 0 {
		b = appendEvidence(appendKey(b, true, "lists"), r.Lists)
	}
	if len(r.Counters) > 0 {
		b = appendEvidence(appendKey(b, true, "counters"), r.Counters)
	}
	if len(r.Evidence) > 0 {
		b = appendEvidence(appendKey(b, true, "evidence"), r.Evidence)
	}
	b = appendOptString(b, "profile", r.Profile)
	b = appendOptString(b, "policy_version", r.PolicyVersion)
	b = appendBool(appendKey(b, true, "allowed"), r.Allowed)
	if r.Shadow {
		b = appendBool(appendKey(b, true, "shadow"), true)
	}
	if len(r.Reasons) > 0 {
		b = append(appendKey(b, true, "reasons"), '[')
		for i := range r.Reasons {
			rr := &r.Reasons[i]
			if i > 0 {
				b = append(b, ',')
			}
			b = appendStringField(append(b, '{'), false, "code", rr.Code)
			b = appendStringField(b, true, "check", rr.Check)
			if rr.Message != "" {
				b = appendStringField(b, true, "message", rr.Message)
			}
			if !rr.NextAllowedAt.IsZero() {
				b = appendTime(appendKey(b, true, "next_allowed_at"), rr.NextAllowedAt)
			}
			if len(rr.Evidence) > 0 {
				b = appendEvidence(appendKey(b, true, "evidence"), rr.Evidence)
			}
			b = append(b, '}')
		}
		b = append(b, ']')
	}
	b = appendStrings(appendKey(b, true, "redacted"), r.Redacted)
	return append(b, '}', '}')
}

// appendOutcomeBody appends {"kind":"outcome","outcome":{…}}.
func appendOutcomeBody(b []byte, r *OutcomeRecord) []byte {
	b = append(b, `{"kind":"outcome","outcome":{`...)
	b = appendStringField(b, false, "decision_id", r.DecisionID)
	b = appendTime(appendKey(b, true, "at"), r.At)
	flag := func(b []byte, key string, v bool) []byte {
		if !v {
			return b
		}
		return appendBool(appendKey(b, true, key), true)
	}
	b = flag(b, "released", r.Released)
	b = flag(b, "answered", r.Answered)
	b = flag(b, "conversation", r.Conversation)
	b = flag(b, "abandoned", r.Abandoned)
	b = flag(b, "abandon_message", r.AbandonMessage)
	b = flag(b, "refused", r.Refused)
	if r.RingMillis != 0 {
		b = strconv.AppendInt(appendKey(b, true, "ring_ms"), r.RingMillis, 10)
	}
	if r.Disposition != "" {
		b = appendStringField(b, true, "disposition", r.Disposition)
	}
	if r.RecordingID != "" {
		b = appendStringField(b, true, "recording_id", r.RecordingID)
	}
	if len(r.Redacted) > 0 {
		b = appendStrings(appendKey(b, true, "redacted"), r.Redacted)
	}
	return append(b, '}', '}')
}

// appendRepairBody appends {"kind":"repair","repair":{…}}.
func appendRepairBody(b []byte, r *RepairRecord) []byte {
	b = append(b, `{"kind":"repair","repair":{`...)
	b = appendStringField(b, false, "file", r.File)
	b = strconv.AppendInt(appendKey(b, true, "offset"), r.Offset, 10)
	b = strconv.AppendInt(appendKey(b, true, "cut_bytes"), r.CutBytes, 10)
	b = appendStringField(b, true, "cut_sha256", r.CutSHA256)
	b = appendStringField(b, true, "saved_as", r.SavedAs)
	return append(b, '}', '}')
}

// appendChangeBody appends {"kind":"change","change":{…}}.
func appendChangeBody(b []byte, r *ChangeRecord) []byte {
	b = append(b, `{"kind":"change","change":{`...)
	b = appendStringField(b, false, "op", r.Op)
	b = appendTime(appendKey(b, true, "at"), r.At)
	b = appendStringField(b, true, "result", r.Result)
	if r.Unchanged {
		b = append(appendKey(b, true, "unchanged"), "true"...)
	}
	b = appendOptString(b, "change_id", r.ChangeID)
	b = appendOptString(b, "actor", r.Actor)
	if c := r.ActorCert; c != nil {
		b = appendStringField(append(appendKey(b, true, "actor_cert"), '{'), false, "subject", c.Subject)
		b = appendStringField(b, true, "issuer", c.Issuer)
		b = appendStringField(b, true, "serial", c.Serial)
		b = appendStringField(b, true, "sha256", c.SHA256)
		b = appendOptString(b, "uri", c.URI)
		b = append(b, '}')
	}
	b = appendOptString(b, "tenant", r.Tenant)
	b = appendOptString(b, "scope", r.Scope)
	b = appendCallee(b, r.Callee)
	b = appendOptString(b, "id", r.ID)
	b = appendOptString(b, "hold_id", r.HoldID)
	b = appendOptString(b, "decision_id", r.DecisionID)
	b = appendOptString(b, "source", r.Source)
	b = appendOptString(b, "caller_id", r.CallerID)
	if r.Replace {
		b = append(appendKey(b, true, "replace"), "true"...)
	}
	if e := r.Replaced; e != nil {
		b = appendLedgerEntry(appendKey(b, true, "replaced"), e)
	}
	if r.ReplacedUnreadable {
		b = append(appendKey(b, true, "replaced_unreadable"), "true"...)
	}
	if len(r.ReplacedEntries) > 0 {
		b = append(appendKey(b, true, "replaced_entries"), '[')
		for i, rp := range r.ReplacedEntries {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendStringField(append(b, '{'), false, "caller_id", rp.CallerID)
			if e := rp.Replaced; e != nil {
				b = appendLedgerEntry(appendKey(b, true, "replaced"), e)
			}
			if rp.ReplacedUnreadable {
				b = append(appendKey(b, true, "replaced_unreadable"), "true"...)
			}
			b = append(b, '}')
		}
		b = append(b, ']')
	}
	if !r.EffectiveAt.IsZero() {
		b = appendTime(appendKey(b, true, "effective_at"), r.EffectiveAt)
	}
	b = appendOptString(b, "error_code", r.ErrorCode)
	if r.Count != 0 {
		b = strconv.AppendInt(appendKey(b, true, "count"), r.Count, 10)
	}
	b = appendOptString(b, "sha256", r.SHA256)
	if len(r.Redacted) > 0 {
		b = appendStrings(appendKey(b, true, "redacted"), r.Redacted)
	}
	return append(b, '}', '}')
}

// appendLedgerEntry appends e as a JSON object.
func appendLedgerEntry(b []byte, e *LedgerEntry) []byte {
	b = appendStringField(append(b, '{'), false, "type", e.Type)
	b = appendStringField(b, true, "holder", e.Holder)
	b = appendOptString(b, "access", e.Access)
	b = appendOptString(b, "qualification", e.Qualification)
	b = appendStrings(appendKey(b, true, "purposes"), e.Purposes)
	if !e.ValidFrom.IsZero() {
		b = appendTime(appendKey(b, true, "valid_from"), e.ValidFrom)
	}
	if !e.ValidUntil.IsZero() {
		b = appendTime(appendKey(b, true, "valid_until"), e.ValidUntil)
	}
	if e.OfficeUseOnly {
		b = append(appendKey(b, true, "office_use_only"), "true"...)
	}
	return append(b, '}')
}

// maxRecordOverhead bounds what appendRecordLine adds to a body: the schema,
// the longest seq and prev fields, less the body's opening brace.
const maxRecordOverhead = len(`{"schema":"`+Schema+`","seq":`) + 19 + len(`,"prev":"`) + 44 + len(`",`) - 1

// appendRecordLine appends the line of record seq (without the newline): the
// schema, seq and prev fields followed by the fields of body, which must be a
// JSON object starting with `{"kind":`.
func appendRecordLine(b []byte, seq int64, prev tlog.Hash, body []byte) []byte {
	b = append(b, `{"schema":"`+Schema+`","seq":`...)
	b = strconv.AppendInt(b, seq, 10)
	if seq > 0 {
		b = append(b, `,"prev":"`...)
		b = appendHash(b, prev)
		b = append(b, '"')
	}
	b = append(b, ',')
	return append(b, body[1:]...)
}

// appendCheckpointLine appends a checkpoint line (without the newline).
func appendCheckpointLine(b []byte, signedNote []byte) []byte {
	b = append(b, `{"schema":"`+Schema+`","kind":"checkpoint","note":`...)
	b = appendString(b, string(signedNote))
	return append(b, '}')
}
