#!/usr/bin/env bash
# Replay benchmark (issue 12): one command that prints the whole performance table for a server
# started on a replay of hand-made commit records.
#
#   replay.sh [--build DIR] [--groups N] [--topics T] [--partitions P] [--rounds R]
#             [--duration S] [--server warren|burrow] [--burrow PATH] [--keep]
#             [--env NAME=VALUE]... [--no-http] [--perf FILE] [--perf-lag FILE] [--eval-interval S]
#
# Starts a KRaft broker (tests/support/kafka.sh), creates T data topics of P partitions
# (bench-data-0 .. bench-data-(T-1)) and a one-partition offsets topic, writes N groups x T topics x
# P partitions x R rounds of offset-commit records into it (bench_gen_commits), then starts the
# Release `warren` from DIR (or Burrow, --server burrow --burrow /path/to/burrow) on that offsets
# topic and prints:
#   ingest   records/s from process start until /burrow/admin/ready says the replay is caught up
#            (Burrow: until its group list is complete), and the wall time
#   memory   peak RSS (VmHWM) and RSS once caught up (after a 10 s settle), bytes per partition
#   http     wrk (loopback, 1 thread) on /consumer/{g}/lag (32 conns, random group; then one group
#            every time, the case the status cache serves), /consumer
#            (32), /consumer/{g} (8), /topic (8): requests/s, p50, p99, max, errors
#   metrics  one /metrics scrape: seconds and bytes (Warren only; Burrow has no /metrics)
# --env NAME=VALUE sets a variable for the server process only (e.g. MALLOC_ARENA_MAX=2, or
# LD_PRELOAD=/usr/lib/x86_64-linux-gnu/libjemalloc.so.2 to compare allocators); --no-http stops after
# the memory figures; --perf FILE records `perf record -g` of the server from start to catch-up
# (read it with `perf report -i FILE --no-children --tid PID`; the PID is printed); --perf-lag FILE
# records the server during the /lag run of wrk instead. --eval-interval S runs Warren's periodic
# evaluation pass every S seconds (default 5): with 1, about a third of the /lag requests are
# answered while a pass runs at 1 M partitions (compare p99 with a default run).
# Memory also shows where the resident anonymous memory is, from /proc/PID/smaps: the main heap
# ([heap], glibc's main arena), the other anonymous mappings (thread arenas, large blocks), and the
# number of 64 MB-aligned anonymous mappings (glibc thread arenas reserve 64 MB each).
# Defaults: N = 1000, T = 10, P = 10, R = 3 (100 000 partitions, 300 000 records). For the issue's
# table: --groups 1000 (100 k partitions; with --rounds 10, 1 M records) and --groups 10000
# (1 M partitions, 3 M records).
#
# Build DIR in Release first (documented in tests/bench/README.md):
#   cmake -S . -B build-rel -G Ninja -DCMAKE_BUILD_TYPE=Release -DWARREN_BENCH=ON
#   cmake --build build-rel -j2 --target warren bench_gen_commits
# wrk and the server share the machine: on 2 cores, one wrk thread leaves one core to the server.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)

build=$root/build-rel groups=1000 topics=10 partitions=10 rounds=3 duration=10 server=warren burrow="" keep=0
server_env=() http=1 perf_out="" perf_lag="" eval_interval=""
while [ $# -gt 0 ]; do
  case "$1" in
    --build) build=$2; shift 2 ;;
    --groups) groups=$2; shift 2 ;;
    --topics) topics=$2; shift 2 ;;
    --partitions) partitions=$2; shift 2 ;;
    --rounds) rounds=$2; shift 2 ;;
    --duration) duration=$2; shift 2 ;;
    --server) server=$2; shift 2 ;;
    --burrow) burrow=$2; shift 2 ;;
    --keep) keep=1; shift ;;
    --env) server_env+=("$2"); shift 2 ;;
    --no-http) http=0; shift ;;
    --perf) perf_out=$2; shift 2 ;;
    --perf-lag) perf_lag=$2; shift 2 ;;
    --eval-interval) eval_interval=$2; shift 2 ;;
    -h|--help) sed -n '2,36p' "$0"; exit 0 ;;
    *) echo "replay.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
for tool in wrk curl jq python3; do
  command -v "$tool" >/dev/null || { echo "replay.sh: $tool is required" >&2; exit 2; }
done
build=$(cd "$build" 2>/dev/null && pwd) || { echo "replay.sh: no build directory $build" >&2; exit 2; }
gen=$build/tests/bench_gen_commits
[ -x "$gen" ] || { echo "replay.sh: build bench_gen_commits in $build first (-DWARREN_BENCH=ON)" >&2; exit 2; }
case "$server" in
  warren) binary=$build/service/warren ;;
  burrow) binary=$(realpath -e "$burrow" 2>/dev/null || echo "$burrow") ;;
  *) echo "replay.sh: --server warren or burrow" >&2; exit 2 ;;
esac
[ -x "$binary" ] || { echo "replay.sh: no $server binary at '$binary'" >&2; exit 2; }

# shellcheck source=tests/bench/common.sh
source "$here/common.sh"
bench_begin replay
bench_broker
for t in $(seq 0 $((topics - 1))); do
  kafka_topic --create --topic "bench-data-$t" --partitions "$partitions" --replication-factor 1 >/dev/null
done
offsets=bench-offsets
kafka_topic --create --topic "$offsets" --partitions 1 --replication-factor 1 --config cleanup.policy=compact \
  >/dev/null
tracked=$((groups * topics * partitions))
echo "replay: $groups groups x $topics topics x $partitions partitions x $rounds rounds = $tracked partitions," \
  "$((tracked * rounds)) records; broker $bootstrap; $(nproc) cores; $server $binary"
"$gen" "$bootstrap" "$offsets" "$groups" "$partitions" bench-data g- "$rounds" "$topics" | tee "$work/gen.log"
records=$(sed -n 's/^gen_commits: \([0-9]*\) records.*/\1/p' "$work/gen.log")

port=$(free_port)
base=http://127.0.0.1:$port
if [ "$server" = warren ]; then
  cat >"$work/server.toml" <<TOML
[logging]
level = "${WARREN_REPLAY_LOG_LEVEL:-warn}"
[cluster.c]
servers = ["$bootstrap"]
offset-refresh = 10
topic-refresh = 60
[consumer.c]
cluster = "c"
offsets-topic = "$offsets"
[storage.default]
intervals = 10
[httpserver.default]
address = "127.0.0.1:$port"
TOML
  # The periodic pass every S seconds instead of Warren's 5: with 1 and a pass of about 0.3 s at
  # 1 M partitions, a third of the /lag requests are answered while a pass runs.
  if [ -n "$eval_interval" ]; then printf '[warren]\neval-interval = %s\n' "$eval_interval" >>"$work/server.toml"; fi
  start=$(now_ms)
  (cd "$work" && exec env "${server_env[@]}" "$binary" --config "$work/server.toml" >"$work/server.log" 2>&1) &
else
  mkdir -p "$work/burrow"
  cat >"$work/burrow/burrow.toml" <<TOML
[general]
access-control-allow-origin = "*"
[logging]
level = "${WARREN_REPLAY_LOG_LEVEL:-warn}"
[zookeeper]
servers = []
[client-profile.bench]
kafka-version = "2.8.0"
client-id = "burrow-bench"
[cluster.c]
class-name = "kafka"
servers = ["$bootstrap"]
client-profile = "bench"
offset-refresh = 10
topic-refresh = 60
[consumer.c]
class-name = "kafka"
cluster = "c"
servers = ["$bootstrap"]
client-profile = "bench"
offsets-topic = "$offsets"
start-latest = false
[storage.default]
class-name = "inmemory"
intervals = 10
expire-group = 604800
[evaluator.default]
class-name = "caching"
expire-cache = 10
[httpserver.default]
address = "127.0.0.1:$port"
TOML
  start=$(now_ms)
  (cd "$work/burrow" && exec env "${server_env[@]}" "$binary" --config-dir "$work/burrow" >"$work/server.log" 2>&1) &
fi
pid=$!
pids+=("$pid")
perf_pid=""
if [ -n "$perf_out" ]; then
  perf record -q -g -F 499 -p "$pid" -o "$perf_out" >"$work/perf.log" 2>&1 &
  perf_pid=$!
  pids+=("$perf_pid")
  echo "replay.sh: perf records pid $pid into $perf_out"
fi

# Caught up: Warren says so on /burrow/admin/ready; Burrow has no such signal, so its group list
# must hold every group. Polled every 100 ms (the figure is accurate to that).
deadline=$((SECONDS + 1800))
last_group=$(printf 'g-%06d' $((groups - 1)))
caught_up() {
  if [ "$server" = warren ]; then
    [ "$(curl -s -o /dev/null -w '%{http_code}' "$base/burrow/admin/ready")" = 200 ] &&
      [ "$(curl -s -o /dev/null -w '%{http_code}' "$base/v3/kafka/c/consumer/$last_group/lag")" = 200 ]
  else
    [ "$(curl -s "$base/v3/kafka/c/consumer" | jq '.consumers | length' 2>/dev/null || echo 0)" = "$groups" ]
  fi
}
until caught_up; do
  if [ $SECONDS -gt $deadline ] || ! kill -0 "$pid" 2>/dev/null; then
    echo "replay.sh: $server did not catch up" >&2; tail -20 "$work/server.log" >&2; exit 1
  fi
  sleep 0.1
done
ready=$(now_ms)
ready_cpu=$(cpu_s "$pid")
elapsed_ms=$((ready - start))
peak_replay_kb=$(status_kb "$pid" VmHWM)
if [ -n "$perf_pid" ]; then
  kill -INT "$perf_pid" 2>/dev/null || true
  wait "$perf_pid" 2>/dev/null || true
fi
sleep 10  # settle: the figure asked for is RSS "once caught up", not during the last batch
rss_kb=$(status_kb "$pid" VmRSS)
peak_kb=$(status_kb "$pid" VmHWM)

printf '\n%-44s %s\n' "figure" "$server"
printf '%-44s %s\n' "ingest until caught up" \
  "$(awk -v r="$records" -v ms="$elapsed_ms" 'BEGIN {printf "%.0f records/s (%d records in %.2f s)", r / (ms / 1000), r, ms / 1000}')"
printf '%-44s %s\n' "server CPU until caught up (user+sys)" "$ready_cpu s"
printf '%-44s %s\n' "peak RSS during replay (VmHWM at catch-up)" "$((peak_replay_kb / 1024)) MB"
printf '%-44s %s\n' "RSS once caught up (+10 s)" \
  "$((rss_kb / 1024)) MB ($((rss_kb * 1024 / tracked)) B/partition); VmHWM $((peak_kb / 1024)) MB"
# Resident anonymous memory by kind: [heap] (glibc's main arena), other anonymous mappings, and how
# many of those are 64 MB-aligned and at least 1 MB resident (glibc thread arenas, or not).
smaps=$(awk '
  /^[0-9a-f]+-[0-9a-f]+ / {
    split($1, r, "-"); name = $6; anon = (NF < 6 || name == "[heap]")
    heap = (name == "[heap]"); aligned = (substr(r[1], length(r[1]) - 6) == "0000000" || substr(r[1], length(r[1]) - 6) == "4000000" || substr(r[1], length(r[1]) - 6) == "8000000" || substr(r[1], length(r[1]) - 6) == "c000000")
    next
  }
  $1 == "Rss:" && anon { if (heap) h += $2; else { o += $2; if (aligned && $2 >= 1024) n++ } }
  END { printf "%d %d %d", h / 1024, o / 1024, n }' "/proc/$pid/smaps")
read -r heap_mb other_mb arenas <<<"$smaps"
printf '%-44s %s
' "  of which anonymous (smaps, +10 s)"   "[heap] $heap_mb MB, other anonymous $other_mb MB ($arenas 64 MB-aligned mappings >= 1 MB resident)"
if [ "$http" -eq 0 ]; then exit 0; fi

cat >"$work/bench.lua" <<'LUA'
local counter = 0
function setup(thread) thread:set("id", counter); counter = counter + 1 end
function init(args)
  math.randomseed(os.time() + (id or 0) * 7919)
  before, after, n = args[1], args[2] or "", tonumber(args[3] or "0")
end
function request()
  if n == 0 then return wrk.format("GET", before) end
  return wrk.format("GET", string.format("%sg-%06d%s", before, math.random(0, n - 1), after))
end
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("RESULT %.0f req/s  p50 %.2f ms  p99 %.2f ms  max %.1f ms  (%d requests, %d errors)\n",
    summary.requests / (summary.duration / 1e6), latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    latency.max / 1000, summary.requests, e.connect + e.read + e.write + e.timeout + e.status))
end
LUA
run_wrk() { # LABEL CONNECTIONS BEFORE AFTER N [PERF_FILE]
  local label=$1 conns=$2 out rec=""
  wrk -t1 -c4 -d2s -s "$work/bench.lua" "$base" -- "$3" "$4" "$5" >/dev/null 2>&1 || true
  if [ -n "${6:-}" ]; then
    perf record -q -g -F 999 -p "$pid" -o "$6" >"$work/perf-lag.log" 2>&1 &
    rec=$!
  fi
  out=$(wrk -t1 -c"$conns" -d"${duration}s" --timeout 10s -s "$work/bench.lua" "$base" -- "$3" "$4" "$5" |
        grep '^RESULT' || echo "RESULT failed")
  if [ -n "$rec" ]; then kill -INT "$rec" 2>/dev/null || true; wait "$rec" 2>/dev/null || true; fi
  printf '%-44s %s\n' "$label" "${out#RESULT }"
}
run_wrk "GET /consumer/{g}/lag ($((topics * partitions)) partitions, 32 c)" 32 /v3/kafka/c/consumer/ /lag "$groups" "$perf_lag"
run_wrk "GET /consumer/g-000000/lag (one group, 32 c)" 32 /v3/kafka/c/consumer/g-000000/lag "" 0
run_wrk "GET /consumer ($groups groups, 32 c)" 32 /v3/kafka/c/consumer "" 0
run_wrk "GET /consumer/{g} (8 c)" 8 /v3/kafka/c/consumer/ "" "$groups"
run_wrk "GET /topic (8 c)" 8 /v3/kafka/c/topic "" 0
if [ "$server" = warren ]; then
  read -r secs bytes < <(curl -s -o /dev/null -w '%{time_total} %{size_download}\n' "$base/metrics")
  printf '%-44s %s\n' "one /metrics scrape" "$secs s, $bytes bytes"
  pass=$(curl -s "$base/metrics" | awk '/^warren_evaluation_pass_seconds / {print $2}')
  printf '%-44s %s\n' "last periodic evaluation pass" "${pass:-?} s"
fi
printf '%-44s %s\n' "RSS after the HTTP figures" \
  "$(($(status_kb "$pid" VmRSS) / 1024)) MB; VmHWM $(($(status_kb "$pid" VmHWM) / 1024)) MB"
