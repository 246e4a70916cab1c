#!/usr/bin/env bash
# bench/loadgen.cc against a real server: it sends exactly -n requests (the last batch short
# when -P does not divide -n), draws 12-digit keys below -r, counts nested and binary replies
# right, prints redis-benchmark's CSV row, and fails on an error reply. The rate-limit benchmark
# trusts its figures, so they are checked here.
#
#   bash tests/compat/loadgen_test.sh <path-to-pylond> <path-to-pylon-loadgen>
#   PYLON_TEST_TARGET=redis bash tests/compat/loadgen_test.sh "" <path-to-pylon-loadgen>
set -uo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$here/servers.sh"
# shellcheck source=expect.sh
source "$here/expect.sh"
NAME=loadgen_test

servers_pylond_arg "$NAME" "${1:-}" || exit 2
loadgen="${2:-}"
[[ -x "$loadgen" ]] || { echo "usage: $NAME <path-to-pylond> <path-to-pylon-loadgen>" >&2; exit 2; }
trap 'server_stop_all >/dev/null 2>&1' EXIT


target_port=""  # set by server_start
server_start target || { echo "$NAME: 0 passed, 1 failed"; exit 1; }
cli() { redis-cli -h 127.0.0.1 -p "$target_port" "$@"; }
load() { "$loadgen" -h 127.0.0.1 -p "$target_port" "$@"; }

# Exactly -n requests, with 7 clients and batches of 5 (1234 is not a multiple of 5).
out="$(load -c 7 -P 5 -n 1234 --csv INCR counter)"; rc=$?
expect_eq "INCR run exit status" 0 "$rc"
expect_eq "INCR ran exactly -n times" 1234 "$(cli get counter)"
expect_match "CSV: redis-benchmark's header, then one row" \
  $'^"test","rps","avg_latency_ms","min_latency_ms","p50_latency_ms","p95_latency_ms","p99_latency_ms","max_latency_ms"\n"INCR counter","[0-9.]+","[0-9.]+","[0-9.]+","[0-9.]+","[0-9.]+","[0-9.]+","[0-9.]+"$' \
  "$out"
expect_match "summary line without --csv" '^PING: 300 requests in [0-9.]+ s, [0-9]+ requests per second' \
  "$(load -c 2 -n 300 PING)"

# --then: pairs, the second command with the first's key digits and reply. Each SET answers
# +OK (not a bulk string: __reply__ becomes empty), each GETSET of the same key returns the
# value SET wrote; APPEND then writes that value back, doubled, under a key of its own.
load -c 3 -P 4 -n 200 -r 7 SET 'p:__rand_int__' abc --then APPEND 'q:__rand_int__' '<__reply__>' \
  >/dev/null
expect_eq "--then: the second command's key is the first's" "$(cli --scan --pattern 'p:*' | sort |
  sed 's/^p:/q:/')" "$(cli --scan --pattern 'q:*' | sort)"
first="$(cli --scan --pattern 'q:*' | head -1)"
expect_match "--then: a non-bulk reply becomes empty" '^(<>)+$' "$(cli get "$first")"
load -c 2 -P 3 -n 20 -r 1 GET 'p:__rand_int__' --then SET 'r:__rand_int__' 'got:__reply__' >/dev/null
expect_eq "--then: a bulk reply goes in" "got:abc" "$(cli get r:000000000000)"
out="$(load -c 1 -n 7 PING --then PING)"
expect_match "--then: -n counts both commands (3 pairs of 7)" '^PING \+ PING: 6 requests' "$out"

# Keys: __rand_int__ becomes 12 digits below -r, fresh for every request.
load -c 4 -P 16 -n 3000 -r 50 SET 'k:__rand_int__' v >/dev/null
keys="$(cli --scan --pattern 'k:*' | sort)"
expect_match "every key has 12 digits below 50" $'^(k:0000000000[0-4][0-9]\n?)+$' "$keys"
count="$(wc -l <<< "$keys")"
if ((count > 40 && count <= 50)); then pass; else fail "3000 draws below 50 hit most keys" "$count keys"; fi

# Replies: bulk bytes with CRLF and "*1" inside, an array (CONFIG GET) and a RESP3 map (HELLO 3)
# are each counted as one reply.
printf 'a\r\nb\r\n*1\r\n' | cli -x set binary >/dev/null
expect_eq "GET of a value holding CRLF" 0 "$(load -c 3 -P 4 -n 200 GET binary >/dev/null; echo $?)"
expect_eq "CONFIG GET (an array) many times" 0 \
  "$(load -c 3 -P 8 -n 500 CONFIG GET maxclients >/dev/null; echo $?)"
expect_eq "HELLO 3 (a RESP3 map) many times" 0 \
  "$(load -c 2 -P 3 -n 90 HELLO 3 >/dev/null; echo $?)"

# An error reply ends the run: exit status 1 and the error's text.
cli set text abc >/dev/null
out="$(load -c 2 -n 10 INCR text 2>&1)"; rc=$?
expect_eq "an error reply: exit status 1" 1 "$rc"
expect_match "an error reply: its text" 'an error reply: ERR value is not an integer' "$out"
out="$(load -c 2 -n 10 -P 0 PING 2>&1)"; rc=$?
expect_eq "-P 0: exit status 1" 1 "$rc"
expect_match "-P 0: why" '-P wants a positive integer' "$out"

if [[ "${PYLON_TEST_TARGET:-pylond}" != "redis" ]]; then
  out="$(load -c 5 -P 16 -n 1000 -r 100 RL.ALLOW 'rl:__rand_int__' LIMIT 1000000 PERIOD 1000)"
  expect_eq "RL.ALLOW run exit status" 0 "$?"
  expect_match "RL.ALLOW (an array of 5 integers): 1000 calls admitted" \
    $'(^|\n)ratelimit_allowed:1000\r?(\n|$)' "$(cli info ratelimit)"
fi

trap - EXIT
if server_stop_all; then pass; else fail "servers exit with status 0"; fi
expect_summary "$NAME"
