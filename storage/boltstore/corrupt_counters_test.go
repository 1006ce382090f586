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

// A damaged counter entry must not be read as absent: that would count one
// call fewer and let a capped dial through. Usage and Reserve fail with
// ErrCorrupt instead (the frequency check then denies).
func TestCorruptCounterEntryIsNotAbsent(t *testing.T) {
	path := validFile(t) // one reservation under key "k", window 1h, max 1
	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket([]byte("counters.entries"))
		k, _ := b.Cursor().First()
		if k == nil {
			t.Fatal("no counter entry in the file")
		}
		return b.Put(append([]byte(nil), k...), []byte{1, 2, 3}) // value shorter than its 8-byte window
	})
	if cerr := db.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		t.Fatal(err)
	}
	s, err := boltstore.Open(path, boltstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	lim := []storage.Limit{{Key: "k", Window: time.Hour, Max: 1}}
	ctx := context.Background()
	if us, err := s.Usage(ctx, tRef.Add(time.Minute), lim); !errors.Is(err, storage.ErrCorrupt) {
		t.Errorf("Usage over a damaged entry = %+v, %v; want ErrCorrupt", us, err)
	}
	if ok, us, err := s.Reserve(ctx, "b", tRef.Add(time.Minute), lim); ok || !errors.Is(err, storage.ErrCorrupt) {
		t.Errorf("Reserve over a damaged entry = %v, %+v, %v; want ErrCorrupt", ok, us, err)
	}
}
