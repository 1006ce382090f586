#!/usr/bin/env bash
# Fails when the committed generated code in proto/dialgate/v1 differs from what
# the pinned tools (tools/go.mod) generate from the .proto files, or when
# `buf lint` finds a problem. Run it in CI after `go test`.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

"$root/scripts/gen-proto.sh" "$tmp"
status=0
for f in "$root"/proto/dialgate/v1/*.pb.go "$tmp"/dialgate/v1/*.pb.go; do
	rel="dialgate/v1/$(basename "$f")"
	if ! diff -u "$root/proto/$rel" "$tmp/$rel"; then
		status=1
	fi
done
if [[ $status -ne 0 ]]; then
	echo "check-proto-drift: generated code is out of date; run scripts/gen-proto.sh and commit" >&2
	exit 1
fi
echo "check-proto-drift: generated code matches the protos"
