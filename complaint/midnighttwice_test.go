package complaint_test

import (
	"context"
	"testing"
	"time"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/complaint"
)

// Where the clocks go back over midnight (from 01:00 to 00:00), midnight
// comes twice, and time.Date may return the second. A deadline is the
// start of the day after the last working day allowed: the second
// midnight ended it an hour late, and the next deadline, counted from the
// date of the instant before it (00:59 of the new day, in the first
// occurrence of that hour), a whole working day late. Amman went back from
// 01:00 EEST to 00:00 EET on Friday 29 October 2021.
func TestDeadlinesWhereMidnightComesTwice(t *testing.T) {
	loc, err := time.LoadLocation("Asia/Amman")
	if err != nil {
		t.Skip(err)
	}
	// The first midnight of 29 October 2021 in Amman is 21:00 UTC on the
	// 28th, in EEST (+03:00); time.Date gives the second, 22:00 UTC.
	firstMidnight := time.Date(2021, 10, 28, 21, 0, 0, 0, time.UTC)
	if d := time.Date(2021, 10, 29, 0, 0, 0, 0, loc); d.Equal(firstMidnight) {
		t.Skip("this tzdata has no second midnight in Amman on 2021-10-29")
	}
	// Received on Monday 25 October: forward by the end of Thursday 28.
	received := time.Date(2021, 10, 25, 12, 0, 0, 0, loc)
	if got := complaint.AddWorkdays(received, 3, nil, loc); !got.Equal(firstMidnight) {
		t.Errorf("3 working days after %s: %s (%s UTC), want the first midnight %s UTC", received, got, got.UTC(), firstMidnight)
	}

	st, check := deskDeps(t)
	desk, err := complaint.NewDesk(complaint.Config{}, st, check, nil, hasher{}, nil, loc)
	if err != nil {
		t.Fatal(err)
	}
	c, err := desk.File(context.Background(), received, complaint.Filing{
		ID: "c-amman", Number: dialgate.MustParseNumber("+962791234567"), Channel: complaint.ChannelPhone,
	})
	if err != nil {
		t.Fatal(err)
	}
	// Handle within 15 working days after Thursday 28: Friday 29, then
	// 1–5, 8–12 and 15–18 November; the end of Thursday 18 November
	// (EET, +02:00).
	wantHandle := time.Date(2021, 11, 18, 22, 0, 0, 0, time.UTC)
	// Answer within 3 more: 19, 22, 23 November.
	wantAnswer := time.Date(2021, 11, 23, 22, 0, 0, 0, time.UTC)
	for _, d := range []struct {
		name      string
		got, want time.Time
	}{{"forward_by", c.ForwardBy, firstMidnight}, {"handle_by", c.HandleBy, wantHandle}, {"answer_by", c.AnswerBy, wantAnswer}} {
		if !d.got.Equal(d.want) {
			t.Errorf("%s: %s (%s UTC), want %s UTC", d.name, d.got, d.got.UTC(), d.want)
		}
	}
}
