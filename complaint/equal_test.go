package complaint

import (
	"reflect"
	"testing"
	"time"
)

// Equal compares every field: a change to any one makes another complaint;
// an instant in another zone, or no held recordings as an empty list, does
// not.
func TestComplaintEqual(t *testing.T) {
	at := time.Date(2026, 11, 2, 10, 0, 0, 0, time.UTC)
	c := Complaint{ID: "cp-1", Tenant: "acme", Callee: "h", Segment: "1390013", Scope: "global", Channel: ChannelPhone,
		DecisionID: "d-1", Details: "x", ReceivedAt: at, ForwardBy: at.Add(time.Hour), HandleBy: at.Add(2 * time.Hour),
		AnswerBy: at.Add(3 * time.Hour), ForwardedAt: at.Add(4 * time.Hour), HandledAt: at.Add(5 * time.Hour),
		AnsweredAt: at.Add(6 * time.Hour), Resolution: "done", Status: StatusAnswered, HeldRecordings: []string{"r-1"}, DNCListed: true}
	if !c.Equal(c) {
		t.Fatal("a complaint is not Equal to itself")
	}
	o := c
	o.ReceivedAt = c.ReceivedAt.In(time.FixedZone("CST", 8*3600))
	if !c.Equal(o) {
		t.Error("the same instant in another zone is not Equal")
	}
	none, empty := c, c
	none.HeldRecordings, empty.HeldRecordings = nil, []string{}
	if !none.Equal(empty) {
		t.Error("no held recordings and an empty list are not Equal")
	}
	v := reflect.ValueOf(&c).Elem()
	for i := range v.NumField() {
		o := c
		f := reflect.ValueOf(&o).Elem().Field(i)
		switch x := f.Interface().(type) {
		case string:
			f.SetString(x + "+")
		case Channel:
			f.SetString(string(ChannelWeb))
		case Status:
			f.SetString(string(StatusHandled))
		case time.Time:
			f.Set(reflect.ValueOf(x.Add(time.Nanosecond)))
		case []string:
			f.Set(reflect.ValueOf(append([]string{"r-0"}, x...)))
		case bool:
			f.SetBool(!x)
		default:
			t.Fatalf("field %s: type %T not covered", v.Type().Field(i).Name, x)
		}
		if c.Equal(o) {
			t.Errorf("a complaint with another %s is Equal", v.Type().Field(i).Name)
		}
	}
}
