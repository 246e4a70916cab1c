# What the benchmark scripts (run.sh, ratelimit.sh, pubsub.sh, queue.sh, cache.sh, cluster.sh,
# ...) share: the server helpers, the required tools, CPU pinning, the load generators, and
# starting servers. Sourced.
#
# shellcheck shell=bash
# Helpers set variables for their callers:
# shellcheck disable=SC2034,SC2154
# shellcheck source=../tests/compat/servers.sh
source "$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/tests/compat/servers.sh"

# bench_require SCRIPT TOOL ...: exits 2, naming the first tool that is missing.
bench_require() {
  local script=$1 tool
  shift
  for tool in "$@"; do
    command -v "$tool" >/dev/null || { echo "$script: $tool is required" >&2; exit 2; }
  done
}

# bench_pin DRIVER_LABEL: with 2+ cores both servers share core 0 (the runs alternate, so they
# are never busy at once) and the load generator gets core 1, so it never steals the server's
# core; on one core nothing is pinned. Sets server_cpu, driver (a command prefix) and pinning.
bench_pin() {
  if (($(nproc) >= 2)); then
    server_cpu=(--cpu 0)
    driver=(taskset -c 1)
    pinning="servers on CPU 0, $1 on CPU 1"
  else
    server_cpu=()
    driver=()
    pinning="no pinning (one CPU)"
  fi
}

# bench_tool SCRIPT NAME [PATH]: sets load_tool to the driver NAME of bench/ (PATH when given, else
# next to pylond: build/<type>/bench/NAME; build/release's when a redis-server stands in for
# pylond); exits 2 when it is not built. Call after servers_pylond_arg.
bench_tool() {
  load_tool="$root/build/release/bench/$2"
  [[ "$PYLOND" == none ]] || load_tool="$(dirname "$PYLOND")/../bench/$2"
  load_tool="${3:-$load_tool}"
  [[ -x "$load_tool" ]] || {
    echo "$1: $load_tool is missing: cmake --build <build dir> --target $2" >&2
    exit 2
  }
}

# bench_loadgen SCRIPT: load_tool is pylon-loadgen (BENCH_LOADGEN, else next to pylond).
bench_loadgen() { bench_tool "$1" pylon-loadgen "${BENCH_LOADGEN:-}"; }

# bench_command_run RAW ROUND SERVER LABEL PIPELINE REQUESTS KEYS LIMIT COMMAND...: one
# pylon-loadgen run ($load_tool, -c $clients) of COMMAND against SERVER (redis or pylond), with
# random keys below KEYS, bounded to LIMIT seconds; unless ROUND is 0 (a warm-up or a fill), its
# CSV row goes to RAW as "round","server","pipeline","test"=LABEL, then the latency columns:
# summarize.py's throughput() reads that. A failed run ends the script (exit 1).
bench_command_run() {
  local raw=$1 round=$2 server=$3 label=$4 pipeline=$5 count=$6 keys=$7 limit=$8
  local port_var="${3}_port" csv
  shift 8
  csv="$(timeout "$limit" "${driver[@]}" "$load_tool" -h 127.0.0.1 -p "${!port_var}" \
    -c "$clients" -n "$count" -r "$keys" -P "$pipeline" --csv "$@" 2>&1)" || {
    echo "bench: pylon-loadgen failed against $server ($label -P $pipeline): $csv" >&2
    exit 1
  }
  ((round > 0)) || return 0
  [[ -s "$raw" ]] || echo "\"round\",\"server\",\"pipeline\",$(head -1 <<< "$csv")" >"$raw"
  echo "\"$round\",\"$server\",\"$pipeline\",\"$label\",$(tail -1 <<< "$csv" | cut -d, -f2-)" \
    >>"$raw"
}

# bench_cpu_ns PID: the CPU time (ns) the process has used so far, all its threads (the
# scheduler's own count, /proc/PID/task/*/schedstat).
bench_cpu_ns() {
  local f t sum=0
  for f in /proc/"$1"/task/*/schedstat; do
    read -r t _ <"$f" 2>/dev/null && sum=$((sum + t))
  done
  echo "$sum"
}

# bench_start_servers: redis-server (the reference) and pylond on server_cpu; sets redis_port
# and pylond_port. The caller sets its EXIT trap first.
bench_start_servers() {
  redis_port="" pylond_port=""
  server_start redis --reference "${server_cpu[@]}"
  server_start pylond "${server_cpu[@]}"
}

# bench_free_ports COUNT: sets free_ports to COUNT distinct loopback ports nobody listens on
# (servers.py's free_port; for the ports that must be known before the servers start: a pylond
# cluster's nodes, Redis Cluster's bus ports).
bench_free_ports() {
  local ports
  ports="$("$SERVERS_PY" -c 'import sys
sys.path.insert(0, sys.argv[1])
import servers
ports = []
while len(ports) < int(sys.argv[2]):
    port = servers.free_port()
    if port not in ports:
        ports.append(port)
print(" ".join(map(str, ports)))' "$SERVERS_DIR" "$1")" || return 1
  read -r -a free_ports <<< "$ports"
}

# bench_server_at PORT NAME [--reference] [--cpu N] [directive value ...]: server_start on the
# given PORT (the nodes of a cluster must know each other's ports before they start).
bench_server_at() {
  local port=$1 name=$2
  shift 2
  server_start "$name" --port "$port" "$@"
}
