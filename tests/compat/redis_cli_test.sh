#!/usr/bin/env bash
# redis-cli against pylond: plain commands, RESP3, --pipe mass insertion, INFO, error display,
# AUTH with -a, SHUTDOWN.
#
#   bash tests/compat/redis_cli_test.sh <path-to-pylond>
#   PYLON_TEST_TARGET=redis bash tests/compat/redis_cli_test.sh     (against redis-server)
set -uo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$here/servers.sh"
# shellcheck source=expect.sh
source "$here/expect.sh"
NAME=redis_cli_test
PASSWORD=s3cret
PIPE_COUNT=100000

servers_pylond_arg "$NAME" "${1:-}" || exit 2
trap 'server_stop_all >/dev/null 2>&1' EXIT


target_port="" auth_port=""  # set by server_start (servers.sh)
cli() { redis-cli -h 127.0.0.1 -p "$target_port" "$@"; }
cli_auth() { redis-cli -h 127.0.0.1 -p "$auth_port" "$@"; }

server_start target || { echo "$NAME: 0 passed, 1 failed"; exit 1; }
server_start auth requirepass "$PASSWORD" || { echo "$NAME: 0 passed, 1 failed"; exit 1; }

# --- plain commands (output is not a tty: redis-cli prints raw replies)
out="$(cli ping)"; rc=$?
expect_eq "ping" "PONG" "$out"
expect_eq "ping exit status" 0 "$rc"
expect_eq "echo with an argument" "hello world" "$(cli echo "hello world")"
expect_eq "PING with a message" "pong me" "$(cli ping "pong me")"
expect_eq "client setname" "OK" "$(cli client setname cli-test)"
expect_eq "dbsize" "0" "$(cli dbsize)"
expect_eq "config get maxclients" $'maxclients\n10000' "$(cli config get maxclients)"
expect_match "time: two integers" $'^[0-9]{10,}\n[0-9]+$' "$(cli time)"
expect_match "client id" '^[0-9]+$' "$(cli client id)"
expect_eq "client getname of a new connection, formatted" "(nil)" "$(cli --no-raw client getname)"
expect_eq "-r 3 repeats" $'PONG\nPONG\nPONG' "$(cli -r 3 ping)"
expect_eq "commands from stdin, one connection" $'PONG\nx\nOK\nme' \
  "$(printf 'ping\necho x\nclient setname me\nclient getname\n' | cli)"
expect_eq "MULTI/EXEC from stdin" $'OK\nQUEUED\nQUEUED\nPONG\na' \
  "$(printf 'multi\nping\necho a\nexec\n' | cli)"

# --- RESP3
expect_match "-3 hello 3 (raw map: key value per line)" \
  $'^server redis\nversion [^\n]+\nproto 3\nid [0-9]+\nmode standalone\nrole master\nmodules $' \
  "$(cli -3 hello 3)"
expect_match "-3 hello 3 (formatted map)" '^1# "server" => "redis".*3# "proto" => \(integer\) 3.*7# "modules" => \(empty array\)$' \
  "$(cli -3 --no-raw hello 3 | tr '\n' ' ' | sed 's/ $//')"
expect_eq "-3 ping" "PONG" "$(cli -3 ping)"
expect_eq "-3 client getname (RESP3 null)" "(nil)" "$(cli -3 --no-raw client getname)"
expect_eq "-3 config get (map)" '1# "maxclients" => "10000"' "$(cli -3 --no-raw config get maxclients)"

# --- INFO
out="$(cli info server)"
expect_match "info server has redis_version" $'(^|\n)redis_version:[0-9][^\r\n]*' "$out"
expect_match "info persistence has loading:0" $'(^|\n)loading:0\r?($|\n)' "$(cli info persistence)"
expect_match "info (default) has the Clients section" $'# Clients' "$(cli info)"

# --- errors
out="$(cli --no-raw foo 2>&1)"
expect_eq "unknown command, formatted" "(error) ERR unknown command 'foo', with args beginning with: " "$out"
expect_eq "unknown command with args, raw" "ERR unknown command 'foo', with args beginning with: 'a' 'b' " \
  "$(cli foo a b 2>&1)"
expect_eq "wrong arity" "(error) ERR wrong number of arguments for 'echo' command" \
  "$(cli --no-raw echo 2>&1)"

# --- --pipe mass insertion: PING and ECHO in RESP, one stream
servers_tmpdir
pipe_input="$SERVERS_TMP/pipe.resp"
"$SERVERS_PY" - "$pipe_input" "$PIPE_COUNT" <<'EOF'
import sys
path, n = sys.argv[1], int(sys.argv[2])
ping, echo = b"*1\r\n$4\r\nPING\r\n", b"*2\r\n$4\r\nECHO\r\n$1\r\nx\r\n"
with open(path, "wb") as f:
    f.write(b"".join(ping if i % 2 else echo for i in range(n)))
EOF
out="$(cli --pipe <"$pipe_input" 2>&1)"; rc=$?
expect_match "--pipe of $PIPE_COUNT commands" "errors: 0, replies: $PIPE_COUNT" "$out"
expect_eq "--pipe exit status" 0 "$rc"
expect_eq "server still answers after --pipe" "PONG" "$(cli ping)"

# --- AUTH
expect_match "no password: NOAUTH" "NOAUTH Authentication required" "$(cli_auth ping 2>&1)"
expect_eq "-a with --no-auth-warning" "PONG" "$(cli_auth -a "$PASSWORD" --no-auth-warning ping 2>&1)"
expect_eq "--user default --pass" "PONG" "$(cli_auth --user default --pass "$PASSWORD" --no-auth-warning ping 2>&1)"
expect_eq "REDISCLI_AUTH" "PONG" "$(REDISCLI_AUTH="$PASSWORD" cli_auth ping 2>&1)"
expect_match "-a wrong password" "WRONGPASS invalid username-password pair" \
  "$(cli_auth -a wrong --no-auth-warning ping 2>&1)"
expect_match "AUTH without a configured password" \
  "ERR AUTH <password> called without any password configured for the default user" \
  "$(cli auth whatever 2>&1)"
expect_match "-3 with -a (HELLO 3 AUTH)" $'^server redis\n.*proto 3\n' \
  "$(cli_auth -3 -a "$PASSWORD" --no-auth-warning hello 3 2>&1)"

# --- SHUTDOWN: redis-cli prints nothing and exits 0; the server exits 0 (checked on stop)
out="$(cli shutdown 2>&1)"; rc=$?
expect_eq "shutdown output" "" "$out"
expect_eq "shutdown exit status" 0 "$rc"
out="$(cli ping 2>&1)"
expect_match "server gone after shutdown" "Connection refused" "$out"

trap - EXIT
if server_stop_all; then pass; else fail "servers exit with status 0"; fi
expect_summary "$NAME"
