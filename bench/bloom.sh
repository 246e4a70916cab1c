#!/usr/bin/env bash
# Bloom filter and ring benchmark (issue 8): pylond's BF.ADD / BF.EXISTS against redis-server
# running a Bloom filter in a Lua script over SETBIT / GETBIT (bench/bloom.lua: the baseline
# without modules), with the same m bits and k hashes; pylond's RING.LOCATE on a ketama ring of
# BENCH_RING_NODES nodes against a Lua lookup in a sorted set of the same number of points
# (bench/ring_locate.lua); all in one run. And pylond's bits per item against the formula and
# the information-theoretic minimum.
#
#   bash bench/bloom.sh [path-to-pylond]      (default: build/release/daemon/pylond)
#   BENCH_BLOOM=1 bash bench/run.sh ...        (the same, after run.sh's own steps)
#
# Steps: setup (pylond BF.RESERVE bf CAPACITY ERROR NONSCALING; redis-server SCRIPT LOAD and a
# SETBIT of the last bit, so the bit array is allocated before any timed run; the ring: pylond
# RING.ADD of the nodes, redis-server ZADD of 160 points a node), fill (BF.ADD /
# the script's add for CAPACITY/2 random items, not timed), throughput (rounds of pylon-loadgen:
# add and exists of random items "item:<12 digits>" below BENCH_BLOOM_ITEMS, locate of random
# keys, pipelines 1 and 16, alternating servers), memory (BF.INFO SIZE against CAPACITY x -ln(error) / ln(2)^2 bits).
#
# Environment (defaults in brackets):
#   BENCH_BLOOM_CAPACITY  the filters' capacity [10000000]
#   BENCH_BLOOM_ERROR     their error rate [0.001]
#   BENCH_BLOOM_ITEMS     random items drawn below this (-r) [20000000]
#   BENCH_RING_NODES      the rings' nodes [100]
#   BENCH_N               requests per run [100000]
#   BENCH_ROUNDS          rounds; medians are shown [3]
#   BENCH_CLIENTS         connections (-c) [50]
#   BENCH_PIPELINES       pipeline depths (-P) [1 16]
#   BENCH_LOADGEN, BENCH_BLOOMSTAT, BENCH_RINGSTAT   the tools, when not next to pylond
#
# Then two tables that need no server: measured false-positive rates (pylon-bloomstat) and the
# rings' balance and key movement (pylon-ringstat).
#
# Output: tables on stdout and in bench/out/bloom.md; bench/out/bloom-raw.csv (every run),
# bench/out/bloom-memory.csv, bench/out/bloom-fp.md, bench/out/ring-balance.md. See
# bench/README.md.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"
# shellcheck source=common.sh
source "$here/common.sh"

capacity="${BENCH_BLOOM_CAPACITY:-10000000}"
error="${BENCH_BLOOM_ERROR:-0.001}"
items="${BENCH_BLOOM_ITEMS:-20000000}"
ring_nodes="${BENCH_RING_NODES:-100}"
n="${BENCH_N:-100000}"
rounds="${BENCH_ROUNDS:-3}"
clients="${BENCH_CLIENTS:-50}"
read -r -a pipelines <<< "${BENCH_PIPELINES:-1 16}"
out="$here/out"
run_timeout=120
py=/usr/bin/python3
[[ -x "$py" ]] || py=python3

servers_pylond_arg "bench/bloom.sh" "${1:-$root/build/release/daemon/pylond}" || exit 2
bench_loadgen bench/bloom.sh
bench_tool bench/bloom.sh pylon-bloomstat "${BENCH_BLOOMSTAT:-}"
bloomstat_bin="$load_tool"
bench_tool bench/bloom.sh pylon-ringstat "${BENCH_RINGSTAT:-}"
ringstat_bin="$load_tool"
bench_loadgen bench/bloom.sh
bench_require bench/bloom.sh redis-server redis-cli taskset "$py"
bench_pin pylon-loadgen
trap 'server_stop_all >/dev/null 2>&1' EXIT
bench_start_servers
mkdir -p "$out"
rm -f "$out"/bloom-{raw,memory}.csv "$out"/{bloom,bloom-fp,ring-balance}.md
start=$SECONDS

# The same m and k as pylond's filter: the formulas of modules/bloom/bloom_filter.h.
read -r bits hashes <<< "$("$py" -c "import math, sys
n, e = int(sys.argv[1]), float(sys.argv[2])
b = -math.log(e) / math.log(2) ** 2
print(max(math.ceil(n * b), 64), math.ceil(math.log(2) * b))" "$capacity" "$error")"
rcli() { redis-cli -p "$1" "${@:2}"; }
[[ "$(rcli "$pylond_port" BF.RESERVE bf "$error" "$capacity" NONSCALING)" == OK ]] || {
  echo "bench-bloom: BF.RESERVE failed on pylond" >&2
  exit 1
}
sha="$(rcli "$redis_port" SCRIPT LOAD "$(cat "$here/bloom.lua")")"
rcli "$redis_port" SETBIT bf $((bits - 1)) 0 >/dev/null
# The rings: node-0 .. node-N in pylond; 160 points a node in Redis's sorted set.
ring_sha="$(rcli "$redis_port" SCRIPT LOAD "$(cat "$here/ring_locate.lua")")"
mapfile -t names < <(seq -f 'node-%g' 0 $((ring_nodes - 1)))
[[ "$(rcli "$pylond_port" RING.ADD ring "${names[@]}")" == "$ring_nodes" ]] || {
  echo "bench-bloom: RING.ADD failed on pylond" >&2
  exit 1
}
"$py" -c "import hashlib, sys
for node in sys.argv[1:]:
    points = []
    for i in range(160):
        h = int(hashlib.md5(('%s-%d' % (node, i)).encode()).hexdigest()[:8], 16)
        points += [str(h), '%s#%d' % (node, i)]
    print('ZADD ring ' + ' '.join(points))" "${names[@]}" | rcli "$redis_port" >/dev/null
[[ "$(rcli "$redis_port" ZCARD ring)" == $((ring_nodes * 160)) ]] || {
  echo "bench-bloom: the sorted-set ring in redis-server is not complete" >&2
  exit 1
}
echo "bench-bloom: capacity $capacity, error $error: m = $bits bits, k = $hashes; rings of" \
  "$ring_nodes nodes; $n requests, $clients clients, pipelines ${pipelines[*]}, $rounds rounds, items below $items; $pinning"

# The command of a row on a server. Items are drawn by pylon-loadgen (__rand_int__).
row_command() {
  case "$1/$2" in
    add/pylond) cmd=(BF.ADD bf "item:__rand_int__") ;;
    exists/pylond) cmd=(BF.EXISTS bf "item:__rand_int__") ;;
    add/redis) cmd=(EVALSHA "$sha" 1 bf "item:__rand_int__" "$bits" "$hashes" 1) ;;
    exists/redis) cmd=(EVALSHA "$sha" 1 bf "item:__rand_int__" "$bits" "$hashes" 0) ;;
    locate/pylond) cmd=(RING.LOCATE ring "key:__rand_int__") ;;
    locate/redis) cmd=(EVALSHA "$ring_sha" 1 ring "key:__rand_int__") ;;
  esac
}

# One run: $1 round (0: not recorded), $2 server, $3 row, $4 pipeline, $5 requests, $6 its
# time limit in seconds.
raw="$out/bloom-raw.csv"
run() {
  local label="BF.${3^^}"
  [[ "$3" == locate ]] && label="RING.LOCATE"
  row_command "$3" "$2"
  bench_command_run "$raw" "$1" "$2" "$label" "$4" "$5" "$items" "${6:-$run_timeout}" "${cmd[@]}"
}

# Fill: half the capacity, so lookups meet a filter at work (half of them find their item).
# The Lua script adds about 90,000 items a second: 5,000,000 take about a minute.
for server in redis pylond; do run 0 "$server" add 16 $((capacity / 2)) 1800; done
echo "bench-bloom: filled with $((capacity / 2)) random adds each ($((SECONDS - start)) s)"

for ((round = 1; round <= rounds; round++)); do
  for pipeline in "${pipelines[@]}"; do
    for row in add exists locate; do
      order=(redis pylond)
      ((round % 2)) || order=(pylond redis)
      for server in "${order[@]}"; do run "$round" "$server" "$row" "$pipeline" "$n"; done
    done
  done
  echo "bench-bloom: round $round/$rounds done ($((SECONDS - start)) s)"
done

# Memory: what pylond's filter takes against the formula.
size="$(rcli "$pylond_port" BF.INFO bf SIZE)"
redis_bytes="$(rcli "$redis_port" STRLEN bf)"
echo '"capacity","error","bits","hashes","pylond_size","redis_strlen"' >"$out/bloom-memory.csv"
echo "\"$capacity\",\"$error\",\"$bits\",\"$hashes\",\"$size\",\"$redis_bytes\"" \
  >>"$out/bloom-memory.csv"
trap - EXIT
server_stop_all
"$bloomstat_bin" >"$out/bloom-fp.md"
"$ringstat_bin" >"$out/ring-balance.md"
"$py" "$here/bloom.py" "$out" --requests "$n" --clients "$clients" --items "$items" \
  --ring-nodes "$ring_nodes"
echo "bench-bloom: wrote $out/bloom.md, $out/bloom-raw.csv, $out/bloom-memory.csv" \
  "($((SECONDS - start)) s)"
