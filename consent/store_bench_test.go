package consent_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/consent"
	"github.com/dialgate/dialgate/storage/boltstore"
	"github.com/dialgate/dialgate/storage/memstore"
)

// BenchmarkCheckCacheHitStores measures the cache hit on the real stores: the
// per-dial revision read is an atomic load on both.
func BenchmarkCheckCacheHitStores(b *testing.B) {
	stores := map[string]func(b *testing.B) consent.Store{
		"memstore": func(b *testing.B) consent.Store { return memstore.New() },
		"boltstore": func(b *testing.B) consent.Store {
			s, err := boltstore.Open(filepath.Join(b.TempDir(), "d.db"), boltstore.Options{})
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { s.Close() })
			return s
		},
	}
	for name, open := range stores {
		b.Run(name, func(b *testing.B) {
			s := open(b)
			ctx := context.Background()
			granted := time.Date(2026, 11, 1, 10, 0, 0, 0, time.UTC)
			n := dialgate.MustParseNumber("+8613900139000")
			if err := s.AddConsent(ctx, consent.Record{ID: "c-1", Number: n, Scope: "industry:finance",
				Method: consent.MethodWebForm, DisclosureSHA256: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
				GrantedAt: granted}); err != nil {
				b.Fatal(err)
			}
			c, err := consent.NewCheck(consent.Config{Require: []consent.Requirement{{
				Purposes: []dialgate.Purpose{dialgate.PurposeMarketing},
				Cite:     dialgate.Citation{Source: dialgate.SourceLaw, Ref: "CN-S3"},
			}}}, s)
			if err != nil {
				b.Fatal(err)
			}
			d := dialgate.Dial{To: n, Purpose: dialgate.PurposeMarketing, Industry: "finance", At: granted.Add(time.Hour)}
			b.ReportAllocs()
			for b.Loop() {
				if rs, _, err := c.Attest(ctx, d); err != nil || len(rs) != 0 {
					b.Fatal(rs, err)
				}
			}
		})
	}
}
