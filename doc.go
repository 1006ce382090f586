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
package dialgate
