// Package audittest helps integrators and auditors test a dialgate setup: a
// settable Clock for deterministic decisions, and RunScenarios, which runs
// dialgate.scenario.v1 files (the auditor's format) as Go subtests.
//
// It also has an in-memory audit Log to inspect what a Gate recorded; a Fault
// switch with wrappers that fail on demand (NewFaultyChecker, NewFaultyLog,
// FaultyConsentStore, FaultyDNCStore, FaultyCounters); and CheckGate, which
// places probe dials through a Gate and reports, as errors.Join, every
// violated invariant: a deny without a reason, not exactly one audit record
// per decision, repeated decision ids, shadow mode changing reasons, a store
// outage or a revoked consent or listed number that allows. TestGate reports
// the same violations with t.Error, and CheckShadow compares an enforcing
// Gate with a shadow one.
//
// NewServer serves a Gate as the dialgate gRPC sidecar over an in-memory
// connection, for testing a dialer's client code against the real wire
// behaviour without a network.
package audittest
