#!/usr/bin/env bash
# Collections benchmark: Redis's hashes, lists, sets and sorted sets in pylond and redis-server,
# side by side in one run.
#
#   bash bench/collections.sh [path-to-pylond]   (default: build/release/daemon/pylond)
#
# Steps:
#   1. redis-benchmark's own collection tests (bench/run.sh with BENCH_TESTS below, its memory and
#      growth steps off): throughput at each pipeline depth;
#   2. one sorted set of BENCH_COLL_ZSET members in each server (filled in order, not timed), then
#      rounds of pylon-loadgen: ZADD of random scores to random members (updates: the set keeps
#      its size) and ZRANGEBYSCORE from a random score with LIMIT 0 10;
#   3. memory per element (bench/collection_memory.py): BENCH_COLL_SMALL collections of 5
#      elements of each type, and one collection of BENCH_COLL_LARGE elements of 16 bytes.
#
# Environment (defaults in brackets):
#   BENCH_COLL_TESTS   the redis-benchmark tests of step 1 [lpush rpush lpop rpop sadd hset spop
#                      zadd zpopmin lrange_100 lrange_300 lrange_500 lrange_600]
#   BENCH_COLL_ZSET    members of step 2's sorted set [1000000]
#   BENCH_COLL_SMALL   small collections of step 3 [1000000]
#   BENCH_COLL_LARGE   elements of step 3's large collection [1000000]
#   BENCH_N, BENCH_ROUNDS [3], BENCH_CLIENTS, BENCH_PIPELINES [1 16], BENCH_LOADGEN as run.sh
#   BENCH_COLL_STEPS   which steps to run [1 2 3]
#
# Output: bench/out/collections.md (every table), bench/out/collections-redis-benchmark.csv (step
# 1's medians, as run.sh's results.csv), bench/out/collections-raw.csv (step 2),
# bench/out/collections-memory.csv (step 3).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"
# shellcheck source=common.sh
source "$here/common.sh"

tests="${BENCH_COLL_TESTS:-lpush rpush lpop rpop sadd hset spop zadd zpopmin lrange_100 lrange_300 lrange_500 lrange_600}"
zset_members="${BENCH_COLL_ZSET:-1000000}"
small="${BENCH_COLL_SMALL:-1000000}"
large="${BENCH_COLL_LARGE:-1000000}"
read -r -a steps <<< "${BENCH_COLL_STEPS:-1 2 3}"
n="${BENCH_N:-100000}"
rounds="${BENCH_ROUNDS:-3}"
clients="${BENCH_CLIENTS:-50}"
read -r -a pipelines <<< "${BENCH_PIPELINES:-1 16}"
out="$here/out"
run_timeout=120
py=/usr/bin/python3
[[ -x "$py" ]] || py=python3

servers_pylond_arg "bench/collections.sh" "${1:-$root/build/release/daemon/pylond}" || exit 2
pylond_bin="${1:-$root/build/release/daemon/pylond}"
bench_loadgen bench/collections.sh
bench_require bench/collections.sh redis-benchmark redis-server redis-cli taskset "$py"
mkdir -p "$out"
rm -f "$out"/collections{-raw,-memory,-redis-benchmark}.csv "$out/collections.md"
start=$SECONDS
has_step() { [[ " ${steps[*]} " == *" $1 "* ]]; }

if has_step 1; then
  BENCH_TESTS="$tests" BENCH_MEMORY=0 BENCH_GROWTH=0 BENCH_ROUNDS="$rounds" BENCH_N="$n" \
    BENCH_CLIENTS="$clients" BENCH_PIPELINES="${pipelines[*]}" bash "$here/run.sh" "$pylond_bin"
  cp "$out/results.csv" "$out/collections-redis-benchmark.csv"
fi

if has_step 2 || has_step 3; then
  bench_pin pylon-loadgen
  trap 'server_stop_all >/dev/null 2>&1' EXIT
  bench_start_servers
fi

raw="$out/collections-raw.csv"
if has_step 2; then
  for server in redis pylond; do
    port_var="${server}_port"
    "$py" "$here/collection_memory.py" --fill-zset "${!port_var}" bigzset "$zset_members"
  done
  echo "bench-collections: a sorted set of $zset_members members in each server" \
    "($((SECONDS - start)) s)"
  row_command() {
    case "$1" in
      zadd) cmd=(ZADD bigzset "__rand_int__" "m:__rand_int__") ;;
      zrangebyscore) cmd=(ZRANGEBYSCORE bigzset "__rand_int__" +inf LIMIT 0 10) ;;
    esac
  }
  for ((round = 1; round <= rounds; round++)); do
    for pipeline in "${pipelines[@]}"; do
      for row in zadd zrangebyscore; do
        order=(redis pylond)
        ((round % 2)) || order=(pylond redis)
        row_command "$row"
        for server in "${order[@]}"; do
          bench_command_run "$raw" "$round" "$server" "${row^^} (zset of $zset_members)" "$pipeline" "$n" \
            "$zset_members" "$run_timeout" "${cmd[@]}"
        done
      done
    done
    echo "bench-collections: sorted-set round $round/$rounds done ($((SECONDS - start)) s)"
  done
fi

if has_step 3; then
  for server in redis pylond; do
    port_var="${server}_port"
    "$py" "$here/collection_memory.py" "${!port_var}" "$server" "$small" "$large" \
      "$out/collections-memory.csv"
  done
fi

if has_step 2 || has_step 3; then
  trap - EXIT
  server_stop_all
fi
"$py" "$here/collection_report.py" "$out" --requests "$n" --clients "$clients"
echo "bench-collections: wrote $out/collections.md ($((SECONDS - start)) s)"
