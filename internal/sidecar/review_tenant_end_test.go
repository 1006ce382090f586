package sidecar

import (
	"strings"
	"testing"
	"time"

	pb "github.com/dialgate/dialgate/proto/dialgate/v1"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// TestTokenTenantsEndRecording: an admin token bound to tenants writes
// recordings only of its tenants (tokenSpec.Tenants), EndRecording
// included: it sets the recording's end (and, for a recording an outcome
// created, its start), the evidence of when another tenant's call took
// place. A token bound to acme ended globex's recording at an instant of its
// choosing; now it is PermissionDenied naming id, the record unchanged, and
// the refusal names nothing of the recording on record. Its own tenant's
// recording, and any under a token of every tenant, it still ends.
func TestTokenTenantsEndRecording(t *testing.T) {
	dir := t.TempDir()
	path := dir + "/tokens.yaml"
	writeFile(t, path, `tokens:
  - name: acme-ops
    token: "acme-ops-token-0123456789"
    scopes: [admin]
    tenants: [acme]
  - name: globex-ops
    token: "globex-ops-token-0123456789"
    scopes: [admin]
    tenants: [globex]
  - name: ops
    token: "ops-token-0123456789abc"
    scopes: [admin]
`)
	e := startFull(t, Config{TokensFile: path}, dir)
	acme, globex, ops := bearer(t, "acme-ops-token-0123456789"), bearer(t, "globex-ops-token-0123456789"), bearer(t, "ops-token-0123456789abc")
	started := time.Now().Add(-time.Hour).Truncate(time.Second)
	for _, r := range []struct {
		id, tenant string
	}{{"rec-glx-open", "globex"}, {"rec-acme-open", "acme"}, {"rec-none-open", ""}} {
		if _, err := e.admin.RegisterRecording(ops, &pb.RegisterRecordingRequest{Id: r.id, Number: "+8613900139051", StartedAt: timestamppb.New(started), Tenant: r.tenant}); err != nil {
			t.Fatal(err)
		}
	}
	m := e.srv.be.Recordings.(recordingAdmin).m
	ended := time.Now().Truncate(time.Second)
	for _, id := range []string{"rec-glx-open", "rec-none-open"} {
		_, err := e.admin.EndRecording(acme, &pb.EndRecordingRequest{Id: id, EndedAt: timestamppb.New(ended)})
		wantStatus(t, err, codes.PermissionDenied, "id: ")
		if msg := err.Error(); containsAny(msg, "globex", "+8613900139051") {
			t.Errorf("the refusal names the recording on record: %v", err)
		}
		if rec, err := m.Get(ctxT(t), id); err != nil || !rec.EndedAt.IsZero() {
			t.Errorf("%s after acme's refused end: %+v, %v", id, rec, err)
		}
	}
	// An unknown id is NotFound, as without tenants.
	_, err := e.admin.EndRecording(acme, &pb.EndRecordingRequest{Id: "rec-nowhere", EndedAt: timestamppb.New(ended)})
	wantStatus(t, err, codes.NotFound, "rec-nowhere")
	if _, err := e.admin.EndRecording(acme, &pb.EndRecordingRequest{Id: "rec-acme-open", EndedAt: timestamppb.New(ended)}); err != nil {
		t.Errorf("acme ending its own recording: %v", err)
	}
	if _, err := e.admin.EndRecording(globex, &pb.EndRecordingRequest{Id: "rec-glx-open", EndedAt: timestamppb.New(ended)}); err != nil {
		t.Errorf("globex ending its own recording: %v", err)
	}
	if _, err := e.admin.EndRecording(ops, &pb.EndRecordingRequest{Id: "rec-none-open", EndedAt: timestamppb.New(ended)}); err != nil {
		t.Errorf("a token of every tenant ending a recording of none: %v", err)
	}
}

func containsAny(s string, subs ...string) bool {
	for _, sub := range subs {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
}
