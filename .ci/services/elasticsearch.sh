#!/usr/bin/env bash
# Starts (or stops) a single-node Elasticsearch for m3kit's integration tests.
#
#   bash .ci/services/elasticsearch.sh start   # writes ES_URL=... to .ci/work/elasticsearch.env
#   bash .ci/services/elasticsearch.sh stop    # stops exactly the node `start` started
#
# Elasticsearch comes from Maven Central's integ-test-zip (server + transport + x-pack core and
# security; no bundled JDK, no ML, no rank-rrf, no rank-vectors), fetched with mvn and cached
# under .ci/work/elasticsearch/. It refuses to run as root, so it runs as a dedicated system user
# from a copy that user owns. Loopback only, security off, single node, small heap.
#
# Environment:
#   ES_URL            a server of your own: written to the env file, nothing is started
#   M3KIT_ES_VERSION  integ-test-zip version (default below; 8.x runs on Java 17, 9.x needs 21+)
#   M3KIT_ES_PORT     HTTP port (default 9200); the transport port is this + 100
#   M3KIT_ES_HEAP     JVM heap (default 1g)
#   M3KIT_ES_USER     system user to run as (default m3kit-es)
#   M3KIT_ES_TIMEOUT  seconds to wait for health (default 180)
set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
WORK="$ROOT/.ci/work/elasticsearch"
ENV_FILE="$ROOT/.ci/work/elasticsearch.env"
VERSION="${M3KIT_ES_VERSION:-8.19.21}"
PORT="${M3KIT_ES_PORT:-9200}"
HEAP="${M3KIT_ES_HEAP:-1g}"
ES_USER="${M3KIT_ES_USER:-m3kit-es}"
TIMEOUT="${M3KIT_ES_TIMEOUT:-180}"
# The node runs from a copy outside the checkout: the checkout may sit under a folder (/root)
# that the dedicated user cannot enter.
RUN_DIR="/tmp/m3kit-elasticsearch-$PORT"
PID_FILE="$WORK/elasticsearch-$PORT.pid"
LOG="$WORK/start.log"

fail() {
  echo "reason: $*"
  exit 1
}

pick_java() {
  local major
  for home in "${ES_JAVA_HOME:-}" "${JAVA_HOME:-}" /usr/lib/jvm/java-17-openjdk-amd64 /usr/lib/jvm/temurin-25-jdk-amd64 /usr/lib/jvm/temurin-21-jdk-amd64; do
    [[ -n "$home" && -x "$home/bin/java" ]] || continue
    major="$("$home/bin/java" -XshowSettings:properties -version 2>&1 | awk -F'= ' '/java.specification.version/ {print $2}')"
    if [[ "$VERSION" == 8.* && "$major" -ge 17 ]] || [[ "$major" -ge 21 ]]; then
      echo "$home"
      return 0
    fi
  done
  return 1
}

download() {
  local zip="$WORK/dist/elasticsearch-$VERSION.zip"
  if [[ -s "$zip" ]] && unzip -tq "$zip" >/dev/null 2>&1; then
    echo "$zip"
    return 0
  fi
  command -v mvn >/dev/null || return 1
  mkdir -p "$WORK/dist"
  # A private local repository keeps the download inside .ci/work (and out of ~/.m2).
  mvn -B -q dependency:copy \
    "-Dartifact=org.elasticsearch.distribution.integ-test-zip:elasticsearch:$VERSION:zip" \
    "-DoutputDirectory=$WORK/dist" "-Dmaven.repo.local=$WORK/m2" >>"$LOG" 2>&1 || return 1
  rm -rf "$WORK/m2/org/elasticsearch/distribution"
  [[ -s "$zip" ]] && echo "$zip"
}

is_our_node() {
  local pid="$1"
  [[ -n "$pid" && -r "/proc/$pid/cmdline" ]] && tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q "org.elasticsearch" &&
    tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q "$RUN_DIR"
}

start() {
  mkdir -p "$WORK"
  : >"$LOG"
  if [[ -n "${ES_URL:-}" ]]; then
    echo "ES_URL=$ES_URL" >"$ENV_FILE"
    echo "elasticsearch: using ES_URL from the environment; nothing started"
    return 0
  fi
  if [[ -f "$PID_FILE" ]] && is_our_node "$(cat "$PID_FILE")"; then
    echo "ES_URL=http://127.0.0.1:$PORT" >"$ENV_FILE"
    echo "elasticsearch: already running (pid $(cat "$PID_FILE"))"
    return 0
  fi
  if (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; then
    fail "port $PORT on 127.0.0.1 is taken by another process (set ES_URL to use it, or M3KIT_ES_PORT)"
  fi
  command -v unzip >/dev/null || { apt-get install -y -q unzip >>"$LOG" 2>&1 || fail "unzip is missing and apt-get could not install it"; }
  command -v mvn >/dev/null || { apt-get install -y -q maven >>"$LOG" 2>&1 || fail "mvn is missing and apt-get could not install it"; }
  local java_home zip
  java_home="$(pick_java)" || fail "no Java found for Elasticsearch $VERSION (8.x needs 17+, 9.x 21+)"
  zip="$(download)" || fail "could not download org.elasticsearch.distribution.integ-test-zip:elasticsearch:$VERSION:zip with mvn (see $LOG)"

  if ! id -u "$ES_USER" >/dev/null 2>&1; then
    useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin "$ES_USER" >>"$LOG" 2>&1 ||
      fail "could not create system user $ES_USER (Elasticsearch refuses to run as root)"
  fi

  rm -rf "$RUN_DIR"
  mkdir -p "$RUN_DIR" || fail "cannot create $RUN_DIR"
  unzip -q "$zip" -d "$RUN_DIR" || fail "could not unzip $zip"
  local home="$RUN_DIR/elasticsearch-$VERSION"
  mkdir -p "$RUN_DIR/data" "$RUN_DIR/logs" "$RUN_DIR/tmp"
  cat >"$home/config/elasticsearch.yml" <<EOF
# Written by .ci/services/elasticsearch.sh: a throwaway single node for tests.
cluster.name: m3kit-ci
node.name: m3kit-ci
network.host: 127.0.0.1
http.port: $PORT
transport.port: $((PORT + 100))
discovery.type: single-node
xpack.security.enabled: false
path.data: $RUN_DIR/data
path.logs: $RUN_DIR/logs
cluster.routing.allocation.disk.threshold_enabled: false
action.auto_create_index: false
EOF
  chown -R "$ES_USER" "$RUN_DIR" || fail "cannot hand $RUN_DIR to $ES_USER"
  chmod 755 "$RUN_DIR"

  # -d daemonises, -p writes the pid; runuser drops root before the JVM starts.
  if ! runuser -u "$ES_USER" -- env -i PATH=/usr/bin:/bin \
    ES_JAVA_HOME="$java_home" ES_TMPDIR="$RUN_DIR/tmp" \
    ES_JAVA_OPTS="-Xms$HEAP -Xmx$HEAP -XX:-HeapDumpOnOutOfMemoryError" \
    "$home/bin/elasticsearch" -d -p "$RUN_DIR/es.pid" >>"$LOG" 2>&1; then
    fail "elasticsearch did not start: $(grep -m1 -iE 'error|exception' "$LOG" "$RUN_DIR/logs/m3kit-ci.log" 2>/dev/null | head -c 300)"
  fi
  local pid=""
  for _ in $(seq 1 20); do
    pid="$(cat "$RUN_DIR/es.pid" 2>/dev/null)" && [[ -n "$pid" ]] && break
    sleep 0.5
  done
  [[ -n "$pid" ]] || fail "elasticsearch wrote no pid file"
  echo "$pid" >"$PID_FILE"

  local deadline=$((SECONDS + TIMEOUT)) status=""
  while ((SECONDS < deadline)); do
    if ! kill -0 "$pid" 2>/dev/null; then
      local why
      why="$(grep -hm1 -E 'ERROR|Exception' "$RUN_DIR/logs/m3kit-ci.log" "$LOG" 2>/dev/null | head -c 300)"
      rm -f "$PID_FILE"
      fail "elasticsearch exited during startup: ${why:-see $RUN_DIR/logs}"
    fi
    status="$(curl -s -m 5 "http://127.0.0.1:$PORT/_cluster/health?wait_for_status=yellow&timeout=2s" 2>/dev/null |
      sed -n 's/.*"status":"\([a-z]*\)".*/\1/p')"
    [[ "$status" == green || "$status" == yellow ]] && break
    sleep 1
  done
  if [[ "$status" != green && "$status" != yellow ]]; then
    stop >/dev/null 2>&1
    fail "elasticsearch not healthy within ${TIMEOUT}s (status: ${status:-no answer})"
  fi
  echo "ES_URL=http://127.0.0.1:$PORT" >"$ENV_FILE"
  echo "elasticsearch $VERSION running on http://127.0.0.1:$PORT (pid $pid, java $java_home, health $status)"
}

stop() {
  if [[ -f "$PID_FILE" ]]; then
    local pid
    pid="$(cat "$PID_FILE")"
    if is_our_node "$pid"; then
      kill "$pid" 2>/dev/null
      for _ in $(seq 1 60); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.5
      done
      if kill -0 "$pid" 2>/dev/null && is_our_node "$pid"; then kill -9 "$pid" 2>/dev/null; fi
      echo "elasticsearch: stopped pid $pid"
    else
      echo "elasticsearch: pid file names no running node of ours; nothing to stop"
    fi
    rm -f "$PID_FILE"
  else
    echo "elasticsearch: not started by this script; nothing to stop"
  fi
  case "$RUN_DIR" in /tmp/m3kit-elasticsearch-*) rm -rf "$RUN_DIR" ;; esac
  rm -f "$ENV_FILE"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  *)
    echo "usage: $0 start|stop" >&2
    exit 2
    ;;
esac
