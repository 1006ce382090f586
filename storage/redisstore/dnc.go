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
// entry held past 2262 stays held (fail safe: never removable early).
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

// ARGV: prefix, channel, n, then n × (number, scope, json, hold stamp,
// hold_until text). An existing (number, scope) keeps its entry; a later hold
// replaces its hold_until. Publishes each number.
var addDNCScript = redis.NewScript(`
local pfx, ch, n = ARGV[1], ARGV[2], tonumber(ARGV[3])
local pub = {}
for i = 0, n - 1 do
  local b = 4 + 5 * i
  local num, scope, js, hold, holdText = ARGV[b], ARGV[b + 1], ARGV[b + 2], ARGV[b + 3], ARGV[b + 4]
  local k = pfx .. "d:" .. num
  local old = redis.call("HGET", k, "s:" .. scope)
  if not old then
    redis.call("HSET", k, "s:" .. scope, js, "h:" .. scope, hold)
  else
    local oh = redis.call("HGET", k, "h:" .. scope) or ""
    if hold > oh then
      local e = cjson.decode(old)
      e["hold_until"] = holdText
      redis.call("HSET", k, "s:" .. scope, cjson.encode(e), "h:" .. scope, hold)
    end
  end
  redis.call("ZADD", pfx .. "dn", 0, num)
  pub[num] = true
end
for num, _ in pairs(pub) do redis.call("PUBLISH", ch, num) end
return 1
`)

// ARGV: prefix, channel, number, scope, removeStamp(t), and the text of
// the entry's added_at it may have ("": any). Returns {0} removed, {1} not
// listed, {2, hold stamp, entry JSON} held, {3, entry JSON} another
// added_at.
var removeDNCScript = redis.NewScript(`
local pfx, ch, num, scope, t, added = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6]
local k = pfx .. "d:" .. num
local old = redis.call("HGET", k, "s:" .. scope)
if not old then return {1} end
local hold = redis.call("HGET", k, "h:" .. scope) or ""
if t < hold then return {2, hold, old} end
if added ~= "" and cjson.decode(old)["added_at"] ~= added then return {3, old} end
redis.call("HDEL", k, "s:" .. scope, "h:" .. scope)
if redis.call("EXISTS", k) == 0 then redis.call("ZREM", pfx .. "dn", num) end
redis.call("PUBLISH", ch, num)
return {0}
`)

// AddDNC implements dnc.Store: one script, all entries or none; each changed
// number is published to every process's change feed.
func (s *Store) AddDNC(ctx context.Context, entries ...dnc.Entry) error {
	if err := s.check("AddDNC"); err != nil {
		return err
	}
	if len(entries) == 0 {
		return nil
	}
	args := make([]any, 0, 3+5*len(entries))
	args = append(args, s.pfx, s.dncChannel(), len(entries))
	for i, e := range entries {
		if err := e.Validate(); err != nil {
			return fmt.Errorf("redisstore: AddDNC: entry %d: %w", i, err)
		}
		js, err := json.Marshal(e)
		if err != nil {
			return fmt.Errorf("redisstore: AddDNC: entry %d: %w", i, err)
		}
		ht := ""
		if !e.HoldUntil.IsZero() {
			ht = e.HoldUntil.Format(time.RFC3339Nano)
		}
		args = append(args, numKey(e.Number), e.Scope.String(), string(js), holdStamp(e.HoldUntil), ht)
	}
	c, done := s.writer()
	defer done()
	if err := addDNCScript.Run(ctx, c, nil, args...).Err(); err != nil {
		return s.fail("AddDNC", err)
	}
	return s.wait(ctx, c, "AddDNC")
}

// DNCEntries implements dnc.Store with one HGETALL.
func (s *Store) DNCEntries(ctx context.Context, n dialgate.Number) ([]dnc.Entry, error) {
	if err := s.check("DNCEntries"); err != nil {
		return nil, err
	}
	m, err := s.rdb.HGetAll(ctx, s.pfx+"d:"+numKey(n)).Result()
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

// RemoveDNCIf implements dnc.Store. The script removes the entry only if its
// stored added_at is the very text it is given, which the store first takes
// from cond (and, when the stored entry's text differs but cond allows it —
// the same instant written in another zone, an earlier one —, from the
// entry the script returned, once more), so cond is checked atomically with
// the hold and the removal.
func (s *Store) RemoveDNCIf(ctx context.Context, n dialgate.Number, sc dnc.Scope, t time.Time, cond dnc.RemoveCondition) error {
	if err := s.check("RemoveDNC"); err != nil {
		return err
	}
	if t.IsZero() {
		return fmt.Errorf("redisstore: RemoveDNC: instant: zero time: %w", storage.ErrInvalid)
	}
	added := ""
	if !cond.AddedNotAfter.IsZero() {
		js, err := cond.AddedNotAfter.MarshalJSON()
		if err != nil {
			return fmt.Errorf("redisstore: RemoveDNC: condition added_not_after: %w: %w", storage.ErrInvalid, err)
		}
		added = strings.Trim(string(js), `"`)
	}
	c, done := s.writer()
	defer done()
	for attempt := 0; ; attempt++ {
		res, err := removeDNCScript.Run(ctx, c, nil, s.pfx, s.dncChannel(), numKey(n), sc.String(), removeStamp(t), added).Slice()
		if err != nil {
			return s.fail("RemoveDNC", err)
		}
		code, _ := res[0].(int64)
		if code == 3 {
			var raw struct {
				AddedAt string `json:"added_at"`
			}
			var e dnc.Entry
			js, _ := res[1].(string)
			if err := json.Unmarshal([]byte(js), &e); err != nil {
				return fmt.Errorf("redisstore: RemoveDNC: stored entry: %w: %v", storage.ErrCorrupt, err)
			}
			if err := json.Unmarshal([]byte(js), &raw); err != nil {
				return fmt.Errorf("redisstore: RemoveDNC: stored entry: %w: %v", storage.ErrCorrupt, err)
			}
			if cond.Allows(e) && raw.AddedAt != added && attempt < 3 {
				added = raw.AddedAt // the entry allowed, written otherwise: that entry only
				continue
			}
			return fmt.Errorf("redisstore: RemoveDNC %s: added at %s: %w", sc, e.AddedAt.Format(time.RFC3339), dnc.ErrChanged)
		}
		return s.removeResult(ctx, c, sc, res)
	}
}

// removeResult turns the reply of removeDNCScript (codes 0–2) into RemoveDNC's
// error.
func (s *Store) removeResult(ctx context.Context, c writeConn, sc dnc.Scope, res []any) error {
	code, _ := res[0].(int64)
	switch code {
	case 0:
		return s.wait(ctx, c, "RemoveDNC")
	case 1:
		return fmt.Errorf("redisstore: RemoveDNC %s: %w", sc, dnc.ErrNotListed)
	default:
		until := ""
		if len(res) > 2 {
			var e dnc.Entry
			if js, ok := res[2].(string); ok && json.Unmarshal([]byte(js), &e) == nil {
				until = e.HoldUntil.UTC().Format(time.RFC3339)
			}
		}
		return fmt.Errorf("redisstore: RemoveDNC %s: held until %s: %w", sc, until, dnc.ErrHeld)
	}
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
		nums, err := s.rdb.ZRangeArgs(ctx, redis.ZRangeArgs{Key: s.pfx + "dn", Start: from, Stop: "+", ByLex: true, Count: scanPage}).Result()
		if err != nil {
			return s.fail("ScanDNC", err)
		}
		if len(nums) == 0 {
			return nil
		}
		pipe := s.rdb.Pipeline()
		cmds := make([]*redis.MapStringStringCmd, len(nums))
		for i, num := range nums {
			cmds[i] = pipe.HGetAll(ctx, s.pfx+"d:"+num)
		}
		if _, err := pipe.Exec(ctx); err != nil {
			return s.fail("ScanDNC", err)
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
