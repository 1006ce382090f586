package sidecar

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/complaint"
	"github.com/dialgate/dialgate/dnc"
	pb "github.com/dialgate/dialgate/proto/dialgate/v1"
	"github.com/dialgate/dialgate/storage/memstore"
)

// refuseLister is a complaint.DNCLister for desks whose complaints the
// tests store directly: nothing is filed through it.
type refuseLister struct{}

func (refuseLister) Add(context.Context, ...dnc.Entry) error {
	return errors.New("refuseLister: no filing in this test")
}

// plainHasher is a complaint.CalleeHasher for the same desks.
type plainHasher struct{}

func (plainHasher) HashCallee(n dialgate.Number) string { return "h:" + n.String() }

// pageEnv is a sidecar whose complaint desk lists store, a memstore the
// test fills directly (a quarter's complaints filed through the RPC would
// take minutes).
func pageEnv(t *testing.T, cfg Config, clk dialgate.Clock) (*testEnv, *memstore.Store) {
	t.Helper()
	store := memstore.New()
	desk, err := complaint.NewDesk(complaint.Config{}, store, refuseLister{}, nil, plainHasher{}, nil, time.UTC)
	if err != nil {
		t.Fatal(err)
	}
	e := startTest(t, cfg, func(be *Backend) {
		be.Complaints = complaintAdmin{desk: desk, hasher: plainHasher{}}
		be.Clock = clk
	})
	return e, store
}

// pageComplaint is complaint i of tenant, received at at, with ids of the
// length a call centre's CRM gives them.
func pageComplaint(tenant string, i int, at time.Time) complaint.Complaint {
	id := fmt.Sprintf("cp-%s-2026q4-%08d-5f0c7a2e-9b1d-4c3e-8a6f-1d2e3f4a5b6c", tenant, i)
	return complaint.Complaint{
		ID: id, Tenant: tenant, Callee: fmt.Sprintf("h:+86138001%05d", i%100000), Segment: "1380013",
		Scope: "industry:finance", Channel: complaint.ChannelPhone,
		DecisionID: "dec-" + id, ReceivedAt: at, ForwardBy: at.Add(72 * time.Hour), HandleBy: at.Add(20 * 24 * time.Hour),
		AnswerBy: at.Add(25 * 24 * time.Hour), Status: complaint.StatusOpen, DNCListed: true,
	}
}

// listAll follows the pages of req (page_token set on each) and returns
// the ids listed, in order, and the pages read.
func listAll(t *testing.T, ctx context.Context, admin pb.AdminServiceClient, req *pb.ListComplaintsRequest) ([]string, int) {
	t.Helper()
	var ids []string
	req = proto.Clone(req).(*pb.ListComplaintsRequest)
	for pages := 1; ; pages++ {
		r, err := admin.ListComplaints(ctx, req)
		if err != nil {
			t.Fatalf("ListComplaints page %d (%v): %v", pages, req, err)
		}
		for _, c := range r.GetComplaints() {
			ids = append(ids, c.GetComplaintId())
		}
		if r.GetNextPageToken() == "" {
			return ids, pages
		}
		if pages > 100000 {
			t.Fatal("ListComplaints never ends")
		}
		req.PageToken = r.GetNextPageToken()
	}
}

// pageIDs lists the ids of a page.
func pageIDs(r *pb.ListComplaintsResponse) string {
	var out []string
	for _, c := range r.GetComplaints() {
		out = append(out, c.GetComplaintId())
	}
	return strings.Join(out, " ")
}

// TestListComplaintsQuarterFits: a call centre's quarter of complaints
// (30,000) is listed: before paging the one response exceeded the
// client's 4 MiB receive limit and the read failed outright
// (ResourceExhausted), hiding the overdue ones. Now each page is at most
// page_size (100 by default, 1000 at most: larger is taken as 1000) and
// following next_page_token lists every complaint once, in order.
func TestListComplaintsQuarterFits(t *testing.T) {
	start := time.Date(2026, 10, 1, 9, 0, 0, 0, time.UTC)
	clk := &settableClock{t: start.AddDate(0, 3, 0)}
	e, store := pageEnv(t, Config{}, clk)
	ctx := context.Background()
	const n = 30000
	var want []string
	for i := range n {
		c := pageComplaint("acme", i, start.Add(time.Duration(i)*time.Minute))
		if i%3 == 0 { // a third of them handled in time: not overdue
			c.Status, c.ForwardedAt, c.HandledAt, c.AnsweredAt = complaint.StatusAnswered, c.ReceivedAt, c.ReceivedAt, c.ReceivedAt
		} else {
			want = append(want, c.ID)
		}
		if err := store.CreateComplaint(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	r, err := e.admin.ListComplaints(ctxT(t), &pb.ListComplaintsRequest{Overdue: true})
	if err != nil {
		t.Fatalf("ListComplaints of %d complaints: %v", n, err)
	}
	if len(r.GetComplaints()) != DefaultComplaintPageSize || r.GetNextPageToken() == "" {
		t.Fatalf("first page: %d complaints, next_page_token %q; want %d and a token", len(r.GetComplaints()), r.GetNextPageToken(), DefaultComplaintPageSize)
	}
	r, err = e.admin.ListComplaints(ctxT(t), &pb.ListComplaintsRequest{Overdue: true, PageSize: 5000})
	if err != nil || len(r.GetComplaints()) != MaxComplaintPageSize || r.GetNextPageToken() == "" {
		t.Fatalf("page_size 5000: %d complaints, next_page_token %q, %v; want %d (the maximum) and a token", len(r.GetComplaints()), r.GetNextPageToken(), err, MaxComplaintPageSize)
	}
	got, pages := listAll(t, ctxT(t), e.admin, &pb.ListComplaintsRequest{Overdue: true, PageSize: MaxComplaintPageSize})
	if !slices.Equal(got, want) {
		t.Fatalf("the pages list %d overdue complaints, want the %d in order", len(got), len(want))
	}
	if want := (len(want) + MaxComplaintPageSize - 1) / MaxComplaintPageSize; pages != want {
		t.Errorf("%d pages of %d, want %d", pages, MaxComplaintPageSize, want)
	}
}

// TestListComplaintsPageBytes: complaints with long ids (a store takes
// them from the local command, without the sidecar's 128-byte bound) fill
// a page by bytes before page_size: the page is cut short, under 1 MiB,
// and the next one goes on from there.
func TestListComplaintsPageBytes(t *testing.T) {
	start := time.Date(2026, 10, 1, 9, 0, 0, 0, time.UTC)
	e, store := pageEnv(t, Config{}, &settableClock{t: start.AddDate(0, 1, 0)})
	ctx := context.Background()
	const n = 1500
	var want []string
	for i := range n {
		c := pageComplaint("acme", i, start.Add(time.Duration(i)*time.Second))
		c.DecisionID = strings.Repeat("d", 2000) + fmt.Sprint(i)
		want = append(want, c.ID)
		if err := store.CreateComplaint(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	r, err := e.admin.ListComplaints(ctxT(t), &pb.ListComplaintsRequest{PageSize: MaxComplaintPageSize})
	if err != nil {
		t.Fatal(err)
	}
	if k := len(r.GetComplaints()); k == 0 || k >= MaxComplaintPageSize || r.GetNextPageToken() == "" || proto.Size(r) > maxComplaintPageBytes+1024 {
		t.Fatalf("page of %d complaints of 2 KB, %d bytes, next_page_token %q: want fewer than %d, under %d bytes, and a token",
			k, proto.Size(r), r.GetNextPageToken(), MaxComplaintPageSize, maxComplaintPageBytes)
	}
	if got, _ := listAll(t, ctxT(t), e.admin, &pb.ListComplaintsRequest{PageSize: MaxComplaintPageSize}); !slices.Equal(got, want) {
		t.Fatalf("the pages list %d complaints, want the %d in order", len(got), len(want))
	}
}

// TestListComplaintsPages: a page starts after the last complaint of the
// page before (receipt, then id), not at an offset: complaints filed
// between pages before it are not listed and shift nothing, those after it
// are; the last page has no next_page_token; filters and the token's
// listing go together.
func TestListComplaintsPages(t *testing.T) {
	start := time.Date(2026, 10, 1, 9, 0, 0, 0, time.UTC)
	e, store := pageEnv(t, Config{}, &settableClock{t: start.AddDate(0, 1, 0)})
	ctx := context.Background()
	add := func(id, tenant string, at time.Time) {
		t.Helper()
		c := pageComplaint(tenant, 0, at)
		c.ID = id
		if err := store.CreateComplaint(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	at := func(h int) time.Time { return start.Add(time.Duration(h) * time.Hour) }
	add("cp-c", "acme", at(2))
	add("cp-b", "acme", at(2))
	add("cp-a", "acme", at(1))
	add("cp-d", "globex", at(3))
	add("cp-e", "acme", at(4))
	req := &pb.ListComplaintsRequest{PageSize: 2}
	r1, err := e.admin.ListComplaints(ctxT(t), req)
	if err != nil || pageIDs(r1) != "cp-a cp-b" || r1.GetNextPageToken() == "" {
		t.Fatalf("page 1: %q next %q %v", pageIDs(r1), r1.GetNextPageToken(), err)
	}
	// Filed between the pages: one before the page's end (received
	// earlier), one tied with its last complaint but after it by id, one
	// later.
	add("cp-0", "acme", at(0))
	add("cp-bb", "acme", at(2))
	add("cp-f", "acme", at(5))
	req.PageToken = r1.GetNextPageToken()
	r2, err := e.admin.ListComplaints(ctxT(t), req)
	if err != nil || pageIDs(r2) != "cp-bb cp-c" || r2.GetNextPageToken() == "" {
		t.Fatalf("page 2: %q next %q %v; want cp-bb cp-c", pageIDs(r2), r2.GetNextPageToken(), err)
	}
	req.PageToken = r2.GetNextPageToken()
	r3, err := e.admin.ListComplaints(ctxT(t), req)
	if err != nil || pageIDs(r3) != "cp-d cp-e" || r3.GetNextPageToken() == "" {
		t.Fatalf("page 3: %q next %q %v", pageIDs(r3), r3.GetNextPageToken(), err)
	}
	req.PageToken = r3.GetNextPageToken()
	r4, err := e.admin.ListComplaints(ctxT(t), req)
	if err != nil || pageIDs(r4) != "cp-f" || r4.GetNextPageToken() != "" {
		t.Fatalf("last page: %q next %q %v; want cp-f and no token", pageIDs(r4), r4.GetNextPageToken(), err)
	}
	// A page that ends the listing exactly has no token either.
	r, err := e.admin.ListComplaints(ctxT(t), &pb.ListComplaintsRequest{PageSize: 8})
	if err != nil || len(r.GetComplaints()) != 8 || r.GetNextPageToken() != "" {
		t.Fatalf("a page of all 8: %q next %q %v", pageIDs(r), r.GetNextPageToken(), err)
	}
	// The page size may change between pages; the filters apply to every page.
	got, _ := listAll(t, ctxT(t), e.admin, &pb.ListComplaintsRequest{Tenant: "acme", PageSize: 1})
	if strings.Join(got, " ") != "cp-0 cp-a cp-b cp-bb cp-c cp-e cp-f" {
		t.Errorf("acme's pages: %v", got)
	}
	r, err = e.admin.ListComplaints(ctxT(t), &pb.ListComplaintsRequest{PageToken: r1.GetNextPageToken(), PageSize: 100})
	if err != nil || pageIDs(r) != "cp-bb cp-c cp-d cp-e cp-f" || r.GetNextPageToken() != "" {
		t.Errorf("page 2 at page_size 100: %q next %q %v", pageIDs(r), r.GetNextPageToken(), err)
	}
}

// TestListComplaintsBadPages: a negative page_size is InvalidArgument
// naming page_size; a page_token that does not decode, or was made for
// another status, overdue or tenant, is InvalidArgument naming page_token.
func TestListComplaintsBadPages(t *testing.T) {
	start := time.Date(2026, 10, 1, 9, 0, 0, 0, time.UTC)
	e, store := pageEnv(t, Config{}, &settableClock{t: start.AddDate(0, 1, 0)})
	for i := range 3 {
		if err := store.CreateComplaint(context.Background(), pageComplaint("acme", i, start.Add(time.Duration(i)*time.Hour))); err != nil {
			t.Fatal(err)
		}
	}
	_, err := e.admin.ListComplaints(ctxT(t), &pb.ListComplaintsRequest{PageSize: -1})
	wantStatus(t, err, codes.InvalidArgument, "page_size")
	first, err := e.admin.ListComplaints(ctxT(t), &pb.ListComplaintsRequest{Tenant: "acme", Status: "open", PageSize: 1})
	if err != nil || first.GetNextPageToken() == "" {
		t.Fatalf("first page: %v %v", first, err)
	}
	tok := first.GetNextPageToken()
	enc := func(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }
	for name, req := range map[string]*pb.ListComplaintsRequest{
		"not base64":     {Tenant: "acme", Status: "open", PageToken: "!!not a token!!"},
		"truncated":      {Tenant: "acme", Status: "open", PageToken: tok[:len(tok)/2]},
		"not JSON":       {Tenant: "acme", Status: "open", PageToken: enc("offset=100")},
		"unknown key":    {Tenant: "acme", Status: "open", PageToken: enc(`{"v":1,"received_at":"2026-10-01T09:00:00Z","id":"x","status":"open","tenant":"acme","offset":3}`)},
		"other version":  {Tenant: "acme", Status: "open", PageToken: enc(`{"v":2,"received_at":"2026-10-01T09:00:00Z","id":"x","status":"open","tenant":"acme"}`)},
		"no id":          {Tenant: "acme", Status: "open", PageToken: enc(`{"v":1,"received_at":"2026-10-01T09:00:00Z","status":"open","tenant":"acme"}`)},
		"too long":       {Tenant: "acme", Status: "open", PageToken: strings.Repeat("A", 5000)},
		"another tenant": {Tenant: "globex", Status: "open", PageToken: tok},
		"every tenant":   {Status: "open", PageToken: tok},
		"another status": {Tenant: "acme", Status: "forwarded", PageToken: tok},
		"overdue only":   {Tenant: "acme", Status: "open", Overdue: true, PageToken: tok},
	} {
		_, err := e.admin.ListComplaints(ctxT(t), req)
		if st, _ := status.FromError(err); st.Code() != codes.InvalidArgument || !strings.HasPrefix(st.Message(), "page_token: ") {
			t.Errorf("%s: %v, want InvalidArgument naming page_token", name, err)
		}
	}
	r, err := e.admin.ListComplaints(ctxT(t), &pb.ListComplaintsRequest{Tenant: "acme", Status: "open", PageToken: tok, PageSize: 10})
	if err != nil || len(r.GetComplaints()) != 2 {
		t.Errorf("the token with another page_size: %v %v", r, err)
	}
}

// TestListComplaintsPagesBoundToTenant: a token bound to tenants pages
// through its tenant's complaints only: every page names the tenant (a
// page token of another tenant's listing is refused, before it as a
// PermissionDenied for the tenant, or as InvalidArgument for the token).
func TestListComplaintsPagesBoundToTenant(t *testing.T) {
	start := time.Date(2026, 10, 1, 9, 0, 0, 0, time.UTC)
	e, store := pageEnv(t, Config{TokensFile: stepTokens(t)}, &settableClock{t: start.AddDate(0, 1, 0)})
	var acme []string
	for i := range 7 {
		tenant := []string{"acme", "globex"}[i%2]
		c := pageComplaint(tenant, i, start.Add(time.Duration(i)*time.Hour))
		if tenant == "acme" {
			acme = append(acme, c.ID)
		}
		if err := store.CreateComplaint(context.Background(), c); err != nil {
			t.Fatal(err)
		}
	}
	acmeOps := bearer(t, "acme-ops-token-0123456789")
	got, pages := listAll(t, acmeOps, e.admin, &pb.ListComplaintsRequest{Tenant: "acme", PageSize: 1})
	if !slices.Equal(got, acme) || pages != len(acme) {
		t.Fatalf("acme-ops' pages: %v in %d pages, want %v", got, pages, acme)
	}
	ops := bearer(t, "ops-desk-token-0123456789")
	all, err := e.admin.ListComplaints(ops, &pb.ListComplaintsRequest{PageSize: 1})
	if err != nil || all.GetNextPageToken() == "" {
		t.Fatal(all, err)
	}
	globex, err := e.admin.ListComplaints(ops, &pb.ListComplaintsRequest{Tenant: "globex", PageSize: 1})
	if err != nil || globex.GetNextPageToken() == "" {
		t.Fatal(globex, err)
	}
	// Another tenant's listing (or every tenant's) under acme's name: the
	// token is refused.
	for _, tok := range []string{all.GetNextPageToken(), globex.GetNextPageToken()} {
		_, err = e.admin.ListComplaints(acmeOps, &pb.ListComplaintsRequest{Tenant: "acme", PageToken: tok})
		wantStatus(t, err, codes.InvalidArgument, "page_token")
	}
	// Under its own name: the tenant is refused first.
	_, err = e.admin.ListComplaints(acmeOps, &pb.ListComplaintsRequest{Tenant: "globex", PageToken: globex.GetNextPageToken()})
	wantStatus(t, err, codes.PermissionDenied, "tenant")
	_, err = e.admin.ListComplaints(acmeOps, &pb.ListComplaintsRequest{PageToken: all.GetNextPageToken()})
	wantStatus(t, err, codes.PermissionDenied, "tenant")
}

// TestListComplaintsPageTokenNeverPanics: a stored complaint whose receipt
// has no JSON form in UTC (a damaged or hand-written record: year 0 at
// +01:00 is year -1 in UTC) ending a page is Unavailable naming the
// complaint, as a record that does not decode is, not a panic that would take the sidecar, and every dial it
// decides, down.
func TestListComplaintsPageTokenNeverPanics(t *testing.T) {
	store := memstore.New()
	desk, err := complaint.NewDesk(complaint.Config{}, store, refuseLister{}, nil, plainHasher{}, nil, time.UTC)
	if err != nil {
		t.Fatal(err)
	}
	odd := pageComplaint("acme", 0, time.Date(0, 1, 1, 0, 30, 0, 0, time.FixedZone("", 3600)))
	for _, c := range []complaint.Complaint{odd, pageComplaint("acme", 1, time.Date(2026, 10, 1, 9, 0, 0, 0, time.UTC))} {
		if err := store.CreateComplaint(context.Background(), c); err != nil {
			t.Fatal(err)
		}
	}
	srv := &adminServer{be: &Backend{Complaints: complaintAdmin{desk: desk, hasher: plainHasher{}}},
		now: func() time.Time { return time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC) }, log: slog.New(slog.DiscardHandler)}
	defer func() {
		if r := recover(); r != nil {
			t.Fatalf("ListComplaints panicked: %v", r)
		}
	}()
	_, err = srv.ListComplaints(ctxT(t), &pb.ListComplaintsRequest{PageSize: 1})
	if st, _ := status.FromError(err); st.Code() != codes.Unavailable || !strings.Contains(st.Message(), odd.ID) {
		t.Fatalf("ListComplaints: %v; want Unavailable naming %s", err, odd.ID)
	}
}
