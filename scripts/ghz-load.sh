#!/usr/bin/env bash
# Issue 8's load comparison with ghz (https://ghz.sh) against a real
# `dialgate serve` process: the bare gRPC health call, then Check under the
# cn profile (every decision audited, every commit taken), 64 concurrent
# callers on 4 connections, each phase for 5 s, twice. ghz runs as its own
# process on the same machine.
#
#   go install github.com/bojand/ghz/cmd/ghz@latest
#   scripts/ghz-load.sh [DIALGATE_BINARY]
#
# The data directory is a fresh temporary directory ($TMPDIR); the port is
# picked at random. Figures: docs/performance.md. The Unavailable codes it
# prints are calls in flight when ghz closes its connections at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
GHZ=${GHZ:-$(command -v ghz || echo "$(go env GOPATH)/bin/ghz")}
[ -x "$GHZ" ] || { echo "ghz not found: go install github.com/bojand/ghz/cmd/ghz@latest" >&2; exit 2; }
work=$(mktemp -d)
trap 'kill "$pid" 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$work"' EXIT
bin=${1:-}
if [ -z "$bin" ]; then
  go build -o "$work/dialgate" ./cmd/dialgate
  bin=$work/dialgate
fi
go build -o "$work/ghzdata" ./bench/ghzdata
port=$((20000 + RANDOM % 20000))
"$bin" ledger add --data "$work/data" --tenant acme --number +861058001234 --holder "Acme Ltd" --purposes callback,service >/dev/null
"$bin" serve --data "$work/data" --listen "127.0.0.1:$port" --metrics-listen off --reflection 2>"$work/serve.log" &
pid=$!
sleep 2
for round in 1 2; do
  "$work/ghzdata" -n 150000 -offset $(( (round - 1) * 150000 )) > "$work/data.json"
  "$GHZ" --insecure --call grpc.health.v1.Health.Check -d '{}' -c 64 --connections 4 -z 5s -O json "127.0.0.1:$port" > "$work/h.json" 2>/dev/null
  "$GHZ" --insecure --call dialgate.v1.GateService.Check -D "$work/data.json" -c 64 --connections 4 -z 5s -O json "127.0.0.1:$port" > "$work/c.json" 2>/dev/null
  "$work/ghzdata" -summary "$work/h.json" "$work/c.json"
done
