package boltstore

import (
	"cmp"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"slices"

	bolt "go.etcd.io/bbolt"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/callerid"
	"github.com/dialgate/dialgate/storage"
)

// bucketLedger holds the caller-ID ledger: key = uvarint length of the tenant
// | tenant | number (E.164 digits as uint64, big endian), value = JSON of
// callerid.Entry. Keys sort by tenant, then by number.
var bucketLedger = []byte("ledger")

// metaLedgerVersion is the meta key of the ledger's change counter (uint64,
// big endian), incremented by every ledger write.
var metaLedgerVersion = []byte("ledger.version")

var _ callerid.ConditionalStore = (*Store)(nil)

func ledgerKey(tenant string, n dialgate.Number) []byte {
	k := binary.AppendUvarint(make([]byte, 0, len(tenant)+12), uint64(len(tenant)))
	k = append(k, tenant...)
	return binary.BigEndian.AppendUint64(k, n.Uint64())
}

func bumpLedgerVersion(tx *bolt.Tx) error {
	meta := tx.Bucket(bucketMeta)
	var v uint64
	if b := meta.Get(metaLedgerVersion); b != nil {
		if len(b) != 8 {
			return fmt.Errorf("ledger version: %w: %d bytes", storage.ErrCorrupt, len(b))
		}
		v = binary.BigEndian.Uint64(b)
	}
	return meta.Put(metaLedgerVersion, binary.BigEndian.AppendUint64(nil, v+1))
}

// decodeEntry decodes the ledger entry stored under k and checks it
// against its key (callerid.Entry.ValidateStored).
func decodeEntry(k, v []byte) (callerid.Entry, error) {
	tenant, n, ok := parseLedgerKey(k)
	key := fmt.Sprintf("%q %s", tenant, n)
	if !ok {
		key = fmt.Sprintf("%x", k)
	}
	return storage.DecodeRecord("ledger entry", key, v, func(e *callerid.Entry) error {
		if !ok {
			return fmt.Errorf("key %x: not a (tenant, number) key", k)
		}
		return e.ValidateStored(tenant, n)
	})
}

// parseLedgerKey is the inverse of ledgerKey.
func parseLedgerKey(k []byte) (string, dialgate.Number, bool) {
	l, w := binary.Uvarint(k)
	if w <= 0 || uint64(len(k)-w) != l+8 {
		return "", dialgate.Number{}, false
	}
	n, err := dialgate.NumberFromUint64(binary.BigEndian.Uint64(k[len(k)-8:]))
	if err != nil {
		return "", dialgate.Number{}, false
	}
	return string(k[w : len(k)-8]), n, true
}

// PutLedger implements callerid.Store: all entries or none, each normalized,
// durable (fsynced) before it returns.
func (s *Store) PutLedger(ctx context.Context, entries ...callerid.Entry) error {
	if err := s.domainArgs(ctx, "PutLedger"); err != nil {
		return err
	}
	norm, err := callerid.NormalizeEntries(entries)
	if err != nil {
		return fmt.Errorf("boltstore: PutLedger: %w", err)
	}
	keys := make([][]byte, len(norm))
	vals := make([][]byte, len(norm))
	for i, n := range norm {
		v, err := json.Marshal(n)
		if err != nil {
			return fmt.Errorf("boltstore: PutLedger: entries[%d]: %w", i, err)
		}
		keys[i], vals[i] = ledgerKey(n.Tenant, n.Number), v
	}
	return s.batch("PutLedger", func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketLedger)
		for i := range keys {
			if err := b.Put(keys[i], vals[i]); err != nil {
				return err
			}
		}
		return bumpLedgerVersion(tx)
	})
}

// PutLedgerIf implements callerid.ConditionalStore: each entry's Expect is
// checked in the write transaction itself (bbolt has one writer at a
// time), all entries or none, durable before it returns.
func (s *Store) PutLedgerIf(ctx context.Context, expect []callerid.Expect, entries ...callerid.Entry) error {
	if err := s.domainArgs(ctx, "PutLedgerIf"); err != nil {
		return err
	}
	norm, xs, err := callerid.PairExpects(expect, entries)
	if err != nil {
		return fmt.Errorf("boltstore: PutLedgerIf: %w", err)
	}
	keys := make([][]byte, len(norm))
	vals := make([][]byte, len(norm))
	for i, n := range norm {
		v, err := json.Marshal(n)
		if err != nil {
			return fmt.Errorf("boltstore: PutLedgerIf: entries[%d]: %w", i, err)
		}
		keys[i], vals[i] = ledgerKey(n.Tenant, n.Number), v
	}
	var conflict error
	err = s.batch("PutLedgerIf", func(tx *bolt.Tx) error {
		conflict = nil
		b := tx.Bucket(bucketLedger)
		for i, x := range xs {
			var (
				found   *callerid.Entry
				damaged bool
			)
			if v := b.Get(keys[i]); v != nil {
				e, err := decodeEntry(keys[i], v)
				found, damaged = &e, err != nil
			}
			if err := x.Match(found, damaged); err != nil {
				conflict = err
				return err
			}
		}
		for i := range keys {
			if err := b.Put(keys[i], vals[i]); err != nil {
				return err
			}
		}
		return bumpLedgerVersion(tx)
	})
	if conflict != nil {
		return fmt.Errorf("boltstore: PutLedgerIf: %w", conflict)
	}
	return err
}

// DeleteLedgerEntry implements callerid.Store; durable before it returns.
func (s *Store) DeleteLedgerEntry(ctx context.Context, tenant string, n dialgate.Number) error {
	if err := s.domainArgs(ctx, "DeleteLedgerEntry"); err != nil {
		return err
	}
	k := ledgerKey(tenant, n)
	var found bool
	err := s.batch("DeleteLedgerEntry", func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketLedger)
		found = b.Get(k) != nil
		if !found {
			return nil
		}
		if err := b.Delete(k); err != nil {
			return err
		}
		return bumpLedgerVersion(tx)
	})
	if err != nil {
		return err
	}
	if !found {
		return fmt.Errorf("boltstore: ledger entry %s of tenant %q: %w", n, tenant, storage.ErrNotFound)
	}
	return nil
}

// LedgerEntry implements callerid.Store.
func (s *Store) LedgerEntry(ctx context.Context, tenant string, n dialgate.Number) (callerid.Entry, error) {
	if err := s.domainArgs(ctx, "LedgerEntry"); err != nil {
		return callerid.Entry{}, err
	}
	var (
		e     callerid.Entry
		found bool
	)
	k := ledgerKey(tenant, n)
	err := s.view("LedgerEntry", func(tx *bolt.Tx) error {
		v := tx.Bucket(bucketLedger).Get(k)
		if v == nil {
			return nil
		}
		found = true
		var err error
		e, err = decodeEntry(k, v)
		return err
	})
	if err != nil {
		return callerid.Entry{}, err
	}
	if !found {
		return callerid.Entry{}, fmt.Errorf("boltstore: ledger entry %s of tenant %q: %w", n, tenant, storage.ErrNotFound)
	}
	return e, nil
}

// ListLedger implements callerid.Store: every entry, by tenant then number.
func (s *Store) ListLedger(ctx context.Context) ([]callerid.Entry, error) {
	if err := s.domainArgs(ctx, "ListLedger"); err != nil {
		return nil, err
	}
	var out []callerid.Entry
	err := s.view("ListLedger", func(tx *bolt.Tx) error {
		out = out[:0]
		return tx.Bucket(bucketLedger).ForEach(func(k, v []byte) error {
			e, err := decodeEntry(k, v)
			if err != nil {
				return err
			}
			out = append(out, e)
			return nil
		})
	})
	if err != nil {
		return nil, err
	}
	if out == nil {
		out = []callerid.Entry{}
	}
	// Keys start with the tenant's length, so the bucket's order puts
	// shorter tenants first; the contract is tenant, then number.
	slices.SortFunc(out, func(a, b callerid.Entry) int {
		return cmp.Or(cmp.Compare(a.Tenant, b.Tenant), cmp.Compare(a.Number.Uint64(), b.Number.Uint64()))
	})
	return out, nil
}

// LedgerVersion implements callerid.Store: the persisted change counter,
// which never repeats a value for one file.
func (s *Store) LedgerVersion(ctx context.Context) (uint64, error) {
	if err := s.domainArgs(ctx, "LedgerVersion"); err != nil {
		return 0, err
	}
	var v uint64
	err := s.view("LedgerVersion", func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketMeta).Get(metaLedgerVersion)
		if b == nil {
			v = 0
			return nil
		}
		if len(b) != 8 {
			return fmt.Errorf("ledger version: %w: %d bytes", storage.ErrCorrupt, len(b))
		}
		v = binary.BigEndian.Uint64(b)
		return nil
	})
	return v, err
}
