package policy

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/callerid"
	"github.com/dialgate/dialgate/dnc"
	"github.com/dialgate/dialgate/storage/boltstore"
	"github.com/dialgate/dialgate/storage/memstore"
)

// directDNCStore is a store an embedder writes do-not-call entries into
// directly, as its docs allow, while a Gate built on it runs.
type directDNCStore interface {
	dnc.Store
	callerid.Store
	Close() error
}

// TestStoreDNCWriteSeenByGate: an opt-out written straight into the
// embedded store (Store.AddDNC, not through the dnc check) denies the next
// dial, and a removal through the store is seen too. Before the in-process
// change feed, the Gate's Bloom filter — filled when the Gate was built —
// answered "not listed" for the new entry without reading the store: the
// dial to a number that had just opted out was allowed.
func TestStoreDNCWriteSeenByGate(t *testing.T) {
	stores := map[string]func(t *testing.T) directDNCStore{
		"memstore": func(t *testing.T) directDNCStore { return memstore.New() },
		"boltstore": func(t *testing.T) directDNCStore {
			s, err := boltstore.Open(filepath.Join(t.TempDir(), "dialgate.db"), boltstore.Options{})
			if err != nil {
				t.Fatal(err)
			}
			return s
		},
	}
	for name, open := range stores {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			store := open(t)
			defer store.Close()
			now := time.Date(2026, 12, 4, 10, 0, 0, 0, time.FixedZone("CST", 8*3600))
			p, err := Builtin("cn")
			if err != nil {
				t.Fatal(err)
			}
			deps, err := StoreDeps(store, []byte("0123456789abcdef0123456789abcdef"))
			if err != nil {
				t.Fatal(err)
			}
			from := dialgate.MustParseNumber("+861058001234")
			if err := store.PutLedger(ctx, callerid.Entry{Number: from, Holder: "Acme", Purposes: []dialgate.Purpose{dialgate.PurposeService}}); err != nil {
				t.Fatal(err)
			}
			gate, err := Build(p, deps, dialgate.WithoutAuditLog(), dialgate.WithClock(dialgate.ClockFunc(func() time.Time { return now })))
			if err != nil {
				t.Fatal(err)
			}
			// Two callees: one never looked up before its opt-out (a Bloom
			// miss), one looked up and cached as listed in another campaign.
			fresh := dialgate.MustParseNumber("+8613900139000")
			cached := dialgate.MustParseNumber("+8613900139001")
			if err := store.AddDNC(ctx, dnc.Entry{Number: cached, Scope: dnc.MustParseScope("campaign:other"), List: "opt_out", AddedAt: now}); err != nil {
				t.Fatal(err)
			}
			dial := func(to dialgate.Number) dialgate.Dial {
				return dialgate.Dial{To: to, From: from, Purpose: dialgate.PurposeService, LeadID: "crm-1", Campaign: "spring"}
			}
			if dec, err := gate.Check(ctx, dial(cached)); err != nil || !dec.Allowed {
				t.Fatalf("before the opt-out: %v %v, want allowed (listed in another campaign only)", dec.Codes(), err)
			}
			for _, n := range []dialgate.Number{fresh, cached} {
				if err := store.AddDNC(ctx, dnc.Entry{Number: n, Scope: dnc.GlobalScope, List: "opt_out", Source: "call", AddedAt: now}); err != nil {
					t.Fatal(err)
				}
				dec, err := gate.Check(ctx, dial(n))
				if err != nil || dec.Allowed || !dec.Has(dialgate.CodeDNCListed) {
					t.Errorf("%s after store.AddDNC: allowed=%v %v %v, want denied dnc.listed", n, dec.Allowed, dec.Codes(), err)
				}
			}
			// A removal through the store (after the hold) is seen as well:
			// the cached "listed" answer is dropped.
			now = now.AddDate(2, 0, 0)
			if err := store.RemoveDNC(ctx, fresh, dnc.GlobalScope, now); err != nil {
				t.Fatal(err)
			}
			if dec, err := gate.Check(ctx, dial(fresh)); err != nil || dec.Has(dialgate.CodeDNCListed) {
				t.Errorf("after store.RemoveDNC: %v %v, want no dnc.listed", dec.Codes(), err)
			}
		})
	}
}

// TestStoreDepsNoStore: StoreDeps refuses a store that implements none of
// the store interfaces (nil, a value of the wrong type, a pointer to the
// wrong thing) with an error naming the type, instead of returning Deps
// whose every store is nil and letting Build fail later on the first
// section.
func TestStoreDepsNoStore(t *testing.T) {
	key := []byte("0123456789abcdef0123456789abcdef")
	for _, s := range []any{nil, 42, "dialgate.db", new(memstore.Store).Close} {
		if _, err := StoreDeps(s, key); !errors.Is(err, dialgate.ErrInvalidConfig) {
			t.Errorf("StoreDeps(%T) = %v, want an error wrapping dialgate.ErrInvalidConfig", s, err)
		}
	}
	if _, err := StoreDeps(memstore.New(), key); err != nil {
		t.Errorf("StoreDeps(memstore) = %v", err)
	}
}

// TestStoreDepsNilPointer: a nil *memstore.Store or *boltstore.Store (a
// store variable never opened, an Open whose error was dropped) implements
// every interface as a typed nil: StoreDeps took it, Build took the Deps,
// and the Gate panicked (a nil pointer dereference) building its checks.
// StoreDeps refuses it, naming the store.
func TestStoreDepsNilPointer(t *testing.T) {
	key := []byte("0123456789abcdef0123456789abcdef")
	for _, s := range []any{(*memstore.Store)(nil), (*boltstore.Store)(nil)} {
		func() {
			defer func() {
				if r := recover(); r != nil {
					t.Fatalf("StoreDeps(%T nil) panicked: %v", s, r)
				}
			}()
			_, err := StoreDeps(s, key)
			if !errors.Is(err, dialgate.ErrInvalidConfig) || !strings.Contains(err.Error(), "store") {
				t.Errorf("StoreDeps(%T nil) = %v, want an error naming the store, wrapping dialgate.ErrInvalidConfig", s, err)
			}
		}()
	}
}

// TestBuildNilProfile: Build, Assemble and Checks given a nil profile (the
// result of a Builtin or Load whose error was dropped) fail with an error
// wrapping ErrInvalidProfile that names the profile argument, as every other
// profile problem does, instead of a bare "nil profile" no errors.Is matches.
func TestBuildNilProfile(t *testing.T) {
	deps, err := StoreDeps(memstore.New(), []byte("0123456789abcdef0123456789abcdef"))
	if err != nil {
		t.Fatal(err)
	}
	_, errBuild := Build(nil, deps, dialgate.WithoutAuditLog())
	_, errAsm := Assemble(nil, deps, dialgate.WithoutAuditLog())
	_, errChecks := Checks(nil, deps)
	var p *Profile
	for name, err := range map[string]error{"Build": errBuild, "Assemble": errAsm, "Checks": errChecks, "Validate": p.Validate()} {
		if !errors.Is(err, ErrInvalidProfile) || !strings.Contains(err.Error(), "profile") {
			t.Errorf("%s(nil profile) = %v, want an error wrapping ErrInvalidProfile", name, err)
		}
	}
}
