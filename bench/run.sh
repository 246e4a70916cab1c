#!/usr/bin/env bash
# Side-by-side benchmark: pylond vs redis-server, both driven by redis-benchmark on loopback.
#
#   bash bench/run.sh [path-to-pylond]        (default: build/release/daemon/pylond)
#
# Steps: probe (every command needed answers without an error), memory (load BENCH_KEYSPACE keys
# into each server, bytes per key), throughput (rounds of redis-benchmark, alternating servers,
# over the loaded key space), growth (SET into an empty server up to BENCH_GROWTH_N keys: the
# worst single-request latency).
#
# Environment (defaults in brackets):
#   BENCH_N          requests per redis-benchmark run [100000]
#   BENCH_ROUNDS     rounds; the table shows the median of the rounds [5]
#   BENCH_CLIENTS    parallel connections (-c) [50]
#   BENCH_PIPELINES  pipeline depths (-P) [1 16]
#   BENCH_TESTS      redis-benchmark tests (-t) [ping_inline ping_mbulk set get incr mset]
#   BENCH_KEYSPACE   random keys of every run (-r), and the keys the memory step loads [1000000]
#   BENCH_MEMORY     1: the memory step, 0: skip it (GET then mostly misses) [1]
#   BENCH_GROWTH     1: the growth step, 0: skip it [1]
#   BENCH_GROWTH_N   SET requests of the growth step, random keys out of 10^9 [5000000]
#   BENCH_RL         1: then the rate-limit benchmark, bench/ratelimit.sh (BENCH_RL_* there) [0]
#   BENCH_PUBSUB     1: then the pub/sub benchmark, bench/pubsub.sh [0]
#   BENCH_QUEUE      1: then the queue benchmark, bench/queue.sh (BENCH_QUEUE_* there) [0]
#   BENCH_CACHE      1: then the cache benchmark, bench/cache.sh (BENCH_CACHE_* there) [0]
#   BENCH_BLOOM      1: then the Bloom filter and ring benchmark, bench/bloom.sh [0]
#   BENCH_RESILIENCE 1: then the resilience benchmark, bench/resilience.sh [0]
#   BENCH_PERSIST    1: then the persistence benchmark, bench/persistence.sh [0]
#   BENCH_CLUSTER    1: then the cluster benchmark, bench/cluster.sh (BENCH_CLUSTER_* there) [0]
#   BENCH_SCRIPTING  1: then the scripting benchmark, bench/scripting.sh (BENCH_SCRIPTING_* there) [0]
#   PYLON_TEST_TARGET=redis   a second redis-server stands in for pylond (to check the script)
#
# Output: tables on stdout and in bench/out/summary.md, bench/out/results.csv (medians),
# bench/out/raw.csv (every run), bench/out/memory.csv, bench/out/growth.csv,
# bench/out/throughput.png (chart). See bench/README.md.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"
# shellcheck source=common.sh
source "$here/common.sh"

n="${BENCH_N:-100000}"
rounds="${BENCH_ROUNDS:-5}"
clients="${BENCH_CLIENTS:-50}"
read -r -a pipelines <<< "${BENCH_PIPELINES:-1 16}"
read -r -a tests <<< "${BENCH_TESTS:-ping_inline ping_mbulk set get incr mset}"
keyspace="${BENCH_KEYSPACE:-1000000}"
memory="${BENCH_MEMORY:-1}"
growth="${BENCH_GROWTH:-1}"
growth_n="${BENCH_GROWTH_N:-5000000}"
rl="${BENCH_RL:-0}"
out="$here/out"
run_timeout=120  # seconds for one redis-benchmark run: a hung server fails the bench, not hangs it
py=/usr/bin/python3
[[ -x "$py" ]] || py=python3

servers_pylond_arg "bench/run.sh" "${1:-$root/build/release/daemon/pylond}" || exit 2
bench_require bench/run.sh redis-benchmark redis-server gnuplot taskset "$py"

bench_pin redis-benchmark
trap 'server_stop_all >/dev/null 2>&1' EXIT
bench_start_servers
target_label="pylond"
[[ "${PYLON_TEST_TARGET:-pylond}" == "redis" ]] && target_label="pylond (redis-server stand-in)"

echo "bench: $n requests, $clients clients, pipelines ${pipelines[*]}, $rounds rounds," \
  "-r $keyspace; $pinning"
echo "bench: redis-server on port $redis_port, $target_label on port $pylond_port"

start=$SECONDS
# Probe: a command the target lacks fails here, by name, instead of as a redis-benchmark error.
steps=()
[[ "$memory" == 1 || "$growth" == 1 ]] && steps=(--steps)
for server in redis pylond; do
  port_var="${server}_port"
  "$py" "$here/keyspace.py" probe "${!port_var}" "$server" "${steps[@]}" "${tests[@]}" || exit 1
done
# BENCH_RL=1: check RL.ALLOW now, not after the steps below (ratelimit.sh probes the rest).
if [[ "$rl" == 1 && "${PYLON_TEST_TARGET:-pylond}" != "redis" ]]; then
  read -r -a rl_algos <<< "${BENCH_RL_ALGOS:-token sliding gcra}"
  "$py" "$here/ratelimit.py" probe "$pylond_port" pylond target "${rl_algos[@]}" >/dev/null ||
    exit 1
fi
# BENCH_QUEUE=1: one queue cycle now (queue.sh runs the rest), with pylon-queuegen.
if [[ "${BENCH_QUEUE:-0}" == 1 && "${PYLON_TEST_TARGET:-pylond}" != "redis" ]]; then
  bench_tool bench/run.sh pylon-queuegen "${BENCH_QUEUEGEN:-}"
  "$load_tool" -h 127.0.0.1 -p "$pylond_port" -n 1 >/dev/null || {
    echo "bench: BENCH_QUEUE=1 needs a pylond with the queue commands (Q.PUSH, Q.POP, Q.ACK)" >&2
    exit 1
  }
fi
# BENCH_CACHE=1: pylond's INFO must have the counters cache.sh checks (keyspace_hits, ...).
if [[ "${BENCH_CACHE:-0}" == 1 ]]; then
  bench_tool bench/run.sh pylon-cachegen "${BENCH_CACHEGEN:-}"
  "$load_tool" -h 127.0.0.1 -p "$pylond_port" --stats >/dev/null || {
    echo "bench: BENCH_CACHE=1 needs a pylond with INFO keyspace_hits, keyspace_misses," \
      "evicted_keys and used_memory" >&2
    exit 1
  }
fi

mkdir -p "$out"
rm -f "$out"/{raw,results,memory,growth}.csv "$out"/summary.md "$out"/*.png "$out"/growth-*.txt
raw="$out/raw.csv"
echo '"round","server","pipeline","test","rps","avg_latency_ms","min_latency_ms","p50_latency_ms","p95_latency_ms","p99_latency_ms","max_latency_ms"' >"$raw"

# Memory: each server from empty to $keyspace keys "key:%012d" (16 bytes; the names
# redis-benchmark draws with -r $keyspace) with 16-byte values. They stay: the throughput runs
# below read and overwrite this key space (GET hits).
if [[ "$memory" == 1 ]]; then
  for server in redis pylond; do
    port_var="${server}_port"
    "${driver[@]}" "$py" "$here/keyspace.py" memory "${!port_var}" "$server" "$keyspace" \
      "$out/memory.csv" || exit 1
  done
fi

# One run: appends "round","server","pipeline",<redis-benchmark's CSV row> to raw.csv.
bench_one() {
  local round=$1 server=$2 pipeline=$3 test=$4 port_var="${2}_port"
  local csv
  if ! csv="$(timeout "$run_timeout" "${driver[@]}" redis-benchmark -h 127.0.0.1 \
      -p "${!port_var}" -c "$clients" -n "$n" -r "$keyspace" -P "$pipeline" -t "$test" \
      --csv 2>&1)"; then
    echo "bench: redis-benchmark failed against $server (-P $pipeline -t $test):" >&2
    echo "$csv" >&2
    return 1
  fi
  local row
  row="$(grep -v '^"test"' <<< "$csv" | grep '^"' | head -1)"
  [[ -n "$row" ]] || { echo "bench: no CSV row from redis-benchmark: $csv" >&2; return 1; }
  echo "\"$round\",\"$server\",\"$pipeline\",$row" >>"$raw"
}

# Warm-up, not recorded: the first runs after the memory step (page faults, CPU frequency, the
# driver's own start) came out ~30% low on both servers alike and only added noise.
for server in redis pylond; do
  port_var="${server}_port"
  timeout "$run_timeout" "${driver[@]}" redis-benchmark -h 127.0.0.1 -p "${!port_var}" \
    -c "$clients" -n "$n" -r "$keyspace" -t ping_mbulk,set,get -q >/dev/null 2>&1 || {
    echo "bench: the warm-up run failed against $server" >&2
    exit 1
  }
done

for ((round = 1; round <= rounds; round++)); do
  for pipeline in "${pipelines[@]}"; do
    for test in "${tests[@]}"; do
      # Alternate who goes first, so drift (thermal, page cache, noisy neighbours) cancels out.
      if ((round % 2)); then order=(redis pylond); else order=(pylond redis); fi
      for server in "${order[@]}"; do
        bench_one "$round" "$server" "$pipeline" "$test"
      done
    done
  done
  echo "bench: round $round/$rounds done ($((SECONDS - start)) s)"
done

# Growth: SET with random keys out of 10^9 into an empty server, $growth_n requests (about as
# many distinct keys), pipelined so that it is quick. redis-benchmark times every request, so its
# max is the worst wait any request saw while the table grew (a resize that stops the world
# shows up there).
if [[ "$growth" == 1 ]]; then
  for server in redis pylond; do
    port_var="${server}_port"
    "$py" "$here/keyspace.py" flushall "${!port_var}" "$server" || exit 1
  done
  for server in redis pylond; do
    port_var="${server}_port"
    log="$out/growth-$server.txt"
    if ! timeout "$run_timeout" "${driver[@]}" redis-benchmark -h 127.0.0.1 -p "${!port_var}" \
        -c 4 -P 16 -n "$growth_n" -r 1000000000 -t set >"$log" 2>&1; then
      echo "bench: the growth run failed against $server (or took over $run_timeout s):" >&2
      tr '\r' '\n' <"$log" | grep -v 'rps=' | tail -5 >&2
      exit 1
    fi
    "$py" "$here/keyspace.py" growth "${!port_var}" "$server" "$log" "$out/growth.csv" || exit 1
    "$py" "$here/keyspace.py" flushall "${!port_var}" "$server" || exit 1
  done
  echo "bench: growth done ($((SECONDS - start)) s)"
fi

trap - EXIT
server_stop_all || { echo "bench: a server did not stop cleanly" >&2; exit 1; }

"$py" "$here/summarize.py" "$out" --target "$target_label" --requests "$n" \
  --clients "$clients" --keyspace "$keyspace" --growth-requests "$growth_n"
if (($(wc -l <"$out/results.csv") > 1)); then
  gnuplot -e "results='$out/results.csv'; output='$out/throughput.png'; target='$target_label'" \
    "$here/plot.gp"
fi
echo "bench: wrote $out/summary.md, $out/results.csv, $out/raw.csv, $out/throughput.png" \
  "($((SECONDS - start)) s)"
if [[ "$rl" == 1 ]]; then
  bash "$here/ratelimit.sh" "${1:-$root/build/release/daemon/pylond}"
fi
if [[ "${BENCH_PUBSUB:-0}" == 1 ]]; then
  bash "$here/pubsub.sh" "${1:-$root/build/release/daemon/pylond}"
fi
if [[ "${BENCH_QUEUE:-0}" == 1 ]]; then
  bash "$here/queue.sh" "${1:-$root/build/release/daemon/pylond}"
fi
if [[ "${BENCH_CACHE:-0}" == 1 ]]; then
  bash "$here/cache.sh" "${1:-$root/build/release/daemon/pylond}"
fi
if [[ "${BENCH_BLOOM:-0}" == 1 ]]; then
  bash "$here/bloom.sh" "${1:-$root/build/release/daemon/pylond}"
fi
if [[ "${BENCH_RESILIENCE:-0}" == 1 ]]; then
  bash "$here/resilience.sh" "${1:-$root/build/release/daemon/pylond}"
fi
if [[ "${BENCH_PERSIST:-0}" == 1 ]]; then
  bash "$here/persistence.sh" "${1:-$root/build/release/daemon/pylond}"
fi
if [[ "${BENCH_CLUSTER:-0}" == 1 ]]; then
  bash "$here/cluster.sh" "${1:-$root/build/release/daemon/pylond}"
fi
if [[ "${BENCH_SCRIPTING:-0}" == 1 ]]; then
  bash "$here/scripting.sh" "${1:-$root/build/release/daemon/pylond}"
fi
