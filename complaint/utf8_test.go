package complaint_test

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dialgate/dialgate/complaint"
	"github.com/dialgate/dialgate/dnc"
	"github.com/dialgate/dialgate/storage/boltstore"
)

// A complaint's text fields are stored as JSON, which cannot hold bytes
// that are not UTF-8: encoding/json replaces them. A filing whose id was
// not UTF-8 (`dialgate complaint add --id` takes any bytes) was stored
// under its id while its JSON named another: File said it was filed, and
// from then on the complaint failed every read, and so did every listing
// of the store's complaints (complaint list, the quarterly report). A
// tenant, decision id, details or resolution that is not UTF-8 was
// changed silently. Each is refused, naming the field.
func TestComplaintTextNotUTF8Refused(t *testing.T) {
	ctx := context.Background()
	st, err := boltstore.Open(filepath.Join(t.TempDir(), "dialgate.db"), boltstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	lists, err := dnc.NewLists(ctx, st, dnc.ListsOptions{})
	if err != nil {
		t.Fatal(err)
	}
	check, err := dnc.New(dnc.Config{}, lists)
	if err != nil {
		t.Fatal(err)
	}
	desk, err := complaint.NewDesk(complaint.Config{}, st, check, nil, hasher{}, nil, cst)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		field string
		f     complaint.Filing
	}{
		{"id", complaint.Filing{ID: "cp-\xff", Number: callee, Channel: complaint.ChannelWeb}},
		{"tenant", complaint.Filing{ID: "cp-t", Number: callee, Channel: complaint.ChannelWeb, Tenant: "acme\xff"}},
		{"decision_id", complaint.Filing{ID: "cp-d", Number: callee, Channel: complaint.ChannelWeb, DecisionID: "d-\xc3"}},
		{"details", complaint.Filing{ID: "cp-x", Number: callee, Channel: complaint.ChannelWeb, Details: "called at \xe4 night"}},
	} {
		if _, err := desk.File(ctx, fri, tc.f); !errors.Is(err, complaint.ErrInvalid) || !strings.Contains(err.Error(), tc.field) {
			t.Errorf("filing with %s not UTF-8: %v, want ErrInvalid naming %s", tc.field, err, tc.field)
		}
	}
	if _, err := desk.File(ctx, fri, complaint.Filing{ID: "cp-ok", Number: callee, Channel: complaint.ChannelWeb}); err != nil {
		t.Fatal(err)
	}
	if err := desk.Resolve(ctx, "cp-ok", fri.Add(time.Hour), "number removed \xff"); !errors.Is(err, complaint.ErrInvalid) || !strings.Contains(err.Error(), "resolution") {
		t.Errorf("resolution not UTF-8: %v, want ErrInvalid naming resolution", err)
	}
	ls, err := desk.List(ctx, fri.Add(2*time.Hour), complaint.Filter{})
	if err != nil || len(ls) != 1 || ls[0].ID != "cp-ok" || ls[0].Status != complaint.StatusOpen {
		t.Fatalf("list: %+v, %v; want cp-ok alone, open", ls, err)
	}
}
