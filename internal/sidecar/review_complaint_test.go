package sidecar

import (
	"strings"
	"testing"

	pb "github.com/dialgate/dialgate/proto/dialgate/v1"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// TestFileComplaintIDOfAnotherTenant: complaint ids are chosen by clients,
// so two tenants may pick the same one ("T-1001"). A filing whose id is
// another tenant's complaint is not a retry: it is AlreadyExists, never an
// OK that tells the caller its complaint is on record (it is not: the record
// is the other tenant's, in the other tenant's report and deadlines), and
// the message names nothing of the other filing (its scope, its tenant).
func TestFileComplaintIDOfAnotherTenant(t *testing.T) {
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
`)
	e := startFull(t, Config{TokensFile: path}, dir)
	acme, globex := bearer(t, "acme-ops-token-0123456789"), bearer(t, "globex-ops-token-0123456789")
	num := "+8613900139060"
	if _, err := e.admin.FileComplaint(globex, &pb.FileComplaintRequest{ComplaintId: "T-1001", Number: num, Tenant: "globex", Scope: "tenant:globex"}); err != nil {
		t.Fatal(err)
	}
	for _, scope := range []string{"tenant:globex", "global"} {
		_, err := e.admin.FileComplaint(acme, &pb.FileComplaintRequest{ComplaintId: "T-1001", Number: num, Tenant: "acme", Scope: scope})
		wantStatus(t, err, codes.AlreadyExists, "T-1001")
		if msg := status.Convert(err).Message(); strings.Contains(msg, "globex") {
			t.Errorf("scope %s: the message names the other tenant's filing: %q", scope, msg)
		}
	}
	// A retry of the same filing still returns its id.
	r, err := e.admin.FileComplaint(globex, &pb.FileComplaintRequest{ComplaintId: "T-1001", Number: num, Tenant: "globex", Scope: "tenant:globex"})
	if err != nil || r.GetComplaintId() != "T-1001" {
		t.Fatalf("retry: %v %v", r, err)
	}
}
