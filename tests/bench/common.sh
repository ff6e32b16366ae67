# Shared by the broker benchmarks (replay.sh, snapshot.sh, fleet.sh); sourced, not run.
#   bench_begin NAME: a work dir /tmp/warren-NAME-bench.XXXXXX in $work, $pids for processes to
#     stop, and an EXIT trap that stops them, destroys the broker and removes $work (kept and
#     printed when $keep is 1)
#   bench_broker: a KRaft broker on loopback in $work/broker ($bootstrap), and kafka_topic ARGS...
#   free_port, now_ms, status_kb PID FIELD (from /proc/PID/status), cpu_s PID (user + system)
bench_begin() {
  bench_name=$1
  work=$(mktemp -d "/tmp/warren-$bench_name-bench.XXXXXX")
  pids=()
  trap bench_cleanup EXIT
}
bench_cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  [ -d "$work/broker" ] && bash "$root/tests/support/kafka.sh" destroy "$work/broker" >/dev/null 2>&1 || true
  if [ "${keep:-0}" -eq 1 ]; then echo "$bench_name.sh: logs kept in $work"; else rm -rf "$work"; fi
}
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
now_ms() { date +%s%3N; }
status_kb() { awk -v k="$2:" '$1 == k {print $2}' "/proc/$1/status"; }
# CPU seconds (user + system, all threads) of a process so far, from /proc/PID/stat.
cpu_s() { awk -v hz="$(getconf CLK_TCK)" '{ sub(/^.*\) /, ""); printf "%.2f", ($12 + $13) / hz }' "/proc/$1/stat"; }
bench_broker() {
  local kport cport
  kport=$(free_port) cport=$(free_port)
  export WARREN_OWNER_PID=$$
  bash "$root/tests/support/kafka.sh" start "$work/broker" "$kport" "$cport" 1 >/dev/null
  bootstrap=127.0.0.1:$kport
}
kafka_topic() { bash "$root/tests/support/kafka.sh" tool org.apache.kafka.tools.TopicCommand --bootstrap-server "$bootstrap" "$@"; }
