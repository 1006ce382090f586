// Package blackouts holds an example blackouts file (schema
// dialgate.blackouts.v1): declared no-call periods that `dialgate serve`
// loads from its blackouts_file and puts in force without a restart. `go test
// ./...` parses it and checks that it stops what it declares under us-la.
package blackouts
