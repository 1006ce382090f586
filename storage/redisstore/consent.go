package redisstore

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/dialgate/dialgate"
	"github.com/dialgate/dialgate/consent"
	"github.com/dialgate/dialgate/dnc"
	"github.com/dialgate/dialgate/storage"
)

var (
	_ consent.Store           = (*Store)(nil)
	_ consent.RevisionStamper = (*Store)(nil)
)

// The consent keys: "{p}:cr:<id>" the record as JSON; "{p}:cn:<number>" the
// set of ids of a number; "{p}:crev" the revision; "{p}:cstamp" the stamp of
// the write that made the revision (consent.RevisionStamper; missing in data
// of a build before stamps, until the first write); "{p}:ce" the recent events
// (sorted set, score = Seq, member = event JSON); "{p}:ch:<number>" the
// number's full history (list of event JSON); "{p}:schema" the store's
// schema version, raised by the first record that names a tenant.

// ARGV: prefix, id, number, old JSON ("" for a new record), new JSON, event
// JSON without its leading "{", events kept, schema version the record needs
// (0: none), the write's stamp, the run's write token (writeToken) and its
// TTL in ms. A run whose token a write kept answers what that write
// answered: it is the client's retry of the run that wrote, whose reply
// was lost (the write it finds is its own, not an id taken before or a
// record changed meanwhile). Raises the schema version ("{p}:schema", missing = 1) to the one
// needed, writes the record (only if the stored one is still old JSON:
// compare and set), appends the event, sets the stamp "{p}:cstamp" with the
// revision and returns {Seq, 0}; {0, 0} when the
// id exists (add) or the record changed meanwhile (revoke), writing nothing;
// {0, 1}, writing nothing, when the schema version is not a positive integer
// (as parseSchemaVersion reads it) or not a string and the write is a
// grant. A revocation (old JSON given) is never refused for it: it leaves
// such a key as it is (Open refuses it) and withdraws the record, which
// otherwise stayed in force.
//
// Redis does not undo what a script wrote before a command of it failed, so
// the keys the write reaches after the record are checked first: the
// number's index "{p}:cn:<n>" (a set), the revision "{p}:crev" (an
// integer), the event log "{p}:ce" (a sorted set) and the number's history
// "{p}:ch:<n>" (a list). When one is damaged the second value is its code
// (2, 3, 4, 5 in that order; a revision INCR refuses — leading zeros,
// 2^63-1 and above — is damaged too, and ConsentRevision refuses it). A
// grant then writes nothing ({0, code}). A revocation is still made — the record withdrawn, the revision raised and
// the event logged, each where its key is sound — and answers {Seq, code}
// ({0, code} without a revision): a revocation stored without its event and
// revision was before told to no other process's consent cache, which went
// on allowing the grant it held; now the caches see the revision move and
// read the events (failing closed while the log is damaged), or every
// revision read fails.
var consentWriteScript = redis.NewScript(`
local pfx, id, num, old, new, ev, kept, need, stamp = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6], tonumber(ARGV[7]), tonumber(ARGV[8]), ARGV[9]
local tk = pfx .. "wt:" .. ARGV[10]
local done = redis.call("GET", tk)
if done then
  local a, b = string.match(done, "^(%d+):(%d+)$")
  if not a then error({err = "ERR corrupt write token " .. tk .. ": " .. done}) end
  return {tonumber(a), tonumber(b)}
end
local function answer(seq, code)
  redis.call("SET", tk, string.format("%d:%d", seq, code), "PX", ARGV[11])
  return {seq, code}
end
local rk = pfx .. "cr:" .. id
local cur = redis.call("GET", rk)
if old == "" then
  if cur then return {0, 0} end
else
  if cur ~= old then return {0, 0} end
end
local cnk, crk, cek, chk = pfx .. "cn:" .. num, pfx .. "crev", pfx .. "ce", pfx .. "ch:" .. num
local function sound(k, want)
  local t = redis.call("TYPE", k)["ok"]
  return t == "none" or t == want
end
local okcn, okce, okch = sound(cnk, "set"), sound(cek, "zset"), sound(chk, "list")
local okcr = sound(crk, "string")
if okcr and redis.call("EXISTS", crk) == 1 then
  local v = redis.call("GET", crk)
  okcr = v == "0" or (string.match(v, "^[1-9][0-9]*$") ~= nil and (#v < 19 or (#v == 19 and v < "9223372036854775807")))
end
local damaged = 0
if not okch then damaged = 5 end
if not okce then damaged = 4 end
if not okcr then damaged = 3 end
if not okcn then damaged = 2 end
if old == "" and damaged ~= 0 then return {0, damaged} end
if need > 0 then
  local sk = pfx .. "schema"
  local v = redis.pcall("GET", sk)
  local bad = type(v) == "table" or (v and not string.match(v, "^[1-9][0-9]?[0-9]?[0-9]?[0-9]?[0-9]?[0-9]?[0-9]?[0-9]?$"))
  if bad then
    if old == "" then return {0, 1} end
  elseif v then
    if tonumber(v) < need then redis.call("SET", sk, need) end
  else
    redis.call("SET", sk, need)
  end
end
redis.call("SET", rk, new)
if okcn then redis.call("SADD", cnk, id) end
if not okcr then return answer(0, damaged) end
local seq = redis.call("INCR", crk)
redis.call("SET", pfx .. "cstamp", stamp)
local e = '{"seq":' .. seq .. ',' .. ev
if okce then
  redis.call("ZADD", cek, seq, e)
  local n = redis.call("ZCARD", cek)
  if n > kept then redis.call("ZREMRANGEBYRANK", cek, 0, n - kept - 1) end
end
if okch then redis.call("RPUSH", chk, e) end
return answer(seq, damaged)
`)

// ARGV: record key, record JSON. Writes the record again, unchanged, when it
// still holds that JSON, and returns 1; 0, writing nothing, when it changed.
// A write that changes nothing but enters the replication stream after every
// earlier write to the record: a WAIT on the same connection then counts the
// replicas that have those earlier writes too (see RevokeConsent).
var consentRewriteScript = redis.NewScript(`
local k, v = ARGV[1], ARGV[2]
if redis.call("GET", k) ~= v then return 0 end
redis.call("SET", k, v)
return 1
`)

// ARGV: prefix, number. Returns the id and JSON of every record the
// number's index names, in pairs; the JSON is nil for an id whose record is
// gone (ConsentsByNumber fails on it: the lost record may be a withdrawal).
var consentsByNumberScript = redis.NewScript(`
local pfx, num = ARGV[1], ARGV[2]
local ids = redis.call("SMEMBERS", pfx .. "cn:" .. num)
local out = {}
for _, id in ipairs(ids) do
  out[#out + 1] = id
  out[#out + 1] = redis.call("GET", pfx .. "cr:" .. id)
end
return out
`)

// eventRest returns the JSON of ev without its leading `{"seq":0,`.
func eventRest(ev consent.Event) (string, error) {
	ev.Seq = 0
	b, err := json.Marshal(ev)
	if err != nil {
		return "", err
	}
	rest, ok := bytes.CutPrefix(b, []byte(`{"seq":0,`))
	if !ok {
		return "", errors.New("unexpected event encoding")
	}
	return string(rest), nil
}

func (s *Store) consentWrite(ctx context.Context, c writeConn, op, id string, n dialgate.Number, old string, r consent.Record, ev consent.Event) (int64, error) {
	js, err := json.Marshal(r)
	if err != nil {
		return 0, fmt.Errorf("redisstore: %s: %w", op, err)
	}
	rest, err := eventRest(ev)
	if err != nil {
		return 0, fmt.Errorf("redisstore: %s: %w", op, err)
	}
	// A version 1 build would read a record naming a tenant as covering
	// every tenant's dials, and drop the tenant when revoking it.
	need := 0
	if r.Tenant != "" {
		need = schemaTenantConsents
	}
	tok, err := writeToken()
	if err != nil {
		return 0, fmt.Errorf("redisstore: %s: write token: %w", op, err)
	}
	res, err := s.run(ctx, c, consentWriteScript, nil, s.pfx, id, numKey(n), old, string(js), rest, s.opts.ConsentEventsKept, need, consent.NewRevisionStamp(), tok, writeTokenTTL.Milliseconds()).Int64Slice()
	if err != nil {
		return 0, s.failWrite(op, err)
	}
	if len(res) != 2 {
		return 0, fmt.Errorf("redisstore: %s %s: %d reply values, want 2: %w", op, id, len(res), storage.ErrCorrupt)
	}
	seq, code := res[0], res[1]
	switch code {
	case 0:
		return seq, nil
	case 1:
		return 0, fmt.Errorf("redisstore: %s %s: key %s: schema version is not a positive integer: %w", op, id, s.schemaKey(), storage.ErrCorrupt)
	case 2, 3, 4, 5:
		k := s.pfx + []string{"cn:" + numKey(n), "crev", "ce", "ch:" + numKey(n)}[code-2]
		if old == "" {
			return 0, fmt.Errorf("redisstore: %s %s: key %s is damaged (not of its type, or a revision that is not an integer): nothing written; repair it: %w", op, id, k, storage.ErrCorrupt)
		}
		return 0, fmt.Errorf("redisstore: %s %s: the withdrawal is stored and in force, but key %s is damaged (not of its type, or a revision that is not an integer); repair it: %w", op, id, k, storage.ErrCorrupt)
	}
	return 0, fmt.Errorf("redisstore: %s %s: script answered code %d: %w", op, id, code, storage.ErrCorrupt)
}

// AddConsent implements consent.Store.
func (s *Store) AddConsent(ctx context.Context, r consent.Record) error {
	if err := s.check("AddConsent"); err != nil {
		return err
	}
	if err := r.ValidateNew(); err != nil {
		return fmt.Errorf("redisstore: AddConsent: %w", err)
	}
	c, done := s.writer()
	defer done()
	seq, err := s.consentWrite(ctx, c, "AddConsent", r.ID, r.Number, "", r,
		consent.Event{Type: consent.EventGranted, ConsentID: r.ID, Number: r.Number, At: r.GrantedAt, Channel: r.Channel})
	if err != nil {
		return err
	}
	if seq == 0 {
		return fmt.Errorf("redisstore: AddConsent %s: id exists: %w", r.ID, storage.ErrConflict)
	}
	return s.wait(ctx, c, "AddConsent")
}

// getConsent reads the record stored under id, checked
// (consent.Record.ValidateStored) when judge is set: a withdrawal reads it
// unjudged, as it is never refused for the record.
func (s *Store) getConsent(ctx context.Context, op, id string, judge bool) (consent.Record, string, error) {
	var get *redis.StringCmd
	if err := s.read(ctx, s.rdb, func(p redis.Pipeliner) { get = p.Get(ctx, s.pfx+"cr:"+id) }); err != nil {
		return consent.Record{}, "", s.fail(op, err)
	}
	v, err := get.Result()
	if errors.Is(err, redis.Nil) {
		return consent.Record{}, "", fmt.Errorf("redisstore: %s %s: %w", op, id, storage.ErrNotFound)
	}
	if err != nil {
		return consent.Record{}, "", s.fail(op, err)
	}
	r, err := storage.DecodeRecord("consent", id, []byte(v), func(r *consent.Record) error {
		if !judge {
			return nil
		}
		return r.ValidateStored(id, dialgate.Number{})
	})
	if err != nil {
		return consent.Record{}, "", fmt.Errorf("redisstore: %s: %w", op, err)
	}
	return r, v, nil
}

// Consent implements consent.Store.
func (s *Store) Consent(ctx context.Context, id string) (consent.Record, error) {
	if err := s.check("Consent"); err != nil {
		return consent.Record{}, err
	}
	r, _, err := s.getConsent(ctx, "Consent", id, true)
	return r, err
}

// ConsentsByNumber implements consent.Store in one round trip. An id the
// number's index names whose record is gone (a key deleted or evicted) fails
// the listing with storage.ErrCorrupt, as every store's does: the record
// may be a withdrawal, and without it an older grant of the person would
// allow the dials the person refused.
func (s *Store) ConsentsByNumber(ctx context.Context, n dialgate.Number) ([]consent.Record, error) {
	if err := s.check("ConsentsByNumber"); err != nil {
		return nil, err
	}
	vs, err := s.run(ctx, s.rdb, consentsByNumberScript, nil, s.pfx, numKey(n)).Slice()
	if err != nil {
		return nil, s.fail("ConsentsByNumber", err)
	}
	if len(vs)%2 != 0 {
		return nil, fmt.Errorf("redisstore: ConsentsByNumber: %d values, want id and record pairs: %w", len(vs), storage.ErrCorrupt)
	}
	out := make([]consent.Record, 0, len(vs)/2)
	for i := 0; i < len(vs); i += 2 {
		id, ok := vs[i].(string)
		if !ok {
			return nil, fmt.Errorf("redisstore: ConsentsByNumber: index entry %d is not an id: %w", i/2, storage.ErrCorrupt)
		}
		if vs[i+1] == nil {
			return nil, fmt.Errorf("redisstore: ConsentsByNumber: the index of the number names consent %q, which has no record (key %s): %w",
				id, s.pfx+"cr:"+id, storage.ErrCorrupt)
		}
		js, ok := vs[i+1].(string)
		if !ok {
			return nil, fmt.Errorf("redisstore: ConsentsByNumber: consent %q: the record is not a string: %w", id, storage.ErrCorrupt)
		}
		r, err := storage.DecodeRecord("consent", id, []byte(js), func(r *consent.Record) error { return r.ValidateStored(id, n) })
		if err != nil {
			return nil, fmt.Errorf("redisstore: ConsentsByNumber: %w", err)
		}
		out = append(out, r)
	}
	consent.SortRecords(out)
	return out, nil
}

// RevokeConsent implements consent.Store: read, then compare-and-set in one
// script (retried when another process changed the record meanwhile).
func (s *Store) RevokeConsent(ctx context.Context, id string, at time.Time, channel string) (consent.Record, error) {
	if err := s.check("RevokeConsent"); err != nil {
		return consent.Record{}, err
	}
	c, done := s.writer()
	defer done()
	for range 16 {
		r, old, err := s.getConsent(ctx, "RevokeConsent", id, false)
		if err != nil {
			return consent.Record{}, err
		}
		if r.Revoked() {
			if s.opts.WaitReplicas == 0 {
				return r, nil
			}
			// Already revoked, perhaps by a call whose WAIT failed (the
			// client was told the revocation did not replicate, and retries).
			// A WAIT counts only the writes of its own connection, and this
			// one wrote nothing: it would answer at once, reporting
			// replicated a revocation no replica may have. Write the record
			// again, unchanged, and wait for that write.
			ok, err := s.run(ctx, c, consentRewriteScript, nil, s.pfx+"cr:"+id, old).Int()
			if err != nil {
				// The withdrawal is in force (read so): never "not applied".
				return consent.Record{}, s.failWrite("RevokeConsent", err)
			}
			if ok == 1 {
				return r, s.wait(ctx, c, "RevokeConsent")
			}
			continue // the record changed meanwhile: read it again
		}
		r, ev, err := consent.RevokedRecord(r, at, channel)
		if err != nil {
			return consent.Record{}, fmt.Errorf("redisstore: RevokeConsent: %w", err)
		}
		seq, err := s.consentWrite(ctx, c, "RevokeConsent", id, r.Number, old, r, ev)
		if err != nil {
			return consent.Record{}, err
		}
		if seq != 0 {
			return r, s.wait(ctx, c, "RevokeConsent")
		}
	}
	return consent.Record{}, fmt.Errorf("redisstore: RevokeConsent %s: record kept changing: %w", id, storage.ErrConflict)
}

// decodeEvents decodes events, each checked (consent.Event.ValidateStored)
// against its seq (seqs[i]; nil: the history list, which keeps none) and,
// when n is valid, the number whose history holds it.
func decodeEvents(vs []string, seqs []uint64, n dialgate.Number) ([]consent.Event, error) {
	out := make([]consent.Event, 0, len(vs))
	for i, v := range vs {
		var seq uint64
		if seqs != nil {
			seq = seqs[i]
		}
		key := strconv.FormatUint(seq, 10)
		if seq == 0 {
			key = dnc.StoredKey(n, fmt.Sprintf("history[%d]", i))
		}
		e, err := storage.DecodeRecord("consent event", key, []byte(v), func(e *consent.Event) error { return e.ValidateStored(seq, n) })
		if err != nil {
			return nil, fmt.Errorf("redisstore: %w", err)
		}
		out = append(out, e)
	}
	return out, nil
}

// ConsentHistory implements consent.Store.
func (s *Store) ConsentHistory(ctx context.Context, n dialgate.Number) ([]consent.Event, error) {
	if err := s.check("ConsentHistory"); err != nil {
		return nil, err
	}
	var lr *redis.StringSliceCmd
	if err := s.read(ctx, s.rdb, func(p redis.Pipeliner) { lr = p.LRange(ctx, s.pfx+"ch:"+numKey(n), 0, -1) }); err != nil {
		return nil, s.fail("ConsentHistory", err)
	}
	vs, err := lr.Result()
	if err != nil {
		return nil, s.fail("ConsentHistory", err)
	}
	return decodeEvents(vs, nil, n)
}

// ConsentRevision implements consent.Store with one GET.
func (s *Store) ConsentRevision(ctx context.Context) (uint64, error) {
	if err := s.check("ConsentRevision"); err != nil {
		return 0, err
	}
	var get *redis.StringCmd
	if err := s.read(ctx, s.rdb, func(p redis.Pipeliner) { get = p.Get(ctx, s.pfx+"crev") }); err != nil {
		return 0, s.fail("ConsentRevision", err)
	}
	v, err := get.Result()
	if errors.Is(err, redis.Nil) {
		return 0, nil
	}
	if err != nil {
		return 0, s.fail("ConsentRevision", err)
	}
	return parseRevision("ConsentRevision", s.pfx+"crev", v)
}

// parseRevision reads the consent revision v of key k as the consent write
// script's INCR does, and refuses what it refuses (leading zeros, a sign,
// 2^63-1 and above, where INCR overflows): a revision the script cannot
// raise read as sound let every other process's cache keep a grant that a
// revocation, stored before its INCR failed, withdrew. ConsentRevision and
// ConsentRevisionStamp (the read the check's cache makes, on every dial:
// nothing is allocated for a sound revision) both read it so; op names the
// one reading.
func parseRevision(op, k, v string) (uint64, error) {
	ok := v == "0" || v != "" && v[0] != '0' // no sign, no leading zeros
	for i := 0; ok && i < len(v); i++ {
		ok = '0' <= v[i] && v[i] <= '9'
	}
	var n int64
	if ok {
		var err error
		n, err = strconv.ParseInt(v, 10, 64)
		ok = err == nil && n != math.MaxInt64
	}
	if !ok {
		return 0, fmt.Errorf("redisstore: %s: key %s: %.40q is not a revision the consent writes can raise (a decimal integer from 0 to 2^63-2 without leading zeros); repair it: %w", op, k, v, storage.ErrCorrupt)
	}
	return uint64(n), nil
}

// ConsentRevisionStamp implements consent.RevisionStamper with one MGET of
// the revision and its stamp (written together by every consent write). A
// stamp that is missing (data of a build before stamps) or not a string is
// "". MGET reads a revision key of another type as missing: when it reads
// none, the revision is read again as ConsentRevision reads it, which fails
// on a damaged key (an empty store only pays that second read).
func (s *Store) ConsentRevisionStamp(ctx context.Context) (uint64, string, error) {
	if err := s.check("ConsentRevisionStamp"); err != nil {
		return 0, "", err
	}
	var get *redis.SliceCmd
	if err := s.read(ctx, s.rdb, func(p redis.Pipeliner) { get = p.MGet(ctx, s.pfx+"crev", s.pfx+"cstamp") }); err != nil {
		return 0, "", s.fail("ConsentRevisionStamp", err)
	}
	vs, err := get.Result()
	if err != nil {
		return 0, "", s.fail("ConsentRevisionStamp", err)
	}
	if len(vs) != 2 {
		return 0, "", fmt.Errorf("redisstore: ConsentRevisionStamp: %d values, want 2: %w", len(vs), storage.ErrCorrupt)
	}
	stamp, _ := vs[1].(string)
	if vs[0] == nil {
		// Missing or damaged. (A first write that lands in between gives
		// its revision without a stamp: the cache then purges once more.)
		r, err := s.ConsentRevision(ctx)
		if err != nil || r != 0 {
			return r, "", err
		}
		return 0, "", nil
	}
	rs, _ := vs[0].(string)
	// As ConsentRevision reads it: a revision the consent writes cannot
	// raise (leading zeros, 2^63-1 and above) read as sound kept every
	// cache on the grants a revocation stored since withdrew.
	v, err := parseRevision("ConsentRevisionStamp", s.pfx+"crev", rs)
	if err != nil {
		return 0, "", err
	}
	return v, stamp, nil
}

// ConsentEventsSince implements consent.Store. Only the last
// Options.ConsentEventsKept events are kept; asking for older ones returns an
// error wrapping consent.ErrHistoryTruncated.
func (s *Store) ConsentEventsSince(ctx context.Context, since uint64, limit int) ([]consent.Event, error) {
	if err := s.check("ConsentEventsSince"); err != nil {
		return nil, err
	}
	if limit <= 0 {
		return nil, fmt.Errorf("redisstore: ConsentEventsSince: limit %d: not positive: %w", limit, storage.ErrInvalid)
	}
	var evs, first *redis.ZSliceCmd
	if err := s.read(ctx, s.rdb, func(pipe redis.Pipeliner) {
		evs = pipe.ZRangeByScoreWithScores(ctx, s.pfx+"ce", &redis.ZRangeBy{Min: "(" + strconv.FormatUint(since, 10), Max: "+inf", Count: int64(limit)})
		first = pipe.ZRangeWithScores(ctx, s.pfx+"ce", 0, 0)
	}); err != nil {
		return nil, s.fail("ConsentEventsSince", err)
	}
	if err := errors.Join(evs.Err(), first.Err()); err != nil {
		return nil, s.fail("ConsentEventsSince", err)
	}
	vs := make([]string, len(evs.Val()))
	seqs := make([]uint64, len(vs))
	for i, z := range evs.Val() {
		vs[i], _ = z.Member.(string)
		seqs[i] = uint64(z.Score)
	}
	out, err := decodeEvents(vs, seqs, dialgate.Number{})
	if err != nil {
		return nil, err
	}
	// (since+1 would wrap at the largest since, after every event.)
	if f := first.Val(); len(f) == 1 && since < math.MaxUint64 && uint64(f[0].Score) > since+1 {
		return nil, fmt.Errorf("redisstore: ConsentEventsSince %d: oldest kept event is %d: %w", since, uint64(f[0].Score), consent.ErrHistoryTruncated)
	}
	return out, nil
}
