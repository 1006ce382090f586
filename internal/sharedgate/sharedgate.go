// Package sharedgate builds, for the tests of the shared stores, the Gate
// one sidecar process builds on a shared store: the dnc check (its Bloom
// filter kept current by the store's change feed) and the cn frequency caps.
package sharedgate

import (
	"context"
	"testing"
	"time"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/dnc"
	"github.com/dialgate/dialgate/schedule"
	"github.com/dialgate/dialgate/storage"
)

// Store is what the Gate needs of a shared store.
type Store interface {
	dnc.Store
	storage.Counters
}

// New returns the Gate of one sidecar on s, deciding at t0 (no audit log, a
// check timeout of 2 s), and its do-not-call lists, closed when the test
// ends.
func New(t testing.TB, s Store, t0 time.Time) (*dialgate.Gate, *dnc.Lists) {
	t.Helper()
	lists, err := dnc.NewLists(context.Background(), s, dnc.ListsOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { lists.Close() })
	dc, err := dnc.New(dnc.Config{}, lists)
	if err != nil {
		t.Fatal(err)
	}
	caps, err := schedule.NewCapCheck(schedule.CapsCN(), s)
	if err != nil {
		t.Fatal(err)
	}
	g, err := dialgate.New([]dialgate.Checker{dc, caps}, dialgate.WithoutAuditLog(),
		dialgate.WithClock(dialgate.ClockFunc(func() time.Time { return t0 })),
		dialgate.WithCheckTimeout(2*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	return g, lists
}

// Dial is a service dial of tenant acme to the number to, from a Beijing
// fixed line, with a lead id.
func Dial(to string) dialgate.Dial {
	return dialgate.Dial{To: dialgate.MustParseNumber(to), From: dialgate.MustParseNumber("+861058001234"),
		Purpose: dialgate.PurposeService, Tenant: "acme", LeadID: "crm-1"}
}
