#!/usr/bin/env bash
# Side-by-side benchmark: pylond vs redis-server, both driven by redis-benchmark on loopback.
#
#   bash bench/run.sh [path-to-pylond]        (default: build/release/daemon/pylond)
#
# Environment (defaults in brackets):
#   BENCH_N          requests per redis-benchmark run [100000]
#   BENCH_ROUNDS     rounds; the table shows the median of the rounds [3]
#   BENCH_CLIENTS    parallel connections (-c) [50]
#   BENCH_PIPELINES  pipeline depths (-P) [1 16]
#   BENCH_TESTS      redis-benchmark tests (-t) [ping_inline ping_mbulk]
#   PYLON_TEST_TARGET=redis   a second redis-server stands in for pylond (to check the script)
#
# Output: a table on stdout, bench/out/raw.csv (every run), bench/out/results.csv (medians),
# bench/out/ping.png (chart). See bench/README.md.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"
# shellcheck source=../tests/compat/servers.sh
source "$root/tests/compat/servers.sh"

n="${BENCH_N:-100000}"
rounds="${BENCH_ROUNDS:-3}"
clients="${BENCH_CLIENTS:-50}"
read -r -a pipelines <<< "${BENCH_PIPELINES:-1 16}"
read -r -a tests <<< "${BENCH_TESTS:-ping_inline ping_mbulk}"
out="$here/out"
run_timeout=120  # seconds for one redis-benchmark run: a hung server fails the bench, not hangs it

servers_pylond_arg "bench/run.sh" "${1:-$root/build/release/daemon/pylond}" || exit 2
for tool in redis-benchmark redis-server gnuplot taskset; do
  command -v "$tool" >/dev/null || { echo "bench/run.sh: $tool is required" >&2; exit 2; }
done

# CPU pinning: with 2+ cores, both servers share core 0 (they are never busy at the same time:
# the runs alternate) and redis-benchmark gets core 1, so the driver never steals the server's
# core. On one core nothing is pinned.
if (($(nproc) >= 2)); then
  server_cpu=(--cpu 0)
  driver=(taskset -c 1)
  pinning="servers on CPU 0, redis-benchmark on CPU 1"
else
  server_cpu=()
  driver=()
  pinning="no pinning (one CPU)"
fi

trap 'server_stop_all >/dev/null 2>&1' EXIT
redis_port="" pylond_port=""  # set by server_start
server_start redis --reference "${server_cpu[@]}"
server_start pylond "${server_cpu[@]}"
target_label="pylond"
[[ "${PYLON_TEST_TARGET:-pylond}" == "redis" ]] && target_label="pylond (redis-server stand-in)"

mkdir -p "$out"
raw="$out/raw.csv"
echo '"round","server","pipeline","test","rps","avg_latency_ms","min_latency_ms","p50_latency_ms","p95_latency_ms","p99_latency_ms","max_latency_ms"' >"$raw"

echo "bench: $n requests, $clients clients, pipelines ${pipelines[*]}, $rounds rounds; $pinning"
echo "bench: redis-server on port $redis_port, $target_label on port $pylond_port"

# One run: appends "round","server","pipeline",<redis-benchmark's CSV row> to raw.csv.
bench_one() {
  local round=$1 server=$2 pipeline=$3 test=$4 port_var="${2}_port"
  local csv
  if ! csv="$(timeout "$run_timeout" "${driver[@]}" redis-benchmark -h 127.0.0.1 \
      -p "${!port_var}" -c "$clients" -n "$n" -P "$pipeline" -t "$test" --csv 2>&1)"; then
    echo "bench: redis-benchmark failed against $server (-P $pipeline -t $test):" >&2
    echo "$csv" >&2
    return 1
  fi
  local row
  row="$(grep -v '^"test"' <<< "$csv" | grep '^"' | head -1)"
  [[ -n "$row" ]] || { echo "bench: no CSV row from redis-benchmark: $csv" >&2; return 1; }
  echo "\"$round\",\"$server\",\"$pipeline\",$row" >>"$raw"
}

start=$SECONDS
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

trap - EXIT
server_stop_all || { echo "bench: a server did not stop cleanly" >&2; exit 1; }

/usr/bin/python3 "$here/summarize.py" "$raw" "$out/results.csv" "$target_label"
gnuplot -e "results='$out/results.csv'; output='$out/ping.png'; target='$target_label'" \
  "$here/plot.gp"
echo "bench: wrote $out/results.csv, $out/raw.csv and $out/ping.png"
