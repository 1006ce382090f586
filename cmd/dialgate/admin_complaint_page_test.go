package main

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"

	"github.com/dialgate/dialgate/internal/sidecar"
	pb "github.com/dialgate/dialgate/proto/dialgate/v1"
)

// TestAdminComplaintListPages: admin complaint list reads every page of
// ListComplaints: with pages of 2 complaints it prints what one page of
// all of them prints, table and --json, filters included.
func TestAdminComplaintListPages(t *testing.T) {
	s := startAdminSidecar(t, sidecar.Config{})
	for i := range 5 {
		tenant := []string{"acme", "globex"}[i%2]
		if code, out, errs := s.admin(t, "complaint", "add", "--number", fmt.Sprintf("+861390013963%d", i), "--id", fmt.Sprintf("cp-page-%d", i), "--tenant", tenant); code != 0 {
			t.Fatalf("complaint add: exit %d, stdout %q, stderr %q", code, out, errs)
		}
	}
	paged := func(args ...string) (int, string, string) {
		var out, errb bytes.Buffer
		a := newApp(strings.NewReader(""), &out, &errb)
		a.complaintPageSize = 2
		err := a.run(context.Background(), append([]string{"admin", "--addr", s.addr, "--token-file", s.adminFile, "complaint", "list"}, args...))
		return exitCode(err), out.String(), errb.String()
	}
	for _, args := range [][]string{nil, {"--json"}, {"--tenant", "acme", "--json"}, {"--status", "open"}} {
		code, want, errs := s.admin(t, append([]string{"complaint", "list"}, args...)...)
		if code != 0 || !strings.Contains(want, "cp-page-") {
			t.Fatalf("complaint list %v: exit %d, stdout %q, stderr %q", args, code, want, errs)
		}
		code, got, errs := paged(args...)
		if code != 0 || got != want {
			t.Errorf("complaint list %v in pages of 2: exit %d, stderr %q, stdout\n%s\nwant\n%s", args, code, errs, got, want)
		}
	}
	if _, out, _ := paged(); strings.Count(out, "cp-page-") != 5 {
		t.Errorf("complaint list in pages of 2 lists %d complaints, want 5: %s", strings.Count(out, "cp-page-"), out)
	}
}

// pagingClient is an AdminServiceClient whose ListComplaints answers
// pages: the complaint ids of each page and the token that follows it.
type pagingClient struct {
	pb.AdminServiceClient
	pages map[string][]string // page_token → ids, next token
	asked []string
}

func (p *pagingClient) ListComplaints(_ context.Context, req *pb.ListComplaintsRequest, _ ...grpc.CallOption) (*pb.ListComplaintsResponse, error) {
	p.asked = append(p.asked, req.GetPageToken())
	page := p.pages[req.GetPageToken()]
	r := &pb.ListComplaintsResponse{NextPageToken: page[len(page)-1]}
	for _, id := range page[:len(page)-1] {
		r.Complaints = append(r.Complaints, &pb.ListedComplaint{ComplaintId: id})
	}
	return r, nil
}

// TestListComplaintPagesFollowed: listComplaints follows next_page_token
// until it is empty, and refuses a sidecar that answers the same token
// again (it would never end) rather than loop or print a part.
func TestListComplaintPagesFollowed(t *testing.T) {
	fake := &pagingClient{pages: map[string][]string{"": {"a", "b", "t1"}, "t1": {"c", "t2"}, "t2": {""}}}
	c := &adminConn{AdminServiceClient: fake, where: "the sidecar", timeout: time.Second}
	got, err := c.listComplaints(context.Background(), &pb.ListComplaintsRequest{PageSize: 2})
	var ids []string
	for _, l := range got {
		ids = append(ids, l.GetComplaintId())
	}
	if err != nil || strings.Join(ids, " ") != "a b c" || strings.Join(fake.asked, ",") != ",t1,t2" {
		t.Fatalf("listComplaints: %v %v, asked %q", ids, err, fake.asked)
	}
	loop := &pagingClient{pages: map[string][]string{"": {"a", "t1"}, "t1": {"b", "t1"}}}
	c.AdminServiceClient = loop
	if got, err := c.listComplaints(context.Background(), &pb.ListComplaintsRequest{}); err == nil || got != nil || !strings.Contains(err.Error(), "same next_page_token") {
		t.Errorf("a sidecar repeating its token: %v %v", got, err)
	}
}
