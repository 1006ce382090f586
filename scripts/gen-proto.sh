#!/usr/bin/env bash
# Regenerates the Go code of proto/dialgate/v1 with the tools pinned in
# tools/go.mod (buf, protoc-gen-go, protoc-gen-go-grpc) and lints the protos.
#
#   scripts/gen-proto.sh            # regenerate in place
#   scripts/gen-proto.sh OUTDIR     # generate into OUTDIR (used by the drift check)
#
# The tools are built once into $DIALGATE_TOOLS_BIN (default: a cache directory
# keyed by the hash of tools/go.sum), so repeated runs are fast.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="${1:-$root/proto}"

sum="$(sha256sum "$root/tools/go.sum" "$root/tools/go.mod" | sha256sum | cut -c1-16)"
bin="${DIALGATE_TOOLS_BIN:-${XDG_CACHE_HOME:-$HOME/.cache}/dialgate-tools/$sum}"
if [[ ! -x "$bin/buf" || ! -x "$bin/protoc-gen-go" || ! -x "$bin/protoc-gen-go-grpc" ]]; then
	mkdir -p "$bin"
	echo "gen-proto: building pinned tools into $bin" >&2
	(cd "$root/tools" && GOFLAGS=-mod=mod GOBIN="$bin" go install \
		github.com/bufbuild/buf/cmd/buf \
		google.golang.org/protobuf/cmd/protoc-gen-go \
		google.golang.org/grpc/cmd/protoc-gen-go-grpc)
fi
export PATH="$bin:$PATH"

cd "$root/proto"
buf lint
if [[ "$out" == "$root/proto" ]]; then
	rm -f dialgate/v1/*.pb.go
	buf generate
else
	mkdir -p "$out"
	buf generate -o "$out"
fi
