package complaint_test

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/dialgate/dialgate/complaint"
)

// ValidateRepair refuses a complaint that is not whole: a field Validate
// requires, one Desk.File always sets, or a date or resolution its status
// implies; it names the field.
func TestValidateRepair(t *testing.T) {
	whole, _ := repairInput(t)
	at := whole.ReceivedAt
	answered := whole
	answered.Status, answered.ForwardedAt, answered.HandledAt, answered.AnsweredAt, answered.Resolution = complaint.StatusAnswered, at, at, at, "listed"
	for _, tc := range []struct {
		name  string
		edit  func(*complaint.Complaint)
		field string // "" : accepted
	}{
		{"Whole", func(*complaint.Complaint) {}, ""},
		{"HandledWhole", func(c *complaint.Complaint) {
			*c = answered
			c.Status, c.AnsweredAt = complaint.StatusHandled, time.Time{}
		}, ""},
		// Answering ends the complaint's recording holds: a step's work.
		{"AnsweredWhole", func(c *complaint.Complaint) { *c = answered }, "status"},
		{"NoCallee", func(c *complaint.Complaint) { c.Callee = "" }, "callee"},
		{"UnknownStatus", func(c *complaint.Complaint) { c.Status = "lost" }, "status"},
		{"NoScope", func(c *complaint.Complaint) { c.Scope = " " }, "scope"},
		{"NoForwardBy", func(c *complaint.Complaint) { c.ForwardBy = time.Time{} }, "forward_by"},
		{"NoHandleBy", func(c *complaint.Complaint) { c.HandleBy = time.Time{} }, "handle_by"},
		{"NoAnswerBy", func(c *complaint.Complaint) { c.AnswerBy = time.Time{} }, "answer_by"},
		{"NotListed", func(c *complaint.Complaint) { c.DNCListed = false }, "dnc_listed"},
		{"ForwardedWithoutDate", func(c *complaint.Complaint) { c.Status = complaint.StatusForwarded }, "forwarded_at"},
		{"AnsweredWithoutDate", func(c *complaint.Complaint) { *c = answered; c.AnsweredAt = time.Time{} }, "answered_at"},
		{"HandledWithoutResolution", func(c *complaint.Complaint) { *c = answered; c.Status, c.Resolution = complaint.StatusHandled, "" }, "resolution"},
	} {
		c := whole
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

// DecodeRepair takes one whole complaint object with the id asked for, and
// refuses anything else with ErrInvalid, naming the field.
func TestDecodeRepair(t *testing.T) {
	whole, raw := repairInput(t)
	if c, err := complaint.DecodeRepair(raw, "cp-1"); err != nil || !reflect.DeepEqual(c, whole) {
		t.Fatalf("DecodeRepair(whole) = %+v, %v; want %+v", c, err, whole)
	}
	s := string(raw)
	for _, tc := range []struct{ name, data, id, want string }{
		{"NotJSON", `{"id":`, "cp-1", "not a complaint:"},
		{"UnknownKey", strings.Replace(s, `"answer_by"`, `"answer_by_"`, 1), "cp-1", "not a complaint:"},
		{"MoreAfter", s + `{}`, "cp-1", "not a complaint: more after its object"},
		{"OtherID", s, "cp-2", "id:"},
		{"Partial", strings.Replace(s, `"dnc_listed":true`, `"dnc_listed":false`, 1), "cp-1", "dnc_listed:"},
		{"Answered", strings.Replace(s, `"status":"open"`, `"status":"answered","forwarded_at":"2026-12-01T10:00:00Z","handled_at":"2026-12-01T11:00:00Z","answered_at":"2026-12-01T12:00:00Z","resolution":"listed"`, 1), "cp-1", "status: answered:"},
		// encoding/json matches a key in any case, and takes the last of
		// two: a file whose "callee" reads one callee would be repaired
		// with another (and its SHA-256, in the change record, names
		// that file).
		{"KeyInAnotherCase", strings.Replace(s, `"callee":"h:a"`, `"Callee":"h:a"`, 1), "cp-1", "not a complaint: unknown key \"Callee\""},
		{"KeyTwice", strings.Replace(s, `"callee":"h:a"`, `"callee":"h:a","CALLEE":"h:b"`, 1), "cp-1", "not a complaint: unknown key \"CALLEE\""},
		{"SameKeyTwice", strings.Replace(s, `"callee":"h:a"`, `"callee":"h:a","callee":"h:b"`, 1), "cp-1", "callee: given twice"},
	} {
		_, err := complaint.DecodeRepair([]byte(tc.data), tc.id)
		if !errors.Is(err, complaint.ErrInvalid) || !strings.HasPrefix(strings.TrimPrefix(err.Error(), complaint.ErrInvalid.Error()+": "), tc.want) {
			t.Errorf("%s: %v; want ErrInvalid: %s…", tc.name, err, tc.want)
		}
	}
}

// FuzzDecodeRepair: DecodeRepair never panics; what it accepts has the id
// asked for, passes ValidateRepair, and decodes the same again from its
// own JSON (nothing in the input that the complaint does not hold).
func FuzzDecodeRepair(f *testing.F) {
	_, raw := repairInput(f)
	f.Add(raw, "cp-1")
	f.Add([]byte(strings.Replace(string(raw), `"callee"`, `"Callee"`, 1)), "cp-1")
	f.Add([]byte(`{"id":"cp-1","id":"cp-2"}`), "cp-1")
	f.Add([]byte(`null`), "")
	f.Add([]byte(`[]`), "cp-1")
	f.Add([]byte(`{"id":"cp-1"} {}`), "cp-1")
	f.Fuzz(func(t *testing.T, data []byte, id string) {
		c, err := complaint.DecodeRepair(data, id)
		if err != nil {
			if !errors.Is(err, complaint.ErrInvalid) {
				t.Fatalf("DecodeRepair: %v; want ErrInvalid", err)
			}
			return
		}
		if c.ID != id {
			t.Fatalf("DecodeRepair accepted id %q, asked for %q", c.ID, id)
		}
		if err := c.ValidateRepair(); err != nil {
			t.Fatalf("DecodeRepair accepted a complaint ValidateRepair refuses: %v", err)
		}
		again, err := json.Marshal(c)
		if err != nil {
			t.Fatal(err)
		}
		c2, err := complaint.DecodeRepair(again, id)
		if err != nil {
			t.Fatalf("DecodeRepair of its own result's JSON %s: %v", again, err)
		}
		if again2, err := json.Marshal(c2); err != nil || string(again2) != string(again) {
			t.Fatalf("DecodeRepair of its own result's JSON %s reads %s, %v", again, again2, err)
		}
	})
}

// repairInput returns a whole open complaint cp-1, as a repair takes it,
// and its JSON.
func repairInput(tb testing.TB) (complaint.Complaint, []byte) {
	tb.Helper()
	at := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	whole := complaint.Complaint{ID: "cp-1", Callee: "h:a", Scope: "global", Channel: complaint.ChannelPhone, ReceivedAt: at,
		ForwardBy: at.Add(72 * time.Hour), HandleBy: at.Add(480 * time.Hour), AnswerBy: at.Add(600 * time.Hour),
		Status: complaint.StatusOpen, DNCListed: true}
	raw, err := json.Marshal(whole)
	if err != nil {
		tb.Fatal(err)
	}
	return whole, raw
}
