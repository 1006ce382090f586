#!/bin/bash
# Makes upgrade-393a66d.tar.gz, the data directory TestUpgradeFrom393a66d
# starts today's build on. Run from the repository root:
#
#   git worktree add -f /tmp/upg-393a66d 393a66d
#   (cd /tmp/upg-393a66d && go build -o /tmp/dialgate-393a66d ./cmd/dialgate)
#   go build -o /tmp/upgrade-client ./cmd/dialgate/testdata/upgrade/client
#   bash cmd/dialgate/testdata/upgrade/make-393a66d.sh
#
# 393a66d (2026-12-04) writes a schema-1 bbolt store whose counter keys do
# not name their window, no counter history, and an audit log from before
# log ids. Synthetic numbers only; the keys are test keys.
set -e
B=/tmp/dialgate-393a66d; C=/tmp/upgrade-client; W=$(mktemp -d); D=$W/data; P=17480
OUT=$(cd "$(dirname "$0")" && pwd)/upgrade-393a66d.tar.gz
T=2026-12-05T10:00:00+08:00
$B serve --data $D --listen 127.0.0.1:$P --metrics-listen off 2>/dev/null & SP=$!
sleep 1; $C 127.0.0.1:$P +8613800138009:callback +8613800138001:callback >/dev/null; kill -TERM $SP; wait $SP
printf '+8613800138001\n' > $W/optouts.txt
$B --data $D dnc import $W/optouts.txt --scope global --list opt_out --at 2026-12-01T10:00:00+08:00
$B --data $D consent add --id c-2 --number +8613800138002 --scope industry:finance --method written --evidence-uri s3://ev/c-2 --granted-at 2026-11-01T10:00:00+08:00
$B --data $D consent revoke c-2 --at 2026-12-02T10:00:00+08:00
$B --data $D ledger add --tenant acme --number +861058001234 --holder "Acme Ltd" --purposes marketing,service,callback --valid-until 2027-12-31T00:00:00+08:00
$B --data $D recordings register --id rec-1 --number +8613800138004 --started-at 2026-11-01T10:00:00+08:00 --tenant acme --at 2026-11-01T10:05:00+08:00
$B --data $D recordings hold rec-1 --hold lit-1 --reason "court order" --at 2026-11-02T10:00:00+08:00
$B --data $D complaint add --id cmp-1 --number +8613800138004 --tenant acme --details "stop calling" --at 2026-12-03T10:00:00+08:00
$B --data $D complaint forward cmp-1 --at 2026-12-03T11:00:00+08:00
# One call at T reserves the cn caps (1/5m, 2/24h, 10/30d) under the
# pre-window key |cap|callee|.
$B --data $D check --to +8613800138003 --from +861058001234 --purpose callback --trigger-at 2026-12-05T09:59:00+08:00 --tenant acme --lead-id crm-1 --at $T >/dev/null
rm -f $D/audit/lock
tar -C $W --sort=name --owner=0 --group=0 --numeric-owner --mtime=2026-12-05 -czf "$OUT" data
rm -rf $W
