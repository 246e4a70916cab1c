#!/usr/bin/env bash
# Queue benchmark: pylond's Q.PUSH / Q.POP / Q.ACK against the same work on Redis Streams (XADD,
# XREADGROUP, XACK), in one run.
#
#   bash bench/queue.sh [path-to-pylond]      (default: build/release/daemon/pylond)
#   BENCH_QUEUE=1 bash bench/run.sh ...        (the same, after run.sh's own steps)
#
# Steps: memory (each fresh server gets BENCH_QUEUE_MESSAGES messages pushed into one queue:
# bytes per message), then throughput (rounds of pylon-queuegen, alternating servers: W worker
# connections each loop push one message, pop one, ack it; with 1 and with 16 workers).
#
# Environment (defaults in brackets):
#   BENCH_ROUNDS           rounds; the table shows the median, and the ratio's range [3]
#   BENCH_QUEUE_WORKERS    worker connections of each throughput row [1 16]
#   BENCH_QUEUE_CYCLES     cycles (messages) of one run, shared by its workers [100000]
#   BENCH_QUEUE_SIZE       payload bytes [100]
#   BENCH_QUEUE_MESSAGES   messages the memory step queues in each server (0: skip it) [1000000]
#   BENCH_QUEUEGEN         the pylon-queuegen binary, when not next to pylond
#   PYLON_TEST_TARGET=redis   a second redis-server stands in for pylond and runs the Streams
#                             workload in its place (to check the script: ratio ~1.0)
#
# Output: tables on stdout and in bench/out/queue.md, bench/out/queue-results.csv (medians),
# bench/out/queue-raw.csv (every run), bench/out/queue-memory.csv. See bench/README.md.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"
# shellcheck source=common.sh
source "$here/common.sh"

rounds="${BENCH_ROUNDS:-3}"
read -r -a worker_counts <<< "${BENCH_QUEUE_WORKERS:-1 16}"
cycles="${BENCH_QUEUE_CYCLES:-100000}"
size="${BENCH_QUEUE_SIZE:-100}"
messages="${BENCH_QUEUE_MESSAGES:-1000000}"
out="$here/out"
run_timeout=120  # seconds for one driver run: a hung server fails the bench, not hangs it
py=/usr/bin/python3
[[ -x "$py" ]] || py=python3

servers_pylond_arg "bench/queue.sh" "${1:-$root/build/release/daemon/pylond}" || exit 2
bench_tool bench/queue.sh pylon-queuegen "${BENCH_QUEUEGEN:-}"
bench_require bench/queue.sh redis-server taskset "$py"
bench_pin pylon-queuegen
# With a core of its own the driver polls for replies instead of sleeping (see queuegen.cc).
spin=()
((${#driver[@]} == 0)) || spin=(--spin)
target_label="pylond"
standin=0
if [[ "${PYLON_TEST_TARGET:-pylond}" == "redis" ]]; then
  standin=1
  target_label="pylond (redis-server stand-in running the Streams workload)"
fi
trap 'server_stop_all >/dev/null 2>&1' EXIT
bench_start_servers
echo "bench-queue: $rounds rounds, workers ${worker_counts[*]}, $cycles cycles a run," \
  "$size-byte payloads, memory with $messages messages; $pinning"
echo "bench-queue: redis-server on port $redis_port, $target_label on port $pylond_port"

mkdir -p "$out"
rm -f "$out"/queue-{raw,results,memory}.csv "$out"/queue.md
raw="$out/queue-raw.csv"
mem="$out/queue-memory.csv"

# The driver's command line against a server: Redis (and a stand-in for pylond) runs Streams.
queuegen() {
  local server=$1 port_var="${1}_port" dialect=()
  shift
  if [[ "$server" == redis ]] || ((standin)); then dialect=(--streams); fi
  timeout "$run_timeout" "${driver[@]}" "$load_tool" -h 127.0.0.1 -p "${!port_var}" \
    "${dialect[@]}" "${spin[@]}" --size "$size" --csv "$@"
}

# One driver run. With FILE, its CSV row goes there after CELLS (and first, the driver's header
# after HEADER). $1 = FILE ("" for a warm-up: nothing recorded), $2 = HEADER, $3 = CELLS,
# $4 = server, then the driver's options.
record() {
  local file=$1 header=$2 cells=$3 server=$4 csv
  shift 4
  if ! csv="$(queuegen "$server" "$@" 2>&1)"; then
    echo "bench-queue: pylon-queuegen $* failed against $server: $csv" >&2
    return 1
  fi
  [[ -n "$file" ]] || return 0
  [[ -s "$file" ]] || echo "$header$(head -1 <<< "$csv")" >"$file"
  echo "$cells$(tail -1 <<< "$csv")" >>"$file"
}

start=$SECONDS
# Probe: one cycle on each server, so that a missing command fails here, at once and by name.
for server in redis pylond; do
  record "" "" "" "$server" -n 1 || {
    echo "bench-queue: $server cannot run the cycle (pylond needs Q.PUSH, Q.POP, Q.ACK, Q.LEN)" >&2
    exit 1
  }
done
# Memory first, on fresh servers: bytes per queued message.
if ((messages > 0)); then
  for server in redis pylond; do
    record "$mem" '"server",' "\"$server\"," "$server" --fill "$messages" || exit 1
  done
  echo "bench-queue: memory step done ($((SECONDS - start)) s)"
fi

# A short unrecorded warm-up per server: the first runs pay for fresh connections and memory.
for server in redis pylond; do
  record "" "" "" "$server" -c 16 -n "$((cycles / 5))" || exit 1
done
for ((round = 1; round <= rounds; round++)); do
  for workers in "${worker_counts[@]}"; do
    # Alternate who goes first, so drift (thermal, noisy neighbours) cancels out.
    order=(redis pylond)
    ((round % 2)) || order=(pylond redis)
    for server in "${order[@]}"; do
      record "$raw" '"round","server",' "\"$round\",\"$server\"," "$server" \
        -c "$workers" -n "$cycles"
    done
  done
  echo "bench-queue: round $round/$rounds done ($((SECONDS - start)) s)"
done

trap - EXIT
server_stop_all || { echo "bench-queue: a server did not stop cleanly" >&2; exit 1; }
"$py" "$here/queue.py" "$out" --target "$target_label" --rounds "$rounds" --cycles "$cycles" \
  --size "$size"
echo "bench-queue: wrote $out/queue.md, $out/queue-results.csv, $out/queue-raw.csv" \
  "($((SECONDS - start)) s)"
