# Shared start/stop helpers for .ci/services/*.sh (sourced, not run).
#
# Each service script sets SERVICE (its name, for messages) before sourcing this file, then uses:
#   fail MESSAGE               one `reason: MESSAGE` line on stdout, exit 1 (CI prints it as the skip reason)
#   note MESSAGE               a progress line on stderr
#   port_open PORT             whether something listens on 127.0.0.1:PORT (plain bash, no curl)
#   http_ok PORT PATH          whether GET http://127.0.0.1:PORT/PATH answers 200
#   is_ours PID MARK           whether PID is alive and its command line contains MARK
#   wait_until SECONDS PID CHECK...
#                              runs CHECK every half second until it succeeds (0), PID dies (1) or
#                              SECONDS pass (2)
#   stop_pid_file FILE MARK    stops the process FILE names, only if its command line still holds
#                              MARK (a recycled pid is left alone): TERM, then KILL after 20 s;
#                              removes FILE
#   write_env FILE LINE...     writes the env file the tests read, one KEY=VALUE a line
#   need_command CMD PACKAGE   installs PACKAGE with apt-get when CMD is missing (waiting for the
#                              dpkg lock: CI starts the services at once), or fails with a reason
#
# Stopping only what a pid file names, and only while the process still looks like ours, is what
# lets a script stop its own server without touching a shared one on another port.

: "${SERVICE:?set SERVICE before sourcing lib.sh}"

fail() {
  echo "reason: $*"
  exit 1
}

note() {
  echo "$SERVICE: $*" >&2
}

port_open() {
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

http_ok() {
  local port="$1" path="$2" status
  status="$(
    exec 2>/dev/null 3<>"/dev/tcp/127.0.0.1/$port" || exit 1
    printf 'GET /%s HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n' "$path" >&3
    timeout 5 head -n 1 <&3
  )" 2>/dev/null || return 1
  [[ "$status" == *" 200 "* ]]
}

is_ours() {
  local pid="$1" mark="$2"
  [[ -n "$pid" && -r "/proc/$pid/cmdline" ]] && tr '\0' ' ' <"/proc/$pid/cmdline" | grep -qF -- "$mark"
}

wait_until() {
  local seconds="$1" pid="$2"
  shift 2
  local deadline=$((SECONDS + seconds))
  while ((SECONDS < deadline)); do
    "$@" && return 0
    # kill -0, not is_ours: right after a fork the child's command line is still the shell's.
    kill -0 "$pid" 2>/dev/null || return 1
    sleep 0.5
  done
  "$@" && return 0
  return 2
}

stop_pid_file() {
  local file="$1" mark="$2" pid
  [[ -f "$file" ]] || return 0
  pid="$(cat "$file" 2>/dev/null)"
  if is_ours "$pid" "$mark"; then
    kill -TERM "$pid" 2>/dev/null
    for _ in $(seq 1 40); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.5
    done
    if kill -0 "$pid" 2>/dev/null && is_ours "$pid" "$mark"; then kill -KILL "$pid" 2>/dev/null; fi
    note "stopped pid $pid"
  else
    note "pid file $file names no running process of ours; nothing to stop"
  fi
  rm -f "$file"
}

write_env() {
  local file="$1"
  shift
  mkdir -p "$(dirname "$file")"
  printf '%s\n' "$@" >"$file"
}

need_command() {
  local command="$1" package="$2"
  command -v "$command" >/dev/null && return 0
  apt-get install -y -q -o DPkg::Lock::Timeout=300 "$package" >&2 || fail "$command is missing and apt-get could not install $package"
  command -v "$command" >/dev/null || fail "$command is still missing after installing $package"
}
