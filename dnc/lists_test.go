package dnc

import (
	"context"
	"testing"

	"github.com/dialgate/dialgate"
)

// feedStore is a testStore with a change feed: its WatchDNC keeps the
// watcher so that the test can tell it about another process's Add.
type feedStore struct {
	*testStore
	w ChangeWatcher
}

func (s *feedStore) WatchDNC(w ChangeWatcher) func() { s.w = w; return func() {} }

// An opt-out taken by another process whose notification arrives as NewLists
// finishes its initial fill must reach the Bloom filter: lost, the filter
// answers "not listed" for that number without reading the store, for as long
// as the process runs.
func TestNewListsKeepsChangeAfterFill(t *testing.T) {
	ctx := context.Background()
	st := &feedStore{testStore: newTestStore()}
	if err := st.AddDNC(ctx, Entry{Number: num("+8613800138000"), Scope: GlobalScope, List: "opt_out", AddedAt: t0}); err != nil {
		t.Fatal(err)
	}
	late := num("+8613900139000")
	testHookFilled = func(*Lists) {
		// Another process adds late; its notification arrives now.
		if err := st.AddDNC(ctx, Entry{Number: late, Scope: GlobalScope, List: "opt_out", AddedAt: t0}); err != nil {
			t.Fatal(err)
		}
		st.w.DNCChanged(late)
	}
	defer func() { testHookFilled = nil }()
	l, err := NewLists(ctx, st, ListsOptions{})
	if err != nil {
		t.Fatal(err)
	}
	c, err := New(Config{}, l)
	if err != nil {
		t.Fatal(err)
	}
	rs, err := c.Check(ctx, dialgate.Dial{To: late, Purpose: dialgate.PurposeMarketing, At: t0})
	if err != nil {
		t.Fatal(err)
	}
	if len(rs) == 0 || rs[0].Code != dialgate.CodeDNCListed {
		t.Fatalf("reasons %v, want dnc.listed for a number added by another process during NewLists", rs)
	}
}
