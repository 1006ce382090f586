package boltstore

import (
	"context"
	"encoding/binary"
	"errors"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/dialgate/dialgate/storage"
	"github.com/dialgate/dialgate/storage/internal/countstate"
)

// v1Key builds a schema-1 counters.entries key.
func v1Key(key string, at time.Time, id string) []byte {
	b := binary.BigEndian.AppendUint16(nil, uint16(len(key)))
	b = append(b, key...)
	b = appendInstant(b, at.UnixNano())
	return append(b, id...)
}

func v1Value(w time.Duration, member string) []byte {
	return append(binary.BigEndian.AppendUint64(nil, uint64(w)), member...)
}

// makeV1 writes a schema-1 store whose counter buckets fill fills.
func makeV1(t *testing.T, path string, fill func(ent, ids *bolt.Bucket) error) {
	t.Helper()
	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		meta, _ := tx.CreateBucket(bucketMeta)
		ent, _ := tx.CreateBucket(bucketCounterEntries)
		ids, _ := tx.CreateBucket(bucketCounterIDs)
		if err := meta.Put(metaSchema, []byte(SchemaName)); err != nil {
			return err
		}
		if err := meta.Put(metaVersion, []byte("1")); err != nil {
			return err
		}
		return fill(ent, ids)
	})
	if cerr := db.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		t.Fatal(err)
	}
}

// writeV1 writes a schema-1 store: reservation "a" (two keys) and "b" (one
// key with a member) listed in counters.ids, and one entry no id lists.
func writeV1(t *testing.T, path string, t0 time.Time) {
	t.Helper()
	makeV1(t, path, func(ent, ids *bolt.Bucket) error {
		put := func(id string, ks ...[]byte) error {
			var list []byte
			for _, k := range ks {
				list = binary.AppendUvarint(list, uint64(len(k)))
				list = append(list, k...)
			}
			return ids.Put([]byte(id), list)
		}
		a1, a2 := v1Key("callee", t0, "a"), v1Key("tenant", t0, "a")
		b1 := v1Key("seg", t0.Add(time.Minute), "b")
		o1 := v1Key("callee", t0.Add(2*time.Minute), "orphan")
		for k, v := range map[string][]byte{string(a1): v1Value(24*time.Hour, ""), string(a2): v1Value(time.Hour, ""), string(b1): v1Value(time.Hour, "n1"), string(o1): v1Value(24*time.Hour, "")} {
			if err := ent.Put([]byte(k), v); err != nil {
				return err
			}
		}
		if err := put("a", a1, a2); err != nil {
			return err
		}
		return put("b", b1)
	})
}

// Open migrates a schema-1 file's counters into the journal: every entry
// still counts, ids are still held (Release works, Reserve stays
// idempotent), the old buckets are gone and the file says version 3.
func TestMigrateV1Counters(t *testing.T) {
	path := filepath.Join(t.TempDir(), "v1.db")
	t0 := time.Date(2026, 12, 5, 9, 0, 0, 0, time.UTC)
	writeV1(t, path, t0)
	ctx := context.Background()
	for round := range 2 { // the second open reads the migrated file
		s, err := Open(path, Options{})
		if err != nil {
			t.Fatal(err)
		}
		at := t0.Add(10 * time.Minute)
		us, err := s.Usage(ctx, at, []storage.Limit{
			{Key: "callee", Window: 24 * time.Hour, Max: 5},
			{Key: "tenant", Window: time.Hour, Max: 5},
			{Key: "seg", Member: "n2", Window: time.Hour, Max: 1},
		})
		if err != nil {
			t.Fatal(err)
		}
		if us[0].Count != 2 || us[1].Count != 1 || us[2].Count != 1 || !us[2].Exceeded {
			t.Errorf("round %d: usage after migration = %+v; want callee 2, tenant 1, seg 1 (exceeded for another member)", round, us)
		}
		if ok, _, err := s.Reserve(ctx, "b", at, []storage.Limit{{Key: "seg", Member: "n3", Window: time.Hour, Max: 1}}); err != nil || !ok {
			t.Errorf("round %d: Reserve of migrated id b = %v, %v; want ok (held)", round, ok, err)
		}
		err = s.db.View(func(tx *bolt.Tx) error {
			if tx.Bucket(bucketCounterEntries) != nil || tx.Bucket(bucketCounterIDs) != nil {
				t.Errorf("round %d: schema-1 buckets still present", round)
			}
			if v := string(tx.Bucket(bucketMeta).Get(metaVersion)); v != strconv.Itoa(SchemaVersion) {
				t.Errorf("round %d: schema version %q, want %d", round, v, SchemaVersion)
			}
			if tx.Bucket(bucketCounterLog) != nil {
				t.Errorf("round %d: the schema-2 bucket counters.log is still present", round)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if n := journalHeld(t, s); n != 3 {
			t.Errorf("round %d: the journal holds %d reservations, want 3 (a, b, the orphan entry)", round, n)
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
	}
	s, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Release(ctx, "a"); err != nil {
		t.Fatal(err)
	}
	us, err := s.Usage(ctx, t0.Add(10*time.Minute), []storage.Limit{{Key: "callee", Window: 24 * time.Hour, Max: 5}})
	if err != nil || us[0].Count != 1 {
		t.Errorf("after releasing migrated id a: %+v, %v; want the orphan entry only", us, err)
	}
}

// A damaged schema-1 entry fails the migration, and Open, without writing.
func TestMigrateV1Damaged(t *testing.T) {
	path := filepath.Join(t.TempDir(), "v1.db")
	t0 := time.Date(2026, 12, 5, 9, 0, 0, 0, time.UTC)
	writeV1(t, path, t0)
	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketCounterEntries).Put(v1Key("callee", t0, "a"), []byte{1})
	})
	if cerr := db.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		t.Fatal(err)
	}
	if s, err := Open(path, Options{}); !errors.Is(err, storage.ErrCorrupt) {
		if s != nil {
			s.Close()
		}
		t.Fatalf("Open of a damaged schema-1 file = %v; want ErrCorrupt", err)
	}
	db, err = bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	_ = db.View(func(tx *bolt.Tx) error {
		if v := string(tx.Bucket(bucketMeta).Get(metaVersion)); v != "1" || tx.Bucket(bucketCounterEntries) == nil {
			t.Errorf("a refused migration changed the file (version %q)", v)
		}
		return nil
	})
}

// A journal write that fails stops the counters: the index may be ahead of
// the file, so every later call fails (and the checks deny) until reopen.
func TestJournalFailureStopsCounters(t *testing.T) {
	s, err := Open(filepath.Join(t.TempDir(), "f.db"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	t0 := time.Date(2026, 12, 5, 9, 0, 0, 0, time.UTC)
	l := []storage.Limit{{Key: "k", Window: time.Hour, Max: 5}}
	if err := s.counters.j.f.Close(); err != nil { // the journal's file goes away under the store
		t.Fatal(err)
	}
	if ok, _, err := s.Reserve(ctx, "a", t0, l); ok || err == nil {
		t.Fatalf("Reserve with a failing journal = %v, %v; want an error", ok, err)
	}
	if _, err := s.Usage(ctx, t0, l); !errors.Is(err, storage.ErrUnavailable) {
		t.Errorf("Usage after a failed journal write = %v; want ErrUnavailable", err)
	}
	if ok, _, err := s.Reserve(ctx, "b", t0, l); ok || !errors.Is(err, storage.ErrUnavailable) {
		t.Errorf("Reserve after a failed journal write = %v, %v; want ErrUnavailable", ok, err)
	}
}

// decodeReservation never panics on damaged records, and every record it
// accepts encodes to a record that decodes to the same reservation.
func FuzzDecodeReservation(f *testing.F) {
	f.Add(encodeReservation("dg-1", 1_700_000_000_000_000_000, []countstate.Recorded{{Key: "k", Window: time.Hour}, {Key: "s", Member: "n1", Window: 24 * time.Hour}}))
	f.Add(encodeReservation("x", -5, []countstate.Recorded{{Key: "k", Window: 1}}))
	f.Add([]byte{1, 0, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		id, at, keys, err := decodeReservation(b)
		if err != nil {
			if !errors.Is(err, storage.ErrCorrupt) {
				t.Fatalf("error %v does not wrap ErrCorrupt", err)
			}
			return
		}
		id2, at2, keys2, err := decodeReservation(encodeReservation(id, at, keys))
		if err != nil || id2 != id || at2 != at || !slices.Equal(keys2, keys) {
			t.Fatalf("round trip of %q %d %+v: %q %d %+v, %v", id, at, keys, id2, at2, keys2, err)
		}
	})
}
