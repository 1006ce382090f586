// Package scenario parses and runs dialgate.scenario.v1 files (DESIGN §4), the
// format auditors and the test suite write: a profile, optional policy
// overrides, seed data (caller-ID ledger, do-not-call entries, consents,
// registry copies) and steps — dials with the decision they expect, and events
// (opt-outs, revocations, outcomes, recordings) with the result they expect.
//
// Parsing is strict: an unknown key, a malformed value, a reference to an
// unknown step, or an event type whose domain is not supported yet makes the
// file invalid, reported with file:line; nothing is silently skipped.
//
// Run executes a parsed file on fresh state: a new in-memory store, a settable
// clock set to each step's "at", and a Gate built from the profile with
// policy.Build. It returns a Report that says, step by step, what was expected
// and what came back. Both `dialgate scenarios run` and
// audittest.RunScenarios use it. RunWith does the same on the stores
// Options.Stores gives each run (Stores: one value per domain), fresh ones of
// another back-end; internal/scenariostores gives those dialgate runs on in
// production (boltstore, pgstore, redisstore wired as a fleet).
//
// Event types and seeding top-level keys are dispatched through one table,
// built by handlers in registry.go; each domain's handlers live in
// events_<domain>.go.
package scenario
