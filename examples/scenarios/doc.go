// Package scenarios holds the shipped dialgate.scenario.v1 files, one
// <domain>-*.yaml per case; `go test ./...` runs them all through
// audittest.RunScenarios, and `dialgate scenarios run examples/scenarios`
// runs them from the command line. TestScenariosKillMutants changes, one at
// a time, each profile value a scenario claims to test (a window a minute
// wider, a cap one higher, a sliding window shorter) and requires the
// scenario to fail: a scenario that missed the boundary would still pass.
// TestScenariosZoneIndependent runs them all with their instants written in
// an offset no callee has: the callee's local time, not the offset an author
// wrote, decides.
package scenarios
