package boltstore

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/dnc"
	"github.com/dialgate/dialgate/storage"
)

// bucketDNC holds do-not-call entries: key = 8-byte big-endian number then
// the scope text, value = the entry as JSON.
var bucketDNC = []byte("dnc.entries")

// bucketDNCReplaced keeps, as evidence, the damaged entries AddDNC replaced:
// key = the entry's key in bucketDNC then an 8-byte big-endian sequence
// number, value = the bytes that were stored, verbatim. Nothing reads it; an
// operator inspects it with the bbolt tool (docs/deploy.md). Older builds
// ignore it.
var bucketDNCReplaced = []byte("dnc.replaced")

var _ dnc.Store = (*Store)(nil)

func dncKey(n dialgate.Number, sc dnc.Scope) []byte {
	k := binary.BigEndian.AppendUint64(make([]byte, 0, 8+32), n.Uint64())
	return append(k, sc.String()...)
}

// decodeDNC decodes the entry stored under k and checks it against its key
// (dnc.Entry.ValidateStored).
func decodeDNC(k, v []byte) (dnc.Entry, error) {
	var (
		n   dialgate.Number
		sc  dnc.Scope
		err error = errors.New("shorter than a number")
	)
	key := fmt.Sprintf("%x", k)
	if len(k) >= 8 {
		if n, err = dialgate.NumberFromUint64(binary.BigEndian.Uint64(k)); err == nil {
			key = dnc.StoredKey(n, string(k[8:]))
			sc, err = dnc.ParseScope(string(k[8:]))
		}
	}
	return storage.DecodeRecord("dnc entry", key, v, func(e *dnc.Entry) error {
		if err != nil {
			return fmt.Errorf("key: %w", err)
		}
		return e.ValidateStored(n, sc)
	})
}

var _ dnc.ChangeFeed = (*Store)(nil)

// WatchDNC implements dnc.ChangeFeed: w hears of every change that AddDNC,
// RemoveDNC and RemoveDNCIf make, before they return, so that a Gate's
// do-not-call lists (dnc.NewLists subscribes) see an entry written straight
// into the store, not only one added through the dnc check. The feed is
// never lost: the file is locked to this process, so every write to it goes
// through this Store.
func (s *Store) WatchDNC(w dnc.ChangeWatcher) (cancel func()) { return s.feed.Watch(w) }

// AddDNC implements dnc.Store: all entries in one fsynced transaction. A
// damaged entry under the key of one added is replaced (see mergeDNC).
// The store's change feed (WatchDNC) hears of every entry before AddDNC
// returns, even when the commit reports an error (it may have been written
// all the same): a watcher told of a number that is not listed reads the
// store once more, one not told would hide it.
func (s *Store) AddDNC(ctx context.Context, entries ...dnc.Entry) error {
	if err := s.check("AddDNC"); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	for i, e := range entries {
		if err := e.Validate(); err != nil {
			return fmt.Errorf("boltstore: AddDNC: entry %d: %w", i, err)
		}
	}
	err := s.addDNC(ctx, entries)
	for _, e := range entries {
		s.feed.Notify(e.Number)
	}
	return err
}

func (s *Store) addDNC(ctx context.Context, entries []dnc.Entry) error {
	if err := s.check("AddDNC"); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	vals := make([][]byte, len(entries))
	for i, e := range entries {
		if err := e.Validate(); err != nil {
			return fmt.Errorf("boltstore: AddDNC: entry %d: %w", i, err)
		}
		v, err := json.Marshal(e)
		if err != nil {
			return fmt.Errorf("boltstore: AddDNC: entry %d: %w", i, err)
		}
		vals[i] = v
	}
	return s.batch("AddDNC", func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketDNC)
		for i, e := range entries {
			k := dncKey(e.Number, e.Scope)
			v := vals[i]
			if old := b.Get(k); old != nil {
				keep, write, err := mergeDNC(tx, k, old, e)
				if err != nil {
					return err
				}
				if !write {
					// Kept as stored: on to the next entry (returning here
					// committed the batch without the entries after it).
					continue
				}
				if v, err = json.Marshal(keep); err != nil {
					return err
				}
			}
			if err := b.Put(k, v); err != nil {
				return err
			}
		}
		return nil
	})
}

// mergeDNC returns what AddDNC keeps when e is added over old, the value
// stored under k, and whether to write it. A sound old is merged
// (dnc.Merge). A damaged one (it does not decode or fails
// dnc.Entry.ValidateStored) is replaced by e (dnc.ReplaceDamaged: its hold,
// when readable, is kept if longer), and its bytes are first copied,
// verbatim, to bucketDNCReplaced: the opt-out is never refused for what is
// wrong with the entry stored, and the damaged entry is kept as evidence.
func mergeDNC(tx *bolt.Tx, k, old []byte, e dnc.Entry) (dnc.Entry, bool, error) {
	cur, err := decodeDNC(k, old)
	if err == nil {
		keep, changed := dnc.Merge(cur, e)
		return keep, changed, nil
	}
	rb := tx.Bucket(bucketDNCReplaced)
	seq, err := rb.NextSequence()
	if err != nil {
		return dnc.Entry{}, false, err
	}
	if err := rb.Put(binary.BigEndian.AppendUint64(bytes.Clone(k), seq), bytes.Clone(old)); err != nil {
		return dnc.Entry{}, false, err
	}
	return dnc.ReplaceDamaged(e, dnc.StoredHoldUntil(old)), true, nil
}

// DNCEntries implements dnc.Store.
func (s *Store) DNCEntries(ctx context.Context, n dialgate.Number) ([]dnc.Entry, error) {
	if err := s.check("DNCEntries"); err != nil {
		return nil, err
	}
	var out []dnc.Entry
	prefix := binary.BigEndian.AppendUint64(nil, n.Uint64())
	err := s.view("DNCEntries", func(tx *bolt.Tx) error {
		out = out[:0]
		c := tx.Bucket(bucketDNC).Cursor()
		for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
			e, err := decodeDNC(k, v)
			if err != nil {
				return err
			}
			out = append(out, e)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, nil
	}
	return out, nil
}

// RemoveDNC implements dnc.Store.
func (s *Store) RemoveDNC(ctx context.Context, n dialgate.Number, sc dnc.Scope, t time.Time) error {
	return s.RemoveDNCIf(ctx, n, sc, t, dnc.RemoveCondition{})
}

// RemoveDNCIf implements dnc.Store: the entry's soundness (decodeDNC) and
// cond are checked in the same write transaction as the hold and the
// removal; a damaged entry is kept.
//
// The store's change feed (WatchDNC) hears of the number before RemoveDNCIf
// returns, whatever the outcome, so that no cached answer outlives a
// removal that may have been committed.
func (s *Store) RemoveDNCIf(ctx context.Context, n dialgate.Number, sc dnc.Scope, t time.Time, cond dnc.RemoveCondition) error {
	if err := s.check("RemoveDNC"); err != nil {
		return err
	}
	defer s.feed.Notify(n)
	k := dncKey(n, sc)
	var derr error
	err := s.batch("RemoveDNC", func(tx *bolt.Tx) error {
		derr = nil
		b := tx.Bucket(bucketDNC)
		v := b.Get(k)
		if v == nil {
			derr = fmt.Errorf("boltstore: RemoveDNC %s: %w", sc, dnc.ErrNotListed)
			return nil
		}
		cur, err := decodeDNC(k, v)
		if err != nil {
			// Its hold and added_at cannot be trusted: kept.
			derr = fmt.Errorf("boltstore: RemoveDNC: %w", err)
			return nil
		}
		if t.Before(cur.HoldUntil) {
			derr = fmt.Errorf("boltstore: RemoveDNC %s: held until %s: %w", sc, cur.HoldUntil.Format(time.RFC3339), dnc.ErrHeld)
			return nil
		}
		if !cond.Allows(cur) {
			derr = fmt.Errorf("boltstore: RemoveDNC %s: added at %s: %w", sc, cur.AddedAt.Format(time.RFC3339), dnc.ErrChanged)
			return nil
		}
		return b.Delete(k)
	})
	if err != nil {
		return err
	}
	return derr
}

// ScanDNC implements dnc.Store. fn runs inside a read transaction.
func (s *Store) ScanDNC(ctx context.Context, fn func(dnc.Entry) error) error {
	if err := s.check("ScanDNC"); err != nil {
		return err
	}
	var ferr error
	err := s.view("ScanDNC", func(tx *bolt.Tx) error {
		return tx.Bucket(bucketDNC).ForEach(func(k, v []byte) error {
			e, err := decodeDNC(k, v)
			if err != nil {
				return err
			}
			if err := fn(e); err != nil {
				ferr = err
				return err
			}
			return ctx.Err()
		})
	})
	if ferr != nil {
		return ferr
	}
	return err
}
