package audittest_test

import (
	"context"
	"errors"
	"testing"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/audittest"
)

// fullCap is a Committer whose cap is full (Commit refuses) and a
// Recounter that counts a placed call whatever the cap says.
type fullCap struct{ recounted []string }

func (*fullCap) Name() string { return "frequency" }
func (*fullCap) Check(context.Context, dialgate.Dial) ([]dialgate.Reason, error) {
	return nil, nil
}
func (*fullCap) Commit(context.Context, dialgate.Dial, string) ([]dialgate.Reason, error) {
	return []dialgate.Reason{{Code: dialgate.CodeFrequencyCapped, Message: "full"}}, nil
}
func (*fullCap) Release(context.Context, string) error { return nil }
func (c *fullCap) Recount(_ context.Context, _ dialgate.Dial, id string) error {
	c.recounted = append(c.recounted, id)
	return nil
}

// A FaultyChecker forwards Recount, so wrapping a Recounter keeps a call
// placed after its release counted over a full cap (a healthy check's
// behaviour is unchanged); the Fault fails it as it fails Commit.
func TestFaultyCheckerForwardsRecount(t *testing.T) {
	inner := &fullCap{}
	var f audittest.Fault
	var c dialgate.Checker = audittest.NewFaultyChecker("", inner, &f)
	rc, ok := c.(dialgate.Recounter)
	if !ok {
		t.Fatal("FaultyChecker is not a dialgate.Recounter: a wrapped CapCheck's recount falls back to Commit, refused over a full cap")
	}
	if err := rc.Recount(context.Background(), dialgate.Dial{}, "d-1#placed"); err != nil || len(inner.recounted) != 1 {
		t.Fatalf("Recount: %v, inner saw %v", err, inner.recounted)
	}
	f.FailNext(1, nil)
	if err := rc.Recount(context.Background(), dialgate.Dial{}, "d-2#placed"); !errors.Is(err, audittest.ErrInjected) || len(inner.recounted) != 1 {
		t.Fatalf("Recount during a fault: %v, inner saw %v", err, inner.recounted)
	}
}
