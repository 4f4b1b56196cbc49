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
#   M3KIT_ES_ENV_KEY  the variable the env file sets (default ES_URL; elasticsearch-9.sh: ES9_URL)
#   M3KIT_ES_ENV_FILE the env file (default .ci/work/elasticsearch.env)
#
# On failure `start` prints one line `reason: ...` and exits non-zero.
set -uo pipefail
SERVICE=elasticsearch
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
WORK="$ROOT/.ci/work/elasticsearch"
ENV_FILE="${M3KIT_ES_ENV_FILE:-$ROOT/.ci/work/elasticsearch.env}"
ENV_KEY="${M3KIT_ES_ENV_KEY:-ES_URL}"
VERSION="${M3KIT_ES_VERSION:-8.19.21}"
PORT="${M3KIT_ES_PORT:-9200}"
HEAP="${M3KIT_ES_HEAP:-1g}"
ES_USER="${M3KIT_ES_USER:-m3kit-es}"
TIMEOUT="${M3KIT_ES_TIMEOUT:-180}"
# The node runs from a copy outside the checkout: the checkout may sit under a folder (/root)
# that the dedicated user cannot enter.
RUN_DIR="/tmp/m3kit-elasticsearch-$PORT"
PID_FILE="$WORK/elasticsearch-$PORT.pid"
LOG="$WORK/start-$PORT.log"

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
  # A private local repository keeps the download inside .ci/work (and out of ~/.m2); one per
  # version, so the 8.x and 9.x nodes that CI starts at once never write one repository together.
  mvn -B -q dependency:copy \
    "-Dartifact=org.elasticsearch.distribution.integ-test-zip:elasticsearch:$VERSION:zip" \
    "-DoutputDirectory=$WORK/dist" "-Dmaven.repo.local=$WORK/m2-$VERSION" >>"$LOG" 2>&1 || return 1
  rm -rf "$WORK/m2-$VERSION/org/elasticsearch/distribution"
  [[ -s "$zip" ]] && echo "$zip"
}

# A node of ours runs Elasticsearch from this port's run directory.
is_our_node() {
  is_ours "$1" "org.elasticsearch" && is_ours "$1" "$RUN_DIR"
}

healthy() {
  local status
  status="$(curl -s -m 5 "http://127.0.0.1:$PORT/_cluster/health?wait_for_status=yellow&timeout=2s" 2>/dev/null |
    sed -n 's/.*"status":"\([a-z]*\)".*/\1/p')"
  [[ "$status" == green || "$status" == yellow ]]
}

start() {
  mkdir -p "$WORK"
  : >"$LOG"
  if [[ -n "${!ENV_KEY:-}" ]]; then
    write_env "$ENV_FILE" "$ENV_KEY=${!ENV_KEY}"
    note "using $ENV_KEY from the environment; nothing started"
    return 0
  fi
  if [[ -f "$PID_FILE" ]] && is_our_node "$(cat "$PID_FILE")"; then
    write_env "$ENV_FILE" "$ENV_KEY=http://127.0.0.1:$PORT"
    note "already running (pid $(cat "$PID_FILE"))"
    return 0
  fi
  if port_open "$PORT"; then
    fail "port $PORT on 127.0.0.1 is taken by another process (set $ENV_KEY to use it, or M3KIT_ES_PORT)"
  fi
  need_command unzip unzip 2>>"$LOG"
  need_command mvn maven 2>>"$LOG"
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

  wait_until "$TIMEOUT" "$pid" healthy
  case $? in
    1)
      local why
      why="$(grep -hm1 -E 'ERROR|Exception' "$RUN_DIR/logs/m3kit-ci.log" "$LOG" 2>/dev/null | head -c 300)"
      rm -f "$PID_FILE"
      fail "elasticsearch exited during startup: ${why:-see $RUN_DIR/logs}"
      ;;
    2)
      stop >/dev/null 2>&1
      fail "elasticsearch not healthy within ${TIMEOUT}s"
      ;;
  esac
  write_env "$ENV_FILE" "$ENV_KEY=http://127.0.0.1:$PORT"
  echo "elasticsearch $VERSION running on http://127.0.0.1:$PORT (pid $pid, java $java_home)"
}

stop() {
  if [[ ! -f "$PID_FILE" ]]; then
    # Nothing of ours: leave the run directory alone, it may be another checkout's live node.
    note "not started by this checkout on port $PORT; nothing to stop"
    return 0
  fi
  stop_pid_file "$PID_FILE" "$RUN_DIR"
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
