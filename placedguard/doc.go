// Package placedguard implements dialgate.PlacedGuard over a
// storage.Counters, so that the guard holds across every Gate sharing the
// store (a fleet of sidecars on Redis or PostgreSQL) and across restarts (a
// durable store such as boltstore).
//
// Each decision gets one counter key, KeyPrefix + its id, with a limit of
// one reservation within the guard's window. An outcome of a placed call
// reserves PlacedPrefix + id under it, a release ReleasedPrefix + id: the
// first one wins, in one atomic Reserve of the store (storage.Counters
// guarantees that two concurrent Reserves never both take the last slot), and
// the other finds the limit exceeded. A Release racing an outcome on two
// sidecars is therefore decided by the store: either the outcome came first
// and the Release is refused, or the Release came first and the outcome is
// reported as an outcome after a release. Both reservations are idempotent,
// so retries (of a Release, of an outcome) are safe.
//
// The window must cover every reservation a decision makes (the longest
// window of the profile's limits): after it the mark no longer counts, and
// the store's expiry removes it, but no reservation of the decision counts
// any more either. The marks are ordinary counter entries: a Check reads
// none of them.
//
// A Guard is given to a Gate with dialgate.WithPlacedGuard, one per Gate,
// each over the store the fleet shares; policy.Assemble does so for every
// Gate it builds with counters (for policy.GuardWindow of the profile).
package placedguard
