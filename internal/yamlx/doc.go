// Package yamlx reads the YAML files people write for dialgate (profiles,
// scenarios) strictly: every key must be known, and every problem is reported
// with the file, the line and the key's path.
//
// Values are decoded with sigs.k8s.io/yaml (JSON struct tags, JSON semantics);
// the YAML node tree of go.yaml.in/yaml/v3 supplies the line numbers. A
// document is checked against the Go type it decodes into before it is
// decoded, so an unknown key is reported as
//
//	profile.yaml:12: schedule.windows[0].rangez: unknown key "rangez"
//
// rather than as encoding/json's bare `unknown field "rangez"`.
package yamlx
