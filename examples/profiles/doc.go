// Package profiles holds example profile files an operator writes on top of
// the built-in profiles (dialgate.profile.v1 with extends:); `go test ./...`
// loads every one and checks what it is for, and `dialgate policy explain
// examples/profiles/FILE` shows its rules.
package profiles
