#!/usr/bin/env bash
# Scripting benchmark: EVALSHA in pylond and redis-server side by side in one run, RL.ALLOW
# against the same token bucket in pylond's own Lua, and the memory of a cached script.
#
#   bash bench/scripting.sh [path-to-pylond]   (default: build/release/daemon/pylond)
#   BENCH_SCRIPTING=1 bash bench/run.sh ...    (the same, after run.sh's own steps)
#
# Steps: memory (BENCH_SCRIPTING_SCRIPTS distinct small scripts SCRIPT LOADed into each fresh
# server; the growth of used_memory, used_memory_vm_eval, used_memory_scripts_eval and RSS per
# script), probe (SCRIPT LOAD and one EVALSHA of each script, RL.ALLOW on pylond:
# bench/scripting.py), throughput (rounds of pylon-loadgen, alternating servers, each row once per
# pipeline depth):
#   - EVALSHA of `return 1`: the fixed cost of running a script;
#   - EVALSHA of bench/token_bucket.lua over BENCH_SCRIPTING_KEYS random keys (TIME, HMGET, HSET,
#     PEXPIRE; every call admitted);
#   - EVALSHA of the `limits` library's moving-window hit (acquire_moving_window.lua, read from the
#     installed python3-limits), a limit of 1000 per 60 s, one key per client: before each run
#     every list is refilled with 1000 expired entries, so each hit does the whole work (LINDEX at
#     the 1000th entry, LPUSH, LTRIM of the oldest, EXPIRE) and is admitted; checked after the run;
#   - pylond only: RL.ALLOW ALGO token with the token bucket's rule, to set against the script.
#
# Environment (defaults in brackets):
#   BENCH_N                   requests per run at pipeline 1 [30000]
#   BENCH_N_PIPELINED         requests per run at a deeper pipeline [300000]: a run of 30,000
#                             lasts under 0.1 s there, too short to measure
#                             The moving-window runs take at most 800 requests per client (each
#                             key stays under its limit of 1000, so every hit is admitted).
#   BENCH_ROUNDS              rounds; the table shows the median of the rounds [5]
#   BENCH_CLIENTS             parallel connections (-c), and keys of the moving window [50]
#   BENCH_PIPELINES           pipeline depths (-P) [1 16]
#   BENCH_LOADGEN             the pylon-loadgen binary, when not next to pylond
#   BENCH_SCRIPTING_KEYS      random keys of the token-bucket and RL.ALLOW runs [10000]
#   BENCH_SCRIPTING_SCRIPTS   scripts the memory step loads into each server [10000]
#   BENCH_PORTS               "REDIS_PORT PYLOND_PORT" to use [two free ports]
#   PYLON_TEST_TARGET=redis   a second redis-server stands in for pylond, running the token-bucket
#                             script in place of RL.ALLOW (to check the script: ratios ~1.0)
#
# Output: tables on stdout and in bench/out/scripting.md, bench/out/scripting-results.csv
# (medians), bench/out/scripting-raw.csv (every run), bench/out/scripting-cpu.csv (each server's
# CPU time per call, every run), bench/out/scripting-memory.csv.
# See bench/README.md.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"
# shellcheck source=common.sh
source "$here/common.sh"

n="${BENCH_N:-30000}"
n_pipelined="${BENCH_N_PIPELINED:-300000}"
rounds="${BENCH_ROUNDS:-5}"
clients="${BENCH_CLIENTS:-50}"
read -r -a pipelines <<< "${BENCH_PIPELINES:-1 16}"
keys="${BENCH_SCRIPTING_KEYS:-10000}"
scripts="${BENCH_SCRIPTING_SCRIPTS:-10000}"
read -r -a ports <<< "${BENCH_PORTS:-}"
# The token bucket's rule, as bench/ratelimit.sh: 20,000 a day, so no call is ever refused.
bucket_args=(20000 86400000 20000 1)  # limit, period_ms, burst, cost
rl_rule=(LIMIT 20000 PERIOD 86400000 ALGO token)
# The moving window's rule, as an application would give it to `limits`: 1000 per minute.
window_limit=1000
window_seconds=60
out="$here/out"
run_timeout=120  # seconds for one load run: a hung server fails the bench, not hangs it
py=/usr/bin/python3
[[ -x "$py" ]] || py=python3

servers_pylond_arg "bench/scripting.sh" "${1:-$root/build/release/daemon/pylond}" || exit 2
bench_loadgen bench/scripting.sh
bench_require bench/scripting.sh redis-server taskset "$py"
standin=0
[[ "${PYLON_TEST_TARGET:-pylond}" == "redis" ]] && standin=1
# Requests of a moving-window run: at most 4/5 of the limit per client, so no key reaches it
# (random keys: a key's share varies by a few percent around the mean).
window_max=$((clients * window_limit * 4 / 5))

bench_pin pylon-loadgen
trap 'server_stop_all >/dev/null 2>&1' EXIT
if ((${#ports[@]} == 2)); then
  bench_server_at "${ports[0]}" redis --reference "${server_cpu[@]}"
  bench_server_at "${ports[1]}" pylond "${server_cpu[@]}"
else
  bench_start_servers
fi
target_label="pylond"
((standin)) && target_label="pylond (redis-server stand-in; the token bucket script for RL.ALLOW)"
echo "bench-scripting: $n requests a run at -P 1, $n_pipelined deeper (moving window: at most" \
  "$window_max), $clients clients, pipelines ${pipelines[*]}, $rounds rounds;" \
  "$pinning"
echo "bench-scripting: redis-server on port $redis_port, $target_label on port $pylond_port"

start=$SECONDS
mkdir -p "$out"
rm -f "$out"/scripting-{raw,results,memory,cpu}.csv "$out/scripting.md"
# Memory first, while both servers are fresh: the RSS then grows by the pages the scripts take,
# not by reusing what earlier runs freed. It ends with SCRIPT FLUSH, before the probe loads the
# benchmarked scripts.
for server in redis pylond; do
  port_var="${server}_port"
  "${driver[@]}" "$py" "$here/scripting.py" memory "${!port_var}" "$server" "$scripts" \
    "$out/scripting-memory.csv"
done
# Each probe prints "PID SHA_TRIVIAL SHA_BUCKET SHA_WINDOW".
probe="$("$py" "$here/scripting.py" probe "$redis_port" redis reference)" || exit 1
# shellcheck disable=SC2034  # redis_pid, pylond_pid: read by run_row as ${!pid_var}
read -r redis_pid sha_trivial sha_bucket sha_window <<< "$probe"
role=target
((standin)) && role=standin
probe="$("$py" "$here/scripting.py" probe "$pylond_port" pylond "$role")" || exit 1
# shellcheck disable=SC2034
read -r pylond_pid pylond_shas <<< "$probe"
[[ "$pylond_shas" == "$sha_trivial $sha_bucket $sha_window" ]] || {
  echo "bench-scripting: the servers disagree on the scripts' SHA1s: $pylond_shas" >&2
  exit 1
}

raw="$out/scripting-raw.csv"
cpu_csv="$out/scripting-cpu.csv"
echo "round,server,pipeline,test,cpu_ns_per_call" >"$cpu_csv"

# The moving window's clock: `limits` sends time.time(). Every run uses the same instant; the
# lists are refilled before it with entries one window older, all expired.
now="$(date +%s)"
window_now="$now.250000"
window_old="$((now - window_seconds - 1)).250000"

# row_command ROW: the row's label, command and key space (-r).
row_command() {
  case "$1" in
    trivial)
      label="EVALSHA return 1" row_keys=1 cmd=(EVALSHA "$sha_trivial" 0)
      ;;
    bucket)
      label="EVALSHA token_bucket.lua" row_keys=$keys
      cmd=(EVALSHA "$sha_bucket" 1 "tb:lua:__rand_int__" "${bucket_args[@]}")
      ;;
    window)
      label="EVALSHA limits moving window" row_keys=$clients
      cmd=(EVALSHA "$sha_window" 1 "mw:__rand_int__" "$window_now" "$window_limit"
        "$window_seconds" 1)
      ;;
    native)
      label="RL.ALLOW ALGO token" row_keys=$keys
      if ((standin)); then
        cmd=(EVALSHA "$sha_bucket" 1 "tb:native:__rand_int__" "${bucket_args[@]}")
      else
        cmd=(RL.ALLOW "tb:native:__rand_int__" "${rl_rule[@]}")
      fi
      ;;
  esac
}

# run_row ROUND SERVER ROW PIPELINE: one load run of the row's command (bench_command_run), and
# the server's CPU time per call in $cpu_csv (unless ROUND is 0).
run_row() {
  local round=$1 server=$2 row=$3 pipeline=$4 port_var="${2}_port" pid_var="${2}_pid"
  local label row_keys cmd cpu0 cpu1 count=$n
  row_command "$row"
  ((pipeline == 1)) || count=$n_pipelined
  if [[ "$row" == window ]]; then
    ((count <= window_max)) || count=$window_max
    "$py" "$here/scripting.py" fill "${!port_var}" mw: "$clients" "$window_limit" "$window_old"
  fi
  cpu0="$(bench_cpu_ns "${!pid_var}")"
  bench_command_run "$raw" "$round" "$server" "$label" "$pipeline" "$count" "$row_keys" \
    "$run_timeout" "${cmd[@]}"
  cpu1="$(bench_cpu_ns "${!pid_var}")"
  if [[ "$row" == window ]]; then
    "$py" "$here/scripting.py" admitted "${!port_var}" "$server" mw: "$clients" \
      "$window_now" "$count"
  fi
  ((round > 0)) || return 0
  echo "$round,$server,$pipeline,\"$label\",$(((cpu1 - cpu0) / count))" >>"$cpu_csv"
}

runs=("redis trivial" "pylond trivial" "redis bucket" "pylond bucket" "redis window"
  "pylond window" "pylond native")
# Warm-up, not recorded: it also creates the token buckets, so each recorded call updates one.
for run in "${runs[@]}"; do
  read -r server row <<< "$run"
  run_row 0 "$server" "$row" 16
done
echo "bench-scripting: warm-up done ($((SECONDS - start)) s)"

for ((round = 1; round <= rounds; round++)); do
  for pipeline in "${pipelines[@]}"; do
    # Alternate which server goes first, so drift cancels out.
    order=("${runs[@]}")
    if ! ((round % 2)); then
      order=()
      for ((i = ${#runs[@]} - 1; i >= 0; i--)); do order+=("${runs[$i]}"); done
    fi
    for run in "${order[@]}"; do
      read -r server row <<< "$run"
      run_row "$round" "$server" "$row" "$pipeline"
    done
  done
  echo "bench-scripting: round $round/$rounds done ($((SECONDS - start)) s)"
done

trap - EXIT
server_stop_all || { echo "bench-scripting: a server did not stop cleanly" >&2; exit 1; }

"$py" "$here/scripting_report.py" "$out" --target "$target_label" --requests "$n" \
  --requests-pipelined "$n_pipelined" --window-max "$window_max" --clients "$clients" \
  --keys "$keys"
echo "bench-scripting: wrote $out/scripting.md, $out/scripting-results.csv, $raw" \
  "($((SECONDS - start)) s)"
