package boltstore_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/dialgate/dialgate/complaint"
	"github.com/dialgate/dialgate/storage"
	"github.com/dialgate/dialgate/storage/storetest"
)

// cpAt is a sound complaint received at t.
func cpAt(id string, t time.Time) complaint.Complaint {
	return complaint.Complaint{
		ID: id, Tenant: "acme", Callee: "h:" + id, Scope: "global", Channel: complaint.ChannelPhone,
		ReceivedAt: t, ForwardBy: t.Add(72 * time.Hour), HandleBy: t.Add(20 * 24 * time.Hour),
		AnswerBy: t.Add(25 * 24 * time.Hour), Status: complaint.StatusOpen, DNCListed: true,
	}
}

// A page reads the complaints from its Position on, not every complaint
// the store holds: a damaged complaint received after the pages read so
// far fails only the page that reaches it (which names it), not the pages
// before it. A complaint whose JSON cannot even say when it was received
// fails every page.
func TestComplaintPageReadsOnlyItsPart(t *testing.T) {
	ctx := context.Background()
	s := openTemp(t)
	t0 := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	for i := range 5 {
		if err := s.CreateComplaint(ctx, cpAt(fmt.Sprintf("cp-%d", i), t0.Add(time.Duration(i)*time.Hour))); err != nil {
			t.Fatal(err)
		}
	}
	// Received after cp-3, before cp-4; its status is unknown.
	plant(t, s, storetest.RawRecord{Kind: "complaint", ID: "cp-bad", JSON: fmt.Appendf(nil,
		`{"id":"cp-bad","callee":"h:1","scope":"global","channel":"phone","received_at":%q,"status":"closed"}`,
		t0.Add(3*time.Hour+time.Minute).Format(time.RFC3339))})

	first, err := s.ListComplaintsAfter(ctx, complaint.Filter{}, complaint.Position{}, 2)
	if err != nil {
		t.Fatalf("first page, before the damaged complaint: %v", err)
	}
	second, err := s.ListComplaintsAfter(ctx, complaint.Filter{}, complaint.PositionOf(first[1]), 2)
	if err != nil {
		t.Fatalf("second page, before the damaged complaint: %v", err)
	}
	if got := fmt.Sprint(ids(first), ids(second)); got != "[cp-0 cp-1] [cp-2 cp-3]" {
		t.Fatalf("pages = %s", got)
	}
	_, err = s.ListComplaintsAfter(ctx, complaint.Filter{}, complaint.PositionOf(second[1]), 2)
	if !errors.Is(err, storage.ErrCorrupt) || !strings.Contains(err.Error(), "cp-bad") || !strings.Contains(err.Error(), "status") {
		t.Fatalf("the page reaching the damaged complaint: %v; want storage.ErrCorrupt naming cp-bad and status", err)
	}
	// The full listing still fails.
	if _, err := s.ListComplaints(ctx, complaint.Filter{}); !errors.Is(err, storage.ErrCorrupt) {
		t.Fatalf("ListComplaints: %v, want storage.ErrCorrupt", err)
	}

	// Not JSON: no receipt to place it by, so every page fails.
	plant(t, s, storetest.RawRecord{Kind: "complaint", ID: "cp-garbled", JSON: []byte(`{"id":`)})
	if _, err := s.ListComplaintsAfter(ctx, complaint.Filter{}, complaint.Position{}, 2); !errors.Is(err, storage.ErrCorrupt) || !strings.Contains(err.Error(), "cp-garbled") {
		t.Fatalf("first page with an undecodable complaint stored: %v; want storage.ErrCorrupt naming cp-garbled", err)
	}
}

func ids(cs []complaint.Complaint) []string {
	out := []string{}
	for _, c := range cs {
		out = append(out, c.ID)
	}
	return out
}

// A listing by callee (complaint.RecordingHolds asks one on every recording
// registration) reads that callee's complaints only, not every complaint
// the store holds: a damaged complaint about another callee fails neither
// ListComplaints nor a page of ListComplaintsAfter for this one, and fails
// its own callee's listings (naming it). A complaint whose JSON does not
// decode, or that names no callee, may be anyone's: it fails every
// callee's listing.
func TestComplaintCalleeListingReadsOnlyItsCallee(t *testing.T) {
	ctx := context.Background()
	s := openTemp(t)
	t0 := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	for i := range 6 {
		c := cpAt(fmt.Sprintf("cp-%d", i), t0.Add(time.Duration(i)*time.Hour))
		c.Callee = []string{"h:a", "h:b"}[i%2]
		if err := s.CreateComplaint(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	// About h:b; its status is unknown.
	plant(t, s, storetest.RawRecord{Kind: "complaint", ID: "cp-bad", JSON: fmt.Appendf(nil,
		`{"id":"cp-bad","callee":"h:b","scope":"global","channel":"phone","received_at":%q,"status":"closed"}`,
		t0.Add(30*time.Minute).Format(time.RFC3339))})

	byCallee := func(callee string) (string, string, error) {
		all, err := s.ListComplaints(ctx, complaint.Filter{Callee: callee})
		if err != nil {
			return "", "", fmt.Errorf("ListComplaints: %w", err)
		}
		page, err := s.ListComplaintsAfter(ctx, complaint.Filter{Callee: callee}, complaint.Position{}, 10)
		if err != nil {
			return "", "", fmt.Errorf("ListComplaintsAfter: %w", err)
		}
		return fmt.Sprint(ids(all)), fmt.Sprint(ids(page)), nil
	}
	all, page, err := byCallee("h:a")
	if err != nil {
		t.Fatalf("h:a, with a damaged complaint about h:b stored: %v", err)
	}
	if all != "[cp-0 cp-2 cp-4]" || page != all {
		t.Fatalf("h:a: ListComplaints %s, page %s; want [cp-0 cp-2 cp-4]", all, page)
	}
	if all, page, err := byCallee("h:nobody"); err != nil || all != "[]" || page != "[]" {
		t.Fatalf("h:nobody: %s %s %v; want [] [] nil", all, page, err)
	}
	if _, _, err := byCallee("h:b"); !errors.Is(err, storage.ErrCorrupt) || !strings.Contains(err.Error(), "cp-bad") {
		t.Fatalf("h:b: %v; want storage.ErrCorrupt naming cp-bad", err)
	}

	// No callee: it may be about h:a.
	plant(t, s, storetest.RawRecord{Kind: "complaint", ID: "cp-nocallee", JSON: fmt.Appendf(nil,
		`{"id":"cp-nocallee","callee":"","scope":"global","channel":"phone","received_at":%q,"status":"open"}`,
		t0.Add(90*time.Minute).Format(time.RFC3339))})
	if _, _, err := byCallee("h:a"); !errors.Is(err, storage.ErrCorrupt) || !strings.Contains(err.Error(), "cp-nocallee") {
		t.Fatalf("h:a with a complaint naming no callee stored: %v; want storage.ErrCorrupt naming cp-nocallee", err)
	}
	plant(t, s, storetest.RawRecord{Kind: "complaint", ID: "cp-nocallee", JSON: fmt.Appendf(nil,
		`{"id":"cp-nocallee","callee":"h:c","scope":"global","channel":"phone","received_at":%q,"status":"open"}`,
		t0.Add(90*time.Minute).Format(time.RFC3339))})
	if _, _, err := byCallee("h:a"); err != nil {
		t.Fatalf("h:a once that complaint names h:c: %v", err)
	}

	// Not JSON: every callee's listing fails.
	plant(t, s, storetest.RawRecord{Kind: "complaint", ID: "cp-garbled", JSON: []byte(`{"id":`)})
	if _, _, err := byCallee("h:a"); !errors.Is(err, storage.ErrCorrupt) || !strings.Contains(err.Error(), "cp-garbled") {
		t.Fatalf("h:a with an undecodable complaint stored: %v; want storage.ErrCorrupt naming cp-garbled", err)
	}
}
