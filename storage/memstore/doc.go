// Package memstore is dialgate's reference store: one [Store] type that
// implements every domain store interface (and storage.Counters and
// storage.Runs) in memory, one file per domain. It defines the intended
// behaviour that the conformance suite in storage/storetest checks and every
// other back-end must match.
//
// Nothing is persisted: a Store's data is lost when the process ends. Use it in
// tests, in examples and for single-process gates that can afford to forget
// (caps reset on restart); use storage/boltstore for durable state.
//
// State written into the Store while a Gate built on it runs (a consent, an
// opt-out with AddDNC) is seen by every Check that starts after the write
// returns: the do-not-call lists through the Store's in-process change feed
// (WatchDNC, dnc.ChangeFeed). A ledger entry (PutLedger) is not: the caller-ID
// check keeps the ledger in memory and asks the Store whether it changed
// about once a second of dial time, so a Check may decide on the entry as it
// was until then; call Refresh on the Gate's *callerid.Check (policy.CheckOf
// over policy.Assemble's checks) after the write to have the next Check
// decide on it.
package memstore
