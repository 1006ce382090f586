package complaint_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/dialgate/dialgate/complaint"
)

// TestValidateRepairDateOrder: a repair replaces a complaint whole, and
// nothing checks it against the damaged record, so it must hold the
// order of dates every complaint Desk.File and its steps write has. A step
// dated before the one it follows is refused (Desk.Forward, Resolve:
// "its deadlines met by a typo in a date"): a repair naming the complaint
// handled before it was received, or forwarded before, was accepted and
// showed the deadlines met. A deadline at or before the one it follows (or
// the receipt) is never written by Desk.File either (each counts at least
// one working day from the one before). Each is refused naming the field.
func TestValidateRepairDateOrder(t *testing.T) {
	whole, _ := repairInput(t)
	at := whole.ReceivedAt
	handled := whole
	handled.Status, handled.ForwardedAt, handled.HandledAt, handled.Resolution = complaint.StatusHandled, at.Add(time.Hour), at.Add(2*time.Hour), "listed"
	for _, tc := range []struct {
		name  string
		base  complaint.Complaint
		edit  func(*complaint.Complaint)
		field string // "": accepted
	}{
		{"Handled", handled, func(*complaint.Complaint) {}, ""},
		{"StepsAtReceipt", handled, func(c *complaint.Complaint) { c.ForwardedAt, c.HandledAt = at, at }, ""},
		{"ForwardedBeforeReceived", handled, func(c *complaint.Complaint) { c.ForwardedAt = at.Add(-time.Hour) }, "forwarded_at"},
		{"HandledBeforeForwarded", handled, func(c *complaint.Complaint) { c.HandledAt = at.Add(30 * time.Minute) }, "handled_at"},
		{"ForwardByAtReceipt", whole, func(c *complaint.Complaint) { c.ForwardBy = at }, "forward_by"},
		{"HandleByBeforeForwardBy", whole, func(c *complaint.Complaint) { c.HandleBy = c.ForwardBy.Add(-time.Hour) }, "handle_by"},
		{"AnswerByAtHandleBy", whole, func(c *complaint.Complaint) { c.AnswerBy = c.HandleBy }, "answer_by"},
	} {
		c := tc.base
		tc.edit(&c)
		err := c.ValidateRepair()
		switch {
		case tc.field == "" && err != nil:
			t.Errorf("%s: %v; want accepted", tc.name, err)
		case tc.field != "" && (!errors.Is(err, complaint.ErrInvalid) || !strings.Contains(err.Error(), tc.field+":")):
			t.Errorf("%s: %v; want ErrInvalid naming %s", tc.name, err, tc.field)
		}
	}
}
