package sidecar

import (
	"testing"
	"time"

	pb "github.com/dialgate/dialgate/proto/dialgate/v1"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// TestTokenTenantsConsentRegrant: a token bound to acme cannot get a consent
// covering beta's dials by retrying an existing grant of beta's (PermissionDenied
// before the store is asked, so not even "the same grant again" succeeds), nor
// by revoking beta's consent and granting its id again (tied to beta: denied;
// tied to acme: the id exists). Its revocation of beta's consent stands: a
// withdrawal is never refused.
func TestTokenTenantsConsentRegrant(t *testing.T) {
	dir := t.TempDir()
	path := dir + "/tokens.yaml"
	writeFile(t, path, `tokens:
  - name: ops
    token: "ops-token-0123456789abcdef"
    scopes: [gate, admin]
  - name: acme-ops
    token: "acme-ops-token-0123456789"
    scopes: [gate, admin]
    tenants: [acme]
`)
	e := startFull(t, Config{TokensFile: path}, dir)
	ops := metadata.AppendToOutgoingContext(ctxT(t), "authorization", "Bearer ops-token-0123456789abcdef")
	acme := metadata.AppendToOutgoingContext(ctxT(t), "authorization", "Bearer acme-ops-token-0123456789")
	granted := timestamppb.New(time.Now().Add(-time.Hour).Truncate(time.Second))
	beta := &pb.GrantConsentRequest{Id: "c-beta", Number: "+8613900139022", Scope: "industry:finance", Tenant: "beta",
		Method: pb.ConsentMethod_CONSENT_METHOD_WRITTEN, GrantedAt: granted, EvidenceUri: "s3://consents/c-beta.pdf"}
	if _, err := e.admin.GrantConsent(ops, beta); err != nil {
		t.Fatal(err)
	}
	_, err := e.admin.GrantConsent(acme, beta)
	wantStatus(t, err, codes.PermissionDenied, "tenant")
	untied := &pb.GrantConsentRequest{Id: "c-beta", Number: beta.Number, Scope: beta.Scope,
		Method: beta.Method, GrantedAt: granted, EvidenceUri: beta.EvidenceUri}
	_, err = e.admin.GrantConsent(acme, untied)
	wantStatus(t, err, codes.PermissionDenied, "scope")

	if _, err := e.admin.RevokeConsent(acme, &pb.RevokeConsentRequest{Id: "c-beta", Channel: "call"}); err != nil {
		t.Fatalf("a bound token revoking another tenant's consent (only denies more): %v", err)
	}
	_, err = e.admin.GrantConsent(acme, beta)
	wantStatus(t, err, codes.PermissionDenied, "tenant")
	asAcme := &pb.GrantConsentRequest{Id: "c-beta", Number: beta.Number, Scope: beta.Scope, Tenant: "acme",
		Method: beta.Method, GrantedAt: granted, EvidenceUri: beta.EvidenceUri}
	if _, err = e.admin.GrantConsent(acme, asAcme); err == nil {
		t.Fatal("a bound token re-granted another tenant's revoked consent id, tied to itself")
	}
}
