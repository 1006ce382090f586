package countstate

// refState is the implementation this package had before the compact index
// (pointer-rich maps of keys and reservations), kept verbatim for the
// differential tests and the before/after benchmarks: every operation on a
// State must answer exactly as on a refState.

import (
	"slices"
	"sync"
	"time"

	"github.com/dialgate/dialgate/storage"
	"github.com/dialgate/dialgate/storage/internal/window"
)

// refState is the in-memory counter state. Create it with New; it is safe for
// concurrent use. Arguments are not validated here: the stores validate them
// (storage.ValidateID, ValidateInstant, ValidateLimits) before calling.
type refState struct {
	mu   sync.Mutex
	keys map[string]*refKey
	ids  map[string]*refRes
	list []*refKey // every key, in no order, for Expire to walk in chunks

	track  bool     // collect the forgotten ids (NewTracked)
	forgot []Forgot // ids forgotten since the last Forgotten call
}

// refKey is the entries under one key, sorted by instant, with the
// reservation of each entry alongside.
type refKey struct {
	name    string // the key (the map's copy, shared by every reservation under it)
	entries []window.Entry
	res     []*refRes
	window  time.Duration // the longest window the key was used with
	pos     int32         // index in refState.list (int32 keeps the struct in an 80-byte size class)
	members int32         // entries with a non-empty Member
}

// refRes is what one reservation id holds: the keys it recorded under,
// and the tag its store gave it (boltstore: the journal record's sequence).
type refRes struct {
	id     string
	tag    uint64
	keys   []string
	inline [1]string // backing array of keys for the usual one key (a callee's caps share one)
}

// New returns an empty refState.
func newRef() *refState {
	return &refState{keys: make(map[string]*refKey), ids: make(map[string]*refRes)}
}

// NewTracked returns an empty refState that remembers every id (and its tag) it
// forgets on its own — when pruning or Expire leaves the id no entry, or a
// Restore replaces it — until Forgotten hands them over. A store that keeps
// one journal record per held id records their end, so that the journal
// never replays an id the index has forgotten (replaying it would make the id
// held again, and a later Reserve of that id would record nothing).
func newRefTracked() *refState {
	s := newRef()
	s.track = true
	return s
}

// Forgotten returns, and clears, the ids (with their tags) forgotten since
// the last call, in the order they were forgotten (always none for a refState
// from New). Release's own id is not included: Release returns its tag.
func (c *refState) Forgotten() []Forgot {
	c.mu.Lock()
	defer c.mu.Unlock()
	f := c.forgot
	c.forgot = nil
	return f
}

// forget records res's tag as forgotten. c.mu must be held.
func (c *refState) forget(res *refRes) {
	if c.track {
		c.forgot = append(c.forgot, Forgot{ID: res.id, Tag: res.tag})
	}
}

// Usage reports the usage of each limit at t without reserving.
func (c *refState) Usage(t time.Time, limits []storage.Limit) []storage.Usage {
	out := make([]storage.Usage, len(limits))
	c.mu.Lock()
	defer c.mu.Unlock()
	for i, l := range limits {
		k := c.keys[l.Key]
		if k == nil {
			out[i] = storage.Usage{Limit: l}
		} else {
			out[i] = window.Tally(k.entries, t, l, k.members > 0)
		}
	}
	return out
}

// Reserve checks every limit at t and, only if none would be exceeded, records
// id under every key that is not check-only with tag, atomically. ok reports
// that the reservation was granted: id holds it (new, or held before: Reserve
// is idempotent by id), or every limit is check-only and none is exceeded
// (then nothing is recorded and id holds nothing). added reports that this
// call recorded something (the keys of Keys(limits)), so the store must make
// it durable.
func (c *refState) Reserve(id string, tag uint64, t time.Time, limits []storage.Limit) (ok bool, out []storage.Usage, added bool) {
	out = make([]storage.Usage, len(limits))
	var small [8]*refKey
	ks := small[:0]
	c.mu.Lock()
	defer c.mu.Unlock()
	ok = true
	for i, l := range limits {
		var k *refKey
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
		return true, out, false
	}
	if !ok {
		return false, out, false
	}
	if !slices.ContainsFunc(limits, func(l storage.Limit) bool { return !l.CheckOnly }) {
		return true, out, false // no limits, or only check-only ones: nothing to record
	}
	tn := t.UnixNano()
	res := &refRes{id: id, tag: tag}
	res.keys = res.inline[:0]
	for i, l := range limits {
		if l.CheckOnly || slices.Contains(res.keys, l.Key) {
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
			k = c.newKey(l.Key)
			for j := i + 1; j < len(ks); j++ {
				if limits[j].Key == l.Key {
					ks[j] = k
				}
			}
		}
		c.prune(l.Key, k, tn, longest)
		k.add(longest, window.Entry{At: tn, Member: l.Member}, res)
	}
	c.ids[id] = res
	return true, out, true
}

// Restore records id at instant at (Unix nanoseconds) under keys without
// checking any limit: the replay of a store's journal. A later Restore of an
// id already held replaces it (journals replay oldest first).
func (c *refState) Restore(id string, tag uint64, at int64, keys []Recorded) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if old := c.ids[id]; old != nil {
		if old.tag > tag {
			// An older reservation of id replayed after a newer one (a
			// segment a compaction did not finish removing): tags only
			// grow, so the newer one stands.
			return
		}
		c.drop(old)
		c.forget(old)
	}
	res := &refRes{id: id, tag: tag}
	res.keys = res.inline[:0]
	for _, r := range keys {
		if slices.Contains(res.keys, r.Key) {
			continue
		}
		k := c.keys[r.Key]
		if k == nil {
			k = c.newKey(r.Key)
		}
		k.add(r.Window, window.Entry{At: at, Member: r.Member}, res)
	}
	if len(res.keys) > 0 {
		c.ids[id] = res
	}
}

// Release removes everything recorded for id and returns its tag; held is
// false when id held nothing.
func (c *refState) Release(id string) (tag uint64, held bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	res := c.ids[id]
	if res == nil {
		return 0, false
	}
	c.drop(res)
	return res.tag, true
}

// Drop removes everything recorded for id if id is held with tag, and
// reports whether it was: the replay of a journal's release (or forget)
// record, which must not remove a later reservation of the same id. The id
// is not reported by Forgotten.
func (c *refState) Drop(id string, tag uint64) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	res := c.ids[id]
	if res == nil || res.tag != tag {
		return false
	}
	c.drop(res)
	return true
}

// HeldTags sets held[i] to whether ids[i] is held with tags[i], for every i,
// under one acquisition of the lock: a journal compaction checks its records
// in chunks, so that reservations wait for one chunk at most. ids, tags and
// held must have the same length.
func (c *refState) HeldTags(ids []string, tags []uint64, held []bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for i, id := range ids {
		res := c.ids[id]
		held[i] = res != nil && res.tag == tags[i]
	}
}

// Size returns how many keys and held reservations the index holds: what
// its memory grows with.
func (c *refState) Size() (keys, reservations int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.keys), len(c.ids)
}

// Held reports whether id holds a reservation.
func (c *refState) Held(id string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.ids[id] != nil
}

// Expire removes every entry older than the longest window its key was used
// with, at t, and returns how many it removed. It walks the keys in steps of
// ExpireChunk, taking the lock for each step only, so that reservations are
// not held up for a scan of every key (a key added or removed meanwhile may
// be visited twice or left for the next Expire).
func (c *refState) Expire(t time.Time) int {
	removed := 0
	for from := 0; ; {
		n, next := c.ExpireSome(t, from, ExpireChunk)
		removed += n
		if next < 0 {
			return removed
		}
		from = next
	}
}

// ExpireSome is one step of Expire: it visits at most max keys from
// position from, and returns the entries it removed and the position to
// continue from (-1 when every key was visited).
func (c *refState) ExpireSome(t time.Time, from, max int) (removed, next int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	tn := t.UnixNano()
	i, end := from, from+max
	for i < end && i < len(c.list) {
		k := c.list[i]
		n := len(k.entries)
		c.prune(k.name, k, tn, k.window)
		removed += n - len(k.entries)
		if len(k.entries) == 0 {
			c.deleteKey(k) // the last key moves to i: visit it next
			continue
		}
		i++
	}
	if i >= len(c.list) {
		return removed, -1
	}
	return removed, i
}

// newKey adds an empty key. c.mu must be held.
func (c *refState) newKey(name string) *refKey {
	k := &refKey{name: name, pos: int32(len(c.list))}
	c.keys[name] = k
	c.list = append(c.list, k)
	return k
}

// deleteKey removes an empty key. c.mu must be held.
func (c *refState) deleteKey(k *refKey) {
	delete(c.keys, k.name)
	last := c.list[len(c.list)-1]
	c.list[k.pos] = last
	last.pos = k.pos
	c.list[len(c.list)-1] = nil
	c.list = c.list[:len(c.list)-1]
}

// drop removes res's entries and forgets its id. c.mu must be held.
func (c *refState) drop(res *refRes) {
	delete(c.ids, res.id)
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
			c.deleteKey(k)
		}
	}
	res.keys = nil
}

// prune drops the entries under key older than t-w, and forgets ids that no
// longer hold any entry. c.mu must be held.
func (c *refState) prune(key string, k *refKey, t int64, w time.Duration) {
	n := window.Start(k.entries, t, w)
	if n == 0 {
		return
	}
	for _, res := range k.res[:n] {
		if i := slices.Index(res.keys, key); i >= 0 {
			res.keys = slices.Delete(res.keys, i, i+1)
		}
		if len(res.keys) == 0 && c.ids[res.id] == res {
			delete(c.ids, res.id)
			c.forget(res)
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

// add inserts e for res under key, keeping entries sorted by instant (usually
// an append), and widens the key's window to w.
func (k *refKey) add(w time.Duration, e window.Entry, res *refRes) {
	if w > k.window {
		k.window = w
	}
	if e.Member != "" {
		k.members++
	}
	i := len(k.entries)
	for i > 0 && k.entries[i-1].At > e.At {
		i--
	}
	k.entries = slices.Insert(k.entries, i, e)
	k.res = slices.Insert(k.res, i, res)
	res.keys = append(res.keys, k.name)
}
