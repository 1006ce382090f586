package boltstore_test

import (
	"context"
	"errors"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/dialgate/dialgate/storage"
	"github.com/dialgate/dialgate/storage/boltstore"
)

// A damaged journal record must not be read as absent: that would count one
// call fewer and let a capped dial through. The store still opens (its other
// domains are intact), but Usage and Reserve fail with ErrCorrupt (the
// frequency check then denies).
func TestCorruptCounterRecordIsNotAbsent(t *testing.T) {
	for name, damage := range map[string]func(v []byte) []byte{
		"short":     func([]byte) []byte { return []byte{1, 2, 3} },
		"version":   func(v []byte) []byte { v[0] = 9; return v },
		"truncated": func(v []byte) []byte { return v[:len(v)-3] },
		"expiry":    func(v []byte) []byte { v[12]++; return v },
		"trailing":  func(v []byte) []byte { return append(v, 0) },
	} {
		t.Run(name, func(t *testing.T) {
			path := validFile(t) // one reservation under key "k", window 1h, max 1
			editBolt(t, path, func(tx *bolt.Tx) error {
				b := tx.Bucket([]byte("counters.log"))
				k, v := b.Cursor().First()
				if k == nil {
					t.Fatal("no journal record in the file")
				}
				return b.Put(append([]byte(nil), k...), damage(append([]byte(nil), v...)))
			})
			s, err := boltstore.Open(path, boltstore.Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			lim := []storage.Limit{{Key: "k", Window: time.Hour, Max: 1}}
			ctx := context.Background()
			if us, err := s.Usage(ctx, tRef.Add(time.Minute), lim); !errors.Is(err, storage.ErrCorrupt) {
				t.Errorf("Usage over a damaged record = %+v, %v; want ErrCorrupt", us, err)
			}
			if ok, us, err := s.Reserve(ctx, "b", tRef.Add(time.Minute), lim); ok || !errors.Is(err, storage.ErrCorrupt) {
				t.Errorf("Reserve over a damaged record = %v, %+v, %v; want ErrCorrupt", ok, us, err)
			}
			if _, err := s.ExpireCounters(ctx, tRef.Add(48*time.Hour)); !errors.Is(err, storage.ErrCorrupt) {
				t.Errorf("ExpireCounters over a damaged record = %v; want ErrCorrupt (it must not delete what it cannot read)", err)
			}
		})
	}
}
