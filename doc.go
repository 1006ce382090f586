// Package dialgate decides, for every outbound call a dialer wants to place,
// whether it may be placed now, and says why.
//
// A [Gate] runs a list of [Checker]s — calling windows in the callee's local
// time, do-not-call lists, consent, caller-ID rules, frequency caps — for every
// [Dial] and returns a [Decision]: allowed or denied, with every failing rule as
// a [Reason] with a stable [Code], and an audit record. It fails closed: a check
// that errors, times out or panics denies with "<check>.unavailable", an audit
// failure denies with "audit.unavailable", and the zero Decision denies.
//
// Capacity (frequency caps, segment counters) is reserved with [Committer]s only
// after every check passed, so two concurrent decisions can never both take the
// last slot; [Gate.Release] gives it back when a dial is not placed.
//
// The checks themselves live in sub-packages (schedule, dnc, consent, callerid,
// sweep, recording) and are assembled from a jurisdiction profile by package
// policy. This package imports none of them.
//
// # Embedding
//
// A Go dialer builds its Gate with policy.Build (or policy.Assemble, which
// also returns the checks) from a built-in profile (policy.Builtin("cn")),
// the stores of one deployment (policy.StoreDeps over storage/boltstore, or
// storage/memstore in tests) and an audit log (package auditlog, given with
// [WithAuditLog]). Before every call it asks [Gate.Check] and dials only on
// an allowed Decision returned with a nil error, and only before the
// Decision's ValidUntil ([Decision.DialableAt] with its own clock right
// before placing the call: an allow whose record the audit log was slow to
// confirm can come back already past it; after it, Check again); it reports
// what happened to a placed call with [Gate.ReportOutcome], with the
// Decision's Dial (an outcome of a refusal without it lists no one under
// cn, and returns an error), and gives back a dial it did not place with
// [Gate.Release]. The example of policy.Assemble walks the whole
// path, a deny for each common reason included; the README's "Embedded"
// section and docs/deploy.md say how to run it on shared stores.
package dialgate
