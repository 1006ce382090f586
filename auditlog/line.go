package auditlog

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"

	"golang.org/x/mod/sumdb/tlog"
)

// MaxLineBytes is the longest line ParseLine and Verify accept.
const MaxLineBytes = 1 << 20

// ErrMalformed is wrapped by every error ParseLine returns.
var ErrMalformed = errors.New("auditlog: malformed line")

var hmacHex = regexp.MustCompile(`^[0-9a-f]{64}$`)

// certSerial is the form of ClientCert.Serial: big.Int.Text(16) of a
// serial of at most 32 bytes (RFC 5280 allows 20; some CAs exceed it).
var certSerial = regexp.MustCompile(`^-?[0-9a-f]{1,64}$`)

// changeOp is the form of ChangeRecord.Op: lower-case dotted words.
var changeOp = regexp.MustCompile(`^[a-z][a-z_]*(\.[a-z][a-z_]*)+$`)

// ParseLine parses one line of a log (without its newline) strictly: it must
// be a single JSON object with no unknown fields, schema "dialgate.audit.v1",
// a known kind, the fields that kind requires and no others, each key
// written as the log writes it (its field's lower-case name, unescaped, once
// per object: see checkKeys). The error wraps ErrMalformed and names the
// field and the problem. ParseLine never panics.
func ParseLine(line []byte) (*Line, error) {
	if len(line) > MaxLineBytes {
		return nil, fmt.Errorf("%w: longer than %d bytes", ErrMalformed, MaxLineBytes)
	}
	if len(line) == 0 || line[0] != '{' {
		return nil, fmt.Errorf("%w: not a JSON object", ErrMalformed)
	}
	dec := json.NewDecoder(bytes.NewReader(line))
	dec.DisallowUnknownFields()
	var l Line
	if err := dec.Decode(&l); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("%w: data after the JSON object", ErrMalformed)
	}
	if err := checkKeys(line); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	if err := l.validate(); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	return &l, nil
}

// checkKeys checks the keys of the JSON text b (valid JSON: the decoder
// read it) as the log writes them: each the lower-case name of its field
// (letters a to z, digits and '_', unescaped), once per object. The
// decoder takes a key in another case ("ALLOWED", or "\u017fhadow" for
// "shadow") for the field's and keeps the last of a key given twice,
// where other readers keep the first or compare keys as written: such a
// line would be one record with two meanings.
func checkKeys(b []byte) error {
	var keysBuf [48][]byte
	var openBuf [16]int
	keys := keysBuf[:0] // the keys of the objects open, outermost first
	// open holds, for each object or array open, innermost last, where
	// its keys start in keys (-1 for an array).
	open := openBuf[:0]
	expectKey := false
	for i := 0; i < len(b); i++ {
		switch b[i] {
		case '{':
			open = append(open, len(keys))
			expectKey = true
		case '[':
			open = append(open, -1)
			expectKey = false
		case '}', ']':
			if n := len(open) - 1; n >= 0 {
				if open[n] >= 0 {
					keys = keys[:open[n]]
				}
				open = open[:n]
			}
			expectKey = false
		case ',':
			expectKey = len(open) > 0 && open[len(open)-1] >= 0
		case ':':
			expectKey = false
		case '"':
			j := i + 1
			for j < len(b) && b[j] != '"' {
				if b[j] == '\\' {
					j++
				}
				j++
			}
			if expectKey && len(open) > 0 && open[len(open)-1] >= 0 {
				key := b[i+1 : min(j, len(b))]
				if !fieldName(key) {
					return fmt.Errorf("key %q: not a field name as the log writes it (lower-case letters, digits and '_', unescaped)", key)
				}
				for _, k := range keys[open[len(open)-1]:] {
					if bytes.Equal(k, key) {
						return fmt.Errorf("key %q given twice in one object", key)
					}
				}
				keys = append(keys, key)
				expectKey = false
			}
			i = j
		}
	}
	return nil
}

// fieldName reports whether k is a field name as the log writes it.
func fieldName(k []byte) bool {
	if len(k) == 0 {
		return false
	}
	for _, c := range k {
		if (c < 'a' || c > 'z') && (c < '0' || c > '9') && c != '_' {
			return false
		}
	}
	return true
}

func (l *Line) validate() error {
	if l.Schema != Schema {
		return fmt.Errorf("schema: %q, want %q", l.Schema, Schema)
	}
	set := 0
	for _, b := range []bool{l.Decision != nil, l.Outcome != nil, l.Repair != nil, l.Change != nil, l.Note != ""} {
		if b {
			set++
		}
	}
	if set != 1 {
		return fmt.Errorf("kind %q: want exactly one of decision, outcome, repair, change, note; got %d", l.Kind, set)
	}
	if l.Kind == KindCheckpoint {
		if l.Seq != nil || l.Prev != "" {
			return errors.New("checkpoint: seq and prev not allowed")
		}
		if l.Note == "" {
			return errors.New("checkpoint: note: missing")
		}
		return nil
	}
	if l.Seq == nil {
		return errors.New("seq: missing")
	}
	if *l.Seq < 0 {
		return fmt.Errorf("seq: negative (%d)", *l.Seq)
	}
	if *l.Seq == 0 && l.Prev != "" {
		return errors.New("prev: not allowed in record 0")
	}
	if *l.Seq > 0 {
		if l.Prev == "" {
			return errors.New("prev: missing")
		}
		if _, err := tlog.ParseHash(l.Prev); err != nil {
			return fmt.Errorf("prev: %v", err)
		}
	}
	switch l.Kind {
	case KindDecision:
		if l.Decision == nil {
			return errors.New("decision: missing")
		}
		return l.Decision.validate()
	case KindOutcome:
		if l.Outcome == nil {
			return errors.New("outcome: missing")
		}
		if l.Outcome.DecisionID == "" {
			return errors.New("outcome.decision_id: missing")
		}
		if l.Outcome.At.IsZero() {
			return errors.New("outcome.at: missing")
		}
		if l.Outcome.AbandonMessage && !l.Outcome.Abandoned {
			return errors.New("outcome.abandon_message: set on a call not reported abandoned")
		}
		return nil
	case KindRepair:
		if l.Repair == nil {
			return errors.New("repair: missing")
		}
		if l.Repair.File == "" || l.Repair.CutSHA256 == "" || l.Repair.CutBytes <= 0 || l.Repair.Offset < 0 {
			return errors.New("repair: file, offset, cut_bytes and cut_sha256 are required")
		}
		return nil
	case KindChange:
		if l.Change == nil {
			return errors.New("change: missing")
		}
		return l.Change.validate()
	default:
		return fmt.Errorf("kind: unknown %q", l.Kind)
	}
}

func (r *ChangeRecord) validate() error {
	if !changeOp.MatchString(r.Op) {
		return fmt.Errorf("change.op: %q is not a lower-case dotted name such as %q", r.Op, OpDNCRemove)
	}
	if r.At.IsZero() {
		return errors.New("change.at: missing")
	}
	switch r.Result {
	case ResultApplied, ResultRequested, ResultFailed:
	default:
		return fmt.Errorf("change.result: unknown %q", r.Result)
	}
	if r.Unchanged && r.Result != ResultApplied {
		return fmt.Errorf("change.unchanged: set on a %s record", r.Result)
	}
	if r.Count < 0 {
		return errors.New("change.count: negative")
	}
	if r.SHA256 != "" && !hmacHex.MatchString(r.SHA256) {
		return errors.New("change.sha256: want 64 lower-case hex digits")
	}
	if c := r.ActorCert; c != nil && !hmacHex.MatchString(c.SHA256) {
		return errors.New("change.actor_cert.sha256: want 64 lower-case hex digits")
	}
	if r.Replaced != nil && r.ReplacedUnreadable {
		return errors.New("change.replaced_unreadable: set with replaced")
	}
	for i, rp := range r.ReplacedEntries {
		switch {
		case rp.CallerID == "":
			return fmt.Errorf("change.replaced_entries[%d].caller_id: missing", i)
		case rp.Replaced != nil && rp.ReplacedUnreadable:
			return fmt.Errorf("change.replaced_entries[%d].replaced_unreadable: set with replaced", i)
		case rp.Replaced == nil && !rp.ReplacedUnreadable:
			return fmt.Errorf("change.replaced_entries[%d]: neither replaced nor replaced_unreadable", i)
		}
	}
	if c := r.Callee; c != nil {
		if !hmacHex.MatchString(c.HMAC) {
			return errors.New("change.callee.hmac: want 64 lower-case hex digits")
		}
		if c.KeyID == "" {
			return errors.New("change.callee.key_id: missing")
		}
	}
	return nil
}

func (r *DecisionRecord) validate() error {
	if r.ID == "" {
		return errors.New("decision.id: missing")
	}
	if r.At.IsZero() {
		return errors.New("decision.at: missing")
	}
	switch r.Window {
	case WindowInside, WindowOutside, WindowUnavailable, WindowNotChecked:
	default:
		return fmt.Errorf("decision.window: unknown %q", r.Window)
	}
	if r.Redacted == nil {
		return errors.New("decision.redacted: missing")
	}
	if c := r.Callee; c != nil {
		if !hmacHex.MatchString(c.HMAC) {
			return errors.New("decision.callee.hmac: want 64 lower-case hex digits")
		}
		if c.KeyID == "" {
			return errors.New("decision.callee.key_id: missing")
		}
	} else if r.Allowed {
		return errors.New("decision.callee: missing in an allowed decision")
	}
	for i, rr := range r.Reasons {
		if rr.Code == "" {
			return fmt.Errorf("decision.reasons[%d].code: missing", i)
		}
	}
	return nil
}

// encodeLine re-encodes a parsed record line (for tests and Repair): the
// inverse of ParseLine for lines this package writes.
func encodeLine(l *Line) ([]byte, error) {
	if l.Kind == KindCheckpoint {
		return appendCheckpointLine(nil, []byte(l.Note)), nil
	}
	var body []byte
	switch l.Kind {
	case KindDecision:
		body = appendDecisionBody(nil, l.Decision)
	case KindOutcome:
		body = appendOutcomeBody(nil, l.Outcome)
	case KindRepair:
		body = appendRepairBody(nil, l.Repair)
	case KindChange:
		body = appendChangeBody(nil, l.Change)
	default:
		return nil, fmt.Errorf("kind: unknown %q", l.Kind)
	}
	var prev tlog.Hash
	if *l.Seq > 0 {
		var err error
		if prev, err = tlog.ParseHash(l.Prev); err != nil {
			return nil, err
		}
	}
	return appendRecordLine(nil, *l.Seq, prev, body), nil
}
