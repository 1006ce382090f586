package redisstore

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/dnc"
	"github.com/dialgate/dialgate/storage"
)

var _ dnc.Store = (*Store)(nil)

// The DNC keys: "{p}:d:<number as uint64>" is a hash with, per scope, the
// field "s:<scope>" (the entry as JSON) and "h:<scope>" (the stamp of its
// HoldUntil, or 20 zeros); "{p}:dn" is a sorted set of the listed numbers as
// 20-digit members (score 0), for ordered scans.

func numKey(n dialgate.Number) string { return fmt.Sprintf("%020d", n.Uint64()) }

// Stamps of DNC instants. stamp orders instants from 1823 to 2262 (the
// range of a Unix-nanosecond int64 that the offset keeps non-negative);
// outside it t.UnixNano wraps around, and a hold until the year 2500 or
// 3000 read as one that ended in 2009 or 1977: RemoveDNC removed the held
// opt-out and AddDNC replaced the hold by a shorter one. Instants outside the
// range are therefore saturated: a hold before 1823 is no hold (every
// removal instant the range holds is after it), a hold after 2262 is
// stampHoldMax, and a removal instant after 2262 is stampHoldMax-1, so an
// entry held past 2262 stays held (fail safe: never removable early) —
// until the instant reaches the hold_until of the entry RemoveDNCIf judged
// (entryRemoveStamp).
const (
	stampNone    = "00000000000000000000"
	stampHoldMax = "18446744073709551615" // math.MaxUint64
	stampTMax    = "18446744073709551614"
)

var (
	stampLo = time.Unix(0, -instantOffset)
	stampHi = time.Unix(0, math.MaxInt64)
)

// holdStamp is the stamp of a HoldUntil: stampNone for none.
func holdStamp(t time.Time) string {
	switch {
	case t.IsZero() || t.Before(stampLo):
		return stampNone
	case t.After(stampHi):
		return stampHoldMax
	}
	return stamp(t.UnixNano())
}

// removeStamp is the stamp of a RemoveDNC instant, compared with holdStamp.
func removeStamp(t time.Time) string {
	switch {
	case t.Before(stampLo):
		return stampNone
	case t.After(stampHi):
		return stampTMax
	}
	return stamp(t.UnixNano())
}

// entryRemoveStamp is the stamp of a RemoveDNC instant t for an entry
// whose JSON hold_until, hold, t has reached: removeStamp(t), except that a
// t past 2262 reaching a hold also past 2262 is stampHoldMax, which every
// hold stamp allows (both saturated, their order is known only from the
// entry, which the caller judged). Otherwise an entry held past 2262 could
// never be removed, though its hold had ended (dnc.Store: ErrHeld only while
// t is before HoldUntil).
func entryRemoveStamp(t, hold time.Time) string {
	if t.After(stampHi) && hold.After(stampHi) && !t.Before(hold) {
		return stampHoldMax
	}
	return removeStamp(t)
}

// addArgs is how many ARGV each entry of addDNCScript takes.
const addArgs = 11

// ARGV: prefix, channel, n, then n × (number, scope, json, hold stamp,
// hold_until text, seen, replacement json, its hold stamp, evidence item,
// merged, added_at text). merged is "1" when the caller judged that the
// entry changes the sound entry stored (seen: dnc.Merge, a later added_at
// or a later hold; both holds past 2262, their stamps are equal); the hold
// stamp, hold_until text ("" none) and added_at text are then the merged
// entry's. seen is what the caller read under the entry's key: "?" nothing read,
// "0" none, "=" then the entry's JSON. Unless every entry's stored JSON is
// what seen says (none, for "?"), it writes nothing and returns 0: the
// caller reads them and runs it again. Otherwise, for each entry: none
// stored, it is stored; a replacement given (the caller judged the stored
// entry damaged) and the stored entry still that one, the item is appended
// to "{p}:dr" and the replacement stored, with the later of the two hold
// stamps (a stamp is never lowered); else the stored entry is kept: merged,
// its added_at and hold_until are replaced by the merged entry's (every
// other field of its JSON kept), its stamp the later of the two; not
// merged, only a hold stamp lower than the entry's is raised. Publishes
// each number; returns 1.
//
// Redis does not undo what a script wrote before a command of it failed, and
// an entry written but not published is never heard of by another process's
// Bloom filter (its lookups answer "not listed"). So the index of numbers
// "{p}:dn" (a sorted set) and the evidence list "{p}:dr" (a list) are
// checked first; an opt-out is never refused for them: a damaged one is
// left alone (the number not indexed, or the damaged entry replaced without
// its evidence), every entry is still written and published, and the script
// returns 2 (the index damaged) or 3 (the evidence list damaged and a
// damaged entry replaced without its evidence) instead of 1.
var addDNCScript = redis.NewScript(`
local pfx, ch, n = ARGV[1], ARGV[2], tonumber(ARGV[3])
for i = 0, n - 1 do
  local b = 4 + 11 * i
  local old = redis.call("HGET", pfx .. "d:" .. ARGV[b], "s:" .. ARGV[b + 1])
  local seen = ARGV[b + 5]
  if old then
    if seen ~= "=" .. old then return 0 end
  elseif seen ~= "?" and seen ~= "0" then
    return 0
  end
end
local function sound(k, want)
  local t = redis.call("TYPE", k)["ok"]
  return t == "none" or t == want
end
local okdn, okdr = sound(pfx .. "dn", "zset"), sound(pfx .. "dr", "list")
local pub, lostdr = {}, false
for i = 0, n - 1 do
  local b = 4 + 11 * i
  local num, scope, js, hold, holdText = ARGV[b], ARGV[b + 1], ARGV[b + 2], ARGV[b + 3], ARGV[b + 4]
  local seen, repl, replHold, item = ARGV[b + 5], ARGV[b + 6], ARGV[b + 7], ARGV[b + 8]
  local k = pfx .. "d:" .. num
  local old = redis.call("HGET", k, "s:" .. scope)
  if not old then
    redis.call("HSET", k, "s:" .. scope, js, "h:" .. scope, hold)
  elseif repl ~= "" and seen == "=" .. old then
    local oh = redis.call("HGET", k, "h:" .. scope) or ""
    if oh > replHold then replHold = oh end
    if okdr then redis.call("RPUSH", pfx .. "dr", item) else lostdr = true end
    redis.call("HSET", k, "s:" .. scope, repl, "h:" .. scope, replHold)
  else
    local oh = redis.call("HGET", k, "h:" .. scope) or ""
    if ARGV[b + 9] == "1" and seen == "=" .. old then
      local e = cjson.decode(old)
      e["added_at"] = ARGV[b + 10]
      if holdText ~= "" then e["hold_until"] = holdText end
      if oh > hold then hold = oh end
      redis.call("HSET", k, "s:" .. scope, cjson.encode(e), "h:" .. scope, hold)
    elseif hold > oh then
      redis.call("HSET", k, "h:" .. scope, hold)
    end
  end
  if okdn then redis.call("ZADD", pfx .. "dn", 0, num) end
  pub[num] = true
end
for num, _ in pairs(pub) do redis.call("PUBLISH", ch, num) end
if not okdn then return 2 end
if lostdr then return 3 end
return 1
`)

// ARGV: prefix, channel, number, scope, removeStamp(t), seen: "=" then
// the entry's JSON as the caller read and judged it, the run's write token
// (writeToken) and its TTL in ms. Returns {0} removed, {1} not listed, {2}
// held (by its hold stamp), {3} the stored entry is not the one seen (the
// caller reads it again). A run whose token a removal kept answers {0}: it
// is the client's retry of the run that removed the entry, whose reply was
// lost, not a removal of an entry that was not listed.
var removeDNCScript = redis.NewScript(`
local pfx, ch, num, scope, t, seen = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6]
local tk = pfx .. "wt:" .. ARGV[7]
if redis.call("EXISTS", tk) == 1 then return {0} end
local k = pfx .. "d:" .. num
local old = redis.call("HGET", k, "s:" .. scope)
if not old then return {1} end
if seen ~= "=" .. old then return {3} end
local hold = redis.call("HGET", k, "h:" .. scope) or ""
if t < hold then return {2} end
redis.call("HDEL", k, "s:" .. scope, "h:" .. scope)
redis.call("SET", tk, "0", "PX", ARGV[8])
if redis.call("EXISTS", k) == 0 then redis.call("ZREM", pfx .. "dn", num) end
redis.call("PUBLISH", ch, num)
return {0}
`)

// writeAttempts bounds how many times a DNC write reads again an entry that
// keeps changing between its read and the script.
const writeAttempts = 16

// AddDNC implements dnc.Store: one script, all entries or none; each changed
// number is published to every process's change feed, and this process's
// watchers are told before AddDNC returns. When an entry's key
// is already stored the script writes nothing, and the stored entries are
// read and judged (judgeAdds) and the script run again, checking that they
// are still the ones judged: a damaged one is replaced, never a reason to
// refuse the opt-out.
func (s *Store) AddDNC(ctx context.Context, entries ...dnc.Entry) error {
	if err := s.check("AddDNC"); err != nil {
		return err
	}
	if len(entries) == 0 {
		return nil
	}
	for i, e := range entries {
		if err := e.Validate(); err != nil {
			return fmt.Errorf("redisstore: AddDNC: entry %d: %w", i, err)
		}
	}
	// Entries of one key merged here (dnc.Merge: the first kept, with the
	// latest added_at and hold): the script compares holds by their
	// stamps, equal for two holds past 2262, and kept the first's.
	merged := make([]dnc.Entry, 0, len(entries))
	at := map[string]int{}
	for _, e := range entries {
		k := numKey(e.Number) + " " + e.Scope.String()
		if i, ok := at[k]; ok {
			merged[i], _ = dnc.Merge(merged[i], e)
			continue
		}
		at[k] = len(merged)
		merged = append(merged, e)
	}
	args := make([]any, 0, 3+addArgs*len(merged))
	args = append(args, s.pfx, s.dncChannel(), len(merged))
	for i, e := range merged {
		js, err := json.Marshal(e)
		if err != nil {
			return fmt.Errorf("redisstore: AddDNC: entry %d: %w", i, err)
		}
		args = append(args, numKey(e.Number), e.Scope.String(), string(js), holdStamp(e.HoldUntil), holdText(e.HoldUntil), "?", "", "", "", "", "")
	}
	// This process's watchers hear of the entries before AddDNC returns,
	// not when the published notification comes back: a lookup in between
	// would answer "not listed" from the Bloom filter. Told even on an
	// error (the script may have run).
	defer s.notifyEntries(entries)
	c, done := s.writer()
	defer done()
	for range writeAttempts {
		ok, err := s.run(ctx, c, addDNCScript, nil, args...).Int()
		if err != nil {
			return s.failWrite("AddDNC", err)
		}
		switch ok {
		case 1:
			return s.wait(ctx, c, "AddDNC")
		case 2, 3:
			if err := s.wait(ctx, c, "AddDNC"); err != nil {
				return err
			}
			if ok == 2 {
				return fmt.Errorf("redisstore: AddDNC: the entries are stored and in force, but key %sdn (the index of listed numbers) is damaged: not a sorted set; repair it (every scan of the lists fails until then): %w", s.pfx, storage.ErrCorrupt)
			}
			return fmt.Errorf("redisstore: AddDNC: the entries are stored and in force, but key %sdr (the evidence of replaced damaged entries) is damaged: not a list, and the damaged entries replaced were not kept; repair it: %w", s.pfx, storage.ErrCorrupt)
		}
		if err := s.judgeAdds(ctx, merged, args[3:]); err != nil {
			return err
		}
	}
	return fmt.Errorf("redisstore: AddDNC: the entries kept changing meanwhile: %w", storage.ErrConflict)
}

// judgeAdds reads the entries stored under the keys of entries and sets, in
// each entry's ARGV of addDNCScript (args, addArgs per entry), what was
// seen and, for a damaged one (it fails dnc.Entry.ValidateStored), the
// entry that replaces it (dnc.ReplaceDamaged: the hold_until of the
// damaged JSON, when readable, is kept if longer) and the evidence item
// that keeps the damaged JSON, verbatim, in "{p}:dr".
func (s *Store) judgeAdds(ctx context.Context, entries []dnc.Entry, args []any) error {
	cmds := make([]*redis.StringCmd, len(entries))
	if err := s.read(ctx, s.rdb, func(pipe redis.Pipeliner) {
		for i, e := range entries {
			cmds[i] = pipe.HGet(ctx, s.pfx+"d:"+numKey(e.Number), "s:"+e.Scope.String())
		}
	}); err != nil {
		return s.fail("AddDNC", err)
	}
	for i, e := range entries {
		a := args[addArgs*i:]
		a[3], a[4] = holdStamp(e.HoldUntil), holdText(e.HoldUntil)
		a[5], a[6], a[7], a[8], a[9], a[10] = "0", "", "", "", "", ""
		old, err := cmds[i].Result()
		if errors.Is(err, redis.Nil) {
			continue
		}
		if err != nil {
			return s.fail("AddDNC", err)
		}
		a[5] = "=" + old
		if x, err := storage.DecodeRecord("dnc entry", dnc.StoredKey(e.Number, e.Scope.String()), []byte(old), func(x *dnc.Entry) error {
			return x.ValidateStored(e.Number, e.Scope)
		}); err == nil {
			// Judged here, where instants compare as instants (the
			// script's stamps are equal for two holds past 2262, and it
			// cannot order RFC 3339 texts of different offsets).
			if keep, changed := dnc.Merge(x, e); changed {
				a[3], a[4] = holdStamp(keep.HoldUntil), holdText(keep.HoldUntil)
				a[9], a[10] = "1", keep.AddedAt.Format(time.RFC3339Nano)
			}
			continue
		}
		keep := dnc.ReplaceDamaged(e, dnc.StoredHoldUntil([]byte(old)))
		js, err := json.Marshal(keep)
		if err != nil {
			return fmt.Errorf("redisstore: AddDNC: entry %d: %w", i, err)
		}
		item, err := json.Marshal(replacedItem{Number: numKey(e.Number), Scope: e.Scope.String(), Stored: old, By: keep.AddedAt})
		if err != nil {
			return fmt.Errorf("redisstore: AddDNC: entry %d: %w", i, err)
		}
		a[6], a[7], a[8] = string(js), holdStamp(keep.HoldUntil), string(item)
	}
	return nil
}

// holdText is a HoldUntil as the entry's JSON spells it: "" for none.
func holdText(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.Format(time.RFC3339Nano)
}

// replacedItem is an item of the list "{p}:dr": a damaged entry AddDNC
// replaced, kept as evidence. Nothing reads it; an operator inspects it
// with LRANGE (docs/deploy.md).
type replacedItem struct {
	Number string    `json:"number"` // the number's key (its Uint64, 20 digits)
	Scope  string    `json:"scope"`
	Stored string    `json:"stored"` // the entry's JSON as it was stored, verbatim
	By     time.Time `json:"replaced_by_added_at"`
}

// DNCEntries implements dnc.Store with one HGETALL.
func (s *Store) DNCEntries(ctx context.Context, n dialgate.Number) ([]dnc.Entry, error) {
	if err := s.check("DNCEntries"); err != nil {
		return nil, err
	}
	var get *redis.MapStringStringCmd
	if err := s.read(ctx, s.rdb, func(p redis.Pipeliner) { get = p.HGetAll(ctx, s.pfx+"d:"+numKey(n)) }); err != nil {
		return nil, s.fail("DNCEntries", err)
	}
	m, err := get.Result()
	if err != nil {
		return nil, s.fail("DNCEntries", err)
	}
	return decodeEntries(numKey(n), m)
}

// decodeEntries decodes the entries of the hash of number key num (fields
// "s:<scope>"), each checked against its number and scope
// (dnc.Entry.ValidateStored). The first bad one, in scope order, fails the
// whole read.
func decodeEntries(num string, m map[string]string) ([]dnc.Entry, error) {
	var out []dnc.Entry
	u, nerr := strconv.ParseUint(num, 10, 64)
	n, err := dialgate.NumberFromUint64(u)
	nerr = errors.Join(nerr, err)
	for _, f := range slices.Sorted(maps.Keys(m)) {
		scope, ok := strings.CutPrefix(f, "s:")
		if !ok {
			continue
		}
		sc, serr := dnc.ParseScope(scope)
		e, err := storage.DecodeRecord("dnc entry", dnc.StoredKey(n, scope), []byte(m[f]), func(e *dnc.Entry) error {
			if err := errors.Join(nerr, serr); err != nil {
				return fmt.Errorf("key: %w", err)
			}
			return e.ValidateStored(n, sc)
		})
		if err != nil {
			return nil, fmt.Errorf("redisstore: %w", err)
		}
		out = append(out, e)
	}
	slices.SortFunc(out, func(a, b dnc.Entry) int { return cmp.Compare(a.Scope.String(), b.Scope.String()) })
	return out, nil
}

// RemoveDNC implements dnc.Store.
func (s *Store) RemoveDNC(ctx context.Context, n dialgate.Number, sc dnc.Scope, t time.Time) error {
	return s.RemoveDNCIf(ctx, n, sc, t, dnc.RemoveCondition{})
}

// RemoveDNCIf implements dnc.Store. The entry is read and judged here — a
// damaged one (it fails dnc.Entry.ValidateStored) is refused with its
// storage.RecordError, one whose hold_until or cond does not allow the
// removal is kept — and the script removes it only if it is still the
// entry judged, byte for byte, and its hold stamp allows it; otherwise it
// is read again. The judgement is thus atomic with the removal.
func (s *Store) RemoveDNCIf(ctx context.Context, n dialgate.Number, sc dnc.Scope, t time.Time, cond dnc.RemoveCondition) error {
	if err := s.check("RemoveDNC"); err != nil {
		return err
	}
	if t.IsZero() {
		return fmt.Errorf("redisstore: RemoveDNC: instant: zero time: %w", storage.ErrInvalid)
	}
	defer s.hub.Notify(n) // this process's watchers at once, as AddDNC
	c, done := s.writer()
	defer done()
	for range writeAttempts {
		var get *redis.StringCmd
		if err := s.read(ctx, s.rdb, func(p redis.Pipeliner) { get = p.HGet(ctx, s.pfx+"d:"+numKey(n), "s:"+sc.String()) }); err != nil {
			return s.fail("RemoveDNC", err)
		}
		old, err := get.Result()
		if errors.Is(err, redis.Nil) {
			return fmt.Errorf("redisstore: RemoveDNC %s: %w", sc, dnc.ErrNotListed)
		}
		if err != nil {
			return s.fail("RemoveDNC", err)
		}
		e, err := storage.DecodeRecord("dnc entry", dnc.StoredKey(n, sc.String()), []byte(old), func(e *dnc.Entry) error {
			return e.ValidateStored(n, sc)
		})
		if err != nil {
			// Its hold and added_at cannot be trusted: kept.
			return fmt.Errorf("redisstore: RemoveDNC: %w", err)
		}
		if t.Before(e.HoldUntil) {
			return fmt.Errorf("redisstore: RemoveDNC %s: held until %s: %w", sc, e.HoldUntil.UTC().Format(time.RFC3339), dnc.ErrHeld)
		}
		if !cond.Allows(e) {
			return fmt.Errorf("redisstore: RemoveDNC %s: added at %s: %w", sc, e.AddedAt.Format(time.RFC3339), dnc.ErrChanged)
		}
		tok, err := writeToken()
		if err != nil {
			return fmt.Errorf("redisstore: RemoveDNC: write token: %w", err)
		}
		res, err := s.run(ctx, c, removeDNCScript, nil, s.pfx, s.dncChannel(), numKey(n), sc.String(), entryRemoveStamp(t, e.HoldUntil), "="+old, tok, writeTokenTTL.Milliseconds()).Slice()
		if err != nil {
			return s.failWrite("RemoveDNC", err)
		}
		if len(res) != 1 {
			return fmt.Errorf("redisstore: RemoveDNC %s: %d reply values, want 1: %w", sc, len(res), storage.ErrCorrupt)
		}
		code, _ := res[0].(int64)
		switch code {
		case 0:
			return s.wait(ctx, c, "RemoveDNC")
		case 1:
			return fmt.Errorf("redisstore: RemoveDNC %s: %w", sc, dnc.ErrNotListed)
		case 2:
			return fmt.Errorf("redisstore: RemoveDNC %s: held (its hold stamp is later than %s): %w", sc, t.UTC().Format(time.RFC3339), dnc.ErrHeld)
		}
	}
	return fmt.Errorf("redisstore: RemoveDNC %s: the entry kept changing meanwhile: %w", sc, dnc.ErrChanged)
}

// scanPage is how many numbers one ScanDNC round trip reads.
const scanPage = 1000

// ScanDNC implements dnc.Store: numbers in order, a page of 1,000 per round
// trip (one ZRANGEBYLEX and a pipeline of HGETALLs). It is not a snapshot:
// entries written during the scan may or may not be seen.
func (s *Store) ScanDNC(ctx context.Context, fn func(dnc.Entry) error) error {
	if err := s.check("ScanDNC"); err != nil {
		return err
	}
	from := "-"
	for {
		var page *redis.StringSliceCmd
		if err := s.read(ctx, s.rdb, func(p redis.Pipeliner) {
			page = p.ZRangeArgs(ctx, redis.ZRangeArgs{Key: s.pfx + "dn", Start: from, Stop: "+", ByLex: true, Count: scanPage})
		}); err != nil {
			return s.fail("ScanDNC", err)
		}
		nums, err := page.Result()
		if err != nil {
			return s.fail("ScanDNC", err)
		}
		if len(nums) == 0 {
			return nil
		}
		cmds := make([]*redis.MapStringStringCmd, len(nums))
		if err := s.read(ctx, s.rdb, func(pipe redis.Pipeliner) {
			for i, num := range nums {
				cmds[i] = pipe.HGetAll(ctx, s.pfx+"d:"+num)
			}
		}); err != nil {
			return s.fail("ScanDNC", err)
		}
		for _, c := range cmds {
			if err := c.Err(); err != nil {
				return s.fail("ScanDNC", err)
			}
		}
		for i, c := range cmds {
			es, err := decodeEntries(nums[i], c.Val())
			if err != nil {
				return err
			}
			if len(es) == 0 {
				continue // removed since the page was read
			}
			if _, err := strconv.ParseUint(nums[i], 10, 64); err != nil {
				return fmt.Errorf("redisstore: ScanDNC: bad number key %q: %w", nums[i], storage.ErrCorrupt)
			}
			for _, e := range es {
				if err := fn(e); err != nil {
					return err
				}
			}
		}
		if len(nums) < scanPage {
			return nil
		}
		from = "(" + nums[len(nums)-1]
	}
}
