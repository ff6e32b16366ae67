#!/usr/bin/env bash
# Scale-out benchmark (issue 14): ingest and memory per instance when 1, 2, 3... Warren instances
# share one offsets topic through a cluster-group, on a replay of hand-made commit records.
#
#   fleet.sh [--build DIR] [--groups N] [--topics T] [--partitions P] [--rounds R]
#            [--offsets-partitions K] [--instances "1 2 3"] [--keep]
#
# Starts a KRaft broker (tests/support/kafka.sh), creates T data topics of P partitions and an
# offsets topic of K partitions (default 6), writes N groups x T topics x P partitions x R rounds of
# offset commits into it, each group's records in the partition the broker would choose among K
# (bench_gen_commits, WARREN_GEN_OFFSETS_PARTITIONS), then for each instance count I starts I
# Release `warren` processes together with `[warren] cluster-group` (a fresh group and status topic
# per count) and prints:
#   caught up   seconds from start until the instances own every offsets partition exactly once and
#               each has read its partitions to the end (offsets_caught_up), and the records/s
#               of the whole fleet over that time
#   complete    seconds until one instance lists all N groups (its own and those read from the
#               status topic: every owner has published every group)
#   per instance, 10 s after complete: partitions owned, group partitions stored (tracked),
#               groups held from the status topic, RSS, CPU seconds so far
# Defaults: N = 1000, T = 10, P = 10, R = 3 (100 000 partitions); 1 M partitions: --groups 10000.
# Build DIR in Release first:
#   cmake -S . -B build-rel -G Ninja -DCMAKE_BUILD_TYPE=Release -DWARREN_BENCH=ON
#   cmake --build build-rel -j2 --target warren bench_gen_commits
# All instances share the machine (2 cores here): the figures show how the work and memory split,
# not what I machines would do.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)

build=$root/build-rel groups=1000 topics=10 partitions=10 rounds=3 offsets_partitions=6 instances="1 2 3" keep=0
while [ $# -gt 0 ]; do
  case "$1" in
    --build) build=$2; shift 2 ;;
    --groups) groups=$2; shift 2 ;;
    --topics) topics=$2; shift 2 ;;
    --partitions) partitions=$2; shift 2 ;;
    --rounds) rounds=$2; shift 2 ;;
    --offsets-partitions) offsets_partitions=$2; shift 2 ;;
    --instances) instances=$2; shift 2 ;;
    --keep) keep=1; shift ;;
    -h|--help) sed -n '2,26p' "$0"; exit 0 ;;
    *) echo "fleet.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
for tool in curl jq python3; do
  command -v "$tool" >/dev/null || { echo "fleet.sh: $tool is required" >&2; exit 2; }
done
build=$(cd "$build" 2>/dev/null && pwd) || { echo "fleet.sh: no build directory $build" >&2; exit 2; }
gen=$build/tests/bench_gen_commits binary=$build/service/warren
[ -x "$gen" ] && [ -x "$binary" ] || { echo "fleet.sh: build warren and bench_gen_commits in $build first" >&2; exit 2; }

# shellcheck source=tests/bench/common.sh
source "$here/common.sh"
bench_begin fleet
metric() { curl -s "$1/metrics" | awk -v m="$2" 'index($0, m) == 1 { print $NF; exit }'; }
bench_broker
for t in $(seq 0 $((topics - 1))); do
  kafka_topic --create --topic "bench-data-$t" --partitions "$partitions" --replication-factor 1 >/dev/null
done
offsets=bench-offsets
kafka_topic --create --topic "$offsets" --partitions "$offsets_partitions" --replication-factor 1 \
  --config cleanup.policy=compact >/dev/null
tracked=$((groups * topics * partitions))
echo "fleet: $groups groups x $topics topics x $partitions partitions x $rounds rounds = $tracked partitions," \
  "$((tracked * rounds)) records in $offsets_partitions offsets partitions; broker $bootstrap; $(nproc) cores"
WARREN_GEN_OFFSETS_PARTITIONS=$offsets_partitions "$gen" "$bootstrap" "$offsets" "$groups" "$partitions" bench-data g- \
  "$rounds" "$topics" | tee "$work/gen.log"
records=$(sed -n 's/^gen_commits: \([0-9]*\) records.*/\1/p' "$work/gen.log")

# The health of instance URL $1 as "owned-partitions-count caught_up(0|1) owned,list".
health_of() {
  curl -s "$1/v3/health" | jq -r '.clusters.c as $c | ($c.offsets_sources[0].owned_partitions // []) as $o |
    "\($o | length) \(if $c.offsets_caught_up then 1 else 0 end) \($o | map(tostring) | join(","))"' 2>/dev/null ||
    echo "0 0 "
}

printf '\n%-10s %12s %16s %12s\n' instances caught_up_s "fleet records/s" complete_s
summary=()
for n in $instances; do
  group="bench-fleet-$n"
  bases=() ipids=()
  start=$(now_ms)
  for i in $(seq 1 "$n"); do
    port=$(free_port)
    cat >"$work/warren-$n-$i.toml" <<TOML
[general]
pidfile = "$work/warren-$n-$i.pid"
[logging]
level = "warn"
[warren]
cluster-group = "$group"
advertised-url = "http://127.0.0.1:$port"
[cluster.c]
servers = ["$bootstrap"]
offset-refresh = 10
topic-refresh = 60
[consumer.c]
cluster = "c"
offsets-topic = "$offsets"
cluster-group-session-timeout = 6
[storage.default]
intervals = 10
[httpserver.default]
address = "127.0.0.1:$port"
TOML
    (cd "$work" && exec "$binary" --config "$work/warren-$n-$i.toml" >"$work/warren-$n-$i.log" 2>&1) &
    ipids+=("$!")
    pids+=("$!")
    bases+=("http://127.0.0.1:$port")
  done
  # Caught up: every offsets partition owned by exactly one instance, each instance caught up.
  deadline=$((SECONDS + 1800))
  fleet_caught_up() {
    local all="" b h owned_n up list
    for b in "${bases[@]}"; do
      h=$(health_of "$b"); read -r owned_n up list <<<"$h"
      [ "$up" = 1 ] || return 1
      [ -n "$list" ] && all="$all,$list"
    done
    [ "$(tr ',' '\n' <<<"$all" | grep -c .)" = "$offsets_partitions" ] &&
      [ "$(tr ',' '\n' <<<"$all" | grep . | sort -u | wc -l)" = "$offsets_partitions" ]
  }
  until fleet_caught_up; do
    for p in "${ipids[@]}"; do kill -0 "$p" 2>/dev/null || { echo "fleet.sh: an instance exited" >&2; tail -n 20 "$work"/warren-"$n"-*.log >&2; exit 1; }; done
    [ $SECONDS -le $deadline ] || { echo "fleet.sh: $n instances did not catch up" >&2; exit 1; }
    sleep 0.1
  done
  caught=$(now_ms)
  until [ "$(curl -s "${bases[0]}/v3/kafka/c/consumer" | jq '[.consumers[] | select(startswith("g-"))] | length' 2>/dev/null || echo 0)" = "$groups" ]; do
    [ $SECONDS -le $deadline ] || { echo "fleet.sh: $n instances never listed every group" >&2; exit 1; }
    sleep 0.2
  done
  complete=$(now_ms)
  printf '%-10s %12s %16s %12s\n' "$n" "$(awk -v ms=$((caught - start)) 'BEGIN {printf "%.2f", ms / 1000}')" \
    "$(awk -v r="$records" -v ms=$((caught - start)) 'BEGIN {printf "%.0f", r / (ms / 1000)}')" \
    "$(awk -v ms=$((complete - start)) 'BEGIN {printf "%.2f", ms / 1000}')"
  sleep 10  # settle, as replay.sh: RSS once caught up
  for i in $(seq 0 $((n - 1))); do
    b=${bases[$i]} p=${ipids[$i]}
    read -r owned_n _ _ <<<"$(health_of "$b")"
    summary+=("$(printf '  %d instances, #%d: %d offsets partitions, %s group partitions stored, %s groups from the status topic, RSS %d MB (VmHWM %d MB), CPU %s s' \
      "$n" "$((i + 1))" "$owned_n" "$(metric "$b" 'warren_store_tracked_partitions{')" \
      "$(metric "$b" 'warren_status_topic_groups{')" "$(($(status_kb "$p" VmRSS) / 1024))" \
      "$(($(status_kb "$p" VmHWM) / 1024))" "$(cpu_s "$p")")")
  done
  for p in "${ipids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${ipids[@]}"; do wait "$p" 2>/dev/null || true; done
done
echo
echo "per instance, 10 s after complete:"
printf '%s\n' "${summary[@]}"
