package redisstore

import (
	"context"
	"fmt"
	"strconv"
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
	return fmt.Sprintf("%020d", uint64(ns+instantOffset))
}

// unstamp decodes a stamp.
func unstamp(s string) (int64, error) {
	v, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("bad stamp %q: %w", s, storage.ErrCorrupt)
	}
	return int64(v) - instantOffset, nil
}

// loBound is the stamp of t-w, or "-" when t-w is before every storable
// instant (nothing is old enough to leave the window).
func loBound(tn int64, w time.Duration) string {
	lo := tn - int64(w)
	if lo+instantOffset < 0 || lo > tn { // before the range, or overflow
		return "-"
	}
	return stamp(lo)
}

// The counter scripts. An entry under counter key K is the sorted-set member
//
//	<20-digit stamp> ":" <4-digit length of id> <id> <member>
//
// with score 0, so ZRANGEBYLEX orders entries by instant. The entries at or
// before instant lo are those below "<stamp(lo)>;" (';' follows ':').
// "{p}:r:<id>" is a hash counter key → entry of the reservation id;
// "{p}:mc" is a hash counter key → number of its entries with a member.
const luaTally = `
local function tally(pfx, key, member, max, lo)
  local ckey = pfx .. "c:" .. key
  local lob = "-"
  if lo ~= "-" then lob = "(" .. lo .. ";" end
  local mc = tonumber(redis.call("HGET", pfx .. "mc", key) or "0")
  if mc <= 0 then
    local n = redis.call("ZLEXCOUNT", ckey, lob, "+")
    local nth = ""
    if n >= max then
      nth = string.sub(redis.call("ZREVRANGEBYLEX", ckey, "+", lob, "LIMIT", max - 1, 1)[1], 1, 20)
      return {n, 1, nth}
    end
    return {n, 0, nth}
  end
  local es = redis.call("ZREVRANGEBYLEX", ckey, "+", lob)
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
  if count >= max and not present then return {count, 1, nth} end
  return {count, 0, ""}
end
`

// ARGV: prefix, n, then n × (key, member, max, lo).
var usageScript = redis.NewScript(luaTally + `
local pfx, n = ARGV[1], tonumber(ARGV[2])
local out = {}
for i = 0, n - 1 do
  local b = 3 + 4 * i
  local u = tally(pfx, ARGV[b], ARGV[b + 1], tonumber(ARGV[b + 2]), ARGV[b + 3])
  out[#out + 1] = u[1]; out[#out + 1] = u[2]; out[#out + 1] = u[3]
end
return out
`)

// ARGV: prefix, id, stamp(t), ttl ms (0: none), n, then n × (key, member, max,
// lo, prune) where prune is "" for a key already seen in this call, "-" for
// nothing to prune, else the stamp at or before which entries are deleted.
// Returns {ok, held, usages…}.
var reserveScript = redis.NewScript(luaTally + `
local pfx, id, at, ttl, n = ARGV[1], ARGV[2], ARGV[3], tonumber(ARGV[4]), tonumber(ARGV[5])
local rid = pfx .. "r:" .. id
local out = {1, 0}
local ok = true
for i = 0, n - 1 do
  local b = 6 + 5 * i
  local u = tally(pfx, ARGV[b], ARGV[b + 1], tonumber(ARGV[b + 2]), ARGV[b + 3])
  out[#out + 1] = u[1]; out[#out + 1] = u[2]; out[#out + 1] = u[3]
  if u[2] == 1 then ok = false end
end
if redis.call("EXISTS", rid) == 1 then
  out[2] = 1
  return out
end
if not ok then
  out[1] = 0
  return out
end
local idlen = string.format("%04d", string.len(id))
for i = 0, n - 1 do
  local b = 6 + 5 * i
  local key, member, prune = ARGV[b], ARGV[b + 1], ARGV[b + 4]
  if prune ~= "" then
    local ckey = pfx .. "c:" .. key
    if prune ~= "-" then
      local old = redis.call("ZRANGEBYLEX", ckey, "-", "(" .. prune .. ";")
      for _, e in ipairs(old) do
        local l = tonumber(string.sub(e, 22, 25))
        redis.call("HDEL", pfx .. "r:" .. string.sub(e, 26, 25 + l), key)
        if string.sub(e, 26 + l) ~= "" then
          if redis.call("HINCRBY", pfx .. "mc", key, -1) <= 0 then redis.call("HDEL", pfx .. "mc", key) end
        end
      end
      if #old > 0 then redis.call("ZREMRANGEBYLEX", ckey, "-", "(" .. prune .. ";") end
    end
    local e = at .. ":" .. idlen .. id .. member
    redis.call("ZADD", ckey, 0, e)
    redis.call("HSET", rid, key, e)
    if member ~= "" then redis.call("HINCRBY", pfx .. "mc", key, 1) end
    if ttl > 0 then
      redis.call("PEXPIRE", ckey, ttl)
    end
  end
end
if ttl > 0 and redis.call("EXISTS", rid) == 1 then redis.call("PEXPIRE", rid, ttl) end
return out
`)

// ARGV: prefix, id.
var releaseScript = redis.NewScript(`
local pfx, id = ARGV[1], ARGV[2]
local rid = pfx .. "r:" .. id
local kv = redis.call("HGETALL", rid)
for i = 1, #kv, 2 do
  local key, e = kv[i], kv[i + 1]
  if redis.call("ZREM", pfx .. "c:" .. key, e) == 1 then
    local l = tonumber(string.sub(e, 22, 25))
    if string.sub(e, 26 + l) ~= "" then
      if redis.call("HINCRBY", pfx .. "mc", key, -1) <= 0 then redis.call("HDEL", pfx .. "mc", key) end
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
// storage.Counters.
func (s *Store) Usage(ctx context.Context, t time.Time, limits []storage.Limit) ([]storage.Usage, error) {
	if err := s.countersArgs(ctx, "usage", t, limits); err != nil {
		return nil, err
	}
	if len(limits) == 0 {
		return []storage.Usage{}, nil
	}
	tn := t.UnixNano()
	args := make([]any, 0, 2+4*len(limits))
	args = append(args, s.pfx, len(limits))
	for _, l := range limits {
		args = append(args, l.Key, l.Member, l.Max, loBound(tn, l.Window))
	}
	res, err := usageScript.Run(ctx, s.rdb, nil, args...).Slice()
	if err != nil {
		return nil, s.fail("usage", err)
	}
	return decodeUsages(res, t, limits)
}

// Reserve checks every limit at t and, only if none would be exceeded, records
// id under every key, atomically on the server. Idempotent by id. See
// storage.Counters.
func (s *Store) Reserve(ctx context.Context, id string, t time.Time, limits []storage.Limit) (bool, []storage.Usage, error) {
	if err := storage.ValidateID(id); err != nil {
		return false, nil, fmt.Errorf("redisstore: reserve: %w", err)
	}
	if err := s.countersArgs(ctx, "reserve", t, limits); err != nil {
		return false, nil, err
	}
	tn := t.UnixNano()
	var ttl time.Duration
	args := make([]any, 0, 5+5*len(limits))
	args = append(args, s.pfx, id, stamp(tn), 0, len(limits))
	for i, l := range limits {
		prune := ""
		first := true
		for _, o := range limits[:i] {
			if o.Key == l.Key {
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
			prune = loBound(tn, longest)
		}
		if l.Window > ttl {
			ttl = l.Window
		}
		args = append(args, l.Key, l.Member, l.Max, loBound(tn, l.Window), prune)
	}
	if s.opts.KeyTTLSlack > 0 {
		args[3] = (ttl + s.opts.KeyTTLSlack).Milliseconds()
	}
	res, err := reserveScript.Run(ctx, s.rdb, nil, args...).Slice()
	if err != nil {
		return false, nil, s.fail("reserve", err)
	}
	if len(res) < 2 {
		return false, nil, fmt.Errorf("redisstore: reserve: short reply: %w", storage.ErrCorrupt)
	}
	u, err := decodeUsages(res[2:], t, limits)
	if err != nil {
		return false, nil, err
	}
	return res[0] == int64(1), u, nil
}

// Release removes everything recorded for id. See storage.Counters.
func (s *Store) Release(ctx context.Context, id string) error {
	if err := s.check("release"); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("redisstore: release: %w", err)
	}
	if err := releaseScript.Run(ctx, s.rdb, nil, s.pfx, id).Err(); err != nil {
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
