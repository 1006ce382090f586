package audittest_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/audittest"
)

type untilCheck struct{ until time.Time }

func (untilCheck) Name() string { return "schedule" }
func (u untilCheck) Check(ctx context.Context, d dialgate.Dial) ([]dialgate.Reason, error) {
	return nil, nil
}
func (u untilCheck) AttestUntil(ctx context.Context, d dialgate.Dial) ([]dialgate.Reason, []dialgate.Evidence, time.Time, error) {
	return nil, []dialgate.Evidence{{Key: "schedule.zone", Value: "Asia/Shanghai"}}, u.until, nil
}
func (u untilCheck) Attest(ctx context.Context, d dialgate.Dial) ([]dialgate.Reason, []dialgate.Evidence, error) {
	rs, ev, _, err := u.AttestUntil(ctx, d)
	return rs, ev, err
}

// A FaultyChecker forwards AttestUntil, so wrapping an Expirer keeps the
// end of its pass (a healthy check's behaviour is unchanged).
func TestFaultyCheckerForwardsAttestUntil(t *testing.T) {
	var _ dialgate.Expirer = (*audittest.FaultyChecker)(nil)
	until := time.Date(2026, 12, 4, 21, 0, 0, 0, time.UTC)
	f := &audittest.Fault{}
	c := audittest.NewFaultyChecker("", untilCheck{until}, f)
	rs, ev, got, err := c.AttestUntil(context.Background(), dialgate.Dial{})
	if err != nil || len(rs) != 0 || len(ev) != 1 || !got.Equal(until) {
		t.Fatalf("%v %v %v %v", rs, ev, got, err)
	}
	f.Fail(errors.New("down"))
	if _, _, got, err := c.AttestUntil(context.Background(), dialgate.Dial{}); err == nil || !got.IsZero() {
		t.Fatalf("failing: %v %v", got, err)
	}
	f.Heal()
	// A wrapped check that is no Expirer has no end.
	c = audittest.NewFaultyChecker("dnc", nil, f)
	if _, _, got, err := c.AttestUntil(context.Background(), dialgate.Dial{}); err != nil || !got.IsZero() {
		t.Fatalf("plain: %v %v", got, err)
	}
}
