#!/usr/bin/env bash
# HTTP benchmark of a Burrow-compatible server: requests/s and p50/p99 latency (wrk, loopback) for
#   GET /v3/kafka/{c}/consumer/{g}/lag   (g spread at random over the server's groups, a Lua script)
#   GET /v3/kafka/{c}/consumer           (the group list)
#
# Two modes:
#   http.sh --url http://127.0.0.1:8000 --groups 1000 [--cluster local] [--prefix g-]
#       Measures a server that is already running (Warren, Burrow, ...) and already knows groups
#       PREFIX000000 .. PREFIX(N-1) (six digits), e.g. loaded with bench_gen_commits.
#   http.sh --self [--build DIR] [--counts "1000 100000"]
#       Starts a KRaft broker (tests/support/kafka.sh), and for each group count writes hand-made
#       commits for that many groups into a fresh offsets topic (bench_gen_commits), starts warren
#       from DIR on it, waits until every group is listed and evaluated, then measures as above.
#       Build DIR in Release first:
#         cmake -S . -B /work/build-rel -G Ninja -DCMAKE_BUILD_TYPE=Release
#         cmake --build /work/build-rel -j2 --target warren bench_gen_commits
#
# Common options: --duration S (10) --connections N (32) --threads N (1) --partitions P (4, self mode)
# wrk and the server share the machine: on 2 cores, one wrk thread leaves one core to the server.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)

url="" cluster=local prefix=g- groups="" self=0 build=/work/build-rel counts="1000 100000"
duration=10 connections=32 threads=1 partitions=4
while [ $# -gt 0 ]; do
  case "$1" in
    --url) url=$2; shift 2 ;;
    --cluster) cluster=$2; shift 2 ;;
    --prefix) prefix=$2; shift 2 ;;
    --groups) groups=$2; shift 2 ;;
    --self) self=1; shift ;;
    --build) build=$2; shift 2 ;;
    --counts) counts=$2; shift 2 ;;
    --duration) duration=$2; shift 2 ;;
    --connections) connections=$2; shift 2 ;;
    --threads) threads=$2; shift 2 ;;
    --partitions) partitions=$2; shift 2 ;;
    -h|--help) sed -n '2,24p' "$0"; exit 0 ;;
    *) echo "http.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
command -v wrk >/dev/null || { echo "http.sh: wrk is required (apt-get install wrk)" >&2; exit 2; }
command -v jq >/dev/null || { echo "http.sh: jq is required" >&2; exit 2; }

work=$(mktemp -d /tmp/warren-http-bench.XXXXXX)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  [ -d "$work/broker" ] && bash "$root/tests/support/kafka.sh" destroy "$work/broker" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

# wrk Lua: random group per request; done() prints one machine-readable line.
lua_script() { # PATH_PREFIX PATH_SUFFIX GROUPS (GROUPS 0 = a fixed path)
  cat >"$work/bench.lua" <<LUA
local before, after, n = "$1", "$2", $3
local prefix = "$prefix"
local counter = 0
function setup(thread) thread:set("id", counter); counter = counter + 1 end
function init(args) math.randomseed(os.time() + (id or 0) * 7919) end
function request()
  if n == 0 then return wrk.format("GET", before) end
  return wrk.format("GET", string.format("%s%s%06d%s", before, prefix, math.random(0, n - 1), after))
end
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("RESULT rps=%.0f p50_ms=%.3f p99_ms=%.3f max_ms=%.3f requests=%d errors=%d\n",
    summary.requests / (summary.duration / 1e6), latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    latency.max / 1000, summary.requests, e.connect + e.read + e.write + e.timeout + e.status))
end
LUA
}

# measure BASE GROUPS: prints one row per endpoint.
measure() {
  local base=$1 n=$2 out
  # A short warm-up so the first connections and caches do not count.
  lua_script "/v3/kafka/$cluster/consumer/" "/lag" "$n"
  wrk -t1 -c4 -d2s -s "$work/bench.lua" "$base" >/dev/null 2>&1 || true
  out=$(wrk -t"$threads" -c"$connections" -d"${duration}s" -s "$work/bench.lua" "$base" | grep '^RESULT')
  printf '%-8s %-32s %s\n' "$n" "/v3/kafka/$cluster/consumer/{g}/lag" "${out#RESULT }"
  lua_script "/v3/kafka/$cluster/consumer" "" 0
  out=$(wrk -t"$threads" -c"$connections" -d"${duration}s" -s "$work/bench.lua" "$base" | grep '^RESULT')
  printf '%-8s %-32s %s\n' "$n" "/v3/kafka/$cluster/consumer" "${out#RESULT }"
}

echo "wrk: $threads thread(s), $connections connections, ${duration}s per run; $(nproc) cores"
if [ "$self" -eq 0 ]; then
  [ -n "$url" ] && [ -n "$groups" ] || { echo "http.sh: --url and --groups, or --self" >&2; exit 2; }
  echo "groups   endpoint                         result"
  measure "$url" "$groups"
  exit 0
fi

warren=$build/service/warren
gen=$build/tests/bench_gen_commits
[ -x "$warren" ] && [ -x "$gen" ] || { echo "http.sh: build warren and bench_gen_commits in $build first" >&2; exit 2; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

kport=$(free_port) cport=$(free_port)
export WARREN_OWNER_PID=$$
bash "$root/tests/support/kafka.sh" start "$work/broker" "$kport" "$cport" 1 >/dev/null
bootstrap=127.0.0.1:$kport
bash "$root/tests/support/kafka.sh" tool org.apache.kafka.tools.TopicCommand --bootstrap-server "$bootstrap" \
  --create --topic bench-data --partitions "$partitions" --replication-factor 1 >/dev/null
echo "broker $bootstrap; data topic bench-data with $partitions partitions; warren $warren"
echo "groups   endpoint                         result"
for n in $counts; do
  topic=bench-offsets-$n
  "$gen" "$bootstrap" "$topic" "$n" "$partitions" bench-data "$prefix" 3 >"$work/gen-$n.log"
  port=$(free_port)
  cat >"$work/warren-$n.toml" <<TOML
[logging]
level = "warn"
[cluster.$cluster]
servers = ["$bootstrap"]
offset-refresh = 10
topic-refresh = 60
[consumer.$cluster]
cluster = "$cluster"
offsets-topic = "$topic"
[httpserver.default]
address = "127.0.0.1:$port"
TOML
  (cd "$work" && exec "$warren" --config "$work/warren-$n.toml" >"$work/warren-$n.log" 2>&1) &
  wpid=$!
  pids+=("$wpid")
  base=http://127.0.0.1:$port
  last=$(printf '%s%06d' "$prefix" $((n - 1)))
  deadline=$((SECONDS + 300))
  until [ "$(curl -s "$base/v3/kafka/$cluster/consumer" | jq '.consumers | length' 2>/dev/null || echo 0)" = "$n" ] &&
        [ "$(curl -s -o /dev/null -w '%{http_code}' "$base/v3/kafka/$cluster/consumer/$last/lag")" = 200 ]; do
    if [ $SECONDS -gt $deadline ] || ! kill -0 "$wpid" 2>/dev/null; then
      echo "http.sh: warren did not load $n groups" >&2; tail -20 "$work/warren-$n.log" >&2; exit 1
    fi
    sleep 0.5
  done
  measure "$base" "$n"
  rss=$(awk '/VmRSS/ {print $2}' "/proc/$wpid/status")
  echo "         warren RSS with $n groups: $((rss / 1024)) MiB; $(cat "$work/gen-$n.log")"
  kill "$wpid"; wait "$wpid" 2>/dev/null || true
done
