#!/usr/bin/env bash
# Restart benchmark (issue 14, "restart without amnesia"): READY time after a restart with and
# without a snapshot, snapshot write time and file size, on a replay of hand-made commit records.
#
#   snapshot.sh [--build DIR] [--groups N] [--topics T] [--partitions P] [--rounds R] [--keep]
#
# Starts a KRaft broker (tests/support/kafka.sh), writes N groups x T topics x P partitions x R
# rounds of offset commits into a one-partition offsets topic (bench_gen_commits), then runs the
# `warren` of DIR three times with `[warren] state-dir`:
#   1. empty state dir: full replay; READY time; SIGTERM writes the snapshot (its log line gives the
#      write time, the io-thread time, the longest io-thread slice and the size)
#   2. restart on that snapshot: READY time, load time (log line)
#   3. restart without the snapshot (moved away): READY time of a full replay again
# and checks that one group's /lag answers the same in all three runs.
# Defaults: N = 1000, T = 10, P = 10, R = 3 (100 000 partitions, 300 000 records); 1 M partitions:
# --groups 10000. Build DIR in Release first:
#   cmake -S . -B build-rel -G Ninja -DCMAKE_BUILD_TYPE=Release -DWARREN_BENCH=ON
#   cmake --build build-rel -j2 --target warren bench_gen_commits
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)

build=$root/build-rel groups=1000 topics=10 partitions=10 rounds=3 keep=0
while [ $# -gt 0 ]; do
  case "$1" in
    --build) build=$2; shift 2 ;;
    --groups) groups=$2; shift 2 ;;
    --topics) topics=$2; shift 2 ;;
    --partitions) partitions=$2; shift 2 ;;
    --rounds) rounds=$2; shift 2 ;;
    --keep) keep=1; shift ;;
    -h|--help) sed -n '2,19p' "$0"; exit 0 ;;
    *) echo "snapshot.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
for tool in curl python3; do
  command -v "$tool" >/dev/null || { echo "snapshot.sh: $tool is required" >&2; exit 2; }
done
build=$(cd "$build" 2>/dev/null && pwd) || { echo "snapshot.sh: no build directory $build" >&2; exit 2; }
gen=$build/tests/bench_gen_commits
binary=$build/service/warren
[ -x "$gen" ] || { echo "snapshot.sh: build bench_gen_commits in $build first (-DWARREN_BENCH=ON)" >&2; exit 2; }
[ -x "$binary" ] || { echo "snapshot.sh: no warren binary at $binary" >&2; exit 2; }

# shellcheck source=tests/bench/common.sh
source "$here/common.sh"
bench_begin snapshot
bench_broker
for t in $(seq 0 $((topics - 1))); do
  kafka_topic --create --topic "bench-data-$t" --partitions "$partitions" --replication-factor 1 >/dev/null
done
offsets=bench-offsets
kafka_topic --create --topic "$offsets" --partitions 1 --replication-factor 1 --config cleanup.policy=compact >/dev/null
tracked=$((groups * topics * partitions))
echo "snapshot bench: $groups groups x $topics topics x $partitions partitions x $rounds rounds = $tracked partitions," \
  "$((tracked * rounds)) records; $(nproc) cores; $binary"
"$gen" "$bootstrap" "$offsets" "$groups" "$partitions" bench-data g- "$rounds" "$topics" | tee "$work/gen.log"

port=$(free_port)
base=http://127.0.0.1:$port
state=$work/state
cat >"$work/server.toml" <<TOML
[logging]
level = "info"
[cluster.c]
servers = ["$bootstrap"]
offset-refresh = 10
topic-refresh = 60
[consumer.c]
cluster = "c"
offsets-topic = "$offsets"
[storage.default]
intervals = 10
[warren]
state-dir = "$state"
snapshot-interval = 3600
[httpserver.default]
address = "127.0.0.1:$port"
TOML
last_group=$(printf 'g-%06d' $((groups - 1)))
probe=$base/v3/kafka/c/consumer/$last_group/lag

# run NAME: starts warren, waits for READY and the last group's /lag, prints the READY time,
# keeps the /lag body in $work/NAME.lag, then SIGTERMs it and waits (the snapshot is written then).
run() {
  local name=$1 start ready pid stop_start
  start=$(now_ms)
  (cd "$work" && exec "$binary" --config "$work/server.toml" >"$work/$name.log" 2>&1) &
  pid=$!
  pids+=("$pid")
  local deadline=$((SECONDS + 1800))
  until [ "$(curl -s -o /dev/null -w '%{http_code}' "$base/burrow/admin/ready")" = 200 ] &&
    [ "$(curl -s -o /dev/null -w '%{http_code}' "$probe")" = 200 ]; do
    if [ $SECONDS -gt $deadline ] || ! kill -0 "$pid" 2>/dev/null; then
      echo "snapshot.sh: warren did not get READY ($name)" >&2; tail -20 "$work/$name.log" >&2; exit 1
    fi
    sleep 0.05
  done
  ready=$(now_ms)
  # The status without what differs by design between a replay and a restore (observedAt: when
  # Warren stored a commit; the "warren" objects: when it evaluated, the log end it saw then) and
  # Burrow's request echo.
  curl -s "$probe" | python3 -c '
import json, sys
d = json.load(sys.stdin)["status"]
d.pop("warren", None)
for p in (d.get("partitions") or []) + ([d["maxlag"]] if isinstance(d.get("maxlag"), dict) else []):
    p.pop("warren", None)
    for k in ("start", "end"):
        if isinstance(p.get(k), dict): p[k].pop("observedAt", None)
print(json.dumps(d, sort_keys=True))' >"$work/$name.lag"
  stop_start=$(now_ms)
  kill -TERM "$pid"
  wait "$pid" || true
  printf '%-40s %8.2f s   (shutdown %.2f s)\n' "READY: $name" "$(echo "($ready - $start) / 1000" | bc -l)" \
    "$(echo "($(now_ms) - $stop_start) / 1000" | bc -l)"
}

printf '\n'
run replay
size=$(stat -c %s "$state/c.snapshot")
written=$(grep -o 'snapshot written to [^ ]*: .*' "$work/replay.log" | tail -1 | sed 's/^snapshot written to [^ ]*: //')
run restart-with-snapshot
loaded=$(grep -o 'snapshot [^ ]* loaded in [0-9]* ms' "$work/restart-with-snapshot.log" | sed 's/.* loaded in //')
resumed=$(grep -o 'resuming .* records left to read' "$work/restart-with-snapshot.log" | head -1)
mv "$state" "$work/state-kept"
run restart-without-snapshot
printf '%-40s %s\n' "snapshot file" "$size bytes ($((size / tracked)) B/partition)"
printf '%-40s %s\n' "snapshot write at shutdown" "$written"
printf '%-40s %s\n' "snapshot load (read+decode+import)" "$loaded"
printf '%-40s %s\n' "reader after the load" "$resumed"
if cmp -s "$work/replay.lag" "$work/restart-with-snapshot.lag" && cmp -s "$work/replay.lag" "$work/restart-without-snapshot.lag"; then
  printf '%-40s %s\n' "/lag of $last_group" "identical in all three runs"
else
  printf '%-40s %s\n' "/lag of $last_group" "DIFFERS between runs:"; head -c 600 "$work"/*.lag; exit 1
fi
