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

// TestDisplayControlsNamedEveryField: a C1 control, a bidirectional
// override or isolate, or a line separator in an identifier or evidence
// field of a GateService or AdminService request is InvalidArgument naming
// the field, as an ASCII control is (TestControlCharactersNamedEveryField):
// the audit log, the reports and the CLI would show the record other than
// it is. Free text for people (a complaint's note and resolution, a hold's
// reason) keeps line breaks, U+2028 included, and right-to-left marks, but
// not C1 controls or overrides.
func TestDisplayControlsNamedEveryField(t *testing.T) {
	e := startFull(t, Config{}, t.TempDir())
	ctx := ctxT(t)
	num := "+8613900139061"
	past := timestamppb.New(time.Now().Add(-time.Hour))
	if _, err := e.admin.RegisterRecording(ctx, &pb.RegisterRecordingRequest{Id: "rec-x", Number: num, StartedAt: past}); err != nil {
		t.Fatal(err)
	}
	filed, err := e.admin.FileComplaint(ctx, &pb.FileComplaintRequest{Number: "+8613900139062"})
	if err != nil {
		t.Fatal(err)
	}
	cp := filed.GetComplaintId()
	type call func(ctx context.Context, bad string) error
	cases := []struct {
		field string
		call  call
	}{
		{"dial.tenant", func(ctx context.Context, bad string) error {
			d := okDial(num)
			d.Tenant = "acme" + bad
			_, err := e.gate.Check(ctx, &pb.CheckRequest{Dial: d})
			return err
		}},
		{"dial.lead_id", func(ctx context.Context, bad string) error {
			d := okDial(num)
			d.LeadId = "crm" + bad + "1"
			_, err := e.gate.Check(ctx, &pb.CheckRequest{Dial: d})
			return err
		}},
		{"evidence_uri", func(ctx context.Context, bad string) error {
			_, err := e.admin.GrantConsent(ctx, &pb.GrantConsentRequest{Id: "c-3", Number: num, Scope: "industry:finance",
				Method: pb.ConsentMethod_CONSENT_METHOD_WRITTEN, GrantedAt: past, EvidenceUri: "s3://c/3" + bad + "fdp.exe"})
			return err
		}},
		{"channel", func(ctx context.Context, bad string) error {
			_, err := e.admin.GrantConsent(ctx, &pb.GrantConsentRequest{Id: "c-4", Number: num, Scope: "industry:finance",
				Method: pb.ConsentMethod_CONSENT_METHOD_WRITTEN, GrantedAt: past, EvidenceUri: "s3://c/4.pdf", Channel: "web" + bad})
			return err
		}},
		{"tenant", func(ctx context.Context, bad string) error {
			_, err := e.admin.GrantConsent(ctx, &pb.GrantConsentRequest{Id: "c-2", Number: num, Scope: "industry:finance", Tenant: "ac" + bad + "me",
				Method: pb.ConsentMethod_CONSENT_METHOD_WRITTEN, GrantedAt: past, EvidenceUri: "s3://c/2.pdf"})
			return err
		}},
		{"scope", func(ctx context.Context, bad string) error {
			_, err := e.admin.GrantConsent(ctx, &pb.GrantConsentRequest{Id: "c-1", Number: num, Scope: "tenant:ac" + bad + "me",
				Method: pb.ConsentMethod_CONSENT_METHOD_WRITTEN, GrantedAt: past, EvidenceUri: "s3://c/1.pdf"})
			return err
		}},
		{"holder", func(ctx context.Context, bad string) error {
			_, err := e.admin.AddLedgerEntry(ctx, &pb.AddLedgerEntryRequest{Number: "+861058001234", Type: pb.NumberType_NUMBER_TYPE_FIXED,
				Holder: "Acme" + bad + "Ltd", Purposes: []pb.Purpose{pb.Purpose_PURPOSE_SERVICE}})
			return err
		}},
		{"hold_id", func(ctx context.Context, bad string) error {
			_, err := e.admin.HoldRecording(ctx, &pb.HoldRecordingRequest{Id: "rec-x", HoldId: "lit" + bad})
			return err
		}},
		{"decision_id", func(ctx context.Context, bad string) error {
			_, err := e.admin.RegisterRecording(ctx, &pb.RegisterRecordingRequest{Id: "rec-y", Number: num, StartedAt: past, DecisionId: "d" + bad})
			return err
		}},
		{"disposition", func(ctx context.Context, bad string) error {
			_, err := e.gate.ReportOutcome(ctx, &pb.ReportOutcomeRequest{DecisionId: "d-1", Disposition: "busy" + bad})
			return err
		}},
		{"source", func(ctx context.Context, bad string) error {
			_, err := e.admin.AddDncEntry(ctx, &pb.AddDncEntryRequest{Number: num, Scope: "global", Source: "opt" + bad + "out"})
			return err
		}},
	}
	for _, c := range cases {
		for _, bad := range []string{"\u0085", "\u009b", "\u202e", "\u2067", "\u2028", "\u2029", "\u200f"} {
			err := c.call(ctx, bad)
			st := status.Convert(err)
			if st.Code() != codes.InvalidArgument || !strings.HasPrefix(st.Message(), c.field+": ") {
				t.Errorf("%s with %+q: got %v %q, want InvalidArgument naming %s", c.field, bad, st.Code(), st.Message(), c.field)
			}
		}
	}
	// Free text for people: line breaks and right-to-left marks stay, the
	// rest is refused.
	for _, bad := range []string{"\u0085", "\u009b", "\u202e", "\u2066"} {
		_, err := e.admin.FileComplaint(ctx, &pb.FileComplaintRequest{Number: num, Note: "rude" + bad})
		if st := status.Convert(err); st.Code() != codes.InvalidArgument || !strings.HasPrefix(st.Message(), "note: ") {
			t.Errorf("note with %+q: got %v %q, want InvalidArgument naming note", bad, st.Code(), st.Message())
		}
		_, err = e.admin.ResolveComplaint(ctx, &pb.ResolveComplaintRequest{ComplaintId: cp, Resolution: "done" + bad})
		if st := status.Convert(err); st.Code() != codes.InvalidArgument || !strings.HasPrefix(st.Message(), "resolution: ") {
			t.Errorf("resolution with %+q: got %v %q, want InvalidArgument naming resolution", bad, st.Code(), st.Message())
		}
		_, err = e.admin.HoldRecording(ctx, &pb.HoldRecordingRequest{Id: "rec-x", HoldId: "h", Reason: "lit" + bad})
		if st := status.Convert(err); st.Code() != codes.InvalidArgument || !strings.HasPrefix(st.Message(), "reason: ") {
			t.Errorf("reason with %+q: got %v %q, want InvalidArgument naming reason", bad, st.Code(), st.Message())
		}
	}
	if _, err := e.admin.FileComplaint(ctx, &pb.FileComplaintRequest{Number: num, Note: "line one\u2028line two\n\u200fשלום"}); err != nil {
		t.Errorf("note with line breaks and an RLM: %v", err)
	}
}
