package complaint

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// DecodeRepair decodes the whole complaint that replaces the damaged
// complaint id (Repairer.RepairComplaint) from data: one JSON object, as
// `dialgate complaint add --json` prints a Complaint, with no unknown key
// and nothing after it, whose id is id, passing ValidateRepair. It is the
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
	if c.ID != id {
		return Complaint{}, fmt.Errorf("%w: id: %q, but the complaint to repair is %q", ErrInvalid, c.ID, id)
	}
	if err := c.ValidateRepair(); err != nil {
		return Complaint{}, err
	}
	return c, nil
}
