package audittest_test

import (
	"context"
	"testing"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/audittest"
	pb "github.com/dialgate/dialgate/proto/dialgate/v1"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

func TestNewServer(t *testing.T) {
	late := dialgate.CheckerFunc("lunch", func(ctx context.Context, d dialgate.Dial) ([]dialgate.Reason, error) {
		if d.Campaign == "lunch" {
			return []dialgate.Reason{{Code: "lunch.closed", Message: "closed for lunch"}}, nil
		}
		return nil, nil
	})
	g, err := dialgate.New([]dialgate.Checker{late}, dialgate.WithoutAuditLog())
	if err != nil {
		t.Fatal(err)
	}
	s := audittest.NewServer(t, g)
	ctx := context.Background()
	d := &pb.Dial{To: "+8613900139020", Purpose: pb.Purpose_PURPOSE_SERVICE, LeadId: "l-1"}
	r, err := s.Gate.Check(ctx, &pb.CheckRequest{Dial: d})
	if err != nil || !r.GetDecision().GetAllowed() {
		t.Fatalf("want allowed: %v %v", r, err)
	}
	d.Campaign = "lunch"
	r, err = s.Gate.Check(ctx, &pb.CheckRequest{Dial: d})
	if err != nil || r.GetDecision().GetAllowed() || r.GetDecision().GetReasons()[0].GetCode() != "lunch.closed" {
		t.Fatalf("want a lunch.closed deny: %v %v", r, err)
	}
	d.To = "not a number"
	_, err = s.Gate.Check(ctx, &pb.CheckRequest{Dial: d})
	if status.Code(err) != codes.InvalidArgument {
		t.Fatalf("want InvalidArgument, got %v", err)
	}
	_, err = s.Admin.AddDncEntry(ctx, &pb.AddDncEntryRequest{Number: "+8613900139020", Scope: "global"})
	if status.Code(err) != codes.Unimplemented {
		t.Fatalf("want Unimplemented, got %v", err)
	}
}
