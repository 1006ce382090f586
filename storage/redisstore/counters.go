package redisstore

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/dialgate/dialgate/storage"
)

var _ storage.Counters = (*Store)(nil)

// instantOffset shifts every storable instant (storage.ValidateInstant) to a
// non-negative number of nanoseconds below 2^63.
const instantOffset = int64(1) << 62

// stamp encodes a Unix-nanosecond instant as 20 decimal digits, so that the
// lexicographic order of stamps is the order of instants.
func stamp(ns int64) string {
	var b [20]byte
	return string(appendStamp(b[:0], ns))
}

// appendStamp appends stamp(ns) to b (a reservation builds several: without
// fmt, and in one allocation each).
func appendStamp(b []byte, ns int64) []byte {
	v := uint64(ns + instantOffset)
	var d [20]byte
	for i := len(d) - 1; i >= 0; i-- {
		d[i] = byte('0' + v%10)
		v /= 10
	}
	return append(b, d[:]...)
}

// unstamp decodes a stamp.
func unstamp(s string) (int64, error) {
	v, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("bad stamp %q: %w", s, storage.ErrCorrupt)
	}
	return int64(v) - instantOffset, nil
}

// windowBound is the ZRANGEBYLEX bound the scripts take for the start of a
// window w at tn: "(<stamp(tn-w)>;" (entries strictly above every entry
// recorded at tn-w), or "-" when tn-w is before every storable instant
// (nothing is old enough to leave the window).
func windowBound(tn int64, w time.Duration) string {
	lo := tn - int64(w)
	if lo+instantOffset < 0 || lo > tn { // before the range, or overflow
		return "-"
	}
	var b [22]byte
	return string(append(appendStamp(append(b[:0], '('), lo), ';'))
}

// entryPrefix is a reservation's entry without its member: stamp(tn) ":"
// 4-digit length of id, id (ids are at most storage.MaxKeyLen bytes).
func entryPrefix(tn int64, id string) string {
	b := make([]byte, 0, 25+len(id))
	b = appendStamp(b, tn)
	n := len(id)
	b = append(b, ':', byte('0'+n/1000%10), byte('0'+n/100%10), byte('0'+n/10%10), byte('0'+n%10))
	return string(append(b, id...))
}

// The counter scripts. An entry under counter key K is the sorted-set member
//
//	<20-digit stamp> ":" <4-digit length of id> <id> <member>
//
// with score 0, so ZRANGEBYLEX orders entries by instant. The entries at or
// before instant lo are those below "<stamp(lo)>;" (';' follows ':'), so the
// scripts take window bounds as ZRANGEBYLEX bounds: "(<stamp(lo)>;" or "-"
// (see windowBound).
// "{p}:r:<id>" is a hash counter key → entry of the reservation id;
// "{p}:m:<key>" is the number of entries with a member under counter key
// <key> (absent: none), written with the counter key's expiry so that it
// leaves with the key when the key expires (Redis runs no script then).
//
// Builds before this one kept the member counts in one hash, "{p}:mc"
// (counter key → count), whose field stayed when its key expired. The
// scripts still honour such a field when its key has no "{p}:m:<key>", move
// it there when they write the key, drop it when they write the key afresh
// (its key expired: the count is stale), and each reservation call drops up
// to mcDrain fields picked at random whose key is gone, so that the hash
// empties (Redis deletes an empty hash; one EXISTS per call then tells
// there is nothing left to migrate). A count that is not a decimal integer
// fails the call (a script error: the caller denies): the scripts
// never read it as "no members" (that would count a member's entries once
// each).
//
// The script's server time bounds throughput at many callers, so the scripts
// keep redis.call and Lua string work per limit low: a key is read with ZCARD
// first and an empty key (most callees' keys) costs nothing more; the member
// count is read only for a non-empty key; a key without member entries is
// counted with ZLEXCOUNT (every entry is distinct; ZCARD alone when the window
// reaches back past every instant); the prune scan is skipped when the window
// count shows no entry at or before the prune bound; the reservation hash is
// written with one HSET; entry strings and bounds are built by the caller.
const luaTally = `
local card, mcs, mcold, inwin = {}, {}, {}, {}
local legacy = nil
-- hasLegacy reports whether the legacy member-count hash exists (read once
-- per call: nothing in a call creates it).
local function hasLegacy(pfx)
  if legacy == nil then legacy = redis.call("EXISTS", pfx .. "mc") == 1 end
  return legacy
end
local function count(v, k)
  local n = tonumber(v)
  if n == nil or n < 0 or n ~= math.floor(n) then
    error({err = "ERR corrupt member count " .. k .. ": " .. tostring(v)})
  end
  return n
end
-- memberCount returns the number of entries with a member under key, and
-- records in mcold whether it was read from the legacy hash.
local function memberCount(pfx, key)
  local mk = pfx .. "m:" .. key
  local v = redis.call("GET", mk)
  if v then return count(v, mk) end
  if hasLegacy(pfx) then
    v = redis.call("HGET", pfx .. "mc", key)
    if v then
      mcold[key] = true
      return count(v, pfx .. "mc " .. key)
    end
  end
  return 0
end
local function tally(pfx, ckey, key, member, max, lob)
  local c = card[ckey]
  if c == nil then
    c = redis.call("ZCARD", ckey)
    card[ckey] = c
    inwin[ckey] = {}
  end
  if c == 0 then return 0, 0, "" end
  local mc = mcs[key]
  if mc == nil then
    mc = memberCount(pfx, key)
    mcs[key] = mc
  end
  if mc <= 0 then
    local n = c
    if lob ~= "-" then n = redis.call("ZLEXCOUNT", ckey, lob, "+") end
    inwin[ckey][lob] = n
    if n >= max then
      local nth = string.sub(redis.call("ZREVRANGEBYLEX", ckey, "+", lob, "LIMIT", max - 1, 1)[1], 1, 20)
      return n, 1, nth
    end
    return n, 0, ""
  end
  local es = redis.call("ZREVRANGEBYLEX", ckey, "+", lob)
  inwin[ckey][lob] = #es
  local seen = {}
  local count, present, nth = 0, false, ""
  for _, e in ipairs(es) do
    local idlen = tonumber(string.sub(e, 22, 25))
    local m = string.sub(e, 26 + idlen)
    local dup = false
    if m ~= "" then
      if seen[m] then dup = true else
        seen[m] = true
        if m == member then present = true end
      end
    end
    if not dup then
      count = count + 1
      if count == max then nth = string.sub(e, 1, 20) end
    end
  end
  if count >= max and not present then return count, 1, nth end
  return count, 0, ""
end
`

// ARGV: prefix, m, then m requests, each: n, then n × (key, member, max,
// lob) where lob is the windowBound of the window. Returns, for each
// request, its usages. Nothing is written, so the tally caches serve the
// whole batch.
var usageScript = redis.NewScript(luaTally + `
local pfx = ARGV[1]
local out = {}
local b = 3
for r = 1, tonumber(ARGV[2]) do
  local n = tonumber(ARGV[b])
  b = b + 1
  for i = 0, n - 1 do
    local a = b + 4 * i
    local key = ARGV[a]
    local c, x, nth = tally(pfx, pfx .. "c:" .. key, key, ARGV[a + 1], tonumber(ARGV[a + 2]), ARGV[a + 3])
    out[#out + 1] = c; out[#out + 1] = x; out[#out + 1] = nth
  end
  b = b + 4 * n
end
return out
`)

// ARGV: prefix, m, then m reservations, each: id, entry prefix (stamp(t)
// ":" 4-digit id length, id), ttl ms (0: none), n, then n × (key, member,
// max, lob, prune) where lob is the windowBound of the window and prune
// is "" for a key already seen in this reservation or a check-only key
// (storage.Limit.CheckOnly: tallied, never written), else the windowBound
// below which entries are deleted ("-": nothing). A reservation that writes
// no key creates no reservation hash, so its id is not held afterwards.
// The reservations are applied in
// order, each on the state the ones before it left (the tally caches are
// reset for each). Returns, for each reservation, {ok, held, usages…}.
var reserveScript = redis.NewScript(luaTally + `
local pfx = ARGV[1]
local mckey = pfx .. "mc"
local out = {}
local function reserve(b)
  card, mcs, mcold, inwin = {}, {}, {}, {}
  local id, epre, ttl, n = ARGV[b], ARGV[b + 1], ARGV[b + 2], tonumber(ARGV[b + 3])
  b = b + 4
  local rid = pfx .. "r:" .. id
  local head = #out + 1
  out[head] = 1; out[head + 1] = 0
  local ok = true
  local ckeys = {}
  for i = 0, n - 1 do
    local a = b + 5 * i
    local key = ARGV[a]
    local ckey = pfx .. "c:" .. key
    ckeys[i] = ckey
    local c, x, nth = tally(pfx, ckey, key, ARGV[a + 1], tonumber(ARGV[a + 2]), ARGV[a + 3])
    out[#out + 1] = c; out[#out + 1] = x; out[#out + 1] = nth
    if x == 1 then ok = false end
  end
  if redis.call("EXISTS", rid) == 1 then
    out[head + 1] = 1
    return
  end
  if not ok then
    out[head] = 0
    return
  end
  local fields = {}
  for i = 0, n - 1 do
    local a = b + 5 * i
    local key, member, prune = ARGV[a], ARGV[a + 1], ARGV[a + 4]
    if prune ~= "" then
      local ckey = ckeys[i]
      local c0 = card[ckey]
      local mc0 = 0
      if c0 > 0 then mc0 = mcs[key] end
      local mc = mc0
      -- The expiry to set: the reservation's, or the key's own when it is
      -- later (ExtendCounterExpiry kept the key for a lengthened window):
      -- never shortened. Read before the prune, which may empty the key.
      -- A key kept longer is not pruned either: its entries past this
      -- reservation's window may still count for a longer one (the
      -- lengthened window a later configuration carries), and leave with
      -- the key; the tallies count by window, so keeping them denies no
      -- more.
      local px, kept = ttl, false
      if ttl ~= "0" and c0 > 0 then
        local pt = redis.call("PTTL", ckey)
        if pt > tonumber(ttl) then px, kept = pt, true end
      end
      if not kept and prune ~= "-" and c0 > 0 and inwin[ckey][prune] ~= c0 then
        local old = redis.call("ZRANGEBYLEX", ckey, "-", prune)
        for _, e in ipairs(old) do
          local l = tonumber(string.sub(e, 22, 25))
          redis.call("HDEL", pfx .. "r:" .. string.sub(e, 26, 25 + l), key)
          if string.sub(e, 26 + l) ~= "" then mc = mc - 1 end
        end
        if #old > 0 then redis.call("ZREMRANGEBYLEX", ckey, "-", prune) end
      end
      local e = epre .. member
      redis.call("ZADD", ckey, "0", e)
      fields[#fields + 1] = key; fields[#fields + 1] = e
      if member ~= "" then mc = mc + 1 end
      if mc < 0 then mc = 0 end
      local mk = pfx .. "m:" .. key
      -- c0 == 0: the key was gone (expired), so is every count left of it.
      if (c0 == 0 or mcold[key]) and hasLegacy(pfx) then redis.call("HDEL", mckey, key) end
      if mc ~= mc0 or mcold[key] or (c0 == 0 and mc > 0) then
        if mc > 0 then
          if ttl ~= "0" then redis.call("SET", mk, mc, "PX", px) else
            -- No expiry of its own to set: the key's, which it kept (c0
            -- > 0: one an earlier reservation set) or has none (written
            -- afresh). Never a count there before's (KEEPTTL): one left
            -- stale would expire before the key, a new one never.
            local pt = -1
            if c0 > 0 then pt = redis.call("PTTL", ckey) end
            if pt > 0 then redis.call("SET", mk, mc, "PX", pt) else redis.call("SET", mk, mc) end
          end
        elseif c0 > 0 then
          redis.call("DEL", mk)
        end
      elseif mc > 0 and ttl ~= "0" then
        redis.call("PEXPIRE", mk, px)
      end
      if ttl ~= "0" then redis.call("PEXPIRE", ckey, px) end
    end
  end
  if #fields > 0 then
    local i = 1
    while i <= #fields do
      local j = math.min(#fields, i + 1999)
      redis.call("HSET", rid, unpack(fields, i, j))
      i = j + 1
    end
    if ttl ~= "0" then redis.call("PEXPIRE", rid, ttl) end
  end
end
local b = 3
for r = 1, tonumber(ARGV[2]) do
  reserve(b)
  b = b + 4 + 5 * tonumber(ARGV[b + 3])
end
if hasLegacy(pfx) then
  for _, k in ipairs(redis.call("HRANDFIELD", mckey, ` + mcDrain + `)) do
    if redis.call("EXISTS", pfx .. "c:" .. k) == 0 then redis.call("HDEL", mckey, k) end
  end
end
return out
`)

// mcDrain is how many fields of the legacy member-count hash a reservation
// call looks at, dropping those whose counter key is gone.
const mcDrain = "8"

// ARGV: prefix, id.
var releaseScript = redis.NewScript(`
local pfx, id = ARGV[1], ARGV[2]
local rid = pfx .. "r:" .. id
local kv = redis.call("HGETALL", rid)
local dec, keys = {}, {}
for i = 1, #kv, 2 do
  local key, e = kv[i], kv[i + 1]
  if redis.call("ZREM", pfx .. "c:" .. key, e) == 1 then
    local l = tonumber(string.sub(e, 22, 25))
    if string.sub(e, 26 + l) ~= "" then
      if dec[key] == nil then dec[key] = 0; keys[#keys + 1] = key end
      dec[key] = dec[key] + 1
    end
  end
end
-- A count that is not a number is left for the next reservation to fail on
-- (the entries are gone already: a script error would not restore them).
for _, key in ipairs(keys) do
  local mk = pfx .. "m:" .. key
  local v = tonumber(redis.call("GET", mk))
  if v then
    if v - dec[key] > 0 then redis.call("SET", mk, v - dec[key], "KEEPTTL") else redis.call("DEL", mk) end
  elseif redis.call("EXISTS", mk) == 0 then
    v = tonumber(redis.call("HGET", pfx .. "mc", key))
    if v then
      if v - dec[key] > 0 then redis.call("HSET", pfx .. "mc", key, v - dec[key]) else redis.call("HDEL", pfx .. "mc", key) end
    end
  end
end
redis.call("DEL", rid)
return 1
`)

func (s *Store) countersArgs(ctx context.Context, op string, t time.Time, limits []storage.Limit) error {
	if err := s.check(op); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("redisstore: %s: %w", op, err)
	}
	if err := storage.ValidateInstant(t); err != nil {
		return fmt.Errorf("redisstore: %s: %w", op, err)
	}
	if err := storage.ValidateLimits(limits); err != nil {
		return fmt.Errorf("redisstore: %s: %w", op, err)
	}
	return nil
}

// Usage reports the usage of each limit at t without reserving. See
// storage.Counters. Concurrent Usage calls on one Store share script calls
// (see Options.MaxCounterBatch); each still reads one consistent state.
func (s *Store) Usage(ctx context.Context, t time.Time, limits []storage.Limit) ([]storage.Usage, error) {
	if err := s.countersArgs(ctx, "usage", t, limits); err != nil {
		return nil, err
	}
	if len(limits) == 0 {
		return []storage.Usage{}, nil
	}
	tn := t.UnixNano()
	args := make([]any, 0, 1+4*len(limits))
	args = append(args, len(limits))
	for _, l := range limits {
		args = append(args, l.Key, l.Member, l.Max, windowBound(tn, l.Window))
	}
	res, err := s.call(ctx, s.usages, usageOp, args, len(limits))
	if err != nil {
		return nil, err
	}
	return decodeUsages(res, t, limits)
}

// Reserve checks every limit at t and, only if none would be exceeded, records
// id under every key that is not check-only, atomically on the server.
// Idempotent by id. See storage.Counters.
//
// Concurrent Reserves on one Store share script calls (see
// Options.MaxCounterBatch); each is decided on the state the reservations
// before it in its batch left, exactly as if they had run one by one. When
// ctx ends before the reply, Reserve returns an error although the
// reservation may have been made (as with any call that times out); callers
// release on error.
func (s *Store) Reserve(ctx context.Context, id string, t time.Time, limits []storage.Limit) (bool, []storage.Usage, error) {
	if err := storage.ValidateID(id); err != nil {
		return false, nil, fmt.Errorf("redisstore: reserve: %w", err)
	}
	if err := s.countersArgs(ctx, "reserve", t, limits); err != nil {
		return false, nil, err
	}
	res, err := s.call(ctx, s.reserves, reserveOp, s.reserveArgs(id, t, limits), len(limits))
	if err != nil {
		return false, nil, err
	}
	u, err := decodeUsages(res[2:], t, limits)
	if err != nil {
		return false, nil, err
	}
	return res[0] == int64(1), u, nil
}

// reserveArgs returns one reservation's part of reserveScript's ARGV.
func (s *Store) reserveArgs(id string, t time.Time, limits []storage.Limit) []any {
	tn := t.UnixNano()
	var ttl time.Duration
	args := make([]any, 0, 4+5*len(limits))
	args = append(args, id, entryPrefix(tn, id), 0, len(limits))
	for i, l := range limits {
		prune := ""
		first := !l.CheckOnly // a check-only key is tallied, never written
		for _, o := range limits[:i] {
			if first && o.Key == l.Key {
				first = false
				break
			}
		}
		if first {
			longest := l.Window
			for _, o := range limits[i+1:] {
				if o.Key == l.Key && o.Window > longest {
					longest = o.Window
				}
			}
			prune = windowBound(tn, longest)
		}
		if l.Window > ttl && !l.CheckOnly {
			ttl = l.Window
		}
		args = append(args, l.Key, l.Member, l.Max, windowBound(tn, l.Window), prune)
	}
	if s.opts.KeyTTLSlack > 0 {
		args[2] = (ttl + s.opts.KeyTTLSlack).Milliseconds()
	}
	return args
}

// A batchOp is a kind of counter request that batches run: its script takes
// ARGV prefix, m, then the m requests' args, and replies, for a request with
// n limits, head + 3n values.
type batchOp struct {
	name   string
	script *redis.Script
	head   int
}

var (
	reserveOp = batchOp{"reserve", reserveScript, 2} // {ok, held, usages…}
	usageOp   = batchOp{"usage", usageScript, 0}     // {usages…}
)

// call runs one request of op (args, n limits) through b, or alone when b
// is nil (batching off), and returns its part of the reply.
func (s *Store) call(ctx context.Context, b *batcher, op batchOp, args []any, n int) ([]any, error) {
	var rep batchReply
	if b != nil {
		var err error
		if rep, err = b.do(ctx, args, n); err != nil {
			return nil, s.fail(op.name, err)
		}
	} else {
		r := &batchReq{args: args, n: n, done: make(chan batchReply, 1)}
		s.runBatch(ctx, op, []*batchReq{r})
		rep = <-r.done
	}
	return rep.res, rep.err
}

// runBatch runs the requests of q in one call of op's script and sends each
// its part of the reply; when the call fails, each gets the error (but see
// the retry of a server error below).
func (s *Store) runBatch(ctx context.Context, op batchOp, q []*batchReq) {
	if err := s.check(op.name); err != nil { // closed while queued
		for _, r := range q {
			r.done <- batchReply{err: err}
		}
		return
	}
	size := 2
	for _, r := range q {
		size += len(r.args)
	}
	args := make([]any, 0, size)
	args = append(args, s.pfx, len(q))
	for _, r := range q {
		args = append(args, r.args...)
	}
	res, err := s.run(ctx, s.rdb, op.script, nil, args...).Slice()
	var rerr redis.Error
	if err != nil && len(q) > 1 && errors.As(err, &rerr) {
		// The server answered with an error (a key of the wrong type, a
		// script error): it may concern one request only, so each runs
		// again on its own and only the culprit fails. A reservation the
		// batch applied before the error answers held (ok), one after is
		// decided now. A failed connection or an ended context is not
		// retried: every caller gets the error.
		for _, r := range q {
			s.runBatch(ctx, op, []*batchReq{r})
		}
		return
	}
	if err != nil {
		err = s.fail(op.name, err)
	} else {
		want := 0
		for _, r := range q {
			want += op.head + 3*r.n
		}
		if len(res) != want {
			err = fmt.Errorf("redisstore: %s: %d reply values for %d requests: %w", op.name, len(res), len(q), storage.ErrCorrupt)
		}
	}
	for _, r := range q {
		if err != nil {
			r.done <- batchReply{err: err}
			continue
		}
		k := op.head + 3*r.n
		r.done <- batchReply{res: res[:k:k]}
		res = res[k:]
	}
}

// Release removes everything recorded for id. See storage.Counters.
func (s *Store) Release(ctx context.Context, id string) error {
	if err := s.check("release"); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("redisstore: release: %w", err)
	}
	if err := s.run(ctx, s.rdb, releaseScript, nil, s.pfx, id).Err(); err != nil {
		return s.fail("release", err)
	}
	return nil
}

func decodeUsages(res []any, t time.Time, limits []storage.Limit) ([]storage.Usage, error) {
	if len(res) != 3*len(limits) {
		return nil, fmt.Errorf("redisstore: %d reply values for %d limits: %w", len(res), len(limits), storage.ErrCorrupt)
	}
	out := make([]storage.Usage, len(limits))
	for i, l := range limits {
		c, okc := res[3*i].(int64)
		exc, oke := res[3*i+1].(int64)
		nth, okn := res[3*i+2].(string)
		if !okc || !oke || !okn || c < 0 || (exc != 0 && exc != 1) {
			// Never read a malformed reply as "nothing counted".
			return nil, fmt.Errorf("redisstore: limit %q: malformed reply %v: %w", l.Key, res[3*i:3*i+3], storage.ErrCorrupt)
		}
		u := storage.Usage{Limit: l, Count: int(c), Exceeded: exc == 1}
		if u.Exceeded {
			ns, err := unstamp(nth)
			if err != nil {
				return nil, fmt.Errorf("redisstore: limit %q: %w", l.Key, err)
			}
			u.NextAt = time.Unix(0, ns+int64(l.Window)).In(t.Location())
		}
		out[i] = u
	}
	return out, nil
}

// extendScript makes each of KEYS (counter keys "<ARGV[2]>c:<key>") that
// has an expiry expire no sooner than ARGV[1] milliseconds from now, and
// returns how many it extended; it extends the key's member count
// ("<ARGV[2]>m:<key>") alike, which must not leave before its key. A key
// without an expiry (KeyTTLSlack negative) or gone is left alone.
var extendScript = redis.NewScript(`
local want, pfx = tonumber(ARGV[1]), ARGV[2]
local n = 0
local function extend(k)
  local t = redis.call("PTTL", k)
  if t >= 0 and t < want then
    redis.call("PEXPIRE", k, want)
    return 1
  end
  return 0
end
for _, k in ipairs(KEYS) do
  n = n + extend(k)
  extend(pfx .. "m:" .. string.sub(k, #pfx + 3))
end
return n
`)

// ExtendCounterExpiry makes every counter key whose name ends with suffix
// expire no sooner than until (as of now), and returns how many keys it
// extended. A key expires its longest window plus KeyTTLSlack after its last
// reservation: an entry recorded with a shorter window than a caller later
// counts it with (package schedule's counter history, after a frequency
// window was lengthened) would otherwise leave with its key. It walks the
// store's counter keys with SCAN, so it costs one pass over the prefix's
// keys; concurrent reservations are safe (each key is extended atomically,
// never shortened).
func (s *Store) ExtendCounterExpiry(ctx context.Context, suffix string, until, now time.Time) (int, error) {
	if err := s.check("extend counter expiry"); err != nil {
		return 0, err
	}
	if suffix == "" {
		return 0, fmt.Errorf("redisstore: extend counter expiry: suffix: empty: %w", storage.ErrInvalid)
	}
	want := until.Sub(now).Milliseconds()
	if want <= 0 {
		return 0, nil
	}
	match := globEscape(s.pfx+"c:") + "*" + globEscape(suffix)
	var (
		n      int
		cursor uint64
	)
	for {
		keys, next, err := s.rdb.Scan(ctx, cursor, match, 1000).Result()
		if err != nil {
			return n, s.fail("extend counter expiry", err)
		}
		if len(keys) > 0 {
			m, err := s.run(ctx, s.rdb, extendScript, keys, want, s.pfx).Int()
			if err != nil {
				return n, s.fail("extend counter expiry", err)
			}
			n += m
		}
		if cursor = next; cursor == 0 {
			return n, nil
		}
	}
}

// globEscape escapes the characters special to Redis's glob-style MATCH.
func globEscape(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch r {
		case '*', '?', '[', ']', '\\':
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}
