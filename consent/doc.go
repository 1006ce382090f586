// Package consent keeps consent evidence and checks it before marketing dials.
//
// A [Record] is one consent: who (Number), what it covers ([Scope]:
// industry, business line, campaign or tenant), which seller it was given to
// (Tenant, optional), how it was captured ([Method]), what the person was
// shown (the SHA-256 of the disclosure text), where the proof is
// (EvidenceURI), when it was granted, when it lapses, and — once withdrawn —
// when and how it was revoked. Records are never edited: consent given again
// after a withdrawal or a do-not-call refusal is a new record (CN-S3
// "保留相关凭证"; PIPL arts. 14, 15).
//
// # Tenants
//
// One sidecar may dial for several sellers, each named by Dial.Tenant. PIPL
// and the TCPA tie a consent to the seller it was given to, so a Record may
// name that seller in Tenant: it then covers a dial only when the dial's
// Tenant equals it, on top of its Scope — a consent of seller acme in scope
// industry:finance does not cover seller beta's finance dials. A Record
// without a Tenant covers every tenant's dials in its scope, which is right
// only where one seller dials (single-tenant deployments). See
// [Record.Covers].
//
// The [Check] (name "consent") denies a dial whose purpose needs consent under
// the profile's [Config] unless the record the dial names (Dial.ConsentID), or
// some record of the callee that covers the dial (scope and tenant), is valid
// at the dial's instant: codes consent.missing, consent.revoked,
// consent.expired and consent.scope_mismatch (also for a record of another
// tenant). It implements dialgate.Attester, so an allowed dial's
// Decision.Evidence carries consent.id and consent.disclosure_sha256, and
// consent.tenant when the record names one.
//
// # French overseas lines
//
// A French overseas line has two spellings (+596 596 12 34 56 and
// +33 596 12 34 56, numbering.OverseasAlias). The check reads the records of
// both as the line's records, and caches them as one entry: a consent
// granted under one spelling allows dials under the other. A withdrawal
// wins across spellings as under one (see Withdrawal below). [LineRecords] and [LineHistory] return a line's records and events
// under both spellings, in the store's order, as the check reads them; the
// `dialgate consent show` and `consent export` commands list them.
//
// # Withdrawal
//
// A withdrawal is the person's, not one record's (PIPL art. 15): a revoked
// record reaching a dial (its tenant takes the dial in — a dial naming no
// tenant may be any tenant's, so every tenant's withdrawal reaches it — and its scope names
// the dial's industry, business line or campaign as the do-not-call lists
// compare names — "Finance", "ｆｉｎａｎｃｅ" and "finance" are one
// industry — or the dial leaves that field empty) denies
// every other record of the line that would allow the dial and was granted
// at or before the revocation — a duplicate, an older grant, a wider scope
// such as tenant:<name>, one kept under the other spelling — with
// consent.revoked naming the revoked record. A dialer holding a second
// record cannot go on calling on it once the person withdrew the one it
// relied on. A consent given again after the withdrawal allows; the
// withdrawal of a record that does not cover the dial (another industry,
// campaign or tenant) withdraws nothing of it. A revoked record whose scope
// this build cannot read (a kind a newer build writes, a scope damaged in
// the store) reaches every dial of its tenant, as a do-not-call entry of no
// known kind is global: what it withdrew cannot be told.
//
// # Revocation and the cache
//
// Revocation takes effect before RevokeConsent returns, in every process that
// shares the store (PIPL art. 15). The check caches each callee's records in
// an LRU cache (github.com/hashicorp/golang-lru/v2), and the cache is kept
// honest by a revision scheme rather than by time:
//
//   - The store numbers every write (grant or revocation) with a revision and
//     keeps the events in order (Store.ConsentRevision, ConsentEventsSince).
//     The revision is raised in the same durable write as the revocation.
//   - Every dial first reads the store's revision (an atomic load in process,
//     one key read for a shared store). If it is ahead of the cache's, the
//     cache replays the events since, dropping the numbers they name (or empties
//     itself when too far behind), before answering.
//   - A record fetched on a miss is cached only if no replay ran while it was
//     fetched, so a stale read can never re-enter the cache.
//   - A store that went back in time (restored from a backup, a failover to a
//     lagging replica, a restart that lost writes) may reuse Seqs the cache
//     has replayed. The cache empties itself when the store's revision is
//     below its own, and also when the store is past it again: each replay
//     starts at the event of the cache's own revision and compares it with
//     the event the cache saw there. It is back at the cache's revision
//     itself when it lost a write and then took another through another
//     process (a revocation of a cached number, say): a store implementing
//     RevisionStamper (every store of this module) reads the stamp of the
//     write at its revision with the revision, in the same read, and the
//     cache empties itself when the stamp is not the one it read there. A
//     custom Store without it cannot show that case: its caches keep their
//     records until the store's revision moves on.
//   - Events that do not follow one another (a hole in the Seqs, or a Seq
//     given twice, as by a store whose revision was lost) or end
//     before the store's revision are a store breaking its contract: the dial
//     fails (consent.unavailable), and so does every later one until the
//     missing events show, when the cache replays them.
//
// So a revocation that returned before a dial started is always seen, whichever
// process wrote it. A time-to-live cache confirmed only now and then would let
// another process allow dials on a withdrawn consent until the TTL ran out; and
// routing revocations through the one object that owns the cache does not
// cover several processes. The price is one cheap revision read per dial.
//
// A revoked record never allows a dial, whatever the dial's instant. Neither
// does a record read from the store that fails Validate and is not revoked
// (written by a newer build, or damaged): the check returns an error
// wrapping storage.ErrCorrupt for its callee (consent.unavailable) until the
// record is withdrawn; a withdrawal is never refused for what is wrong with
// the record (see RevokedRecord).
package consent
