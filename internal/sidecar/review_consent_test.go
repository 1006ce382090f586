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

// TestGrantConsentIDOfAnotherTenantSaysNothingOfIt: a grant whose id is
// another tenant's consent is AlreadyExists whatever that consent's state;
// whether it was withdrawn is the other tenant's business (a token bound to
// acme learned that beta's customer revoked consent c-beta). The caller of
// the very same grant still learns that its record is revoked.
func TestGrantConsentIDOfAnotherTenantSaysNothingOfIt(t *testing.T) {
	dir := t.TempDir()
	path := dir + "/tokens.yaml"
	writeFile(t, path, `tokens:
  - name: beta-ops
    token: "beta-ops-token-0123456789"
    scopes: [admin]
    tenants: [beta]
  - name: acme-ops
    token: "acme-ops-token-0123456789"
    scopes: [admin]
    tenants: [acme]
`)
	e := startFull(t, Config{TokensFile: path}, dir)
	beta, acme := bearer(t, "beta-ops-token-0123456789"), bearer(t, "acme-ops-token-0123456789")
	granted := timestamppb.New(time.Now().Add(-time.Hour).Truncate(time.Second))
	grant := &pb.GrantConsentRequest{Id: "c-1", Number: "+8613900139070", Scope: "industry:finance", Tenant: "beta",
		Method: pb.ConsentMethod_CONSENT_METHOD_WRITTEN, GrantedAt: granted, EvidenceUri: "s3://consents/c-1.pdf"}
	if _, err := e.admin.GrantConsent(beta, grant); err != nil {
		t.Fatal(err)
	}
	if _, err := e.admin.RevokeConsent(beta, &pb.RevokeConsentRequest{Id: "c-1", Channel: "call"}); err != nil {
		t.Fatal(err)
	}
	mine := &pb.GrantConsentRequest{Id: "c-1", Number: "+8613900139071", Scope: "industry:finance", Tenant: "acme",
		Method: pb.ConsentMethod_CONSENT_METHOD_WRITTEN, GrantedAt: granted, EvidenceUri: "s3://consents/acme-c-1.pdf"}
	_, err := e.admin.GrantConsent(acme, mine)
	wantStatus(t, err, codes.AlreadyExists, "c-1")
	if msg := status.Convert(err).Message(); strings.Contains(msg, "revoked") {
		t.Errorf("the answer tells acme the state of beta's consent: %q", msg)
	}
	_, err = e.admin.GrantConsent(beta, grant)
	wantStatus(t, err, codes.FailedPrecondition, "revoked")
}
