// Package redisstore is dialgate's shared store for fleets on Redis
// (github.com/redis/go-redis/v9): one [Store] type implementing
// storage.Counters (frequency caps, segment rate), storage.Runs (the
// sweep.sequential run state), dnc.Store (the shared do-not-call entries)
// and consent.Store, so that every sidecar of a call centre counts against
// the same caps, sees a sweep through a number segment whichever sidecars
// its dials went through, and honours an opt-out or a revocation taken by
// any other.
//
// # Counters
//
// A reservation is one Lua script run by the server: it tallies every limit,
// and only when none would be exceeded records the reservation under every
// key, so two sidecars can never both take the last slot. Each counter key is a
// sorted set whose members encode (instant, reservation id, member) with the
// instant as a fixed-width decimal (nanosecond exact; Redis scores are doubles
// and would round). Idempotency is by reservation id: a hash per id lists the
// entries it holds, which Release removes. Windows slide with the caller's
// instant (time is an input); old entries are pruned by later reservations on
// the same key, and every key also expires Options.KeyTTLSlack after its
// longest window so abandoned keys do not pile up. A key's number of entries
// with a member (storage.Limit.Member) is a key of its own, written with the
// same expiry so that it leaves with the counter key (ExtendCounterExpiry keeps
// the keys of a suffix longer, and their member counts with them, for a
// caller that counts their entries with a longer window than they were
// recorded with; a later reservation under such a key, by a process still
// counting it with the shorter window, never shortens its expiry, nor
// prunes its entries: they leave with the key). A
// check-only limit
// (storage.Limit.CheckOnly) is tallied by the same script, so it is decided
// atomically with the others, but its key is never written; a reservation
// of check-only limits only writes nothing, not even its id's hash.
//
// Concurrent reservations on one Store are group-committed: while two script
// calls are in flight, the reservations that arrive queue, and when a call
// returns the next one carries all of them (up to Options.MaxCounterBatch). The
// script applies them one after the other, each on the state the ones before it
// left, so a batch decides exactly what the same reservations would one by one;
// what they share is the per-call cost (parsing, the reply, system calls and
// context switches on both sides), about a third of a lone cn-shaped
// reservation's server time and half of the client's. No timer delays a call: a
// reservation that finds fewer calls in flight is sent at once. A caller whose
// context ends stops waiting (its reservation may still be made, as with any
// call that times out, and the others of its batch are unaffected); a lost
// connection fails every reservation of the batch; a server error reply (a key
// of the wrong type) fails only the reservation that caused it, the others
// being retried one by one. Usage calls are batched the same way, in script
// calls of their own (each still reads one consistent state).
//
// # Runs
//
// Each storage.Runs call is one Lua script, so concurrent records of one
// segment from any number of processes are decided one after the other and
// never together make a run. A run key has a hash (each value's latest
// record instant, and the instant the key is closed until with the closing
// run's length), a sorted set of its values scored by value (the script
// walks a run from the dialled value with ZRANGEBYSCORE, a chunk of MinRun
// values per side), a sorted set of "<instant>:<value>" members by which the
// values that left the window are pruned, a set of the ids holding each
// value, and a hash per id naming its key and value (idempotency and
// Release). Every key expires Options.KeyTTLSlack after the window. The
// check (RunLength) and the commit (RecordRun) of a dial are a round trip
// each; they are not group-committed like the counters.
//
// # Change notification and the Bloom filter
//
// Every DNC write is a Lua script that also PUBLISHes the changed number on
// the channel "{prefix}:dnc". The Store keeps one subscription and passes each
// notification to the watchers registered through WatchDNC (dnc.ChangeFeed):
// dnc.Lists, which keeps a bits-and-blooms Bloom filter of the shared entries,
// adds the number to the filter and drops its cached answer. A Bloom positive
// is confirmed against Redis.
//
// Another process's write reaches this subscription some time after that
// process's AddDNC returned, so before it trusts its filter or cache a
// lookup calls SyncDNC (dnc.FeedSyncer): the Store publishes a probe through
// its own client on the subscription's probe channel and waits for it to
// come back; Redis delivers one connection's messages in the order they
// were published, so every opt-out acknowledged anywhere before the lookup
// started has reached the filter by then (read your writes across the
// fleet). Up to four probes are out at once, and the lookups made while
// four are out share the next, so a number that is not listed — most
// dials — costs one pub/sub round trip, and Redis sees at most four probes
// a round trip, not one per lookup. A lookup whose probe cannot come back (the feed lost,
// the probe later than four heartbeats and a second, the caller's context
// done) reads Redis instead.
//
// The subscription is watched by a heartbeat: after each quiet
// Options.Heartbeat (and before the feed first goes live) the Store publishes
// a probe through its own client on a channel only this subscription
// listens to ("{prefix}:probe:<random>"), and the probe must come back
// within the next heartbeat — a subscription whose connection answers while
// the writers' messages no longer reach it is a lost feed, never a live one.
// When a probe does not come back in time or
// the connection fails, the watchers are told the feed is lost and stop
// trusting their filter and cache: every lookup then reads Redis, and fails
// with storage.ErrUnavailable while Redis is unreachable (dnc.unavailable, a
// deny). When the subscription is back the watchers rebuild their filter from
// a scan before trusting it again. There is no window in which an opt-out
// another process acknowledged is not seen: a lookup's probe does not come
// back through a silent subscription either, and the lookup waits for it
// (at most until the feed is marked lost, or its context ends: dnc.unavailable).
//
// Consent needs no pub/sub: the consent check reads the revision with the
// stamp of the write that made it (ConsentRevisionStamp, one MGET) on every
// dial and replays ConsentEventsSince, so a revocation written by any
// process is honoured by every process on its next check — also after the
// server lost its last writes (appendfsync everysec, a failover to a lagging
// replica) and other processes' writes took their revisions again: the
// stamp at the cache's revision is then another, and the cache empties
// itself.
//
// # Failure
//
// Every command is bounded by the caller's context (ContextTimeoutEnabled).
// A connection failure or timeout returns an error wrapping
// storage.ErrUnavailable, and so does every command after the store was
// emptied (see Epoch); the checks turn it into frequency.unavailable,
// dnc.unavailable or consent.unavailable — a deny, never an allow.
//
// # Durability
//
// Redis acknowledges a write when it is in memory. What survives a crash
// depends on the server: a production deployment must run with
// "appendonly yes" and "appendfsync always" (nothing acknowledged is lost) or
// "appendfsync everysec" (up to one second of reservations and opt-outs may be
// lost on a power failure), with "maxmemory-policy noeviction" (an evicted
// counter key would silently forget calls: fail open). Open checks
// maxmemory-policy and, with Options.RequireAOF, appendonly and appendfsync, refusing a
// server that is configured unsafely, and refuses a server that is a replica
// (INFO replication: its reads can lag behind a revocation or an opt-out its
// master acknowledged). Open checks the role once: a master demoted while
// the Store runs (a failover) answers writes with READONLY errors, which deny. With replicas, Options.WaitReplicas makes
// every DNC and consent write wait for that many replicas (WAIT, sent on the
// connection the write ran on: WAIT counts only its own connection's writes).
//
// # Epoch
//
// A Redis server restarted without persistence (--save "" and appendonly
// no, or its files lost) comes back empty, and so does a store that was
// flushed or a failover to a server that never had it: every counter would
// count from zero (a callee called again too soon) and every opt-out would
// be gone, while the processes sharing the store go on running. Open reads
// the key "{prefix}:epoch", a random value, setting it when it is missing,
// and remembers it; every command after that is followed, in the same
// pipeline (no extra round trip), by a read of the key. When the key is
// missing or holds another value the command fails with an error wrapping
// storage.ErrUnavailable — the checks deny with <check>.unavailable, Ping
// fails (the health probe reports the store down) — whatever the command
// itself answered, and keeps failing until the store's data is restored
// with its epoch key (a backup of the whole prefix) or the process is
// restarted. A process opened after the loss cannot tell an emptied store
// from a new one (it sets a new epoch, which the processes opened before
// still refuse); with Options.RequireEpoch it refuses a store without the
// key instead. The key is not a guard against losing part of the data (up
// to one second of writes with appendfsync everysec, or a replica that
// lagged): see Durability.
//
// # Schema
//
// The key "{prefix}:schema" holds the version of the store's keys (see
// SchemaVersion); a store without it is version 1. Open reads it and refuses
// a store of a newer version than the build reads (storage.ErrSchemaTooNew:
// upgrade dialgate) or with a value that is not a positive decimal integer
// (storage.ErrCorrupt), writing nothing. Open never sets it: a version is
// raised by the first write that stores what builds of the older versions
// would misread, in that write's script (Redis runs a script atomically), so
// a store stays open to them until such data exists.
//
// Version 2: consent records may name a tenant (consent.Record.Tenant). A
// build that does not know the field ignores the record's "tenant" key: its
// consent check would let every tenant's dials rely on the record (a wrong
// allow) and its revocation would write the record back without it. The
// consent write script (AddConsent, RevokeConsent) of a record that names a
// tenant sets the key to 2 when it is missing or lower. A key that is not a
// version fails such a grant (storage.ErrCorrupt), never a revocation: the
// withdrawal is made and the key left for Open to refuse.
//
// Version 3: the store holds sequential-run state (storage.Runs). A build
// that does not know it keeps the sweep.sequential runs of its dials in its
// own memory: the fleet does not see them, and it does not see the fleet's
// (a sweep spread over it and the others goes unseen, a wrong allow). The
// record script (RecordRun) sets the key to 3 when it is missing or lower,
// and fails, writing nothing, when it is not a positive integer.
//
// Builds from before the key existed do not read it at all: for them the
// key changes nothing, and they misread tenant-tied consents as described.
// The guard protects only against rolling back to a build that has it
// (and, like any check made at Open, not against a process of an older
// build already running when the first such record is written). Upgrade
// every process that shares the store before granting a consent with a
// tenant, and before a profile with a sequential rule (cn, us-ok) dials
// through a sidecar of the new build.
//
// # Keys
//
// Every key starts with the hash tag "{prefix}:" (Options.Prefix, default
// "dialgate"), so that several deployments or tests can share one server and,
// in Redis Cluster, all keys of one prefix live on one shard (the scripts touch
// several keys at once).
//
// A DNC removal and a consent write keep "{prefix}:wt:<token>", a random
// token of their own, for five minutes with their answer: go-redis sends a
// command again on a new connection when the first fails before its
// reply, and the script run again answers as the first run did, not
// "not listed" or "id exists" for its own write.
//
// A Store is safe for concurrent use by many goroutines and many processes.
package redisstore
