#!/usr/bin/env bash
# Starts or stops a Qdrant server for m3kit's integration tests.
#
#   bash .ci/services/qdrant.sh start   # writes .ci/work/qdrant.env (QDRANT_URL=...)
#   bash .ci/services/qdrant.sh stop    # stops what start started, removes its data
#
# Qdrant is on no package registry these machines reach, so nothing is installed here:
# - QDRANT_URL set: the user's own server; written to the env file, nothing started.
# - else a `qdrant` binary (QDRANT_BIN, or on PATH): started on 127.0.0.1 with its storage under
#   .ci/work/qdrant/, telemetry off, and waited for.
# - else: one `reason: ...` line and exit 1 (CI reports the backend as skipped).
# On failure start prints exactly one `reason:` line on stdout; details go to stderr and the log.
set -u
SERVICE=qdrant
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
WORK="$ROOT/.ci/work"
DATA="$WORK/qdrant"
ENV_FILE="$WORK/qdrant.env"
PID_FILE="$DATA/qdrant.pid"
PORT_FILE="$DATA/qdrant.port"
LOG_FILE="$DATA/qdrant.log"
HTTP_PORT="${QDRANT_HTTP_PORT:-6333}"
GRPC_PORT="${QDRANT_GRPC_PORT:-6334}"
WAIT_SECONDS="${QDRANT_START_TIMEOUT:-90}"

# /readyz answers 200 once collections are loaded.
is_ready() {
  http_ok "$HTTP_PORT" readyz
}

start() {
  mkdir -p "$WORK"
  if [[ -n "${QDRANT_URL:-}" ]]; then
    write_env "$ENV_FILE" "QDRANT_URL=$QDRANT_URL" ${QDRANT_API_KEY:+"QDRANT_API_KEY=$QDRANT_API_KEY"}
    note "using QDRANT_URL from the environment; nothing started"
    return 0
  fi

  local binary="${QDRANT_BIN:-}"
  if [[ -z "$binary" ]]; then binary="$(command -v qdrant 2>/dev/null || true)"; fi
  if [[ -z "$binary" || ! -x "$binary" ]]; then
    fail "no qdrant binary on this machine and QDRANT_URL not set"
  fi

  if [[ -f "$PID_FILE" ]] && kill -0 "$(cat "$PID_FILE")" 2>/dev/null; then
    # Already started by an earlier `start`: reuse it, on the port it was started with.
    HTTP_PORT="$(cat "$PORT_FILE" 2>/dev/null || echo "$HTTP_PORT")"
    if is_ready; then
      write_env "$ENV_FILE" "QDRANT_URL=http://127.0.0.1:$HTTP_PORT"
      note "already running (pid $(cat "$PID_FILE"))"
      return 0
    fi
    fail "a qdrant started earlier (pid $(cat "$PID_FILE")) is not ready; run stop first"
  fi
  if port_open "$HTTP_PORT"; then fail "port $HTTP_PORT is in use (set QDRANT_URL to use that server, or QDRANT_HTTP_PORT)"; fi
  if port_open "$GRPC_PORT"; then fail "port $GRPC_PORT is in use (set QDRANT_GRPC_PORT)"; fi

  rm -rf "$DATA/storage" "$DATA/snapshots"
  mkdir -p "$DATA/storage" "$DATA/snapshots" "$DATA/run"
  # Run from an empty folder so no stray config/ directory is picked up; every setting comes
  # from the environment (QDRANT__SECTION__KEY) on top of the binary's built-in defaults.
  (
    cd "$DATA/run" || exit 1
    export QDRANT__SERVICE__HOST=127.0.0.1
    export QDRANT__SERVICE__HTTP_PORT="$HTTP_PORT"
    export QDRANT__SERVICE__GRPC_PORT="$GRPC_PORT"
    export QDRANT__STORAGE__STORAGE_PATH="$DATA/storage"
    export QDRANT__STORAGE__SNAPSHOTS_PATH="$DATA/snapshots"
    export QDRANT__TELEMETRY_DISABLED=true
    export QDRANT__LOG_LEVEL="${QDRANT_LOG_LEVEL:-WARN}"
    # Two cores shared with the test runner: keep the optimiser from taking both.
    export QDRANT__STORAGE__PERFORMANCE__MAX_SEARCH_THREADS="${QDRANT_SEARCH_THREADS:-2}"
    export QDRANT__STORAGE__PERFORMANCE__OPTIMIZER_CPU_BUDGET="${QDRANT_OPTIMIZER_CPU_BUDGET:-1}"
    exec "$binary" --disable-telemetry
  ) >"$LOG_FILE" 2>&1 &
  local pid=$!
  echo "$pid" >"$PID_FILE"
  echo "$HTTP_PORT" >"$PORT_FILE"

  wait_until "$WAIT_SECONDS" "$pid" is_ready
  case $? in
    0)
      write_env "$ENV_FILE" "QDRANT_URL=http://127.0.0.1:$HTTP_PORT"
      note "$("$binary" --version 2>/dev/null | head -n 1) ready on 127.0.0.1:$HTTP_PORT (pid $pid)"
      return 0
      ;;
    1)
      tail -n 20 "$LOG_FILE" >&2
      rm -f "$PID_FILE"
      fail "qdrant exited during start-up (log: $LOG_FILE)"
      ;;
  esac
  tail -n 20 "$LOG_FILE" >&2
  stop_server
  fail "qdrant did not become ready within ${WAIT_SECONDS}s (log: $LOG_FILE)"
}

stop_server() {
  # The server runs as `qdrant --disable-telemetry` from $DATA/run: its command line names the binary.
  stop_pid_file "$PID_FILE" qdrant
  rm -f "$PORT_FILE"
}

stop() {
  stop_server
  rm -rf "$DATA/storage" "$DATA/snapshots" "$DATA/run"
  rm -f "$ENV_FILE"
  return 0
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  *)
    echo "usage: $0 start|stop" >&2
    exit 2
    ;;
esac
