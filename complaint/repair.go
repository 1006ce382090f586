package complaint

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"slices"
	"strings"
)

// DecodeRepair decodes the whole complaint that replaces the damaged
// complaint id (Repairer.RepairComplaint) from data: one JSON object, as
// `dialgate complaint add --json` prints a Complaint, with no unknown key
// and nothing after it, whose id is id, passing ValidateRepair. Its keys
// are Complaint's as written ("callee", not "Callee"), each once:
// encoding/json alone would match a key in any case and take the last of
// two, so that the file an auditor reads (the change record names its
// SHA-256) could say one callee and the repair store another. It is the
// input of both the local `complaint repair` and AdminService's
// RepairComplaint. Every error wraps ErrInvalid, and its message after
// ErrInvalid's names the problem's field ("id: …", "answer_by: …"), or
// starts "not a complaint:" when data is no such object.
func DecodeRepair(data []byte, id string) (Complaint, error) {
	var c Complaint
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil {
		return Complaint{}, fmt.Errorf("%w: not a complaint: %w", ErrInvalid, err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return Complaint{}, fmt.Errorf("%w: not a complaint: more after its object", ErrInvalid)
	}
	if err := exactKeys(data); err != nil {
		return Complaint{}, err
	}
	if c.ID != id {
		return Complaint{}, fmt.Errorf("%w: id: %q, but the complaint to repair is %q", ErrInvalid, c.ID, id)
	}
	if err := c.ValidateRepair(); err != nil {
		return Complaint{}, err
	}
	return c, nil
}

// complaintKeys are the JSON keys of Complaint, as it writes them.
var complaintKeys = func() map[string]bool {
	keys := map[string]bool{}
	t := reflect.TypeFor[Complaint]()
	for i := range t.NumField() {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
		if name != "" && name != "-" {
			keys[name] = true
		}
	}
	return keys
}()

// exactKeys checks the keys of data, one JSON object that decodes into a
// Complaint: each is one of complaintKeys, in its case, and given once.
func exactKeys(data []byte) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return nil // null: nothing to check
	}
	seen := map[string]bool{}
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return fmt.Errorf("%w: not a complaint: %w", ErrInvalid, err)
		}
		key, _ := t.(string)
		switch {
		case !complaintKeys[key]:
			return fmt.Errorf("%w: not a complaint: unknown key %q (keys as complaint add --json prints them, in lower case)", ErrInvalid, key)
		case seen[key]:
			return fmt.Errorf("%w: %s: given twice", ErrInvalid, key)
		}
		seen[key] = true
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			return fmt.Errorf("%w: not a complaint: %w", ErrInvalid, err)
		}
	}
	return nil
}

// Equal reports whether c and o are the same complaint, field for field:
// instants as the same instants (whatever their zone), held recordings in
// the same order (none and an empty list alike). A store answers a repair
// giving exactly the complaint it already repaired the damaged one into
// (Repairer) as a retry of that repair.
func (c Complaint) Equal(o Complaint) bool {
	return c.ID == o.ID && c.Tenant == o.Tenant && c.Callee == o.Callee && c.Segment == o.Segment &&
		c.Scope == o.Scope && c.Channel == o.Channel && c.DecisionID == o.DecisionID && c.Details == o.Details &&
		c.ReceivedAt.Equal(o.ReceivedAt) && c.ForwardBy.Equal(o.ForwardBy) && c.HandleBy.Equal(o.HandleBy) &&
		c.AnswerBy.Equal(o.AnswerBy) && c.ForwardedAt.Equal(o.ForwardedAt) && c.HandledAt.Equal(o.HandledAt) &&
		c.AnsweredAt.Equal(o.AnsweredAt) && c.Resolution == o.Resolution && c.Status == o.Status &&
		slices.Equal(c.HeldRecordings, o.HeldRecordings) && c.DNCListed == o.DNCListed
}
