package boltstore

import (
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"

	bolt "go.etcd.io/bbolt"
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
