#!/usr/bin/env bash
# Milvus Lite for the @m3kit/milvus integration tests.
#
#   bash .ci/services/milvus.sh start   # installs (cached), starts on 127.0.0.1, writes .ci/work/milvus.env
#   bash .ci/services/milvus.sh stop    # stops what start started, removes its data
#
# Why milvus-lite 2.5.1: it is the last release that runs Milvus' C++ core (segcore) as a child
# process, where a sparse search with metric IP is a real inner product and HybridSearch works.
# The 3.x line is a pure-Python rewrite whose sparse search always scores BM25, whatever the metric,
# which is useless for BGE-M3's learned lexical weights. The integration tests prove the inner
# product on every run (sparse-inner-product.int.test.ts).
#
# The server binary ships inside the wheel (milvus_lite/lib/milvus); we run it directly with a TCP
# address, which is what milvus_lite.server.Server(db_file, address=...) does, so that the pid we
# record is the server's own and `stop` can end exactly it.
#
# On failure `start` prints one line `reason: ...` and exits non-zero.
set -uo pipefail

MILVUS_LITE_VERSION="2.5.1"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
WORK="$ROOT/.ci/work/milvus"
ENV_FILE="$ROOT/.ci/work/milvus.env"
VENV="$WORK/venv"
DATA="$WORK/data"
PID_FILE="$WORK/server.pid"
LOG_FILE="$WORK/server.log"
HEALTH_TIMEOUT_S="${MILVUS_HEALTH_TIMEOUT_S:-90}"

fail() {
  echo "reason: $*"
  exit 1
}

log() {
  echo "milvus.sh: $*" >&2
}

is_our_server() {
  local pid="$1"
  [ -n "$pid" ] && [ -r "/proc/$pid/cmdline" ] && tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q "$WORK/"
}

free_port() {
  "$VENV/bin/python" - <<'PY'
import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()
PY
}

port_open() {
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

install() {
  mkdir -p "$WORK"
  if [ -x "$VENV/bin/python" ] &&
    [ "$("$VENV/bin/python" -m pip show milvus-lite 2>/dev/null | sed -n 's/^Version: //p')" = "$MILVUS_LITE_VERSION" ]; then
    return 0
  fi
  local python="${PYTHON:-python3}"
  command -v "$python" >/dev/null || fail "python3 not found"
  rm -rf "$VENV"
  "$python" -m venv "$VENV" >&2 || fail "could not create a Python venv (is python3-venv installed?)"
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check "milvus-lite==$MILVUS_LITE_VERSION" >&2 ||
    fail "pip install milvus-lite==$MILVUS_LITE_VERSION failed"
}

server_binary() {
  "$VENV/bin/python" - <<'PY'
import pathlib, sysconfig
lib = pathlib.Path(sysconfig.get_paths()["purelib"]) / "milvus_lite" / "lib"
print(lib / "milvus")
PY
}

start() {
  mkdir -p "$ROOT/.ci/work"
  if [ -n "${MILVUS_ADDRESS:-}" ]; then
    log "MILVUS_ADDRESS is set: using that server, starting nothing"
    {
      echo "MILVUS_ADDRESS=$MILVUS_ADDRESS"
      [ -n "${MILVUS_TOKEN:-}" ] && echo "MILVUS_TOKEN=$MILVUS_TOKEN"
    } >"$ENV_FILE"
    return 0
  fi
  if [ -f "$PID_FILE" ] && is_our_server "$(cat "$PID_FILE")"; then
    log "already running (pid $(cat "$PID_FILE"))"
    [ -f "$ENV_FILE" ] && return 0
    fail "server running but $ENV_FILE is missing: run stop, then start"
  fi
  install
  local binary lib port
  binary="$(server_binary)"
  [ -x "$binary" ] || fail "milvus-lite $MILVUS_LITE_VERSION has no server binary at $binary"
  lib="$(dirname "$binary")"
  port="${MILVUS_PORT:-$(free_port)}"
  rm -rf "$DATA"
  mkdir -p "$DATA"
  # Arguments as milvus_lite.server.Server passes them for a TCP address: db file, address, log level.
  LD_LIBRARY_PATH="$lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" nohup "$binary" "$DATA/m3kit.db" "127.0.0.1:$port" ERROR \
    >"$LOG_FILE" 2>&1 </dev/null &
  echo $! >"$PID_FILE"
  local waited=0
  while ! port_open "$port"; do
    # kill -0, not is_our_server: right after the fork the child's command line is still the
    # shell's, so a command-line check can misread a starting server as gone.
    if ! kill -0 "$(cat "$PID_FILE")" 2>/dev/null; then
      fail "milvus-lite exited at start: $(tail -c 300 "$LOG_FILE" | tr '\n' ' ')"
    fi
    if [ "$waited" -ge "$HEALTH_TIMEOUT_S" ]; then
      stop >/dev/null 2>&1
      fail "milvus-lite did not listen on 127.0.0.1:$port within ${HEALTH_TIMEOUT_S}s"
    fi
    sleep 1
    waited=$((waited + 1))
  done
  echo "MILVUS_ADDRESS=127.0.0.1:$port" >"$ENV_FILE"
  log "milvus-lite $MILVUS_LITE_VERSION listening on 127.0.0.1:$port (pid $(cat "$PID_FILE"))"
}

stop() {
  if [ -f "$PID_FILE" ]; then
    local pid
    pid="$(cat "$PID_FILE")"
    if is_our_server "$pid"; then
      kill "$pid" 2>/dev/null
      for _ in $(seq 1 20); do
        is_our_server "$pid" || break
        sleep 0.5
      done
      is_our_server "$pid" && kill -9 "$pid" 2>/dev/null
    fi
    rm -f "$PID_FILE"
  fi
  rm -rf "$DATA" "$ENV_FILE"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  *)
    echo "usage: $0 start|stop" >&2
    exit 2
    ;;
esac
