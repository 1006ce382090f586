package sidecar

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/complaint"
	"github.com/dialgate/dialgate/dnc"
	pb "github.com/dialgate/dialgate/proto/dialgate/v1"
	"github.com/dialgate/dialgate/storage/boltstore"
)

// TestStoredComplaintIDWithDisplayControlSteps: a complaint an earlier
// build stored under an id holding a C1 control or a bidirectional
// character (its checkID refused ASCII controls only) is still forwarded,
// resolved and answered over the wire: the id names a stored record, and a
// complaint that cannot be answered keeps its recording holds.
func TestStoredComplaintIDWithDisplayControlSteps(t *testing.T) {
	dir := t.TempDir()
	first := startFull(t, Config{}, dir)
	if err := first.srv.Shutdown(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	st, err := boltstore.Open(filepath.Join(dir, boltstore.DefaultFileName), boltstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC().Add(-time.Hour).Truncate(time.Second)
	ids := []string{"cp-old\u0085", "cp-old\u202e1"}
	for _, id := range ids {
		c := complaint.Complaint{ID: id, Callee: "h:" + id, Channel: complaint.ChannelWeb, ReceivedAt: now,
			Status: complaint.StatusOpen, Scope: "global", ForwardBy: now.Add(time.Hour), HandleBy: now.Add(48 * time.Hour),
			AnswerBy: now.Add(72 * time.Hour), DNCListed: true}
		if err := st.CreateComplaint(context.Background(), c); err != nil {
			t.Fatal(err)
		}
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	e := startFull(t, Config{}, dir)
	ctx := ctxT(t)
	for _, id := range ids {
		if _, err := e.admin.ForwardComplaint(ctx, &pb.ForwardComplaintRequest{ComplaintId: id}); err != nil {
			t.Errorf("ForwardComplaint(%+q): %v", id, err)
		}
		if _, err := e.admin.ResolveComplaint(ctx, &pb.ResolveComplaintRequest{ComplaintId: id, Resolution: "listed"}); err != nil {
			t.Errorf("ResolveComplaint(%+q): %v", id, err)
		}
		if _, err := e.admin.AnswerComplaint(ctx, &pb.AnswerComplaintRequest{ComplaintId: id}); err != nil {
			t.Errorf("AnswerComplaint(%+q): %v", id, err)
		}
	}
}

// TestStoredDNCScopeWithDisplayControlRemoves: a do-not-call entry an
// earlier build stored in a scope whose name holds a C1 control or a
// bidirectional character (AddDncEntry refused ASCII controls only) is
// still removed over the wire: the scope names a stored entry.
func TestStoredDNCScopeWithDisplayControlRemoves(t *testing.T) {
	dir := t.TempDir()
	first := startFull(t, Config{}, dir)
	if err := first.srv.Shutdown(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	st, err := boltstore.Open(filepath.Join(dir, boltstore.DefaultFileName), boltstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	n := dialgate.MustParseNumber("+8613900139071")
	scopes := []string{"tenant:ac\u0085me", "campaign:q\u202e4"}
	for _, s := range scopes {
		kind, val, _ := strings.Cut(s, ":")
		e := dnc.Entry{Number: n, Scope: dnc.Scope{Kind: dnc.ScopeKind(kind), Value: val}, List: "opt_out", Source: "admin",
			AddedAt: time.Now().AddDate(-2, 0, 0)} // past the profile's hold
		if err := st.AddDNC(context.Background(), e); err != nil {
			t.Fatal(err)
		}
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	e := startFull(t, Config{}, dir)
	for _, s := range scopes {
		if _, err := e.admin.RemoveDncEntry(ctxT(t), &pb.RemoveDncEntryRequest{Number: n.String(), Scope: s}); err != nil {
			t.Errorf("RemoveDncEntry(%+q): %v", s, err)
		}
	}
	if err := e.srv.Shutdown(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	st, err = boltstore.Open(filepath.Join(dir, boltstore.DefaultFileName), boltstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if left, err := st.DNCEntries(context.Background(), n); err != nil || len(left) != 0 {
		t.Errorf("after the removals: entries %+v, %v; want none", left, err)
	}
}
