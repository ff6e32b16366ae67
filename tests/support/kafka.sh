#!/usr/bin/env bash
# Real Apache Kafka (KRaft, single node: broker + controller) on loopback, from Maven Central jars.
#
#   kafka.sh fetch                         resolve the jars into the cache (idempotent)
#   kafka.sh classpath                     print the classpath (after fetch)
#   kafka.sh start DIR PORT CPORT [PARTS]  format DIR (once) and start a broker; waits until it listens
#   kafka.sh stop DIR                      stop the broker started in DIR (keeps its data)
#   kafka.sh destroy DIR                   kill the broker in DIR and delete DIR
#   kafka.sh tool MAIN_CLASS ARGS...       run one of Kafka's Java tools on the same classpath
#
# The cache lives outside the repo: $WARREN_CACHE or ~/.cache/warren. The broker log is DIR/broker.log
# (WARN and above). Set WARREN_OWNER_PID to have the broker killed when that process goes away.
#
# Secured brokers (TLS, SASL): files the caller writes into DIR before `start` extend the plain setup.
#   DIR/extra.properties  appended to server.properties (later keys win: listeners, ssl.*, sasl.*)
#   DIR/scram             one `--add-scram` value per line (SCRAM-SHA-256=[name=u,password=p]),
#                         written into the metadata bootstrap at format time
# The PLAINTEXT listener on PORT and the CONTROLLER listener stay as they are (inter-broker and
# controller traffic is plaintext on loopback); `start` waits for PORT.
set -euo pipefail

KAFKA_VERSION=${WARREN_KAFKA_VERSION:-4.1.1}
CACHE=${WARREN_CACHE:-$HOME/.cache/warren}
# The suffix names the jar set: bump it whenever the pom below changes, so an old cache is not reused.
JAR_SET=r2
JARS=$CACHE/kafka-$KAFKA_VERSION-$JAR_SET/libs

die() { echo "kafka.sh: $*" >&2; exit 1; }

fetch() {
  if [ -f "$JARS/.complete" ]; then return 0; fi
  command -v mvn >/dev/null || die "maven (mvn) is required to fetch the Kafka jars"
  mkdir -p "$(dirname "$JARS")"
  # Resolve into a private folder and rename it into place: concurrent fetches cannot see half a set.
  local work; work=$(mktemp -d "$(dirname "$JARS")/fetch.XXXXXX")
  # Kafka 4.1 logs through slf4j 1.7, so the log4j2 binding is log4j-slf4j-impl (the slf4j2 one
  # would leave slf4j on its no-op logger and the broker silent).
  cat >"$work/pom.xml" <<POM
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>warren</groupId><artifactId>kafka-jars</artifactId><version>1</version><packaging>pom</packaging>
  <dependencies>
    <dependency><groupId>org.apache.kafka</groupId><artifactId>kafka_2.13</artifactId><version>$KAFKA_VERSION</version></dependency>
    <dependency><groupId>org.apache.kafka</groupId><artifactId>kafka-tools</artifactId><version>$KAFKA_VERSION</version></dependency>
    <dependency><groupId>org.apache.kafka</groupId><artifactId>kafka-clients</artifactId><version>$KAFKA_VERSION</version></dependency>
    <dependency><groupId>org.apache.logging.log4j</groupId><artifactId>log4j-slf4j-impl</artifactId><version>2.24.3</version></dependency>
    <dependency><groupId>org.apache.logging.log4j</groupId><artifactId>log4j-core</artifactId><version>2.24.3</version></dependency>
  </dependencies>
</project>
POM
  if ! (cd "$work" && mvn -q -B -Dstyle.color=never dependency:copy-dependencies -DoutputDirectory="$work/libs" \
          -DincludeScope=runtime >"$work/mvn.log" 2>&1); then
    cat "$work/mvn.log" >&2; rm -rf "$work"; die "could not resolve Kafka $KAFKA_VERSION from Maven Central"
  fi
  touch "$work/libs/.complete"
  if ! mv -T "$work/libs" "$JARS" 2>/dev/null; then
    [ -f "$JARS/.complete" ] || { rm -rf "$work"; die "could not install the jars into $JARS"; }
  fi
  rm -rf "$work"
}

classpath() { echo "$JARS/*"; }

log4j_file() {
  # WARN and above to stderr: the broker's stderr is DIR/broker.log, and a tool's stdout stays its data.
  local f=$CACHE/log4j2-warn-stderr.xml
  if [ ! -f "$f" ]; then
    mkdir -p "$CACHE"
    local tmp; tmp=$(mktemp "$CACHE/log4j2.XXXXXX")
    cat >"$tmp" <<'XML'
<?xml version="1.0" encoding="UTF-8"?>
<Configuration status="error">
  <Appenders><Console name="err" target="SYSTEM_ERR"><PatternLayout pattern="[%d] %p %m (%c)%n"/></Console></Appenders>
  <Loggers><Root level="warn"><AppenderRef ref="err"/></Root></Loggers>
</Configuration>
XML
    mv -f "$tmp" "$f"
  fi
  echo "$f"
}

java_run() { # HEAP MAIN ARGS...   (replaces the shell)
  local heap=$1 main=$2; shift 2
  exec java "-Xmx$heap" -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Dlog4j2.configurationFile="$(log4j_file)" \
    -cp "$(classpath)" "$main" "$@"
}

wait_port() { # PORT DEADLINE_S PID
  local port=$1 deadline=$(( $(date +%s) + $2 )) pid=$3
  while [ "$(date +%s)" -lt "$deadline" ]; do
    kill -0 "$pid" 2>/dev/null || return 1
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then return 0; fi
    sleep 0.2
  done
  return 1
}

# A KRaft cluster id is 16 random bytes in unpadded URL-safe base64; making it here saves a JVM start.
# A random Kafka Uuid (16 bytes, URL-safe base64). Like Kafka's Uuid.randomUuid, never one that
# starts with '-': the storage tool would read `-t -xyz` as an option (about 1 start in 64 failed).
cluster_id() {
  local id
  while :; do
    id=$(head -c16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n')
    [ "${id#-}" = "$id" ] && break
  done
  printf '%s' "$id"
}

# With WARREN_OWNER_PID set, the broker (or tool) is killed once that process is gone: a test that
# crashes or is killed by a timeout does not leave JVMs holding ports and memory.
watch_owner() { # JVM_PID
  local owner=${WARREN_OWNER_PID:-} pid=$1
  [ -n "$owner" ] || return 0
  (
    while kill -0 "$owner" 2>/dev/null && kill -0 "$pid" 2>/dev/null; do sleep 1; done
    kill -0 "$pid" 2>/dev/null || exit 0
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || exit 0; sleep 0.2; done
    kill -KILL "$pid" 2>/dev/null || true
  ) </dev/null >/dev/null 2>&1 &
}

# Formatting a KRaft log dir costs a JVM start (seconds on a busy 2-core machine). With static
# voters (controller.quorum.voters) the formatted dir holds only meta.properties and a
# bootstrap.checkpoint (the metadata.version record) that do not depend on ports, so the tool runs
# once per jar set into a template and each new dir gets the checkpoint plus its own ids.
template() { # [SCRAM_FILE]
  # SCRAM credentials live in the bootstrap checkpoint: one template per distinct set of users
  # (keyed by the file's hash), so a suite that always uses the same users formats once per cache.
  local scram=${1:-} suffix=""
  if [ -n "$scram" ]; then suffix=-scram-$(sha256sum "$scram" | cut -c1-16); fi
  local t=$CACHE/kraft-template-$KAFKA_VERSION-$JAR_SET$suffix
  if [ ! -f "$t/bootstrap.checkpoint" ] || [ ! -f "$t/meta.properties" ]; then
    mkdir -p "$CACHE"
    local work; work=$(mktemp -d "$CACHE/template.XXXXXX")
    cat >"$work/server.properties" <<PROPS
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:9093
listeners=PLAINTEXT://127.0.0.1:9092,CONTROLLER://127.0.0.1:9093
controller.listener.names=CONTROLLER
log.dirs=$work/data
PROPS
    local extra=() line
    if [ -n "$scram" ]; then
      while IFS= read -r line; do [ -n "$line" ] && extra+=(--add-scram "$line"); done <"$scram"
    fi
    ( java_run 256m kafka.tools.StorageTool format --cluster-id="$(cluster_id)" -c "$work/server.properties" \
        "${extra[@]}" >"$work/format.log" 2>&1 ) || { cat "$work/format.log" >&2; rm -rf "$work"; die "format failed"; }
    # First one wins; a concurrent formatter's rename fails and its copy is dropped.
    mv -T "$work/data" "$t" 2>/dev/null || true
    rm -rf "$work"
  fi
  echo "$t"
}

format() { # DATA_DIR [SCRAM_FILE]
  local t; t=$(template "${2:-}")
  mkdir -p "$1"
  cp "$t/bootstrap.checkpoint" "$1/"
  printf 'version=1\nnode.id=1\ncluster.id=%s\ndirectory.id=%s\n' "$(cluster_id)" "$(cluster_id)" >"$1/meta.properties.tmp"
  mv "$1/meta.properties.tmp" "$1/meta.properties"
}

start() { # DIR PORT CPORT [PARTITIONS]
  local dir=$1 port=$2 cport=$3 parts=${4:-8}
  fetch
  mkdir -p "$dir"
  dir=$(cd "$dir" && pwd)
  if [ -f "$dir/pid" ] && kill -0 "$(cat "$dir/pid")" 2>/dev/null; then die "a broker already runs in $dir"; fi
  local p
  for p in "$port" "$cport"; do
    if (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then die "127.0.0.1:$p: Address already in use"; fi
  done
  cat >"$dir/server.properties" <<PROPS
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$cport
listeners=PLAINTEXT://127.0.0.1:$port,CONTROLLER://127.0.0.1:$cport
advertised.listeners=PLAINTEXT://127.0.0.1:$port
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
log.dirs=$dir/data
num.partitions=1
offsets.topic.replication.factor=1
offsets.topic.num.partitions=$parts
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
group.consumer.heartbeat.interval.ms=1000
group.consumer.min.heartbeat.interval.ms=500
auto.create.topics.enable=true
delete.topic.enable=true
log.flush.interval.messages=100000000
PROPS
  if [ -f "$dir/extra.properties" ]; then cat "$dir/extra.properties" >>"$dir/server.properties"; fi
  local scram=""
  if [ -s "$dir/scram" ]; then scram=$dir/scram; fi
  if [ ! -f "$dir/data/meta.properties" ]; then format "$dir/data" "$scram"; fi
  echo "=== kafka.sh start $(date '+%F %T') port $port controller $cport" >>"$dir/broker.log"
  ( java_run 512m kafka.Kafka "$dir/server.properties" </dev/null >>"$dir/broker.log" 2>&1 ) &
  local pid=$!
  echo "$pid" >"$dir/pid"
  watch_owner "$pid"
  if ! wait_port "$port" 90 "$pid"; then tail -50 "$dir/broker.log" >&2; die "broker did not start on 127.0.0.1:$port"; fi
}

stop() { # DIR [SIGNAL]   TERM (default) shuts down cleanly; destroy uses KILL since the data goes anyway
  local dir=$1 sig=${2:-TERM} pid
  [ -f "$dir/pid" ] || return 0
  pid=$(cat "$dir/pid")
  if kill -0 "$pid" 2>/dev/null; then
    kill "-$sig" "$pid" 2>/dev/null || true
    for _ in $(seq 1 150); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$dir/pid"
}

cmd=${1:-}; shift || true
case "$cmd" in
  fetch) fetch ;;
  classpath) classpath ;;
  start) [ $# -ge 3 ] || die "usage: start DIR PORT CPORT [PARTITIONS]"; start "$@" ;;
  stop) [ $# -eq 1 ] || die "usage: stop DIR"; stop "$1" ;;
  destroy) [ $# -eq 1 ] || die "usage: destroy DIR"; stop "$1" KILL; rm -rf "$1" ;;
  tool) [ $# -ge 1 ] || die "usage: tool MAIN_CLASS ARGS..."; fetch; watch_owner $$; java_run 256m "$@" ;;
  *) die "usage: kafka.sh fetch|classpath|start|stop|destroy|tool" ;;
esac
