#!/usr/bin/env bash
# Rate-limit benchmark: pylond's RL.ALLOW against the same work in redis-server, in one run.
#
#   bash bench/ratelimit.sh [path-to-pylond]   (default: build/release/daemon/pylond)
#   BENCH_RL=1 bash bench/run.sh ...           (the same, after run.sh's own steps)
#
# Steps: probe (RL.ALLOW on pylond; SCRIPT LOAD of bench/token_bucket.lua, EVALSHA and INCR on
# redis-server), memory (BENCH_RL_MEMORY_KEYS limiters in each: pylond RL.ALLOW ALGO token, Redis
# the Lua script's hashes; bytes per key), throughput (rounds of the load generator over
# BENCH_RL_KEYS random keys, alternating servers: pylond RL.ALLOW with each algorithm, redis-server
# EVALSHA of the Lua token bucket and bare INCR, the floor), check (were the calls admitted).
#
# Environment (defaults in brackets):
#   BENCH_DRIVER          the load generator: loadgen (bench/loadgen.cc, built next to pylond
#                         as build/<type>/bench/pylon-loadgen) or redis-benchmark [loadgen]
#   BENCH_LOADGEN         the pylon-loadgen binary, when not next to pylond
#   BENCH_N               requests per run [100000]
#   BENCH_ROUNDS          rounds; the table shows the median of the rounds [5]
#   BENCH_CLIENTS         parallel connections (-c) [50]
#   BENCH_PIPELINES       pipeline depths (-P) [1 16]
#   BENCH_RL_ALGOS        RL.ALLOW algorithms [token sliding gcra]
#   BENCH_RL_KEYS         random keys of every run (-r) [10000]
#   BENCH_RL_MEMORY       1: the memory step, 0: skip it [1]
#   BENCH_RL_MEMORY_KEYS  limiters the memory step creates in each server [1000000]
#   PYLON_TEST_TARGET=redis   a second redis-server stands in for pylond and runs the Lua script
#                             in place of every RL.ALLOW (to check the script: ratio ~1.0)
#
# Output: tables on stdout and in bench/out/ratelimit.md, bench/out/ratelimit-results.csv
# (medians), bench/out/ratelimit-raw.csv (every run), bench/out/ratelimit-memory.csv.
# See bench/README.md.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"
# shellcheck source=common.sh
source "$here/common.sh"

n="${BENCH_N:-100000}"
rounds="${BENCH_ROUNDS:-5}"
clients="${BENCH_CLIENTS:-50}"
read -r -a pipelines <<< "${BENCH_PIPELINES:-1 16}"
read -r -a algos <<< "${BENCH_RL_ALGOS:-token sliding gcra}"
keys="${BENCH_RL_KEYS:-10000}"
memory="${BENCH_RL_MEMORY:-1}"
memory_keys="${BENCH_RL_MEMORY_KEYS:-1000000}"
# The rule of the throughput runs: 20,000 per day. The bucket is large (every call is admitted:
# a key sees (1 + rounds x pipelines) x N / keys calls, 110 with the defaults) and refills slowly
# (one token per 4.32 s), so a limiter is never full again between two calls and its key stays:
# every recorded call updates an existing limiter, in Redis as in pylond.
limit=20000
period=86400000
# The rule of the memory step: 10 per hour. After one call a limiter is full again in 6 minutes:
# no key expires while it is measured.
mem_limit=10
mem_period=3600000
out="$here/out"
run_timeout=120  # seconds for one load run: a hung server fails the bench, not hangs it
py=/usr/bin/python3
[[ -x "$py" ]] || py=python3

servers_pylond_arg "bench/ratelimit.sh" "${1:-$root/build/release/daemon/pylond}" || exit 2
# The load generator. At -P 1 redis-benchmark spends more CPU per call than the servers do
# (~20 us against ~12), so its core, not the server, sets every rate; pylon-loadgen takes the
# same options and prints the same CSV row at about half the cost (see bench/loadgen.cc).
driver_name="${BENCH_DRIVER:-loadgen}"
case "$driver_name" in
  loadgen) bench_loadgen bench/ratelimit.sh ;;
  redis-benchmark) load_tool=redis-benchmark ;;
  *) echo "bench/ratelimit.sh: BENCH_DRIVER is loadgen or redis-benchmark" >&2; exit 2 ;;
esac
bench_require bench/ratelimit.sh redis-benchmark redis-server taskset "$py"
standin=0
[[ "${PYLON_TEST_TARGET:-pylond}" == "redis" ]] && standin=1

bench_pin "the load generator"

trap 'rm -f "$out/.ratelimit-time"; server_stop_all >/dev/null 2>&1' EXIT
bench_start_servers
target_label="pylond"
((standin)) && target_label="pylond (redis-server stand-in running the Lua script)"

echo "bench-rl: $n requests, $clients clients, pipelines ${pipelines[*]}, $rounds rounds," \
  "-r $keys; $pinning"
echo "bench-rl: redis-server on port $redis_port, $target_label on port $pylond_port"
per_key=$(((1 + rounds * ${#pipelines[@]}) * n / keys))
if ((2 * per_key > limit)); then
  echo "bench-rl: warning: about $per_key calls per key against a bucket of $limit: some" \
    "calls will be refused (fewer requests or more keys keep them all admitted)" >&2
fi

start=$SECONDS
# Probe: a missing command fails here, by name. It prints the server's pid and the sha of the
# script it loaded.
probe="$("$py" "$here/ratelimit.py" probe "$redis_port" redis reference)" || exit 1
# shellcheck disable=SC2034  # redis_pid, pylond_pid: read by bench_one as ${!pid_var}
read -r redis_pid sha <<< "$probe"
if ((standin)); then
  probe="$("$py" "$here/ratelimit.py" probe "$pylond_port" pylond standin)" || exit 1
else
  probe="$("$py" "$here/ratelimit.py" probe "$pylond_port" pylond target "${algos[@]}")" ||
    exit 1
fi
# shellcheck disable=SC2034
read -r pylond_pid _ <<< "$probe"

mkdir -p "$out"
rm -f "$out"/ratelimit-{raw,results,memory}.csv "$out"/ratelimit.md
raw="$out/ratelimit-raw.csv"
echo '"round","server","kind","pipeline","cpu_us_per_call","driver_cpu_pct","rps","avg_latency_ms","min_latency_ms","p50_latency_ms","p95_latency_ms","p99_latency_ms","max_latency_ms"' >"$raw"

# The command of each kind of run; key names are 12-digit numbers below $keys (redis-benchmark's
# __rand_int__), one prefix per kind (a pylond key keeps the rule it was created with).
lua_args=("$limit" "$period" "$limit" 1)  # limit, period_ms, burst, cost
kind_command() {
  case $1 in
    lua) cmd=(EVALSHA "$sha" 1 "rl:lua:__rand_int__" "${lua_args[@]}") ;;
    incr) cmd=(INCR "rl:incr:__rand_int__") ;;
    *)
      if ((standin)); then
        cmd=(EVALSHA "$sha" 1 "rl:$1:__rand_int__" "${lua_args[@]}")
      else
        cmd=(RL.ALLOW "rl:$1:__rand_int__" LIMIT "$limit" PERIOD "$period" ALGO "$1")
      fi
      ;;
  esac
}

# Memory: each server from empty to $memory_keys limiters "rl:%012d", one admitted call each.
if [[ "$memory" == 1 ]]; then
  "${driver[@]}" "$py" "$here/ratelimit.py" memory "$redis_port" redis "$memory_keys" \
    "$out/ratelimit-memory.csv" "EVALSHA token_bucket.lua: a hash" \
    EVALSHA "$sha" 1 'rl:%012d' "$mem_limit" "$mem_period" "$mem_limit" 1 || exit 1
  if ((standin)); then
    mem_cmd=(EVALSHA "$sha" 1 'rl:%012d' "$mem_limit" "$mem_period" "$mem_limit" 1)
    mem_label="EVALSHA token_bucket.lua: a hash"
  else
    mem_cmd=(RL.ALLOW 'rl:%012d' LIMIT "$mem_limit" PERIOD "$mem_period" ALGO token)
    mem_label="RL.ALLOW ALGO token"
  fi
  "${driver[@]}" "$py" "$here/ratelimit.py" memory "$pylond_port" pylond "$memory_keys" \
    "$out/ratelimit-memory.csv" "$mem_label" "${mem_cmd[@]}" || exit 1
fi

# One run of the load generator with the kind's command; $1 = round (0: warm-up, not recorded).
# Besides its CSV row (redis-benchmark's columns) it records the server's CPU time per call and how busy the
# load generator was (its CPU time / wall time, in %: near 100 its core was the limit).
bench_one() {
  local round=$1 server=$2 kind=$3 pipeline=$4 port_var="${2}_port" pid_var="${2}_pid"
  local cmd csv row cpu0 cpu1 times TIMEFORMAT='%3U %3S %3R'
  kind_command "$kind"
  cpu0="$(bench_cpu_ns "${!pid_var}")"
  if ! csv="$( { time timeout "$run_timeout" "${driver[@]}" "$load_tool" -h 127.0.0.1 \
      -p "${!port_var}" -c "$clients" -n "$n" -r "$keys" -P "$pipeline" --csv "${cmd[@]}" \
      2>&1; } 2>"$out/.ratelimit-time")"; then
    echo "bench-rl: $driver_name failed against $server (-P $pipeline ${cmd[*]}):" >&2
    echo "$csv" >&2
    return 1
  fi
  cpu1="$(bench_cpu_ns "${!pid_var}")"
  times="$(tail -1 "$out/.ratelimit-time")"
  ((round > 0)) || return 0
  row="$(grep -v '^"test"' <<< "$csv" | grep '^"' | head -1)"
  [[ -n "$row" ]] || { echo "bench-rl: no CSV row from $driver_name: $csv" >&2; return 1; }
  row="$(awk -v a="$cpu0" -v b="$cpu1" -v n="$n" -v t="$times" 'BEGIN {
    split(t, x, " "); printf "\"%.3f\",\"%.0f\"", (b - a) / 1000 / n, 100 * (x[1] + x[2]) / x[3]
  }'),${row#\"*\",}"
  echo "\"$round\",\"$server\",\"$kind\",\"$pipeline\",$row" >>"$raw"
}

runs=("redis lua" "redis incr")
for algo in "${algos[@]}"; do runs+=("pylond $algo"); done

# Warm-up, not recorded: it also creates the $keys limiters (and counters) of every kind, so each
# recorded call updates an existing one.
for run in "${runs[@]}"; do
  read -r server kind <<< "$run"
  bench_one 0 "$server" "$kind" 16 || { echo "bench-rl: the warm-up run failed" >&2; exit 1; }
done
echo "bench-rl: warm-up done ($((SECONDS - start)) s)"

for ((round = 1; round <= rounds; round++)); do
  for pipeline in "${pipelines[@]}"; do
    # Alternate which server goes first, so drift cancels out.
    order=("${runs[@]}")
    if ! ((round % 2)); then
      order=()
      for ((i = ${#runs[@]} - 1; i >= 0; i--)); do order+=("${runs[$i]}"); done
    fi
    for run in "${order[@]}"; do
      read -r server kind <<< "$run"
      bench_one "$round" "$server" "$kind" "$pipeline"
    done
  done
  echo "bench-rl: round $round/$rounds done ($((SECONDS - start)) s)"
done

# Check: were the calls admitted (the comparison assumes they were, in both servers)?
"$py" "$here/ratelimit.py" check "$redis_port" redis "lua:rl:lua:" "$keys" "$limit" || exit 1
if ((standin)); then
  for algo in "${algos[@]}"; do
    "$py" "$here/ratelimit.py" check "$pylond_port" pylond "lua:rl:$algo:" "$keys" "$limit" ||
      exit 1
  done
else
  "$py" "$here/ratelimit.py" check "$pylond_port" pylond rl "$keys" "$limit" || exit 1
fi

rm -f "$out/.ratelimit-time"
trap - EXIT
server_stop_all || { echo "bench-rl: a server did not stop cleanly" >&2; exit 1; }

"$py" "$here/summarize.py" "$out" --ratelimit --target "$target_label" --requests "$n" \
  --driver "$(basename "$load_tool")" \
  --clients "$clients" --keyspace "$keys" --rule "LIMIT $limit PERIOD $period"
echo "bench-rl: wrote $out/ratelimit.md, $out/ratelimit-results.csv, $out/ratelimit-raw.csv" \
  "($((SECONDS - start)) s)"
