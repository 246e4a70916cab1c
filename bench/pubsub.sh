#!/usr/bin/env bash
# Pub/sub benchmark: pylond's fan-out against redis-server's, in one run.
#
#   bash bench/pubsub.sh [path-to-pylond]     (default: build/release/daemon/pylond)
#   BENCH_PUBSUB=1 bash bench/run.sh ...       (the same, after run.sh's own steps)
#
# Steps: throughput (rounds of pylon-loadgen, alternating servers: one publisher pipelining
# PUBLISH to one channel, with 1, 50 and 500 subscribers on the channel and 100 subscribers on a
# pattern that matches it, payloads of 16 and 1024 bytes; each run lasts until every subscriber
# has every message, and counts deliveries per second), then memory (500 subscribers that never
# read, 6,000 messages of 1 KB: the server's used_memory and RSS while they lag).
#
# Environment (defaults in brackets):
#   BENCH_ROUNDS          rounds; the table shows the median of the rounds [3]
#   BENCH_PIPELINE        the publisher's pipeline depth [16]
#   BENCH_PUBSUB_DELIVERIES  deliveries per run (publishes = this / subscribers, at most
#                         200,000) [2000000]
#   BENCH_LOADGEN         the pylon-loadgen binary, when not next to pylond
#
# Output: tables on stdout and in bench/out/pubsub.md, bench/out/pubsub-results.csv (medians),
# bench/out/pubsub-raw.csv (every run), bench/out/pubsub-memory.csv. See bench/README.md.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"
# shellcheck source=common.sh
source "$here/common.sh"

rounds="${BENCH_ROUNDS:-3}"
pipeline="${BENCH_PIPELINE:-16}"
deliveries="${BENCH_PUBSUB_DELIVERIES:-2000000}"
out="$here/out"
run_timeout=120
py=/usr/bin/python3
[[ -x "$py" ]] || py=python3

servers_pylond_arg "bench/pubsub.sh" "${1:-$root/build/release/daemon/pylond}" || exit 2
bench_loadgen bench/pubsub.sh
bench_require bench/pubsub.sh redis-server taskset "$py"
bench_pin pylon-loadgen
trap 'server_stop_all >/dev/null 2>&1' EXIT
bench_start_servers
echo "bench-pubsub: $rounds rounds, publisher -P $pipeline, $deliveries deliveries a run; $pinning"
echo "bench-pubsub: redis-server on port $redis_port, pylond on port $pylond_port"

mkdir -p "$out"
rm -f "$out"/pubsub-{raw,results,memory}.csv "$out"/pubsub.md
raw="$out/pubsub-raw.csv"
# Each row: the run's settings, then pylon-loadgen's CSV row as it printed it.
loadgen_header='"test","rps","avg_latency_ms","min_latency_ms","p50_latency_ms","p95_latency_ms","p99_latency_ms","max_latency_ms","delivered_per_sec","used_memory","rss_bytes"'
echo '"round","server","kind","subscribers","payload","publishes",'"$loadgen_header" >"$raw"

payload_of() { head -c "$1" /dev/zero | tr '\0' p; }

# One run; $1 = round (0: warm-up), $2 = server, $3 = channel|pattern, $4 = subscribers,
# $5 = payload bytes.
bench_one() {
  local round=$1 server=$2 kind=$3 subs=$4 size=$5 port_var="${2}_port" csv row n
  n=$((deliveries / subs))
  ((n > 200000)) && n=200000
  local sub_opt=(--subscribe "$subs" bench-ch)
  [[ "$kind" == pattern ]] && sub_opt=(--psubscribe "$subs" 'bench-*')
  if ! csv="$(timeout "$run_timeout" "${driver[@]}" "$load_tool" -h 127.0.0.1 \
      -p "${!port_var}" -c 1 -P "$pipeline" -n "$n" --csv "${sub_opt[@]}" \
      PUBLISH bench-ch "$(payload_of "$size")" 2>&1)"; then
    echo "bench-pubsub: pylon-loadgen failed against $server ($kind, $subs subscribers," \
      "$size bytes): $csv" >&2
    return 1
  fi
  ((round > 0)) || return 0
  echo "\"$round\",\"$server\",\"$kind\",\"$subs\",\"$size\",\"$n\",$(tail -1 <<< "$csv")" >>"$raw"
}

runs=()
for size in 16 1024; do
  for subs in 1 50 500; do runs+=("channel $subs $size"); done
  runs+=("pattern 100 $size")
done

start=$SECONDS
# One warm-up run per server (nothing is stored between runs, so one is enough).
for server in redis pylond; do
  bench_one 0 "$server" channel 50 1024 || { echo "bench-pubsub: the warm-up failed" >&2; exit 1; }
done
for ((round = 1; round <= rounds; round++)); do
  for run in "${runs[@]}"; do
    read -r kind subs size <<< "$run"
    order=(redis pylond)
    ((round % 2)) || order=(pylond redis)
    for server in "${order[@]}"; do bench_one "$round" "$server" "$kind" "$subs" "$size"; done
  done
  echo "bench-pubsub: round $round/$rounds done ($((SECONDS - start)) s)"
done

# Memory: 500 subscribers that never read; 6,000 messages of 1 KB to them (6 MB each: more than
# the kernel buffers for a socket, a few MB, so most of it waits in the server).
# "idle": one lagging subscriber and one PING, the baseline; "lagging": the 500 and the messages.
mem="$out/pubsub-memory.csv"
echo '"server","step",'"$loadgen_header" >"$mem"
for server in redis pylond; do
  port_var="${server}_port"
  for step in idle lagging; do
    if [[ $step == idle ]]; then
      args=(-c 1 -n 1 --subscribe 1 bench-mem --lagging PING)
    else
      args=(-c 1 -P "$pipeline" -n 6000 --subscribe 500 bench-mem --lagging PUBLISH bench-mem
        "$(payload_of 1024)")
    fi
    row="$(timeout "$run_timeout" "${driver[@]}" "$load_tool" -h 127.0.0.1 -p "${!port_var}" \
      --csv "${args[@]}" | tail -1)" || { echo "bench-pubsub: the memory step failed" >&2; exit 1; }
    echo "\"$server\",\"$step\",$row" >>"$mem"
  done
done
echo "bench-pubsub: memory step done ($((SECONDS - start)) s)"

trap - EXIT
server_stop_all || { echo "bench-pubsub: a server did not stop cleanly" >&2; exit 1; }
"$py" "$here/pubsub.py" "$out" --rounds "$rounds" --pipeline "$pipeline"
echo "bench-pubsub: wrote $out/pubsub.md, $out/pubsub-results.csv, $out/pubsub-raw.csv ($((SECONDS - start)) s)"
