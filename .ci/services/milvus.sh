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
SERVICE=milvus
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

MILVUS_LITE_VERSION="2.5.1"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
WORK="$ROOT/.ci/work/milvus"
ENV_FILE="$ROOT/.ci/work/milvus.env"
VENV="$WORK/venv"
DATA="$WORK/data"
PID_FILE="$WORK/server.pid"
LOG_FILE="$WORK/server.log"
HEALTH_TIMEOUT_S="${MILVUS_HEALTH_TIMEOUT_S:-90}"

# A server of ours runs with its database under this checkout's work folder.
is_our_server() {
  is_ours "$1" "$WORK/"
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
    note "MILVUS_ADDRESS is set: using that server, starting nothing"
    write_env "$ENV_FILE" "MILVUS_ADDRESS=$MILVUS_ADDRESS" ${MILVUS_TOKEN:+"MILVUS_TOKEN=$MILVUS_TOKEN"}
    return 0
  fi
  if [ -f "$PID_FILE" ] && is_our_server "$(cat "$PID_FILE")"; then
    note "already running (pid $(cat "$PID_FILE"))"
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
  wait_until "$HEALTH_TIMEOUT_S" "$(cat "$PID_FILE")" port_open "$port"
  case $? in
    1) fail "milvus-lite exited at start: $(tail -c 300 "$LOG_FILE" | tr '\n' ' ')" ;;
    2)
      stop >/dev/null 2>&1
      fail "milvus-lite did not listen on 127.0.0.1:$port within ${HEALTH_TIMEOUT_S}s"
      ;;
  esac
  write_env "$ENV_FILE" "MILVUS_ADDRESS=127.0.0.1:$port"
  note "milvus-lite $MILVUS_LITE_VERSION listening on 127.0.0.1:$port (pid $(cat "$PID_FILE"))"
}

stop() {
  stop_pid_file "$PID_FILE" "$WORK/"
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
