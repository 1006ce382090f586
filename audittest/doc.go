// Package audittest helps integrators and auditors test a dialgate setup: a
// settable Clock for deterministic decisions, and RunScenarios, which runs
// dialgate.scenario.v1 files (the auditor's format) as Go subtests.
package audittest
