package dialgate_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/dialgate/dialgate"
)

// lunchBreak is a custom check: no calls between 12:00 and 14:00 in Shanghai.
func lunchBreak() dialgate.Checker {
	shanghai := time.FixedZone("CST", 8*3600)
	return dialgate.CheckerFunc("lunch", func(_ context.Context, d dialgate.Dial) ([]dialgate.Reason, error) {
		local := d.At.In(shanghai)
		if h := local.Hour(); h >= 12 && h < 14 {
			next := time.Date(local.Year(), local.Month(), local.Day(), 14, 0, 0, 0, shanghai)
			return []dialgate.Reason{{Code: dialgate.CodeOutsideWindow, Message: "lunch break", NextAllowedAt: next}}, nil
		}
		return nil, nil
	})
}

func ExampleNew() {
	clock := dialgate.ClockFunc(func() time.Time { return time.Date(2026, 12, 4, 12, 30, 0, 0, time.FixedZone("CST", 8*3600)) })
	// This example places no call, so it records nothing; a Gate in front of
	// a dialer is given WithAuditLog (package auditlog), and New refuses one
	// given neither.
	gate, err := dialgate.New([]dialgate.Checker{lunchBreak()}, dialgate.WithoutAuditLog(), dialgate.WithClock(clock), dialgate.WithPolicyVersion("example"))
	if err != nil {
		panic(err)
	}
	fmt.Println(gate.CheckNames(), gate.PolicyVersion())
	// Output: [lunch] example
}

func ExampleGate_Check() {
	clock := dialgate.ClockFunc(func() time.Time { return time.Date(2026, 12, 4, 12, 30, 0, 0, time.FixedZone("CST", 8*3600)) })
	gate, _ := dialgate.New([]dialgate.Checker{lunchBreak()}, dialgate.WithoutAuditLog(), dialgate.WithClock(clock))

	dec, err := gate.Check(context.Background(), dialgate.Dial{
		To:      dialgate.MustParseNumber("+8613800138000"),
		From:    dialgate.MustParseNumber("+861058001234"),
		Purpose: dialgate.PurposeService,
		LeadID:  "crm-42",
	})
	if err != nil { // no trustworthy decision: do not dial
		fmt.Println("error:", err)
		return
	}
	fmt.Println("allowed:", dec.Allowed)
	for _, r := range dec.Reasons {
		fmt.Println(r.Code, r.Message, r.NextAllowedAt.Format(time.Kitchen))
	}

	_, err = gate.Check(context.Background(), dialgate.Dial{Purpose: dialgate.PurposeService})
	fmt.Println(errors.Is(err, dialgate.ErrInvalidDial), err)
	// Output:
	// allowed: false
	// schedule.outside_window lunch break 2:00PM
	// true to: missing callee number
}

func ExampleParseNumber() {
	for _, s := range []string{"+8613800138000", "8613800138000", "+86 138-0013-8000", "+86abc", "13800138000"} {
		n, err := dialgate.ParseNumber(s)
		if err != nil {
			fmt.Println("error:", err)
			continue
		}
		fmt.Println(n, n.CountryCode(), n.National())
	}
	// Output:
	// +8613800138000 86 13800138000
	// +8613800138000 86 13800138000
	// +8613800138000 86 13800138000
	// error: invalid number "+86abc": character 'a' at position 3 is not a digit
	// error: invalid number "13800138000": ambiguous: 11 digits starting with 1 may be a Chinese national mobile or a NANP number; write it with "+" and the country code
}
