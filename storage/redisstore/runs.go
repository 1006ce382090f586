package redisstore

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/dialgate/dialgate/storage"
)

var _ storage.Runs = (*Store)(nil)

// The run keys of a run key K (storage.Runs), all under the store's hash tag:
//
//	"{p}:rs:<K>"      hash: "<x>" → stamp of the latest record of value x;
//	                  "u" → stamp the key is closed until, "n" → the length
//	                  of the run that closed it
//	"{p}:rv:<K>"      sorted set of the values, member "<x>", score x
//	"{p}:ra:<K>"      sorted set of the values by instant, score 0, member
//	                  "<stamp>:<x>" (ZRANGEBYLEX finds those that left the
//	                  window, as for the counters)
//	"{p}:rm:<K>:<x>"  set of the ids holding value x
//	"{p}:ri:<id>"     hash: "k" → K, "x" → x, the record of id
//
// Values are decimal integers without leading zeros; stamps are the 20-digit
// instants of the counters (stamp). Every key a record writes expires
// Options.KeyTTLSlack after the window and storage.PruneMargin, so the
// state of a segment nobody dials any more goes away by itself; a closed key's hash is refreshed when
// it closes. The first record raises the store's schema version to
// schemaSweepRuns.

// luaRuns holds the functions the run scripts share. lt compares two
// stamps by their numeric halves (each below 2^53, exact in Lua numbers, and
// independent of the server's collation). walk counts the values of zv
// reachable from x, down or up, in steps of at most step, among those
// recorded (stamps in rs) after the stamp cnt ("" for all): the values kept
// past the window (storage.PruneMargin) for callers whose clock is behind
// are passed over; it reads them in chunks of chunk. progression returns
// the length of the longest arithmetic progression of counted values (stamp
// in rs after cnt) holding x, with a common step above step and at most
// maxStep, up to step-1 (MaxGap) members in a row missing between two
// counted ones: it reads the values within step×maxStep of x from zv and
// their stamps (HMGET, 500 at a time), once, and walks each step joining x
// to one of them (the distance over k, k from 1 to step), looking up values
// within that reach in what it read and the others in rs (x counted once);
// length is the larger of the gap walk and the
// progression. closedRun returns the length of the run that closed rs,
// or 0. prune removes the values recorded at or before the bound lob (a
// ZRANGEBYLEX bound, "" for none).
const luaRuns = `
local function lt(a, b)
  local a1, b1 = tonumber(string.sub(a, 1, 10)), tonumber(string.sub(b, 1, 10))
  if a1 ~= b1 then return a1 < b1 end
  return tonumber(string.sub(a, 11)) < tonumber(string.sub(b, 11))
end
local function walk(zv, rs, cnt, x, step, down, chunk)
  local n, prev, off = 0, x, 0
  while true do
    local vs
    if down then
      vs = redis.call("ZREVRANGEBYSCORE", zv, "(" .. x, "-inf", "LIMIT", off, chunk)
    else
      vs = redis.call("ZRANGEBYSCORE", zv, "(" .. x, "+inf", "LIMIT", off, chunk)
    end
    for _, v in ipairs(vs) do
      local y = tonumber(v)
      if math.abs(y - prev) > step then return n end
      local at = redis.call("HGET", rs, v)
      if cnt == "" or not at or lt(cnt, at) then
        n = n + 1
        prev = y
      end
    end
    if #vs < chunk then return n end
    off = off + chunk
  end
end
local function closedRun(rs, ts)
  local f = redis.call("HMGET", rs, "u", "n")
  if f[1] and f[2] and lt(ts, f[1]) then return tonumber(f[2]) end
  return 0
end
local function prune(mpfx, rs, rv, ra, lob)
  if lob == "" then return end
  local old = redis.call("ZRANGEBYLEX", ra, "-", lob)
  if #old == 0 then return end
  for _, e in ipairs(old) do
    local xs = string.sub(e, 22)
    redis.call("ZREM", rv, xs)
    redis.call("HDEL", rs, xs)
    redis.call("DEL", mpfx .. xs)
  end
  redis.call("ZREMRANGEBYLEX", ra, "-", lob)
end
local function counted(rs, cnt, y)
  if y < 0 then return false end
  local at = redis.call("HGET", rs, string.format("%d", y))
  return at ~= false and (cnt == "" or lt(cnt, at))
end
local function progression(rv, rs, cnt, x, step, maxStep)
  local best = 1
  if maxStep <= step then return best end
  local reach = step * maxStep
  local lo, hi = x - reach, x + reach
  local vs = redis.call("ZRANGEBYSCORE", rv, lo, hi)
  local near, ys = {}, {}
  for i = 1, #vs, 500 do
    local part = {}
    for j = i, math.min(i + 499, #vs) do part[#part + 1] = vs[j] end
    local ats = redis.call("HMGET", rs, unpack(part))
    for j, v in ipairs(part) do
      local at = ats[j]
      if at and (cnt == "" or lt(cnt, at)) then
        local y = tonumber(v)
        near[y] = true
        ys[#ys + 1] = y
      end
    end
  end
  local function has(y)
    if y >= lo and y <= hi then return near[y] == true end
    return counted(rs, cnt, y)
  end
  local function stepRun(y, s)
    local n = 0
    while true do
      local nxt = nil
      for k = 1, step do
        local z = y + k * s
        if z < 0 then break end
        if has(z) then
          nxt = z
          break
        end
      end
      if not nxt then return n end
      n = n + 1
      y = nxt
    end
  end
  local tried = {}
  for _, y in ipairs(ys) do
    local d = math.abs(y - x)
    for k = 1, step do
      local s = d / k
      if s <= step then break end
      if d % k == 0 and s <= maxStep and not tried[s] then
        tried[s] = true
        local n = 1 + stepRun(x, -s) + stepRun(x, s)
        if n > best then best = n end
      end
    end
  end
  return best
end
local function length(rv, rs, cnt, xs, step, chunk, maxStep)
  local x = tonumber(xs)
  local n = 1 + walk(rv, rs, cnt, x, step, true, chunk) + walk(rv, rs, cnt, x, step, false, chunk)
  local p = progression(rv, rs, cnt, x, step, maxStep)
  if p > n then return p end
  return n
end
local function close(rs, upto, n, ttl)
  redis.call("HSET", rs, "u", upto, "n", n)
  if ttl ~= "0" then redis.call("PEXPIRE", rs, ttl) end
end
`

// ARGV: prefix, K, x, stamp(t), prune bound (the window and
// storage.PruneMargin before t), stamp(t+window), min run, step, chunk, ttl
// ms (0: none), stamp(t-window) ("" for none: every value counts), max step
// (0: none). Returns the run length.
var runLengthScript = redis.NewScript(luaRuns + `
local pfx, k, xs, ts, lob, upto = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6]
local minRun, step, chunk, ttl, cnt = tonumber(ARGV[7]), tonumber(ARGV[8]), tonumber(ARGV[9]), ARGV[10], ARGV[11]
local maxStep = tonumber(ARGV[12])
local rs, rv, ra = pfx .. "rs:" .. k, pfx .. "rv:" .. k, pfx .. "ra:" .. k
local c = closedRun(rs, ts)
if c > 0 then return c end
prune(pfx .. "rm:" .. k .. ":", rs, rv, ra, lob)
local n = length(rv, rs, cnt, xs, step, chunk, maxStep)
if n >= minRun then close(rs, upto, n, ttl) end
return n
`)

// ARGV: as runLengthScript, then id and the schema version a record needs.
// Returns {n, ok}; {-1, 0}, writing nothing, when the schema version is not
// a positive integer (as parseSchemaVersion reads it) or not a string.
var recordRunScript = redis.NewScript(luaRuns + `
local pfx, k, xs, ts, lob, upto = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6]
local minRun, step, chunk, ttl, cnt = tonumber(ARGV[7]), tonumber(ARGV[8]), tonumber(ARGV[9]), ARGV[10], ARGV[11]
local maxStep, id, need = tonumber(ARGV[12]), ARGV[13], tonumber(ARGV[14])
local ri = pfx .. "ri:" .. id
if redis.call("EXISTS", ri) == 1 then return {0, 1} end
local rs, rv, ra = pfx .. "rs:" .. k, pfx .. "rv:" .. k, pfx .. "ra:" .. k
local c = closedRun(rs, ts)
if c > 0 then return {c, 0} end
local sk = pfx .. "schema"
local v = redis.pcall("GET", sk)
if type(v) == "table" then return {-1, 0} end
if v and not string.match(v, "^[1-9][0-9]?[0-9]?[0-9]?[0-9]?[0-9]?[0-9]?[0-9]?[0-9]?$") then return {-1, 0} end
local mpfx = pfx .. "rm:" .. k .. ":"
prune(mpfx, rs, rv, ra, lob)
local n = length(rv, rs, cnt, xs, step, chunk, maxStep)
if n >= minRun then
  close(rs, upto, n, ttl)
  return {n, 0}
end
if not v or tonumber(v) < need then redis.call("SET", sk, need) end
local old = redis.call("HGET", rs, xs)
if not old or lt(old, ts) then
  if old then redis.call("ZREM", ra, old .. ":" .. xs) end
  redis.call("HSET", rs, xs, ts)
  redis.call("ZADD", ra, "0", ts .. ":" .. xs)
end
redis.call("ZADD", rv, xs, xs)
local rm = mpfx .. xs
-- Holders whose record key expired are dropped: a value recorded again
-- within every window keeps rm alive, which otherwise grew by an id a record.
for _, m in ipairs(redis.call("SMEMBERS", rm)) do
  if redis.call("EXISTS", pfx .. "ri:" .. m) == 0 then redis.call("SREM", rm, m) end
end
redis.call("SADD", rm, id)
redis.call("HSET", ri, "k", k, "x", xs)
if ttl ~= "0" then
  for _, key in ipairs({rs, rv, ra, rm, ri}) do redis.call("PEXPIRE", key, ttl) end
end
return {0, 1}
`)

// ARGV: prefix, id. Returns 1 when id held a value, else 0.
var releaseRunScript = redis.NewScript(`
local pfx, id = ARGV[1], ARGV[2]
local ri = pfx .. "ri:" .. id
local f = redis.call("HMGET", ri, "k", "x")
if not f[1] or not f[2] then
  redis.call("DEL", ri)
  return 0
end
redis.call("DEL", ri)
local k, xs = f[1], f[2]
local rm = pfx .. "rm:" .. k .. ":" .. xs
if redis.call("SREM", rm, id) == 1 and redis.call("SCARD", rm) == 0 then
  local rs = pfx .. "rs:" .. k
  local at = redis.call("HGET", rs, xs)
  if at then
    redis.call("HDEL", rs, xs)
    redis.call("ZREM", pfx .. "ra:" .. k, at .. ":" .. xs)
  end
  redis.call("ZREM", pfx .. "rv:" .. k, xs)
end
return 1
`)

// maxStampNanos is the latest instant a stamp holds (stamps shift instants
// by instantOffset into 0…2^63-1).
const maxStampNanos = 1<<62 - 1

// maxRunChunk bounds how many values a run script reads per call while it
// walks a run.
const maxRunChunk = 1000

// runArgs returns the arguments shared by the run scripts (ARGV 1–12), or
// the error for invalid arguments.
func (s *Store) runArgs(ctx context.Context, op, key string, x int, t time.Time, p storage.RunParams) ([]any, error) {
	if err := s.check(op); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("redisstore: %s: %w", op, err)
	}
	if err := storage.ValidateRun(key, x, t, p); err != nil {
		return nil, fmt.Errorf("redisstore: %s: %w", op, err)
	}
	tn := t.UnixNano()
	lob, cnt := "", ""
	// Values are kept storage.PruneMargin past the window, so that a call
	// whose clock is behind this one still counts every value its window
	// holds; only those recorded after t-Window make a run.
	if lo := tn - int64(p.Window) - int64(storage.PruneMargin); lo+instantOffset >= 0 {
		// Values recorded at lo or before: below "<stamp(lo)>;".
		var b [22]byte
		lob = string(append(appendStamp(append(b[:0], '('), lo), ';'))
	}
	if lo := tn - int64(p.Window); lo+instantOffset >= 0 {
		cnt = stamp(lo)
	}
	until := min(tn+int64(p.Window), maxStampNanos)
	var ttl int64
	if s.opts.KeyTTLSlack > 0 {
		ttl = (p.Window + storage.PruneMargin + s.opts.KeyTTLSlack).Milliseconds()
	}
	// A stored run is shorter than MinRun on either side of x (every record
	// that would make one is refused), so one chunk of MinRun values per
	// side is most often enough to walk it (values kept past the window
	// may need more).
	chunk := min(p.MinRun, maxRunChunk)
	return []any{s.pfx, key, strconv.Itoa(x), stamp(tn), lob, stamp(until), p.MinRun, p.MaxGap + 1, chunk, ttl, cnt, p.MaxStep}, nil
}

// RunLength returns the length of the run x would make under key at t, in
// one script call (which closes the key when that is a run). See
// storage.Runs.
func (s *Store) RunLength(ctx context.Context, key string, x int, t time.Time, p storage.RunParams) (int, error) {
	args, err := s.runArgs(ctx, "run length", key, x, t, p)
	if err != nil {
		return 0, err
	}
	n, err := s.run(ctx, s.rdb, runLengthScript, nil, args...).Int64()
	if err != nil {
		return 0, s.fail("run length", err)
	}
	if n < 1 {
		return 0, fmt.Errorf("redisstore: run length: key %q: malformed reply %d: %w", key, n, storage.ErrCorrupt)
	}
	return int(n), nil
}

// RecordRun records x under key at t for id unless that would make a run,
// atomically on the server (one script call). See storage.Runs. When ctx
// ends before the reply, RecordRun returns an error although x may have been
// recorded; callers release on error.
func (s *Store) RecordRun(ctx context.Context, id, key string, x int, t time.Time, p storage.RunParams) (int, bool, error) {
	if err := storage.ValidateID(id); err != nil {
		return 0, false, fmt.Errorf("redisstore: record run: %w", err)
	}
	args, err := s.runArgs(ctx, "record run", key, x, t, p)
	if err != nil {
		return 0, false, err
	}
	// A build from before run state would keep its runs in memory, unseen
	// by the rest of the fleet and unseeing: the first record raises the
	// schema version, so that such a build refuses the store.
	args = append(args, id, schemaSweepRuns)
	res, err := s.run(ctx, s.rdb, recordRunScript, nil, args...).Int64Slice()
	if err != nil {
		return 0, false, s.fail("record run", err)
	}
	if len(res) != 2 || res[0] < -1 || (res[1] != 0 && res[1] != 1) || (res[1] == 0 && res[0] == 0) {
		return 0, false, fmt.Errorf("redisstore: record run: key %q: malformed reply %v: %w", key, res, storage.ErrCorrupt)
	}
	if res[0] < 0 {
		return 0, false, fmt.Errorf("redisstore: record run: key %s: schema version is not a positive integer: %w", s.schemaKey(), storage.ErrCorrupt)
	}
	return int(res[0]), res[1] == 1, nil
}

// ReleaseRun removes what RecordRun recorded for id. See storage.Runs.
func (s *Store) ReleaseRun(ctx context.Context, id string) error {
	if err := s.check("release run"); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("redisstore: release run: %w", err)
	}
	if err := s.run(ctx, s.rdb, releaseRunScript, nil, s.pfx, id).Err(); err != nil {
		return s.fail("release run", err)
	}
	return nil
}
