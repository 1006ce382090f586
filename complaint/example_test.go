package complaint_test

import (
	"context"
	"fmt"
	"log"
	"time"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/auditlog"
	"github.com/dialgate/dialgate/complaint"
	"github.com/dialgate/dialgate/dnc"
	"github.com/dialgate/dialgate/storage/memstore"
)

// File two complaints with the default CN deadlines (forward within 3
// working days, handle within 15 after that, answer within 3 after that),
// forward one, and list what is overdue a week later. Filing lists the
// number on the do-not-call list at once.
func ExampleDesk_File() {
	ctx := context.Background()
	shanghai := time.FixedZone("CST", 8*3600)
	friday := time.Date(2026, 12, 4, 10, 0, 0, 0, shanghai)

	store := memstore.New() // a deployment uses its durable store
	defer store.Close()
	lists, err := dnc.NewLists(ctx, store, dnc.ListsOptions{})
	if err != nil {
		log.Fatal(err)
	}
	defer lists.Close()
	dncCheck, err := dnc.New(dnc.Config{}, lists)
	if err != nil {
		log.Fatal(err)
	}
	// The complainant's number is stored only as its keyed hash.
	hasher, err := auditlog.NewCalleeHasher([]byte("example key, keep yours secret"))
	if err != nil {
		log.Fatal(err)
	}
	// No recording.Manager (nil): this deployment keeps no recordings. A nil
	// Calendar counts Monday to Friday; give the profile's holiday calendar
	// for statutory holidays and make-up working days.
	desk, err := complaint.NewDesk(complaint.Config{}, store, dncCheck, nil, hasher, nil, shanghai)
	if err != nil {
		log.Fatal(err)
	}

	caller := dialgate.MustParseNumber("+8613800138000")
	c, err := desk.File(ctx, friday, complaint.Filing{
		ID: "cp-1", Number: caller, Tenant: "acme", Channel: complaint.ChannelPhone,
	})
	if err != nil {
		log.Fatal(err)
	}
	// A deadline is the instant the allowed time ends: midnight after the
	// last working day allowed (here New Year's Day counts as a working day:
	// Weekdays knows no holidays).
	const day = "Mon 2006-01-02 15:04"
	fmt.Println(c.ID, c.Status, "listed:", c.DNCListed)
	fmt.Println("forward by", c.ForwardBy.Format(day))
	fmt.Println("handle by ", c.HandleBy.Format(day))
	fmt.Println("answer by ", c.AnswerBy.Format(day))

	// The next check of the number denies.
	reasons, err := dncCheck.Check(ctx, dialgate.Dial{To: caller, Purpose: dialgate.PurposeService})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("dial the complainant:", reasons[0].Code)

	if _, err := desk.File(ctx, friday.Add(time.Hour), complaint.Filing{
		ID: "cp-2", Number: dialgate.MustParseNumber("+8613800138001"), Tenant: "acme", Channel: complaint.ChannelWeb,
	}); err != nil {
		log.Fatal(err)
	}
	if err := desk.Forward(ctx, "cp-1", friday.AddDate(0, 0, 3)); err != nil { // Monday
		log.Fatal(err)
	}

	later := time.Date(2026, 12, 11, 9, 0, 0, 0, shanghai) // the next Friday
	overdue, err := desk.List(ctx, later, complaint.Filter{OverdueAt: later})
	if err != nil {
		log.Fatal(err)
	}
	for _, l := range overdue {
		fmt.Println("overdue:", l.ID, l.Status, l.Overdue)
	}
	// Output:
	// cp-1 open listed: true
	// forward by Thu 2026-12-10 00:00
	// handle by  Thu 2026-12-31 00:00
	// answer by  Tue 2027-01-05 00:00
	// dial the complainant: dnc.listed
	// overdue: cp-2 open [forward]
}
