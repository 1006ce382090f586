package complaint_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/dialgate/dialgate/complaint"
)

// TestValidateRepairStepsBeyondStatus: a repair gave a step's date (or the
// resolution) its status says was not done — an open complaint with a
// handled_at and an answered_at, a handled one with an answered_at — and
// was accepted. No step writes such a complaint, and Overdue counts a
// dated step as done: the complaint, still open (its holds kept, its
// steps still to make), was never flagged overdue for handling or
// answering, whatever its deadlines. Each is refused, naming the field.
func TestValidateRepairStepsBeyondStatus(t *testing.T) {
	whole, _ := repairInput(t)
	at := whole.ReceivedAt
	forwarded := whole
	forwarded.Status, forwarded.ForwardedAt = complaint.StatusForwarded, at.Add(time.Hour)
	handled := forwarded
	handled.Status, handled.HandledAt, handled.Resolution = complaint.StatusHandled, at.Add(2*time.Hour), "listed"
	for _, tc := range []struct {
		name  string
		base  complaint.Complaint
		edit  func(*complaint.Complaint)
		field string // "": accepted
	}{
		{"Open", whole, func(*complaint.Complaint) {}, ""},
		{"Forwarded", forwarded, func(*complaint.Complaint) {}, ""},
		{"Handled", handled, func(*complaint.Complaint) {}, ""},
		{"OpenForwardedAt", whole, func(c *complaint.Complaint) { c.ForwardedAt = at.Add(time.Hour) }, "forwarded_at"},
		{"OpenHandledAt", whole, func(c *complaint.Complaint) { c.HandledAt = at.Add(time.Hour) }, "handled_at"},
		{"OpenAnsweredAt", whole, func(c *complaint.Complaint) { c.AnsweredAt = at.Add(time.Hour) }, "answered_at"},
		{"OpenResolution", whole, func(c *complaint.Complaint) { c.Resolution = "listed" }, "resolution"},
		{"ForwardedHandledAt", forwarded, func(c *complaint.Complaint) { c.HandledAt = at.Add(2 * time.Hour) }, "handled_at"},
		{"ForwardedResolution", forwarded, func(c *complaint.Complaint) { c.Resolution = "listed" }, "resolution"},
		{"HandledAnsweredAt", handled, func(c *complaint.Complaint) { c.AnsweredAt = at.Add(3 * time.Hour) }, "answered_at"},
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
