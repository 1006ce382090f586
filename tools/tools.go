//go:build tools

// Package tools pins the code generators used by scripts/gen-proto.sh. It is a
// separate module so that the generators' dependencies never reach users of
// dialgate.
package tools

import (
	_ "github.com/bufbuild/buf/cmd/buf"
	_ "google.golang.org/grpc/cmd/protoc-gen-go-grpc"
	_ "google.golang.org/protobuf/cmd/protoc-gen-go"
)
