// Package scenarios holds the shipped dialgate.scenario.v1 files, one
// <domain>-*.yaml per case; `go test ./...` runs them all through
// audittest.RunScenarios, and `dialgate scenarios run examples/scenarios`
// runs them from the command line.
package scenarios
