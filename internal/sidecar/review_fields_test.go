package sidecar

import (
	"context"
	"strings"
	"testing"
	"time"

	pb "github.com/dialgate/dialgate/proto/dialgate/v1"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// TestControlCharactersNamedEveryField: a text field holding a NUL or
// another control character, on every GateService and AdminService request,
// is InvalidArgument naming that field; nothing is stored or recorded with
// it (the audit log, the reports and the CLI print these fields).
func TestControlCharactersNamedEveryField(t *testing.T) {
	e := startFull(t, Config{}, t.TempDir())
	ctx := ctxT(t)
	num := "+8613900139061"
	past := timestamppb.New(time.Now().Add(-time.Hour))
	type call func(context.Context) error
	// Records the requests below name, so that a refusal comes from the
	// field and not from an unknown id.
	if _, err := e.admin.GrantConsent(ctx, &pb.GrantConsentRequest{Id: "c-9", Number: num, Scope: "industry:finance",
		Method: pb.ConsentMethod_CONSENT_METHOD_WRITTEN, GrantedAt: past, EvidenceUri: "s3://c/9.pdf"}); err != nil {
		t.Fatal(err)
	}
	filed, err := e.admin.FileComplaint(ctx, &pb.FileComplaintRequest{Number: "+8613900139062"})
	if err != nil {
		t.Fatal(err)
	}
	cp := filed.GetComplaintId()
	if _, err := e.admin.RegisterRecording(ctx, &pb.RegisterRecordingRequest{Id: "rec-x", Number: num, StartedAt: past}); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		field string
		call  call
	}{
		{"disposition", func(ctx context.Context) error {
			_, err := e.gate.ReportOutcome(ctx, &pb.ReportOutcomeRequest{DecisionId: "d-1", Disposition: "busy\x00"})
			return err
		}},
		{"disposition", func(ctx context.Context) error {
			_, err := e.gate.ReportOutcome(ctx, &pb.ReportOutcomeRequest{DecisionId: "d-1", Disposition: "busy\n{\"forged\":1}"})
			return err
		}},
		{"source", func(ctx context.Context) error {
			_, err := e.admin.AddDncEntry(ctx, &pb.AddDncEntryRequest{Number: num, Scope: "global", Source: "opt\x00out"})
			return err
		}},
		{"scope", func(ctx context.Context) error {
			_, err := e.admin.AddDncEntry(ctx, &pb.AddDncEntryRequest{Number: num, Scope: "tenant:ac\x00me"})
			return err
		}},
		{"scope", func(ctx context.Context) error {
			_, err := e.admin.GrantConsent(ctx, &pb.GrantConsentRequest{Id: "c-1", Number: num, Scope: "tenant:ac\x00me",
				Method: pb.ConsentMethod_CONSENT_METHOD_WRITTEN, GrantedAt: past, EvidenceUri: "s3://c/1.pdf"})
			return err
		}},
		{"tenant", func(ctx context.Context) error {
			_, err := e.admin.GrantConsent(ctx, &pb.GrantConsentRequest{Id: "c-2", Number: num, Scope: "industry:finance", Tenant: "ac\x00me",
				Method: pb.ConsentMethod_CONSENT_METHOD_WRITTEN, GrantedAt: past, EvidenceUri: "s3://c/2.pdf"})
			return err
		}},
		{"evidence_uri", func(ctx context.Context) error {
			_, err := e.admin.GrantConsent(ctx, &pb.GrantConsentRequest{Id: "c-3", Number: num, Scope: "industry:finance",
				Method: pb.ConsentMethod_CONSENT_METHOD_WRITTEN, GrantedAt: past, EvidenceUri: "s3://c/\x003.pdf"})
			return err
		}},
		{"channel", func(ctx context.Context) error {
			_, err := e.admin.GrantConsent(ctx, &pb.GrantConsentRequest{Id: "c-4", Number: num, Scope: "industry:finance",
				Method: pb.ConsentMethod_CONSENT_METHOD_WRITTEN, GrantedAt: past, EvidenceUri: "s3://c/4.pdf", Channel: "web\x00"})
			return err
		}},
		{"channel", func(ctx context.Context) error {
			_, err := e.admin.RevokeConsent(ctx, &pb.RevokeConsentRequest{Id: "c-9", Channel: "call\x00"})
			return err
		}},
		{"note", func(ctx context.Context) error {
			_, err := e.admin.FileComplaint(ctx, &pb.FileComplaintRequest{Number: num, Note: "rude\x00"})
			return err
		}},
		{"resolution", func(ctx context.Context) error {
			_, err := e.admin.ResolveComplaint(ctx, &pb.ResolveComplaintRequest{ComplaintId: cp, Resolution: "done\x00"})
			return err
		}},
		{"holder", func(ctx context.Context) error {
			_, err := e.admin.AddLedgerEntry(ctx, &pb.AddLedgerEntryRequest{Number: "+861058001234", Type: pb.NumberType_NUMBER_TYPE_FIXED,
				Holder: "Acme\x00", Purposes: []pb.Purpose{pb.Purpose_PURPOSE_SERVICE}})
			return err
		}},
		{"access", func(ctx context.Context) error {
			_, err := e.admin.AddLedgerEntry(ctx, &pb.AddLedgerEntryRequest{Number: "+861058001234", Type: pb.NumberType_NUMBER_TYPE_FIXED,
				Holder: "Acme", Access: "sip\x00", Purposes: []pb.Purpose{pb.Purpose_PURPOSE_SERVICE}})
			return err
		}},
		{"qualification", func(ctx context.Context) error {
			_, err := e.admin.AddLedgerEntry(ctx, &pb.AddLedgerEntryRequest{Number: "+861058001234", Type: pb.NumberType_NUMBER_TYPE_FIXED,
				Holder: "Acme", Qualification: "lic\x00", Purposes: []pb.Purpose{pb.Purpose_PURPOSE_SERVICE}})
			return err
		}},
		{"hold_id", func(ctx context.Context) error {
			_, err := e.admin.HoldRecording(ctx, &pb.HoldRecordingRequest{Id: "rec-x", HoldId: "lit\x00"})
			return err
		}},
		{"reason", func(ctx context.Context) error {
			_, err := e.admin.HoldRecording(ctx, &pb.HoldRecordingRequest{Id: "rec-x", Reason: "lit\x00"})
			return err
		}},
	}
	for _, c := range cases {
		t.Run(c.field, func(t *testing.T) {
			err := c.call(ctx)
			st := status.Convert(err)
			if st.Code() != codes.InvalidArgument || !strings.HasPrefix(st.Message(), c.field+": ") {
				t.Errorf("got %v %q, want InvalidArgument naming %s", st.Code(), st.Message(), c.field)
			}
		})
	}
}
