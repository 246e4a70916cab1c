#!/usr/bin/env bash
# Cache benchmark (issue 7): hit ratio of pylond's eviction policies against redis-server's
# allkeys-lru and allkeys-lfu on replayed traces at the same maxmemory, then GET/SET throughput
# of both servers at maxmemory while keys are being evicted.
#
#   bash bench/cache.sh [path-to-pylond]      (default: build/release/daemon/pylond)
#   BENCH_CACHE=1 bash bench/run.sh ...        (the same, after run.sh's own steps)
#
# Steps:
# 1. sizing: a fresh redis-server gets S % of the key space (keys of the traces, values of
#    BENCH_CACHE_VALUE bytes): maxmemory = its used_memory before + S % x keys x its bytes per
#    key, i.e. what Redis needs to hold S % of the keys. pylond gets the same maxmemory (it holds
#    more keys in it: part of the result). pylond's bytes per key are measured too, for the table.
# 2. hit ratio: for each trace, each cache size and each policy, a fresh server with that
#    maxmemory and maxmemory-policy replays the trace cache-aside (pylon-cachegen: GET, and SET
#    on a miss); miss ratio after the warm-up, checked against the server's INFO counters.
# 2b. the policies alone: pylon-cachesim replays each trace (pylon-cachegen --dump) against each
#    exact policy at the key count Redis is sized for, without a server: how much of step 2's
#    difference is the policy, and how much is the keys each server fits in the same memory.
# 3. throughput: both servers at the largest cache size, filled past maxmemory; rounds of
#    pylon-loadgen SET, GET, and pylond's CACHE.SET, CACHE.GET (Redis: SET, GET) over the key
#    space (most SETs evict), pipeline 1 and 16, alternating servers. pylond runs the policy
#    with the best hit ratios (BENCH_CACHE_POLICY).
#
# Environment (defaults in brackets):
#   BENCH_CACHE_KEYS        the traces' key space N [1000000]
#   BENCH_CACHE_REQUESTS    requests of a trace, warm-up (the first fifth) included [5000000]
#   BENCH_CACHE_TRACES      traces [zipf:0.8 zipf:1.0 scan]
#   BENCH_CACHE_SIZES       cache sizes, in whole % of the key space [1 10]
#   BENCH_CACHE_VALUE       value bytes [100]
#   BENCH_CACHE_POLICIES    pylond's policies [allkeys-lru allkeys-lfu allkeys-sieve
#                           allkeys-s3fifo allkeys-random]
#   BENCH_CACHE_REDIS_POLICIES   redis-server's [allkeys-lru allkeys-lfu]
#   BENCH_CACHE_THROUGHPUT  1: the throughput step, 0: skip it [1]
#   BENCH_CACHE_POLICY      pylond's policy in the throughput step [the best of step 2]
#   BENCH_CACHE_TPUT_N      requests of one throughput run [200000]
#   BENCH_ROUNDS, BENCH_CLIENTS, BENCH_PIPELINES   throughput rounds [3], connections [50],
#                           pipeline depths [1 16]
#   BENCH_CACHEGEN, BENCH_LOADGEN, BENCH_CACHESIM   the tools, when not next to pylond
#   PYLON_TEST_TARGET=redis   a second redis-server stands in for pylond (Redis's policies only):
#                             checks the script (every reduction ~0, every ratio ~1.0)
#
# Output: tables on stdout and in bench/out/cache.md; bench/out/cache-sizing.csv,
# cache-raw.csv (every replay), cache-sim.csv (step 2b), cache-tput-raw.csv (every throughput run), cache-results.csv,
# cache-tput-results.csv.
# See bench/README.md.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"
# shellcheck source=common.sh
source "$here/common.sh"

keys="${BENCH_CACHE_KEYS:-1000000}"
requests="${BENCH_CACHE_REQUESTS:-5000000}"
read -r -a traces <<< "${BENCH_CACHE_TRACES:-zipf:0.8 zipf:1.0 scan}"
read -r -a sizes <<< "${BENCH_CACHE_SIZES:-1 10}"
value_bytes="${BENCH_CACHE_VALUE:-100}"
standin=0
[[ "${PYLON_TEST_TARGET:-pylond}" == "redis" ]] && standin=1
default_policies="allkeys-lru allkeys-lfu allkeys-sieve allkeys-s3fifo allkeys-random"
# A redis-server standing in for pylond knows Redis's policies only.
((standin)) && default_policies="allkeys-lru allkeys-lfu allkeys-random"
read -r -a pylond_policies <<< "${BENCH_CACHE_POLICIES:-$default_policies}"
read -r -a redis_policies <<< "${BENCH_CACHE_REDIS_POLICIES:-allkeys-lru allkeys-lfu}"
throughput="${BENCH_CACHE_THROUGHPUT:-1}"
tput_n="${BENCH_CACHE_TPUT_N:-200000}"
rounds="${BENCH_ROUNDS:-3}"
clients="${BENCH_CLIENTS:-50}"
read -r -a pipelines <<< "${BENCH_PIPELINES:-1 16}"
out="$here/out"
run_timeout=120  # seconds for one driver run: a hung server fails the bench, not hangs it
py=/usr/bin/python3
[[ -x "$py" ]] || py=python3

# The throughput rows, one line each: label|pylond's command|redis-server's command. Keys are
# a prefix and 12 digits below BENCH_CACHE_KEYS (pylon-loadgen's __rand_int__). Each round runs
# the rows in this order: a row that reads (GET) follows the row that writes its keys (SET), so
# it reads a cache full of them. Rows of pylond's CACHE.* commands use keys of their own (a
# CACHE.SET entry is a value of its own type: a GET on it would answer WRONGTYPE).
value="$(printf '%*s' "$value_bytes" '' | tr ' ' v)"
throughput_rows=(
  "SET|SET key:__rand_int__ $value|SET key:__rand_int__ $value"
  "GET|GET key:__rand_int__|GET key:__rand_int__"
  "CACHE.SET|CACHE.SET ckey:__rand_int__ $value|SET ckey:__rand_int__ $value"
  "CACHE.GET|CACHE.GET ckey:__rand_int__|GET ckey:__rand_int__"
)

servers_pylond_arg "bench/cache.sh" "${1:-$root/build/release/daemon/pylond}" || exit 2
bench_tool bench/cache.sh pylon-cachegen "${BENCH_CACHEGEN:-}"
cachegen_bin="$load_tool"
bench_loadgen bench/cache.sh
loadgen_bin="$load_tool"
bench_tool bench/cache.sh pylon-cachesim "${BENCH_CACHESIM:-}"
cachesim_bin="$load_tool"
bench_require bench/cache.sh redis-server taskset "$py"
bench_pin pylon-cachegen
target_label="pylond"
((standin)) && target_label="pylond (redis-server stand-in)"
trap 'server_stop_all >/dev/null 2>&1' EXIT

echo "bench-cache: traces ${traces[*]} over $keys keys, $requests requests each (the first" \
  "$((requests / 5)) of warm-up), $value_bytes-byte values; cache sizes ${sizes[*]} %;" \
  "pylond ${pylond_policies[*]}, redis ${redis_policies[*]}; $pinning"
mkdir -p "$out"
rm -f "$out"/cache-{sizing,raw,sim,tput-raw,results}.csv "$out"/cache.md
start=$SECONDS

# A fresh server: redis-server or pylond, maxmemory MAXMEMORY (0: none), maxmemory-policy
# POLICY; sets SERVER_port. $1 = SERVER, $2 = POLICY, $3 = MAXMEMORY.
fresh_server() {
  local reference=()
  [[ "$1" == redis ]] && reference=(--reference)
  server_start "$1" "${reference[@]}" "${server_cpu[@]}" maxmemory "$3" maxmemory-policy "$2"
}

# Stops the running server(s); a server that did not exit cleanly fails the bench.
stop_servers() {
  server_stop_all || { echo "bench-cache: a server did not stop cleanly" >&2; exit 1; }
}

# One driver run against SERVER: $1 = the binary, $2 = SERVER, then its options.
drive() {
  local bin=$1 port_var="${2}_port"
  shift 2
  timeout "$run_timeout" "${driver[@]}" "$bin" -h 127.0.0.1 -p "${!port_var}" "$@"
}

# Appends CELLS and the last line of CSV (a driver's header and row) to FILE, with HEADER and
# the driver's header first if FILE is new. $1 = FILE, $2 = HEADER, $3 = CELLS, $4 = CSV.
append_row() {
  [[ -s "$1" ]] || echo "$2$(head -1 <<< "$4")" >"$1"
  echo "$3$(tail -1 <<< "$4")" >>"$1"
}

# The Nth field (from 1) of a CSV row of quoted cells without commas inside.
csv_field() {
  local row=${1//\"/}
  cut -d, -f"$2" <<< "$row"
}

# SERVER's counters now (pylon-cachegen --stats: dbsize, used_memory, keyspace_hits,
# keyspace_misses, evicted_keys, server_cpu_ns), as one CSV row.
server_stats() { drive "$cachegen_bin" "$1" --stats | tail -1; }

# One throughput run, recorded in $tput: pylon-loadgen against SERVER, with the keys evicted and
# the server's CPU time per request during it (from server_stats before and after: eviction under
# way, and what a request costs the server whatever limits the rate), and how busy the driver
# was (its CPU time over its wall time, in %: near 100 its core set the rate). SEED picks the
# keys: the same for both servers, another for every other run (a GET then does not read the
# very keys the SET before it wrote).
# $1 = round, $2 = SERVER, $3 = policy, $4 = row label, $5 = pipeline, $6 = SEED, then the
# command.
throughput_run() {
  local round=$1 server=$2 policy=$3 label=$4 pipeline=$5 seed=$6 before after csv times
  local TIMEFORMAT='%3U %3S %3R'
  shift 6
  before="$(server_stats "$server")"
  if ! { time drive "$loadgen_bin" "$server" -c "$clients" -n "$tput_n" -r "$keys" \
      -P "$pipeline" --seed "$seed" --csv "$@" >"$out/.cache-run" 2>&1; } 2>"$out/.cache-time"; then
    echo "bench-cache: pylon-loadgen $1 -P $pipeline failed against $server:" \
      "$(cat "$out/.cache-run")" >&2
    # Both servers count their clients' buffers as used memory: a small cache may not hold them.
    grep -q OOM "$out/.cache-run" && echo "bench-cache: maxmemory ${maxmemory[$tput_pct]} is" \
      "too small for $clients connections' buffers: raise BENCH_CACHE_KEYS or lower" \
      "BENCH_CLIENTS" >&2
    exit 1
  fi
  after="$(server_stats "$server")"
  times="$(tail -1 "$out/.cache-time")"
  csv="$(cat "$out/.cache-run")"
  append_row "$tput" \
    '"round","server","policy","row","pipeline","evicted","server_cpu_us","driver_cpu_pct",' \
    "\"$round\",\"$server\",\"$policy\",\"$label\",\"$pipeline\",$(awk -v a="${before//\"/}" \
      -v b="${after//\"/}" -v n="$tput_n" -v t="$times" 'BEGIN {
      split(a, x, ","); split(b, y, ","); split(t, z, " ")
      printf "\"%d\",\"%.3f\",\"%.0f\"", y[5] - x[5], (y[6] - x[6]) / 1000 / n,
        100 * (z[1] + z[2]) / z[3] }')," "$csv"
}

# Step 1, sizing: maxmemory[S] is what a fresh Redis uses holding S % of the keys.
declare -A maxmemory
sizing="$out/cache-sizing.csv"
for pct in "${sizes[@]}"; do
  target=$((keys * pct / 100))
  # pylond tracks each key for its policy only under a maxmemory: one far above the load here.
  for server in redis pylond; do
    limit=0 policy=noeviction
    [[ "$server" == pylond ]] && ! ((standin)) && limit=64gb policy=allkeys-lru
    fresh_server "$server" "$policy" "$limit"
    csv="$(drive "$cachegen_bin" "$server" --measure "$target" --size "$value_bytes" --csv)" || {
      echo "bench-cache: measuring $server's bytes per key failed: $csv" >&2
      exit 1
    }
    stop_servers
    append_row "$sizing" '"server","size_pct","policy",' "\"$server\",\"$pct\",\"$policy\"," "$csv"
    [[ "$server" == redis ]] && maxmemory[$pct]="$(csv_field "$(tail -1 <<< "$csv")" 4)"
  done
  echo "bench-cache: $pct % = $target keys: maxmemory ${maxmemory[$pct]} bytes"
done

# Step 2, hit ratio: every trace x size x policy on a fresh server.
raw="$out/cache-raw.csv"
runs=()
for policy in "${pylond_policies[@]}"; do runs+=("pylond $policy"); done
for policy in "${redis_policies[@]}"; do runs+=("redis $policy"); done
for trace in "${traces[@]}"; do
  for pct in "${sizes[@]}"; do
    for run in "${runs[@]}"; do
      read -r server policy <<< "$run"
      fresh_server "$server" "$policy" "${maxmemory[$pct]}"
      csv="$(drive "$cachegen_bin" "$server" --trace "$trace" --keys "$keys" \
        --requests "$requests" --size "$value_bytes" --csv 2>&1)" || {
        echo "bench-cache: the $trace replay failed against $server $policy: $csv" >&2
        exit 1
      }
      stop_servers
      append_row "$raw" '"server","policy","size_pct","maxmemory",' \
        "\"$server\",\"$policy\",\"$pct\",\"${maxmemory[$pct]}\"," "$csv"
      row="$(tail -1 <<< "$csv")"
      refused="$(csv_field "$row" 20)" note=""
      ((refused == 0)) || note="; $refused SETs refused with -OOM (see the notes)"
      echo "bench-cache: $trace, $pct %, $server $policy: miss ratio $(csv_field "$row" 10)" \
        "($((SECONDS - start)) s)$note"
    done
  done
done

# Step 2b, the policies alone, at the key count Redis is sized for.
sim="$out/cache-sim.csv"
echo '"trace","size_pct","capacity","policy","miss_ratio"' >"$sim"
for trace in "${traces[@]}"; do
  "$cachegen_bin" --dump --trace "$trace" --keys "$keys" --requests "$requests" >"$out/.cache-trace"
  for pct in "${sizes[@]}"; do
    capacity=$((keys * pct / 100))
    "$cachesim_bin" --capacity "$capacity" --policies "lru lfu sieve s3fifo" <"$out/.cache-trace" |
      while read -r policy miss; do
        echo "\"$trace\",\"$pct\",\"$capacity\",\"$policy\",\"$miss\"" >>"$sim"
      done
  done
done
rm -f "$out/.cache-trace"
echo "bench-cache: pylon-cachesim at equal key counts done ($((SECONDS - start)) s)"

# Step 3, throughput at the largest size, with eviction under way.
if [[ "$throughput" == 1 ]]; then
  tput_pct="$(printf '%s\n' "${sizes[@]}" | sort -n | tail -1)"
  tput_policy="${BENCH_CACHE_POLICY:-$("$py" "$here/cache.py" "$out" --best)}"
  redis_policy=allkeys-lru
  fresh_server redis "$redis_policy" "${maxmemory[$tput_pct]}"
  fresh_server pylond "$tput_policy" "${maxmemory[$tput_pct]}"
  echo "bench-cache: throughput at maxmemory ${maxmemory[$tput_pct]} ($tput_pct %): pylond" \
    "$tput_policy, redis $redis_policy; $rounds rounds of $tput_n requests, $clients clients"
  # Fill: as many SETs as keys, so both caches are full (and evicting) before the first run. Few
  # connections: their buffers count against maxmemory too.
  for server in redis pylond; do
    drive "$loadgen_bin" "$server" -c 4 -P 16 -n "$keys" -r "$keys" \
      SET 'key:__rand_int__' "$value" >/dev/null || {
      echo "bench-cache: filling $server failed" >&2
      exit 1
    }
    (($(csv_field "$(server_stats "$server")" 5) > 0)) ||
      echo "bench-cache: warning: $server evicted nothing while filling: its cache is not full" >&2
  done
  tput="$out/cache-tput-raw.csv"
  seed=0
  for ((round = 1; round <= rounds; round++)); do
    for row in "${throughput_rows[@]}"; do
      IFS='|' read -r label pylond_cmd redis_cmd <<< "$row"
      for pipeline in "${pipelines[@]}"; do
        seed=$((seed + 1))
        # Alternate who goes first, so drift (thermal, noisy neighbours) cancels out.
        order=(redis pylond)
        ((round % 2)) || order=(pylond redis)
        for server in "${order[@]}"; do
          # A redis-server standing in for pylond runs Redis's command.
          read -r -a cmd <<< "$redis_cmd"
          policy="$redis_policy"
          if [[ "$server" == pylond ]]; then
            ((standin)) || read -r -a cmd <<< "$pylond_cmd"
            policy="$tput_policy"
          fi
          throughput_run "$round" "$server" "$policy" "$label" "$pipeline" "$seed" "${cmd[@]}"
        done
      done
    done
    echo "bench-cache: throughput round $round/$rounds done ($((SECONDS - start)) s)"
  done
  stop_servers
  rm -f "$out"/.cache-{run,time}
fi

trap - EXIT
"$py" "$here/cache.py" "$out" --target "$target_label" --keys "$keys" --requests "$requests" \
  --value "$value_bytes" --clients "$clients" --tput-requests "$tput_n"
echo "bench-cache: wrote $out/cache.md, $out/cache-results.csv, $out/cache-raw.csv," \
  "$out/cache-sizing.csv, $out/cache-tput-raw.csv ($((SECONDS - start)) s)"
