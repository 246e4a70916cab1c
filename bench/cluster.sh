#!/usr/bin/env bash
# Cluster benchmark (issue 11): 3 pylond nodes in cluster mode next to a 3-node Redis Cluster,
# both driven by redis-benchmark --cluster (which reads CLUSTER NODES and sends each request to
# the node that owns its slot); then how many of the 16384 slots change owner when a 4th node
# joins pylond's membership.
#
#   bash bench/cluster.sh [path-to-pylond]    (default: build/release/daemon/pylond)
#   BENCH_CLUSTER=1 bash bench/run.sh ...       (the same, after run.sh's own steps)
#
# 1. Clusters: pylond nodes with cluster-enabled yes and the same cluster-nodes (free loopback
#    ports chosen beforehand); redis-server nodes with cluster-enabled yes, their nodes.conf in
#    a temporary directory under bench/out, joined by redis-cli --cluster create (slots split
#    evenly, no replicas). Both must answer cluster_state:ok on every node.
# 2. Throughput: redis-benchmark --cluster --threads 1 -t set,get -c C -r K -P P -n N against
#    the first node of each cluster, alternating which goes first each round; medians. One
#    thread (its clients spread over the nodes), as the load generator has one core: its
#    default, a thread per node, has them preempt each other (p99 ~8 ms at -P 1) and ends a run
#    only on a 250 ms tick of the threads' timers. Unless BENCH_N is set, the warm-up sizes N per
#    pipeline depth so that a run lasts about BENCH_CLUSTER_SECONDS at the faster cluster (the
#    same N for both; 100,000 requests at -P 16 would last about 0.15 s). Then, per node: slots,
#    SET and GET calls, error replies, keys.
# 3. Slots moved: for BENCH_CLUSTER_SAMPLES sets of ports (the first: the benchmarked cluster's
#    3 plus a new one), CLUSTER SLOTS of a node started with the 3-node membership and of one
#    started with the same plus a 4th node (cluster-epoch 1); a slot moved when its owner
#    differs. Ideal: 1/4 (4096), all to the new node.
#
# Environment (defaults in brackets): BENCH_N [sized from the warm-up], BENCH_ROUNDS [3],
# BENCH_CLIENTS [50], BENCH_PIPELINES [1 16], BENCH_KEYSPACE [1000000], BENCH_CLUSTER_SECONDS
# [3], BENCH_CLUSTER_SAMPLES [5], BENCH_CLUSTER_THREADS [1; set empty: one per node],
# PYLON_TEST_TARGET=redis (a second Redis Cluster stands in for pylond's; no slots step).
#
# Output: tables on stdout and in bench/out/cluster.md; cluster-raw.csv (every run),
# cluster-nodes.csv, cluster-slots.csv.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"
# shellcheck source=common.sh
source "$here/common.sh"

n="${BENCH_N:-}"
rounds="${BENCH_ROUNDS:-3}"
clients="${BENCH_CLIENTS:-50}"
read -r -a pipelines <<< "${BENCH_PIPELINES:-1 16}"
keyspace="${BENCH_KEYSPACE:-1000000}"
seconds="${BENCH_CLUSTER_SECONDS:-3}"
samples="${BENCH_CLUSTER_SAMPLES:-5}"
threads="${BENCH_CLUSTER_THREADS-1}"  # set but empty: redis-benchmark's default, one per node
thread_opt=()
[[ -z "$threads" ]] || thread_opt=(--threads "$threads")
[[ "$threads" =~ ^([1-9][0-9]*)?$ ]] || {
  echo "bench/cluster.sh: BENCH_CLUSTER_THREADS must be empty or a number of threads" >&2
  exit 2
}
out="$here/out"
run_timeout=120  # seconds for one redis-benchmark run
py=/usr/bin/python3
[[ -x "$py" ]] || py=python3
stand_in=0
[[ "${PYLON_TEST_TARGET:-pylond}" == redis ]] && stand_in=1

servers_pylond_arg "bench/cluster.sh" "${1:-$root/build/release/daemon/pylond}" || exit 2
bench_require bench/cluster.sh redis-server redis-cli redis-benchmark taskset timeout "$py"
bench_pin redis-benchmark
mkdir -p "$out"
raw="$out/cluster-raw.csv"
per_node="$out/cluster-nodes.csv"
slots="$out/cluster-slots.csv"
warnings="$out/cluster-warnings.txt"
rm -f "$raw" "$per_node" "$slots" "$warnings" "$out/cluster.md"
rm -rf "$out"/cluster-data.*
data="$(mktemp -d "$out/cluster-data.XXXXXX")"  # Redis Cluster's nodes.conf files
# set +e: a server that already died makes server_stop_all fail, and the rest must still run.
trap 'set +e; server_stop_all >/dev/null 2>&1; rm -rf "$data"' EXIT
start=$SECONDS

# A Redis Cluster of 3 nodes NAME1..3 on ports $2..$4, bus ports $5..$7: nodes.conf in $data,
# slots split evenly by redis-cli --cluster create, then every node ok.
start_redis_cluster() {
  local name=$1 i
  local -a node_ports=("${@:2:3}") bus_ports=("${@:5:3}")
  for i in 0 1 2; do
    bench_server_at "${node_ports[i]}" "$name$((i + 1))" --reference "${server_cpu[@]}" \
      cluster-enabled yes cluster-config-file "$data/$name$((i + 1))-nodes.conf" \
      cluster-port "${bus_ports[i]}"
  done
  timeout 60 redis-cli --cluster create "${node_ports[@]/#/127.0.0.1:}" --cluster-replicas 0 \
    --cluster-yes >"$data/$name-create.txt" 2>&1 || {
    echo "bench-cluster: redis-cli --cluster create failed for $name:" >&2
    cat "$data/$name-create.txt" >&2
    exit 1
  }
  "$py" "$here/cluster.py" wait-ok "${node_ports[@]}"
}

# pylond_node NAME PORT EPOCH MEMBER_PORT...: one pylond node in cluster mode on PORT, its
# cluster-nodes the members (127.0.0.1:MEMBER_PORT, in that order; PORT among them).
pylond_node() {
  local name=$1 port=$2 epoch=$3 members
  shift 3
  members="$*"
  bench_server_at "$port" "$name" "${server_cpu[@]}" cluster-enabled yes \
    cluster-nodes "127.0.0.1:${members// / 127.0.0.1:}" cluster-epoch "$epoch"
}

# 12 ports: pylond's 3 nodes (or the stand-in's 3 + 3 bus), Redis Cluster's 3 + 3 bus.
bench_free_ports 12
ports=("${free_ports[@]}")
if ((stand_in)); then
  start_redis_cluster pylond "${ports[@]:0:6}"
else
  for i in 0 1 2; do pylond_node "pylond$((i + 1))" "${ports[i]}" 0 "${ports[@]:0:3}"; done
  "$py" "$here/cluster.py" wait-ok "${ports[@]:0:3}"
fi
start_redis_cluster redis "${ports[@]:6:6}"
# shellcheck disable=SC2034  # read as ${server}_first
pylond_first=${ports[0]} redis_first=${ports[6]}
target_label="pylond"
((stand_in)) && target_label="pylond (a Redis Cluster stand-in)"
echo "bench-cluster: Redis Cluster on ports ${ports[*]:6:3}, $target_label on ports" \
  "${ports[*]:0:3}; $clients clients, threads ${threads:-one per node}, pipelines" \
  "${pipelines[*]}, $rounds rounds, -r $keyspace; $pinning"

# cluster_run ROUND SERVER PIPELINE REQUESTS: one redis-benchmark --cluster -t set,get against
# SERVER's cluster. ROUND > 0: its SET and GET rows go to $raw; 0 (warm-up): the highest of
# their rps is printed. Lines besides the cluster listing and the rows go to $warnings. A
# failed run, or one that did not find the 3 masters, ends the script.
cluster_run() {
  local round=$1 server=$2 pipeline=$3 requests=$4 port_var="${2}_first" output rows
  if ! output="$(timeout "$run_timeout" "${driver[@]}" redis-benchmark --cluster -h 127.0.0.1 \
      -p "${!port_var}" "${thread_opt[@]}" -c "$clients" -n "$requests" -r "$keyspace" \
      -P "$pipeline" -t set,get --csv 2>&1)"; then
    echo "bench-cluster: redis-benchmark --cluster failed against $server (-P $pipeline):" >&2
    echo "$output" >&2
    exit 1
  fi
  if ! grep -q '^Cluster has 3 master nodes' <<< "$output"; then
    echo "bench-cluster: redis-benchmark --cluster did not find 3 masters in $server:" >&2
    echo "$output" >&2
    exit 1
  fi
  grep -v -E '^(Cluster has|Master [0-9]+:|"test"|"SET"|"GET"|$)' <<< "$output" |
    sed "s/^/$server: /" >>"$warnings" || true
  rows="$(grep -E '^"(SET|GET)",' <<< "$output")" || true
  if [[ "$(wc -l <<< "$rows")" != 2 ]]; then
    echo "bench-cluster: no SET and GET rows from redis-benchmark against $server:" >&2
    echo "$output" >&2
    exit 1
  fi
  if ((round == 0)); then
    cut -d, -f2 <<< "$rows" | tr -d '"' | sort -g | tail -1
    return
  fi
  [[ -s "$raw" ]] ||
    echo '"round","server","pipeline","requests","test","rps","avg_latency_ms","min_latency_ms","p50_latency_ms","p95_latency_ms","p99_latency_ms","max_latency_ms"' >"$raw"
  while read -r row; do
    echo "\"$round\",\"$server\",\"$pipeline\",\"$requests\",$row"
  done <<< "$rows" >>"$raw"
}

# Warm-up, not recorded, per pipeline depth and cluster: from 100,000 requests, 4 times more
# (up to 1,600,000) until a run lasts at least 1 s (a shorter one gives a rough rate; with
# several threads, one read low by their 250 ms tick), then N for the depth: the faster
# cluster's rps x BENCH_CLUSTER_SECONDS, rounded up to 10,000.
declare -A requests_at
for pipeline in "${pipelines[@]}"; do
  best=0
  for server in redis pylond; do
    warm=${n:-100000}
    while true; do
      rps="$(cluster_run 0 "$server" "$pipeline" "$warm")"
      if [[ -n "$n" ]] || ((warm >= 1600000)) ||
          awk -v n="$warm" -v r="$rps" 'BEGIN { exit !(n / r >= 1) }'; then
        break
      fi
      warm=$((warm * 4))
    done
    best="$(awk -v a="$best" -v b="$rps" 'BEGIN { print (b > a ? b : a) }')"
  done
  requests_at[$pipeline]="${n:-$(awk -v r="$best" -v s="$seconds" \
    'BEGIN { x = r * s / 10000; print (x == int(x) ? x : int(x) + 1) * 10000 }')}"
  echo "bench-cluster: -P $pipeline: warm-up at up to $best ops/s," \
    "${requests_at[$pipeline]} requests per run ($((SECONDS - start)) s)"
done

for ((round = 1; round <= rounds; round++)); do
  for pipeline in "${pipelines[@]}"; do
    # Alternate who goes first, so drift (thermal, noisy neighbours) cancels out.
    if ((round % 2)); then order=(redis pylond); else order=(pylond redis); fi
    for server in "${order[@]}"; do
      cluster_run "$round" "$server" "$pipeline" "${requests_at[$pipeline]}"
    done
  done
  echo "bench-cluster: round $round/$rounds done ($((SECONDS - start)) s)"
done
"$py" "$here/cluster.py" nodes "$per_node" redis "${ports[@]:6:3}"
"$py" "$here/cluster.py" nodes "$per_node" pylond "${ports[@]:0:3}"

# Slots moved when a 4th node joins: sample 1 reads the benchmarked cluster's map from its
# first node and starts a 4th node; the others start a node of each membership on new ports.
# The other members of a membership need not run: each node derives the map from the list.
if ((!stand_in && samples > 0)); then
  bench_free_ports $((1 + 4 * (samples - 1)))
  for ((sample = 1; sample <= samples; sample++)); do
    if ((sample == 1)); then
      set -- "${ports[@]:0:3}" "${free_ports[0]}"
    else
      set -- "${free_ports[@]:4*sample-7:4}"
      pylond_node "base$sample" "$1" 0 "$1" "$2" "$3"
    fi
    pylond_node "join$sample" "$4" 1 "$1" "$2" "$3" "$4"
    "$py" "$here/cluster.py" moved "$slots" "$sample" "$1" "$4" "127.0.0.1:$4"
  done
  echo "bench-cluster: slots moved, $samples samples ($((SECONDS - start)) s)"
fi

trap - EXIT
server_stop_all || { echo "bench-cluster: a server did not stop cleanly" >&2; exit 1; }
rm -rf "$data"
[[ -s "$warnings" ]] || rm -f "$warnings"
"$py" "$here/cluster.py" report "$out" --clients "$clients" --keyspace "$keyspace" \
  --seconds "$([[ -n "$n" ]] || echo "$seconds")" --threads "$threads" --pinning "$pinning"
echo "bench-cluster: wrote $out/cluster.md, $raw, $per_node, $slots ($((SECONDS - start)) s)"
