package sidecar

import (
	"testing"
	"time"

	"github.com/dialgate/dialgate"
	pb "github.com/dialgate/dialgate/proto/dialgate/v1"
	"github.com/dialgate/dialgate/schedule"
)

// TestWireValidUntil: Check and CheckStream carry Decision.ValidUntil on an
// allow (the calling window's end in the callee's zone when it comes before
// the lifetime) and leave it unset on a deny.
func TestWireValidUntil(t *testing.T) {
	now := time.Date(2026, 12, 4, 20, 59, 30, 0, time.FixedZone("CST", 8*3600))
	cite := dialgate.Citation{Source: dialgate.SourceConvention, Ref: "test"}
	w, err := schedule.NewWindowCheck(schedule.Config{
		Windows:     []schedule.Window{{Days: []string{"mon-sun"}, Ranges: []string{"09:00-12:00", "14:00-21:00"}, Cite: cite}},
		DefaultZone: &schedule.Zone{Name: "Asia/Shanghai", Cite: cite},
	})
	if err != nil {
		t.Fatal(err)
	}
	env := startTest(t, Config{}, func(be *Backend) {
		g, err := dialgate.New([]dialgate.Checker{be.DNC.(*fakeDNC), w}, dialgate.WithoutAuditLog(),
			dialgate.WithClock(dialgate.ClockFunc(func() time.Time { return now })))
		if err != nil {
			t.Fatal(err)
		}
		be.Gate = g
	})
	env.dnc.mu.Lock()
	env.dnc.listed[dialgate.MustParseNumber("+8613800138009")] = true
	env.dnc.mu.Unlock()
	end := time.Date(2026, 12, 4, 21, 0, 0, 0, time.FixedZone("CST", 8*3600))

	resp, err := env.gate.Check(ctxT(t), &pb.CheckRequest{Dial: okDial("+8613800138000")})
	if err != nil || !resp.Decision.Allowed || resp.Decision.ValidUntil == nil || !resp.Decision.ValidUntil.AsTime().Equal(end) {
		t.Fatalf("Check allow: %v %v, want valid_until %v", resp, err, end)
	}
	resp, err = env.gate.Check(ctxT(t), &pb.CheckRequest{Dial: okDial("+8613800138009")})
	if err != nil || resp.Decision.Allowed || resp.Decision.ValidUntil != nil {
		t.Fatalf("Check deny: %v %v, want no valid_until", resp, err)
	}

	stream, err := env.gate.CheckStream(ctxT(t))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		to      string
		allowed bool
	}{{"+8613800138000", true}, {"+8613800138009", false}} {
		if err := stream.Send(&pb.CheckStreamRequest{RequestId: tc.to, Dial: okDial(tc.to)}); err != nil {
			t.Fatal(err)
		}
		r, err := stream.Recv()
		if err != nil {
			t.Fatal(err)
		}
		dec := r.GetDecision()
		if dec.GetAllowed() != tc.allowed {
			t.Fatalf("stream %s: %v", tc.to, r)
		}
		if tc.allowed && (dec.ValidUntil == nil || !dec.ValidUntil.AsTime().Equal(end)) || !tc.allowed && dec.ValidUntil != nil {
			t.Fatalf("stream %s: valid_until %v", tc.to, dec.ValidUntil)
		}
	}
	stream.CloseSend()
}
