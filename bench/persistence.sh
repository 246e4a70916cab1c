#!/usr/bin/env bash
# Persistence benchmark (issue 10): SET and Q.PUSH throughput with appendonly yes under
# appendfsync always and everysec, pylond next to redis-server with the same settings and the
# same disk (Q.PUSH's Redis counterpart is XADD, as in bench/queue.sh); then the restart time of
# each server on a log of BENCH_PERSIST_KEYS keys.
#
#   bash bench/persistence.sh [path-to-pylond]   (default: build/release/daemon/pylond)
#
# Both servers' logs live in one directory under bench/out (the same disk). Each policy starts
# fresh servers; rounds alternate which server goes first; medians. Each Q.PUSH (XADD) run
# pushes into a queue (stream) of its own, empty when the run starts. Restart: each server gets
# BENCH_PERSIST_KEYS SETs of 100-byte values (keys key:0 ..), is stopped (SIGTERM: its log is
# fsynced), then started again on the same directory; the time is from the start of the process
# to its first answer that is not -LOADING (DBSIZE, polled every 10 ms), which must give every
# key back.
#
# Environment (defaults in brackets): BENCH_N [50000], BENCH_ROUNDS [3], BENCH_CLIENTS [50],
# BENCH_PIPELINES [1 16], BENCH_PERSIST_POLICIES [always everysec], BENCH_PERSIST_KEYS
# [1000000], BENCH_LOADGEN.
#
# Output: tables on stdout and in bench/out/persistence.md; persistence-raw.csv,
# persistence-restart.csv.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"
# shellcheck source=common.sh
source "$here/common.sh"

n="${BENCH_N:-50000}"
rounds="${BENCH_ROUNDS:-3}"
clients="${BENCH_CLIENTS:-50}"
read -r -a pipelines <<< "${BENCH_PIPELINES:-1 16}"
read -r -a policies <<< "${BENCH_PERSIST_POLICIES:-always everysec}"
restart_keys="${BENCH_PERSIST_KEYS:-1000000}"
out="$here/out"
data="$out/persistence-data"
run_timeout=300
py=/usr/bin/python3
[[ -x "$py" ]] || py=python3

servers_pylond_arg "bench/persistence.sh" "${1:-$root/build/release/daemon/pylond}" || exit 2
bench_loadgen bench/persistence.sh
bench_require bench/persistence.sh redis-server redis-cli taskset "$py"
bench_pin pylon-loadgen
trap 'server_stop_all >/dev/null 2>&1' EXIT
mkdir -p "$out"
raw="$out/persistence-raw.csv"
restart="$out/persistence-restart.csv"
rm -f "$raw" "$restart" "$out/persistence.md"
start=$SECONDS
value="$(printf '%*s' 100 '' | tr ' ' v)"

# Fresh servers with the log on under policy $1, each in its own directory of $data.
start_logging_servers() {
  rm -rf "$data" && mkdir -p "$data/redis" "$data/pylond"
  server_start redis --reference "${server_cpu[@]}" appendonly yes appendfsync "$1" \
    dir "$data/redis"
  server_start pylond "${server_cpu[@]}" appendonly yes appendfsync "$1" dir "$data/pylond"
}

echo "bench-persist: policies ${policies[*]}; $n requests, $clients clients, pipelines" \
  "${pipelines[*]}, $rounds rounds; restart with $restart_keys keys; $pinning"
for policy in "${policies[@]}"; do
  start_logging_servers "$policy"
  for ((round = 1; round <= rounds; round++)); do
    for pipeline in "${pipelines[@]}"; do
      order=(redis pylond)
      ((round % 2)) || order=(pylond redis)
      for server in "${order[@]}"; do
        bench_command_run "$raw" "$round" "$server" "SET $policy" "$pipeline" "$n" 100000 \
          "$run_timeout" SET 'key:__rand_int__' "$value"
        # A queue (stream) of its own per run: each run pushes into an empty one.
        queue="jobs:$policy:$round:$pipeline"
        if [[ "$server" == redis ]]; then
          cmd=(XADD "$queue" '*' payload "$value")
        else
          cmd=(Q.PUSH "$queue" "$value")
        fi
        bench_command_run "$raw" "$round" "$server" "Q.PUSH $policy" "$pipeline" "$n" 100000 \
          "$run_timeout" "${cmd[@]}"
      done
    done
    echo "bench-persist: $policy round $round/$rounds done ($((SECONDS - start)) s)"
  done
  server_stop_all
done

# Restart: a log of $restart_keys keys, then the time to come back with all of them.
start_logging_servers everysec
for server in redis pylond; do
  port_var="${server}_port"
  "$py" "$here/persistence.py" fill "${!port_var}" "$restart_keys" 100
done
server_stop_all
echo '"server","keys","log_bytes","restart_ms","dbsize"' >"$restart"
for server in redis pylond; do
  reference=()
  [[ "$server" == redis ]] && reference=(--reference)
  t0=$(date +%s%N)
  server_start "$server" "${reference[@]}" "${server_cpu[@]}" appendonly yes \
    appendfsync everysec dir "$data/$server"
  # redis-server answers PING (-LOADING) while it loads: the restart ends at the first real
  # answer.
  port_var="${server}_port"
  until dbsize="$(redis-cli -p "${!port_var}" DBSIZE 2>&1)" && [[ "$dbsize" =~ ^[0-9]+$ ]]; do
    sleep 0.01
  done
  t1=$(date +%s%N)
  bytes="$(du -sb "$data/$server" | cut -f1)"
  echo "\"$server\",\"$restart_keys\",\"$bytes\",\"$(((t1 - t0) / 1000000))\",\"$dbsize\"" \
    >>"$restart"
  server_stop_all
done
trap - EXIT
"$py" "$here/persistence.py" report "$out" --requests "$n" --clients "$clients"
echo "bench-persist: wrote $out/persistence.md ($((SECONDS - start)) s)"
