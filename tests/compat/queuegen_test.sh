#!/usr/bin/env bash
# pylon-queuegen (bench/queuegen.cc) against real servers: each cycle sends exactly one push,
# one pop and one ack per message and leaves nothing behind, the fill queues exactly N messages,
# the CSV rows have their columns, and an error reply or a bad option fails the run. The queue
# benchmark trusts its figures, so they are checked here: on redis-server (Streams) always, on
# pylond (Q.*) when it is given and has the Q.* commands.
#
#   bash tests/compat/queuegen_test.sh <path-to-pylond> <path-to-pylon-queuegen>
#   PYLON_TEST_TARGET=redis bash tests/compat/queuegen_test.sh "" <path-to-pylon-queuegen>
set -uo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=servers.sh
source "$here/servers.sh"
# shellcheck source=expect.sh
source "$here/expect.sh"
NAME=queuegen_test

servers_pylond_arg "$NAME" "${1:-}" || exit 2
queuegen="${2:-}"
[[ -x "$queuegen" ]] || { echo "usage: $NAME <path-to-pylond> <path-to-pylon-queuegen>" >&2; exit 2; }
trap 'server_stop_all >/dev/null 2>&1' EXIT

redis_port="" pylond_port=""  # set by server_start
server_start redis --reference || { echo "$NAME: 0 passed, 1 failed"; exit 1; }
cli() { redis-cli -h 127.0.0.1 -p "$port" "$@"; }
run() { "$queuegen" -h 127.0.0.1 -p "$port" "$@"; }
# The calls of a command since the last CONFIG RESETSTAT.
calls() { cli info commandstats | sed -n "s/^cmdstat_$1:calls=\([0-9]*\),.*/\1/p"; }

# csv_run LABEL DRIVER-OPTIONS...: a --csv run after CONFIG RESETSTAT (so that `calls` counts
# its commands alone), its exit status checked; its output in $out.
csv_run() {
  local label=$1 rc
  shift
  cli config resetstat >/dev/null
  out="$(run "$@" --csv)"; rc=$?
  expect_eq "$label, exit status" 0 "$rc"
}

# check_cycles SERVER PUSH POP ACK DIALECT...: 7 workers share 1000 cycles; then 1 worker.
check_cycles() {
  local server=$1 push=$2 pop=$3 ack=$4
  shift 4
  csv_run "$server: 7 workers" "$@" -c 7 -n 1000
  expect_match "$server: CSV header and row" \
    $'^"test","workers","cycles","seconds","msgs_per_sec","avg_latency_ms","p50_latency_ms","p99_latency_ms","max_latency_ms","empty_pops","server_cpu_us_per_msg","driver_cpu_pct"\n"[A-Z./]+","7","1000","[0-9.]+","[0-9.]+","[0-9.]+","[0-9.]+","[0-9.]+","[0-9.]+","0","[0-9.]+","[0-9.]+"$' \
    "$out"
  expect_eq "$server: one push per cycle" 1000 "$(calls "$push")"
  expect_eq "$server: one pop per cycle (none came back empty)" 1000 "$(calls "$pop")"
  expect_eq "$server: one ack per cycle" 1000 "$(calls "$ack")"
  expect_eq "$server: the queue is deleted after the run" 0 "$(cli exists bench:queue)"
  expect_match "$server: 1 worker polling (--spin), the summary line" \
    '^[A-Z./]+: 1 worker, 300 cycles in [0-9.]+ s, [0-9]+ messages per second; .*0 empty pops' \
    "$(run "$@" -n 300 --size 10 --spin)"
}

# check_fill SERVER DIALECT...: exactly N messages queued while measured, none left after.
check_fill() {
  local server=$1
  shift
  csv_run "$server: fill" "$@" --fill 25000 --batch 999
  expect_match "$server: fill, CSV row (bytes per message between 100 and 1000)" \
    $'\n"[A-Z.]+","25000","100","[0-9.]+","[0-9]+","[0-9]+","[1-9][0-9]{2}\\.[0-9]+","[0-9]+","[0-9]+","-?[0-9.]+"$' \
    "$out"
  expect_eq "$server: fill, the queue is deleted after the measure" 0 "$(cli exists bench:queue)"
}

port=$redis_port
check_cycles redis xadd xreadgroup xack --streams
check_fill redis --streams

# What ends a run: an error reply (Redis has no Q.PUSH), a bad option.
out="$(run -n 10 2>&1)"; rc=$?
expect_eq "an error reply: exit status 1" 1 "$rc"
expect_match "an error reply: its text" "an error reply to a push: ERR unknown command 'Q.PUSH'" \
  "$out"
out="$(run -c 0 2>&1)"; rc=$?
expect_eq "-c 0: exit status 1" 1 "$rc"
expect_match "-c 0: why" '-c wants a positive integer' "$out"

if [[ "${PYLON_TEST_TARGET:-pylond}" != "redis" && "$PYLOND" != none ]]; then
  server_start pylond || { fail "pylond starts"; expect_summary "$NAME"; exit 1; }
  port=$pylond_port
  if [[ "$(cli q.len bench:probe 2>&1)" == 0 ]]; then
    check_cycles pylond q.push q.pop q.ack
    check_fill pylond
  else
    echo "$NAME: SKIP pylond: it does not answer Q.LEN yet: $(cli q.len bench:probe 2>&1)"
  fi
fi

trap - EXIT
if server_stop_all; then pass; else fail "servers exit with status 0"; fi
expect_summary "$NAME"
