package memstore

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/dialgate/dialgate/storage"
	"github.com/dialgate/dialgate/storage/internal/window"
)

// counterState holds the sliding-window reservations behind storage.Counters.
// One mutex makes a reservation across several keys atomic.
type counterState struct {
	mu   sync.Mutex
	keys map[string]*counterKey
	ids  map[string]*counterRes
}

// counterKey is the entries under one key, sorted by instant, with the
// reservation of each entry alongside.
type counterKey struct {
	entries []window.Entry
	res     []*counterRes
	members int           // entries with a non-empty Member
	window  time.Duration // the longest window the key was used with
}

// counterRes is what one reservation id holds: the keys it recorded under.
type counterRes struct {
	id     string
	keys   []string
	inline [4]string // backing array of keys for the usual few limits
}

func (c *counterState) init() {
	c.keys = make(map[string]*counterKey)
	c.ids = make(map[string]*counterRes)
}

// Usage reports the usage of each limit at t without reserving. See
// storage.Counters.
func (s *Store) Usage(ctx context.Context, t time.Time, limits []storage.Limit) ([]storage.Usage, error) {
	if err := s.countersArgs(ctx, "usage", t, limits); err != nil {
		return nil, err
	}
	c := &s.counters
	out := make([]storage.Usage, len(limits))
	c.mu.Lock()
	defer c.mu.Unlock()
	for i, l := range limits {
		out[i] = c.tally(t, l)
	}
	return out, nil
}

// Reserve checks every limit at t and, only if none would be exceeded, records
// id under every key, atomically. Idempotent by id. See storage.Counters.
func (s *Store) Reserve(ctx context.Context, id string, t time.Time, limits []storage.Limit) (bool, []storage.Usage, error) {
	if err := storage.ValidateID(id); err != nil {
		return false, nil, fmt.Errorf("memstore: reserve: %w", err)
	}
	if err := s.countersArgs(ctx, "reserve", t, limits); err != nil {
		return false, nil, err
	}
	c := &s.counters
	out := make([]storage.Usage, len(limits))
	var small [8]*counterKey
	ks := small[:0]
	c.mu.Lock()
	defer c.mu.Unlock()
	ok := true
	for i, l := range limits {
		var k *counterKey
		if i > 0 && limits[i-1].Key == l.Key {
			k = ks[i-1] // caps of one callee share a key: look it up once
		} else {
			k = c.keys[l.Key]
		}
		ks = append(ks, k)
		if k == nil {
			out[i] = storage.Usage{Limit: l}
		} else {
			out[i] = window.Tally(k.entries, t, l, k.members > 0)
		}
		ok = ok && !out[i].Exceeded
	}
	if _, held := c.ids[id]; held {
		return true, out, nil
	}
	if len(limits) == 0 {
		return true, out, nil
	}
	if !ok {
		return false, out, nil
	}
	tn := t.UnixNano()
	res := &counterRes{id: id}
	res.keys = res.inline[:0]
	for i, l := range limits {
		if slices.Contains(res.keys, l.Key) {
			continue
		}
		longest := l.Window
		for _, o := range limits[i+1:] {
			if o.Key == l.Key && o.Window > longest {
				longest = o.Window
			}
		}
		k := ks[i]
		if k == nil {
			k = &counterKey{}
			c.keys[l.Key] = k
			for j := i + 1; j < len(ks); j++ {
				if limits[j].Key == l.Key {
					ks[j] = k
				}
			}
		}
		if longest > k.window {
			k.window = longest
		}
		c.prune(l.Key, k, tn, longest)
		k.insert(window.Entry{At: tn, Member: l.Member}, res)
		res.keys = append(res.keys, l.Key)
	}
	c.ids[id] = res
	return true, out, nil
}

// ExpireCounters removes every entry older than the longest window its key
// was used with, at t. See storage.CounterExpirer.
func (s *Store) ExpireCounters(ctx context.Context, t time.Time) (int, error) {
	if err := s.check("expire"); err != nil {
		return 0, err
	}
	if err := ctx.Err(); err != nil {
		return 0, fmt.Errorf("memstore: expire: %w", err)
	}
	if err := storage.ValidateInstant(t); err != nil {
		return 0, fmt.Errorf("memstore: expire: %w", err)
	}
	c := &s.counters
	c.mu.Lock()
	defer c.mu.Unlock()
	tn, removed := t.UnixNano(), 0
	for key, k := range c.keys {
		n := len(k.entries)
		c.prune(key, k, tn, k.window)
		removed += n - len(k.entries)
		if len(k.entries) == 0 {
			delete(c.keys, key)
		}
	}
	return removed, nil
}

// Release removes everything recorded for id. See storage.Counters.
func (s *Store) Release(ctx context.Context, id string) error {
	if err := s.check("release"); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("memstore: release: %w", err)
	}
	c := &s.counters
	c.mu.Lock()
	defer c.mu.Unlock()
	res := c.ids[id]
	if res == nil {
		return nil
	}
	delete(c.ids, id)
	for _, key := range res.keys {
		k := c.keys[key]
		if k == nil {
			continue
		}
		for j := len(k.res) - 1; j >= 0; j-- {
			if k.res[j] == res {
				if k.entries[j].Member != "" {
					k.members--
				}
				k.entries = slices.Delete(k.entries, j, j+1)
				k.res = slices.Delete(k.res, j, j+1)
			}
		}
		if len(k.entries) == 0 {
			delete(c.keys, key)
		}
	}
	return nil
}

func (s *Store) countersArgs(ctx context.Context, op string, t time.Time, limits []storage.Limit) error {
	if err := s.check(op); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("memstore: %s: %w", op, err)
	}
	if err := storage.ValidateInstant(t); err != nil {
		return fmt.Errorf("memstore: %s: %w", op, err)
	}
	if err := storage.ValidateLimits(limits); err != nil {
		return fmt.Errorf("memstore: %s: %w", op, err)
	}
	return nil
}

// tally reports l at t. c.mu must be held.
func (c *counterState) tally(t time.Time, l storage.Limit) storage.Usage {
	k := c.keys[l.Key]
	if k == nil {
		return storage.Usage{Limit: l}
	}
	return window.Tally(k.entries, t, l, k.members > 0)
}

// prune drops the entries under key older than t-w, and forgets ids that no
// longer hold any entry. c.mu must be held.
func (c *counterState) prune(key string, k *counterKey, t int64, w time.Duration) {
	n := window.Start(k.entries, t, w)
	if n == 0 {
		return
	}
	for _, res := range k.res[:n] {
		if i := slices.Index(res.keys, key); i >= 0 {
			res.keys = slices.Delete(res.keys, i, i+1)
		}
		if len(res.keys) == 0 {
			delete(c.ids, res.id)
		}
	}
	for _, e := range k.entries[:n] {
		if e.Member != "" {
			k.members--
		}
	}
	k.entries = slices.Delete(k.entries, 0, n)
	k.res = slices.Delete(k.res, 0, n)
}

// insert adds e keeping entries sorted by instant (usually an append).
func (k *counterKey) insert(e window.Entry, res *counterRes) {
	if e.Member != "" {
		k.members++
	}
	i := len(k.entries)
	for i > 0 && k.entries[i-1].At > e.At {
		i--
	}
	k.entries = slices.Insert(k.entries, i, e)
	k.res = slices.Insert(k.res, i, res)
}
