#!/usr/bin/env bash
# Resilience benchmark (issue 9): pylond's CB.ALLOW, CB.RECORD, SEM.ACQUIRE, SEM.RELEASE and
# EXP.ASSIGN, with redis-server's PING and INCR in the same run as the floor.
#
#   bash bench/resilience.sh [path-to-pylond]   (default: build/release/daemon/pylond)
#   BENCH_RESILIENCE=1 bash bench/run.sh ...     (the same, after run.sh's own steps)
#
# Rows over random keys below BENCH_RES_KEYS ("cb:<12 digits>", ...), so a run touches many
# breakers and semaphores. The pairs are sent as clients use them (pylon-loadgen --then): a
# connection sends P CB.ALLOW, reads them, then sends the P CB.RECORD SUCCESS LATENCY 5 for the
# same breakers; P SEM.ACQUIRE LIMIT 100, then the P SEM.RELEASE of the tokens they returned.
# Their ops/s count both commands. EXP.ASSIGN sends random users to a 3-variant experiment with
# a targeting rule. Redis runs PING and INCR, and pylond INCR too (the same floor on both
# servers). Rounds alternate the order of the rows; medians.
#
# Environment (defaults in brackets): BENCH_N [100000], BENCH_ROUNDS [3], BENCH_CLIENTS [50],
# BENCH_PIPELINES [1 16], BENCH_RES_KEYS [1000], BENCH_LOADGEN.
#
# Output: tables on stdout and in bench/out/resilience.md; bench/out/resilience-raw.csv.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"
# shellcheck source=common.sh
source "$here/common.sh"

n="${BENCH_N:-100000}"
rounds="${BENCH_ROUNDS:-3}"
clients="${BENCH_CLIENTS:-50}"
read -r -a pipelines <<< "${BENCH_PIPELINES:-1 16}"
keys="${BENCH_RES_KEYS:-1000}"
out="$here/out"
run_timeout=120
py=/usr/bin/python3
[[ -x "$py" ]] || py=python3

servers_pylond_arg "bench/resilience.sh" "${1:-$root/build/release/daemon/pylond}" || exit 2
bench_loadgen bench/resilience.sh
bench_require bench/resilience.sh redis-server redis-cli taskset "$py"
bench_pin pylon-loadgen
trap 'server_stop_all >/dev/null 2>&1' EXIT
bench_start_servers
mkdir -p "$out"
raw="$out/resilience-raw.csv"
rm -f "$raw" "$out/resilience.md"
start=$SECONDS

# The rows: label|server|command. Keys are prefix:__rand_int__ (pylon-loadgen's random digits).
rows=(
  "PING|redis|PING"
  "INCR|redis|INCR ctr:__rand_int__"
  "INCR|pylond|INCR ctr:__rand_int__"
  "CB.ALLOW + CB.RECORD|pylond|CB.ALLOW cb:__rand_int__ --then CB.RECORD cb:__rand_int__ SUCCESS LATENCY 5"
  "SEM.ACQUIRE + SEM.RELEASE|pylond|SEM.ACQUIRE sem:__rand_int__ LIMIT 100 LEASE 30000 --then SEM.RELEASE sem:__rand_int__ __reply__"
  "EXP.ASSIGN|pylond|EXP.ASSIGN checkout user:__rand_int__ country US"
)
[[ "$(redis-cli -p "$pylond_port" EXP.DEFINE checkout VARIANTS control 50 blue 30 green 20 \
  WHERE country in US,CA)" == OK ]] || { echo "bench-res: EXP.DEFINE failed" >&2; exit 1; }
echo "bench-res: $n requests, $clients clients, pipelines ${pipelines[*]}, $rounds rounds," \
  "keys below $keys; $pinning"

row_run() {  # $1 round, $2 row, $3 pipeline
  local label server command
  IFS='|' read -r label server command <<< "$2"
  read -r -a cmd <<< "$command"
  bench_command_run "$raw" "$1" "$server" "$label" "$3" "$n" "$keys" "$run_timeout" "${cmd[@]}"
}

# Warm-up, not recorded: creates the breakers and semaphores, and warms both servers.
for row in "${rows[@]}"; do row_run 0 "$row" 16; done
for ((round = 1; round <= rounds; round++)); do
  for pipeline in "${pipelines[@]}"; do
    order=("${rows[@]}")
    if ! ((round % 2)); then
      order=()
      for ((i = ${#rows[@]} - 1; i >= 0; i--)); do order+=("${rows[$i]}"); done
    fi
    for row in "${order[@]}"; do row_run "$round" "$row" "$pipeline"; done
  done
  echo "bench-res: round $round/$rounds done ($((SECONDS - start)) s)"
done
trap - EXIT
server_stop_all
"$py" "$here/resilience.py" "$out" --requests "$n" --clients "$clients" --keys "$keys"
echo "bench-res: wrote $out/resilience.md, $raw ($((SECONDS - start)) s)"
