// Command client sends callback dials to a dialgate sidecar and prints one
// line per decision; make-393a66d.sh uses it to put decisions in the
// fixture's audit log. It lives under testdata: go build ./... skips it.
// Usage: go run ./cmd/dialgate/testdata/upgrade/client ADDR TO:PURPOSE[:consent] ...
package main

import (
	"context"
	"fmt"
	"os"
	"sort"
	"strings"
	"time"

	pb "github.com/dialgate/dialgate/proto/dialgate/v1"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/types/known/timestamppb"
)

func main() {
	cc, err := grpc.NewClient(os.Args[1], grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		panic(err)
	}
	c := pb.NewGateServiceClient(cc)
	for _, a := range os.Args[2:] {
		f := strings.Split(a, ":")
		d := &pb.Dial{To: f[0], From: "+861058001234", Tenant: "acme", LeadId: "crm-1"}
		switch f[1] {
		case "callback":
			d.Purpose = pb.Purpose_PURPOSE_CALLBACK
			d.TriggerAt = timestamppb.New(time.Now().Add(-time.Minute))
		case "marketing":
			d.Purpose = pb.Purpose_PURPOSE_MARKETING
			d.Industry = "finance"
		}
		if len(f) > 2 {
			d.ConsentId = f[2]
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		r, err := c.Check(ctx, &pb.CheckRequest{Dial: d})
		cancel()
		if err != nil {
			fmt.Printf("%s ERR %v\n", a, err)
			continue
		}
		var codes []string
		for _, x := range r.GetDecision().GetReasons() {
			codes = append(codes, x.GetCode())
		}
		sort.Strings(codes)
		fmt.Printf("%s allowed=%v %s\n", a, r.GetDecision().GetAllowed(), strings.Join(codes, ","))
	}
}
