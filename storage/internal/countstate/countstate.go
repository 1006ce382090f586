// Package countstate holds sliding-window reservations in memory: the engine
// of storage/memstore's Counters, and the index that storage/boltstore keeps
// in front of its on-disk journal (the file is locked to one process, so the
// index is authoritative and every decision is answered without a disk read).
//
// One mutex makes a reservation across several keys atomic.
//
// The index holds no pointer per reservation: ids, keys and members live in
// pointer-free pages (strPool), reservations and keys are records in slices
// indexed by int32 (freed slots are reused), the entries under a key name
// their reservation and their interned member by index, and the lookups by
// string are pointer-free hash tables. The garbage collector therefore marks
// a few large objects instead of scanning every held reservation, and a held
// reservation of one key costs about 190 heap bytes (maps of pointers took
// about 320; BenchmarkHeld compares them).
package countstate

import (
	"hash/maphash"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/dialgate/dialgate/storage"
)

// State is the in-memory counter state. Create it with New; it is safe for
// concurrent use. Arguments are not validated here: the stores validate them
// (storage.ValidateID, ValidateInstant, ValidateLimits) before calling.
type State struct {
	mu   sync.Mutex
	seed maphash.Seed
	strs strPool

	keys    []keyRec // by key index; a free slot has name 0
	keyFree []int32
	keyIdx  table
	nkeys   int

	res     []resRec // by reservation index; a free slot has id 0
	resFree []int32
	resIdx  table
	extra   map[int32][]int32 // the keys of a reservation after its second (rare)

	mems    []memRec // interned members, by member index; a free slot has name 0
	memFree []int32
	memIdx  table

	over     [][]entry // the entries of keys holding more than one
	overFree []int32

	track  bool     // collect the forgotten ids (NewTracked)
	forgot []Forgot // ids forgotten since the last Forgotten call
}

// Forgot is a reservation the State forgot on its own: its id and the tag
// it was held with.
type Forgot struct {
	ID  string
	Tag uint64
}

// entry is one recorded reservation under a key.
type entry struct {
	At     int64 // the reservation's instant, Unix nanoseconds
	Member int32 // the interned member (index in State.mems), or -1 for none
	Res    int32 // the reservation (index in State.res)
}

// keyRec is one key: its entries sorted by instant — the only one inline, or
// more in State.over — and the longest window it was used with.
type keyRec struct {
	name    sref     // the key; 0 for a free slot
	window  int64    // the longest window the key was used with, nanoseconds
	one     [1]entry // the entry of a key holding one (Res -1: none)
	over    int32    // index in State.over of the entries of a key holding more than one, or -1
	members int32    // entries with a member
}

// resRec is what one held reservation id holds: the keys it recorded under
// (the first two here, any more in State.extra), and the tag its store gave
// it (boltstore: the journal record's sequence).
type resRec struct {
	id  sref // 0 for a free slot
	tag uint64
	key [2]int32 // the first keys it holds; -1 for none (key[1] ≥ 0 only if key[0] is)
}

// memRec is an interned member: its string and how many entries refer to it.
type memRec struct {
	name sref // 0 for a free slot
	refs int32
}

// Recorded is one key a reservation recorded under: the entry's member and
// the longest window the reservation's limits gave the key.
type Recorded struct {
	Key    string
	Member string
	Window time.Duration
}

// New returns an empty State.
func New() *State {
	return &State{seed: maphash.MakeSeed(), extra: make(map[int32][]int32)}
}

// NewTracked returns an empty State that remembers every id (and its tag) it
// forgets on its own — when pruning or Expire leaves the id no entry, or a
// Restore replaces it — until Forgotten hands them over. A store that keeps
// one journal record per held id records their end, so that the journal
// never replays an id the index has forgotten (replaying it would make the id
// held again, and a later Reserve of that id would record nothing).
func NewTracked() *State {
	s := New()
	s.track = true
	return s
}

// Forgotten returns, and clears, the ids (with their tags) forgotten since
// the last call, in the order they were forgotten (always none for a State
// from New). Release's own id is not included: Release returns its tag.
func (c *State) Forgotten() []Forgot {
	c.mu.Lock()
	defer c.mu.Unlock()
	f := c.forgot
	c.forgot = nil
	return f
}

// Keys returns what a reservation of limits records: one entry per distinct
// key, with the longest window among the key's limits, in the order the keys
// first appear. Check-only keys (storage.Limit.CheckOnly) are left out:
// nothing is recorded under them.
func Keys(limits []storage.Limit) []Recorded {
	out := make([]Recorded, 0, len(limits))
	for i, l := range limits {
		if l.CheckOnly || slices.ContainsFunc(out, func(r Recorded) bool { return r.Key == l.Key }) {
			continue
		}
		longest := l.Window
		for _, o := range limits[i+1:] {
			if o.Key == l.Key && o.Window > longest {
				longest = o.Window
			}
		}
		out = append(out, Recorded{Key: l.Key, Member: l.Member, Window: longest})
	}
	return out
}

// Usage reports the usage of each limit at t without reserving.
func (c *State) Usage(t time.Time, limits []storage.Limit) []storage.Usage {
	out := make([]storage.Usage, len(limits))
	c.mu.Lock()
	defer c.mu.Unlock()
	for i, l := range limits {
		out[i] = c.tally(c.findKey(l.Key), t, l)
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
func (c *State) Reserve(id string, tag uint64, t time.Time, limits []storage.Limit) (ok bool, out []storage.Usage, added bool) {
	out = make([]storage.Usage, len(limits))
	var small [8]int32
	ks := small[:0]
	c.mu.Lock()
	defer c.mu.Unlock()
	ok = true
	for i, l := range limits {
		var k int32
		if i > 0 && limits[i-1].Key == l.Key {
			k = ks[i-1] // caps of one callee share a key: look it up once
		} else {
			k = c.findKey(l.Key)
		}
		ks = append(ks, k)
		out[i] = c.tally(k, t, l)
		ok = ok && !out[i].Exceeded
	}
	h := c.hash(id)
	if _, held := c.findRes(h, id); held >= 0 {
		return true, out, false
	}
	if !ok {
		return false, out, false
	}
	if !slices.ContainsFunc(limits, func(l storage.Limit) bool { return !l.CheckOnly }) {
		return true, out, false // no limits, or only check-only ones: nothing to record
	}
	tn := t.UnixNano()
	r := c.newRes(id, tag)
	for i, l := range limits {
		if l.CheckOnly || slices.ContainsFunc(limits[:i], func(p storage.Limit) bool { return !p.CheckOnly && p.Key == l.Key }) {
			continue
		}
		longest := l.Window
		for _, o := range limits[i+1:] {
			if o.Key == l.Key && o.Window > longest {
				longest = o.Window
			}
		}
		k := ks[i]
		if k < 0 {
			k = c.newKey(l.Key)
			for j := i + 1; j < len(ks); j++ {
				if limits[j].Key == l.Key {
					ks[j] = k
				}
			}
		}
		c.prune(k, tn, longest)
		c.add(k, longest, tn, l.Member, r)
	}
	pos, _ := c.findRes(h, id) // pruning may have moved slots of resIdx
	c.insertRes(pos, h, r)
	return true, out, true
}

// Restore records id at instant at (Unix nanoseconds) under keys without
// checking any limit: the replay of a store's journal. A later Restore of an
// id already held replaces it (journals replay oldest first). It keeps no
// reference to id or to the keys' strings (it copies them into its pool), so
// callers may pass strings over memory they reuse once it returns
// (storage/boltstore's RecordRun).
func (c *State) Restore(id string, tag uint64, at int64, keys []Recorded) {
	// Refuse before changing anything: a string the pool cannot hold would
	// otherwise panic halfway and leave a half-filed reservation.
	tooLong := len(id) > MaxString
	for _, k := range keys {
		tooLong = tooLong || len(k.Key) > MaxString || len(k.Member) > MaxString
	}
	if tooLong {
		panic("countstate: Restore of a string longer than MaxString (the caller must refuse it as damage)")
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	h := c.hash(id)
	if _, old := c.findRes(h, id); old >= 0 {
		if c.res[old].tag > tag {
			// An older reservation of id replayed after a newer one (a
			// segment a compaction did not finish removing): tags only
			// grow, so the newer one stands.
			return
		}
		c.forget(old)
		c.drop(old)
	}
	if len(keys) == 0 {
		return
	}
	r := c.newRes(id, tag)
	for i, rec := range keys {
		if slices.ContainsFunc(keys[:i], func(p Recorded) bool { return p.Key == rec.Key }) {
			continue
		}
		k := c.findKey(rec.Key)
		if k < 0 {
			k = c.newKey(rec.Key)
		}
		c.add(k, rec.Window, at, rec.Member, r)
	}
	pos, _ := c.findRes(h, id)
	c.insertRes(pos, h, r)
}

// Release removes everything recorded for id and returns its tag; held is
// false when id held nothing.
func (c *State) Release(id string) (tag uint64, held bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	_, r := c.findRes(c.hash(id), id)
	if r < 0 {
		return 0, false
	}
	tag = c.res[r].tag
	c.drop(r)
	return tag, true
}

// Drop removes everything recorded for id if id is held with tag, and
// reports whether it was: the replay of a journal's release (or forget)
// record, which must not remove a later reservation of the same id. The id
// is not reported by Forgotten.
func (c *State) Drop(id string, tag uint64) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	_, r := c.findRes(c.hash(id), id)
	if r < 0 || c.res[r].tag != tag {
		return false
	}
	c.drop(r)
	return true
}

// HeldTags sets held[i] to whether ids[i] is held with tags[i], for every i,
// under one acquisition of the lock: a journal compaction checks its records
// in chunks, so that reservations wait for one chunk at most. ids, tags and
// held must have the same length.
func (c *State) HeldTags(ids []string, tags []uint64, held []bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for i, id := range ids {
		_, r := c.findRes(c.hash(id), id)
		held[i] = r >= 0 && c.res[r].tag == tags[i]
	}
}

// Size returns how many keys and held reservations the index holds: what
// its memory grows with.
func (c *State) Size() (keys, reservations int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.nkeys, c.resIdx.n
}

// Held reports whether id holds a reservation.
func (c *State) Held(id string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	_, r := c.findRes(c.hash(id), id)
	return r >= 0
}

// ExpireChunk is how many keys one step of Expire visits under the lock.
const ExpireChunk = 4096

// Expire removes every entry older than the longest window its key was used
// with, at t, and returns how many it removed. It walks the keys in steps of
// ExpireChunk, taking the lock for each step only, so that reservations are
// not held up for a scan of every key (a key added or removed meanwhile may
// be visited twice or left for the next Expire).
func (c *State) Expire(t time.Time) int {
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

// ExpireSome is one step of Expire: it visits at most max key slots from
// position from, and returns the entries it removed and the position to
// continue from (-1 when every key was visited).
func (c *State) ExpireSome(t time.Time, from, max int) (removed, next int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	tn := t.UnixNano()
	i, end := from, from+max
	for ; i < end && i < len(c.keys); i++ {
		if c.keys[i].name == 0 {
			continue
		}
		k := int32(i)
		n := len(c.entries(k))
		c.prune(k, tn, time.Duration(c.keys[k].window))
		left := len(c.entries(k))
		removed += n - left
		if left == 0 {
			c.deleteKey(k)
		}
	}
	if i >= len(c.keys) {
		return removed, -1
	}
	return removed, i
}

// hash returns the 32-bit hash the tables file s under.
func (c *State) hash(s string) uint32 {
	h := maphash.String(c.seed, s)
	return uint32(h) ^ uint32(h>>32)
}

// hashBytes is hash of a pooled string.
func (c *State) hashBytes(b []byte) uint32 {
	h := maphash.Bytes(c.seed, b)
	return uint32(h) ^ uint32(h>>32)
}

// findKey returns the index of key, or -1. c.mu must be held.
func (c *State) findKey(key string) int32 {
	_, k := c.keyIdx.find(c.hash(key), func(i int32) bool { return string(c.strs.get(c.keys[i].name)) == key })
	return k
}

// findRes returns the index of id's reservation, or -1, and the slot of
// resIdx where it is or would go. c.mu must be held.
func (c *State) findRes(h uint32, id string) (pos int, r int32) {
	return c.resIdx.find(h, func(i int32) bool { return string(c.strs.get(c.res[i].id)) == id })
}

// newRes takes a reservation record for id, holding no key yet; insertRes
// makes it findable. c.mu must be held.
func (c *State) newRes(id string, tag uint64) int32 {
	return take(&c.res, &c.resFree, resRec{id: c.strs.put(id), tag: tag, key: [2]int32{-1, -1}})
}

// take stores rec in a free slot of recs (the last index of free) or a new
// one at its end, and returns the slot.
func take[T any](recs *[]T, free *[]int32, rec T) int32 {
	if n := len(*free); n > 0 {
		i := (*free)[n-1]
		*free = (*free)[:n-1]
		(*recs)[i] = rec
		return i
	}
	*recs = append(*recs, rec)
	return int32(len(*recs) - 1)
}

// insertRes files r under its id's hash h at pos (from findRes). c.mu must
// be held.
func (c *State) insertRes(pos int, h uint32, r int32) {
	c.resIdx.insert(pos, h, r)
}

// freeRes unfiles r, which holds no key any more, and frees its record.
// c.mu must be held.
func (c *State) freeRes(r int32) {
	rec := &c.res[r]
	c.resIdx.remove(c.hashBytes(c.strs.get(rec.id)), r)
	c.strs.free(rec.id)
	*rec = resRec{key: [2]int32{-1, -1}}
	c.resFree = append(c.resFree, r)
}

// forget records r's id and tag as forgotten. c.mu must be held.
func (c *State) forget(r int32) {
	if c.track {
		c.forgot = append(c.forgot, Forgot{ID: string(c.strs.get(c.res[r].id)), Tag: c.res[r].tag})
	}
}

// resKeys appends the keys r holds to dst. c.mu must be held.
func (c *State) resKeys(dst []int32, r int32) []int32 {
	rec := &c.res[r]
	for _, k := range rec.key {
		if k >= 0 {
			dst = append(dst, k)
		}
	}
	if rec.key[1] >= 0 {
		dst = append(dst, c.extra[r]...)
	}
	return dst
}

// setResKeys makes ks the keys r holds. c.mu must be held.
func (c *State) setResKeys(r int32, ks []int32) {
	rec := &c.res[r]
	rec.key = [2]int32{-1, -1}
	copy(rec.key[:], ks)
	if len(ks) > 2 {
		c.extra[r] = append(c.extra[r][:0], ks[2:]...)
	} else if len(c.extra) > 0 {
		delete(c.extra, r)
	}
}

// unlinkKey removes k from the keys r holds and reports whether r holds
// none any more. c.mu must be held.
func (c *State) unlinkKey(r, k int32) (none bool) {
	rec := &c.res[r]
	if rec.key[1] < 0 { // the usual single key
		if rec.key[0] == k {
			rec.key[0] = -1
		}
		return rec.key[0] < 0
	}
	var small [4]int32
	ks := c.resKeys(small[:0], r)
	if i := slices.Index(ks, k); i >= 0 {
		ks = slices.Delete(ks, i, i+1)
	}
	c.setResKeys(r, ks)
	return len(ks) == 0
}

// newKey adds an empty key. c.mu must be held.
func (c *State) newKey(name string) int32 {
	h := c.hash(name)
	k := take(&c.keys, &c.keyFree, keyRec{name: c.strs.put(name), over: -1, one: [1]entry{{Res: -1}}})
	pos, _ := c.keyIdx.find(h, func(int32) bool { return false })
	c.keyIdx.insert(pos, h, k)
	c.nkeys++
	return k
}

// deleteKey removes an empty key. c.mu must be held.
func (c *State) deleteKey(k int32) {
	rec := &c.keys[k]
	c.keyIdx.remove(c.hashBytes(c.strs.get(rec.name)), k)
	c.strs.free(rec.name)
	*rec = keyRec{over: -1, one: [1]entry{{Res: -1}}}
	c.keyFree = append(c.keyFree, k)
	c.nkeys--
}

// entries returns k's entries, sorted by instant. The slice is only valid
// until the next change to the State. c.mu must be held.
func (c *State) entries(k int32) []entry {
	rec := &c.keys[k]
	if rec.over >= 0 {
		return c.over[rec.over]
	}
	if rec.one[0].Res < 0 {
		return nil
	}
	return rec.one[:]
}

// setEntries stores es, a shortened version of entries(k) (sharing its
// array), as k's entries: inline when one is left. c.mu must be held.
func (c *State) setEntries(k int32, es []entry) {
	rec := &c.keys[k]
	switch {
	case rec.over < 0: // inline: es has one entry or none
		if len(es) == 0 {
			rec.one[0] = entry{Res: -1}
		}
	case len(es) > 1:
		c.over[rec.over] = es
	default:
		if len(es) == 1 {
			rec.one[0] = es[0]
		} else {
			rec.one[0] = entry{Res: -1}
		}
		c.over[rec.over] = nil
		c.overFree = append(c.overFree, rec.over)
		rec.over = -1
	}
}

// internMember returns the index of member, adding a reference to it
// (adding it if new), or -1 for "". c.mu must be held.
func (c *State) internMember(member string) int32 {
	if member == "" {
		return -1
	}
	h := c.hash(member)
	pos, m := c.memIdx.find(h, func(i int32) bool { return string(c.strs.get(c.mems[i].name)) == member })
	if m >= 0 {
		c.mems[m].refs++
		return m
	}
	m = take(&c.mems, &c.memFree, memRec{name: c.strs.put(member), refs: 1})
	c.memIdx.insert(pos, h, m)
	return m
}

// findMember returns the index of member, or -2 when it is "" or not
// interned (no entry has it). c.mu must be held.
func (c *State) findMember(member string) int32 {
	if member == "" {
		return -2
	}
	_, m := c.memIdx.find(c.hash(member), func(i int32) bool { return string(c.strs.get(c.mems[i].name)) == member })
	if m < 0 {
		return -2
	}
	return m
}

// unrefMember drops one reference to member m, removing it at the last.
// c.mu must be held.
func (c *State) unrefMember(m int32) {
	rec := &c.mems[m]
	if rec.refs--; rec.refs > 0 {
		return
	}
	c.memIdx.remove(c.hashBytes(c.strs.get(rec.name)), m)
	c.strs.free(rec.name)
	*rec = memRec{}
	c.memFree = append(c.memFree, m)
}

// drop removes r's entries and frees r (its id is no longer held). c.mu must
// be held.
func (c *State) drop(r int32) {
	var small [4]int32
	for _, k := range c.resKeys(small[:0], r) {
		es := c.entries(k)
		for j := len(es) - 1; j >= 0; j-- {
			if es[j].Res == r {
				if m := es[j].Member; m >= 0 {
					c.keys[k].members--
					c.unrefMember(m)
				}
				es = slices.Delete(es, j, j+1)
			}
		}
		c.setEntries(k, es)
		if len(es) == 0 {
			c.deleteKey(k)
		}
	}
	delete(c.extra, r)
	c.freeRes(r)
}

// prune drops the entries under k older than t-w, and forgets ids that no
// longer hold any entry. c.mu must be held.
func (c *State) prune(k int32, t int64, w time.Duration) {
	es := c.entries(k)
	n := start(es, t, w)
	if n == 0 {
		return
	}
	for _, e := range es[:n] {
		if c.unlinkKey(e.Res, k) {
			c.forget(e.Res)
			c.freeRes(e.Res)
		}
		if e.Member >= 0 {
			c.keys[k].members--
			c.unrefMember(e.Member)
		}
	}
	c.setEntries(k, slices.Delete(es, 0, n))
}

// add inserts an entry for reservation r at instant at with member under k,
// keeping entries sorted by instant (usually an append), and widens the
// key's window to w. c.mu must be held.
func (c *State) add(k int32, w time.Duration, at int64, member string, r int32) {
	e := entry{At: at, Member: c.internMember(member), Res: r}
	rec := &c.keys[k]
	if int64(w) > rec.window {
		rec.window = int64(w)
	}
	if e.Member >= 0 {
		rec.members++
	}
	switch {
	case rec.over >= 0:
		es := c.over[rec.over]
		i := len(es)
		for i > 0 && es[i-1].At > e.At {
			i--
		}
		c.over[rec.over] = slices.Insert(es, i, e)
	case rec.one[0].Res < 0:
		rec.one[0] = e
	default:
		es := make([]entry, 0, 2)
		if rec.one[0].At > e.At {
			es = append(es, e, rec.one[0])
		} else {
			es = append(es, rec.one[0], e)
		}
		rec.over = take(&c.over, &c.overFree, es)
		rec.one[0] = entry{Res: -1}
	}
	rr := &c.res[r]
	switch {
	case rr.key[0] < 0:
		rr.key[0] = k
	case rr.key[1] < 0:
		rr.key[1] = k
	default:
		c.extra[r] = append(c.extra[r], k)
	}
}

// start returns the index of the first entry that counts in a window of
// length w at t: the first with At > t-w (window.Start for entries).
func start(es []entry, t int64, w time.Duration) int {
	lo := t - int64(w)
	return sort.Search(len(es), func(i int) bool { return es[i].At > lo })
}

// tally reports the usage of l at t over the entries of key k (-1: a key
// holding nothing), exactly as window.Tally over the same entries with their
// members' strings does. c.mu must be held.
func (c *State) tally(k int32, t time.Time, l storage.Limit) storage.Usage {
	u := storage.Usage{Limit: l}
	if k < 0 {
		return u
	}
	es := c.entries(k)
	tn := t.UnixNano()
	i := start(es, tn, l.Window)
	if c.keys[k].members == 0 {
		u.Count = len(es) - i
		if u.Count >= l.Max {
			u.Exceeded = true
			u.NextAt = time.Unix(0, es[len(es)-l.Max].At+int64(l.Window)).In(t.Location())
		}
		return u
	}
	want := c.findMember(l.Member)
	var (
		small   [16]int32
		seen    = small[:0]
		seenMap map[int32]struct{}
		present bool
		nth     int64 // the instant of the l.Max-th latest distinct member
	)
	for j := len(es) - 1; j >= i; j-- {
		e := es[j]
		if e.Member >= 0 {
			dup := false
			if seenMap != nil {
				_, dup = seenMap[e.Member]
			} else {
				dup = slices.Contains(seen, e.Member)
			}
			if dup {
				continue
			}
			if seenMap == nil && len(seen) == cap(small) {
				seenMap = make(map[int32]struct{}, 2*len(seen))
				for _, s := range seen {
					seenMap[s] = struct{}{}
				}
			}
			if seenMap != nil {
				seenMap[e.Member] = struct{}{}
			} else {
				seen = append(seen, e.Member)
			}
			if e.Member == want {
				present = true
			}
		}
		u.Count++
		if u.Count == l.Max {
			nth = e.At
		}
	}
	if u.Count >= l.Max && !present {
		u.Exceeded = true
		u.NextAt = time.Unix(0, nth+int64(l.Window)).In(t.Location())
	}
	return u
}

// EachHeld calls fn for every entry of every held reservation whose id
// starts with prefix: the reservation's id, the entry's instant, key and
// member. fn must not call the State.
func (c *State) EachHeld(prefix string, fn func(id string, at int64, key, member string)) {
	c.mu.Lock()
	defer c.mu.Unlock()
	var small [4]int32
	for r := range c.res {
		rec := &c.res[r]
		if rec.id == 0 {
			continue
		}
		id := c.strs.get(rec.id)
		if len(id) < len(prefix) || string(id[:len(prefix)]) != prefix {
			continue
		}
		for _, k := range c.resKeys(small[:0], int32(r)) {
			for _, e := range c.entries(k) {
				if e.Res != int32(r) {
					continue
				}
				member := ""
				if e.Member >= 0 {
					member = string(c.strs.get(c.mems[e.Member].name))
				}
				fn(string(id), e.At, string(c.strs.get(c.keys[k].name)), member)
			}
		}
	}
}
