package sidecar

import (
	"strings"
	"testing"
	"time"

	pb "github.com/dialgate/dialgate/proto/dialgate/v1"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// TestTenantOfADialIsTakenEverywhere: a tenant a dial may name (up to 256
// bytes, as Dial.tenant and GrantConsentRequest.tenant take) is taken by
// every AdminService request naming a tenant. FileComplaint,
// AddLedgerEntry, RegisterRecording and ListComplaints refused one over
// 128 bytes ("tenant: longer than 128 bytes"): a complaint about that
// tenant's call was refused whole, its number not listed.
func TestTenantOfADialIsTakenEverywhere(t *testing.T) {
	e := startFull(t, Config{}, t.TempDir())
	ctx := ctxT(t)
	tenant := strings.Repeat("t", 200)
	past := timestamppb.New(time.Now().Add(-time.Hour))
	d := okDial("+8613900139095")
	d.Tenant = tenant
	if _, err := e.gate.Check(ctx, &pb.CheckRequest{Dial: d}); err != nil {
		t.Fatalf("a dial naming the tenant: %v", err)
	}
	calls := map[string]func() error{
		"GrantConsent": func() error {
			_, err := e.admin.GrantConsent(ctx, &pb.GrantConsentRequest{Id: "c-tl", Number: "+8613900139095", Scope: "industry:finance", Tenant: tenant,
				Method: pb.ConsentMethod_CONSENT_METHOD_WRITTEN, GrantedAt: past, EvidenceUri: "s3://c/tl.pdf"})
			return err
		},
		"FileComplaint": func() error {
			_, err := e.admin.FileComplaint(ctx, &pb.FileComplaintRequest{Number: "+8613900139095", Tenant: tenant})
			return err
		},
		"AddLedgerEntry": func() error {
			_, err := e.admin.AddLedgerEntry(ctx, &pb.AddLedgerEntryRequest{Tenant: tenant, Number: "+861058001299", Type: pb.NumberType_NUMBER_TYPE_FIXED,
				Holder: "Acme", Purposes: []pb.Purpose{pb.Purpose_PURPOSE_SERVICE}})
			return err
		},
		"RegisterRecording": func() error {
			_, err := e.admin.RegisterRecording(ctx, &pb.RegisterRecordingRequest{Id: "r-tl", Number: "+8613900139095", StartedAt: past, Tenant: tenant})
			return err
		},
		"ListComplaints": func() error {
			_, err := e.admin.ListComplaints(ctx, &pb.ListComplaintsRequest{Tenant: tenant})
			return err
		},
	}
	for name, call := range calls {
		if err := call(); err != nil {
			t.Errorf("%s naming the dial's tenant: %v, want it taken", name, err)
		}
	}
	// Over 256 bytes it is refused everywhere, naming tenant.
	long := strings.Repeat("t", 257)
	_, err := e.admin.FileComplaint(ctx, &pb.FileComplaintRequest{Number: "+8613900139096", Tenant: long})
	if st := status.Convert(err); st.Code() != codes.InvalidArgument || !strings.HasPrefix(st.Message(), "tenant: ") {
		t.Errorf("a tenant of 257 bytes: %v %q, want InvalidArgument naming tenant", st.Code(), st.Message())
	}
}
