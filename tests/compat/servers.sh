# shellcheck shell=bash
# Shell side of servers.py (source it): start and stop servers for shell tests and the benchmark.
#
#   PYLOND=/path/to/pylond            the binary under test (ignored with PYLON_TEST_TARGET=redis)
#   server_start NAME [--reference] [--cpu N] [--port P] [directive value ...]
#                                     starts a server, sets $NAME_port; --reference: redis-server;
#                                     --port: on that port (else a free one)
#   server_stop_all                   SIGTERM to all; non-zero if any did not exit with status 0
#   servers_tmpdir                    creates $SERVERS_TMP (removed by server_stop_all)
#
# Each server runs under a `servers.py serve` helper, which waits until it answers PING (bounded),
# and stops it on SIGTERM or when this shell dies.

SERVERS_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
SERVERS_PY="/usr/bin/python3"
[[ -x "$SERVERS_PY" ]] || SERVERS_PY="python3"
SERVERS_TMP=""
_server_pids=()
_server_names=()

# The pylond binary from the first argument, checked (unless PYLON_TEST_TARGET=redis).
servers_pylond_arg() {
  local script=$1 path=${2:-}
  if [[ "${PYLON_TEST_TARGET:-pylond}" != "redis" && ! -x "$path" ]]; then
    echo "$script: pylond binary not found or not executable: '${path}'" >&2
    echo "usage: $script <path-to-pylond>   (or PYLON_TEST_TARGET=redis to test redis-server)" >&2
    return 1
  fi
  # Absolute, so it still works from the helper's own working directory.
  [[ -n "$path" && "$path" != /* ]] && path="$PWD/$path"
  PYLOND="${path:-none}"
}

# Creates $SERVERS_TMP, a temporary directory that server_stop_all removes.
servers_tmpdir() {
  [[ -n "$SERVERS_TMP" ]] || SERVERS_TMP="$(mktemp -d "${TMPDIR:-/tmp}/pylon-servers-sh.XXXXXX")"
}

server_start() {
  local name=$1
  shift
  local opts=()
  while [[ "${1:-}" == --* ]]; do
    if [[ "$1" == "--cpu" || "$1" == "--port" ]]; then
      opts+=("$1" "$2")
      shift 2
    else
      opts+=("$1")
      shift
    fi
  done
  servers_tmpdir
  local out="$SERVERS_TMP/$name.out" err="$SERVERS_TMP/$name.err"
  "$SERVERS_PY" "$SERVERS_DIR/servers.py" serve "${opts[@]}" "$PYLOND" "$@" >"$out" 2>"$err" &
  local pid=$!
  _server_pids+=("$pid")
  _server_names+=("$name")
  local i port
  for ((i = 0; i < 600; i++)); do  # at most 60 s; servers.py gives up sooner (20 s)
    port="$(sed -n 's/^PORT \([0-9]*\)$/\1/p' "$out")"
    if [[ -n "$port" ]]; then
      printf -v "${name}_port" '%s' "$port"
      return 0
    fi
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  echo "could not start server '$name':" >&2
  cat "$err" >&2
  return 1
}

server_stop_all() {
  local rc=0 i
  for i in "${!_server_pids[@]}"; do
    kill -TERM "${_server_pids[$i]}" 2>/dev/null
  done
  for i in "${!_server_pids[@]}"; do
    if ! wait "${_server_pids[$i]}"; then
      echo "server '${_server_names[$i]}' did not stop cleanly:" >&2
      cat "$SERVERS_TMP/${_server_names[$i]}.err" >&2
      rc=1
    fi
  done
  _server_pids=()
  _server_names=()
  [[ -n "$SERVERS_TMP" ]] && rm -rf "$SERVERS_TMP"
  SERVERS_TMP=""
  return $rc
}
