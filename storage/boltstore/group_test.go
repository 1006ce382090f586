package boltstore

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/dialgate/dialgate/storage"
)

// One failing write in a group fails alone; the others are committed.
func TestGroupCommitIsolatesFailure(t *testing.T) {
	s, err := Open(filepath.Join(t.TempDir(), "g.db"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	bad := errors.New("bad write")
	var wg sync.WaitGroup
	errs := make([]error, 64)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = s.group.do(func(tx *bolt.Tx) error {
				b, err := tx.CreateBucketIfNotExists([]byte("test"))
				if err != nil {
					return err
				}
				if err := b.Put([]byte(fmt.Sprint(i)), []byte("v")); err != nil {
					return err
				}
				if i%10 == 3 {
					return bad
				}
				if i%10 == 7 {
					panic("boom")
				}
				return nil
			})
		}()
	}
	wg.Wait()
	err = s.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket([]byte("test"))
		for i, e := range errs {
			stored := b.Get([]byte(fmt.Sprint(i))) != nil
			switch i % 10 {
			case 3:
				if !errors.Is(e, bad) || stored {
					t.Errorf("write %d: err %v, stored %v; want its own error and nothing stored", i, e, stored)
				}
			case 7:
				if e == nil || stored {
					t.Errorf("write %d panicked: err %v, stored %v; want an error and nothing stored", i, e, stored)
				}
			default:
				if e != nil || !stored {
					t.Errorf("write %d: err %v, stored %v; want committed", i, e, stored)
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// ExpireCounters forgets, in the journal too, exactly the reservations none
// of whose entries can count.
func TestExpireInChunks(t *testing.T) {
	s, err := Open(filepath.Join(t.TempDir(), "e.db"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	t0 := time.Date(2026, 12, 5, 9, 0, 0, 0, time.UTC)
	var wg sync.WaitGroup
	for i := range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w := time.Hour
			if i%5 == 0 {
				w = 48 * time.Hour // these 10 stay
			}
			l := []storage.Limit{{Key: fmt.Sprint("k", i), Window: w, Max: 100}, {Key: fmt.Sprint("s", i%3), Window: time.Hour, Max: 100}}
			if ok, _, err := s.Reserve(ctx, fmt.Sprint("id", i), t0, l); err != nil || !ok {
				t.Errorf("Reserve %d = %v, %v", i, ok, err)
			}
		}()
	}
	wg.Wait()
	// 40 one-hour k entries and the 50 s entries (their keys' longest window
	// is one hour) leave the index; 40 reservations leave the journal.
	n, err := s.ExpireCounters(ctx, t0.Add(2*time.Hour))
	if err != nil || n != 90 {
		t.Fatalf("ExpireCounters = %d, %v; want 90", n, err)
	}
	if got := journalHeld(t, s); got != 10 {
		t.Errorf("the journal replays to %d reservations, want 10", got)
	}
}

// splitList never panics on damaged records.
func FuzzSplitList(f *testing.F) {
	f.Add([]byte{3, 'a', 'b', 'c', 1, 'd'})
	f.Add([]byte{0xff, 0xff, 0xff})
	f.Add([]byte{5, 'a'})
	f.Fuzz(func(t *testing.T, b []byte) {
		keys, err := splitList(b)
		if err != nil {
			return
		}
		n := 0
		for _, k := range keys {
			n += len(k)
		}
		if n > len(b) {
			t.Fatalf("decoded %d key bytes from %d bytes", n, len(b))
		}
	})
}
