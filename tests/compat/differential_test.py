#!/usr/bin/python3
"""Differential test of the server core: connections, protocol, RESP3, CLIENT, CONFIG, INFO,
COMMAND, MULTI, AUTH. The same scripted session runs against redis-server and pylond and the
replies are compared byte for byte (the engine is differential.py).

    /usr/bin/python3 differential_test.py <path-to-pylond> [--show]

Connections named "auth.*" go to a second pair of servers, started with requirepass.
PYLON_TEST_TARGET=redis replaces pylond with a second redis-server (to validate this script).
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import differential  # noqa: E402
import servers  # noqa: E402
from differential import (arity, cmd, mask_each, mask_hello, mask_help, mask_int,  # noqa: E402
                          mask_kv, mask_sorted_pairs, mask_text, masked, raw)

NAME = "differential_test"
PASSWORD = "s3cret"

# ---------------------------------------------------------------------------------------------
# Masks for this script's replies (the generic ones are in differential.py).

# CLIENT INFO / CLIENT LIST: values that depend on the process (ids, addresses, fds, ages,
# buffer sizes) are masked; the field names, their order and the rest are compared.
CLIENT_FIELDS_COMPARED = {"name", "db", "sub", "psub", "ssub", "multi", "flags", "cmd", "user",
                          "resp", "redir", "watch"}
CLIENT_FIELDS_NEWER = {"lib-name", "lib-ver"}  # Redis 7.2 (CLIENT SETINFO): pylond may add them


def _client_line(line):
    fields = []
    for item in line.split(" "):
        key, _, value = item.partition("=")
        if key in CLIENT_FIELDS_NEWER:
            continue
        fields.append("%s=%s" % (key, value if key in CLIENT_FIELDS_COMPARED else "*"))
    return " ".join(fields)


# Lines sorted: Redis's clientsCron rotates its client list, so its CLIENT LIST order depends
# on when the cron last ran (a rare mismatch against pylond's connection order otherwise).
mask_client_info = mask_text(
    lambda s: "\n".join(sorted(_client_line(l) for l in s.split("\n") if l)) + "\n")

# INFO: section headers are compared (only the sections pylond must have), then for each section
# its required fields: a value of None means "present, value masked", otherwise compared.
INFO_SECTIONS = ["Server", "Clients", "Memory", "Persistence", "Stats", "Cluster", "Keyspace",
                 "Commandstats"]
INFO_FIELDS = {
    "Server": {"redis_version": None, "redis_mode": "standalone", "process_id": None,
               "run_id": None, "tcp_port": None, "uptime_in_seconds": None,
               "uptime_in_days": None, "arch_bits": None},
    "Clients": {"connected_clients": "", "blocked_clients": "", "maxclients": ""},
    "Memory": {"used_memory": None, "used_memory_human": None, "maxmemory": "",
               "maxmemory_policy": ""},
    "Persistence": {"loading": "0", "aof_enabled": "0"},
    "Stats": {"total_connections_received": None, "total_commands_processed": None,
              "instantaneous_ops_per_sec": None, "rejected_connections": "", "expired_keys": "",
              "evicted_keys": "", "keyspace_hits": "", "keyspace_misses": "",
              "total_error_replies": None},
    "Cluster": {"cluster_enabled": "0"},
}


def _info(text):
    """Sections in order; inside a section the kept lines sorted (clients don't rely on order)."""
    out, section, lines = [], None, []
    for line in text.split("\r\n") + ["# end"]:
        if line.startswith("# "):
            out += sorted(lines)
            lines = []
            section = line[2:]
            if section in INFO_SECTIONS:
                out.append(line)
            continue
        if not line or section not in INFO_SECTIONS:
            continue
        key, _, value = line.partition(":")
        wanted = INFO_FIELDS.get(section)
        if section == "Keyspace":
            lines.append(line)  # db0:keys=... : compared whole
        elif section == "Commandstats":
            # cmdstat_ping:calls=2,usec=..,usec_per_call=..,rejected_calls=0,failed_calls=0
            kept = [kv for kv in value.split(",") if not kv.startswith("usec")]
            lines.append("%s:%s" % (key, ",".join(kept)))
        elif wanted is not None and key in wanted:
            lines.append("%s:%s" % (key, "*" if wanted[key] is None else value))
    return "\r\n".join(out) + "\r\n"


mask_info = mask_text(_info)


def mask_digits(f):
    """A bulk string of digits (TIME's fields)."""
    if f[0] == "$" and f[1] is not None and f[1].isdigit():
        return masked("digits")
    return f


def mask_command_table(f):
    """COMMAND / COMMAND INFO (no args): the sets differ; check every entry has the 10 fields of
    the Redis 7 format and that ping and echo are there."""
    t, p = f
    if t != "*" or p is None:
        return f
    names = {e[1][0][1] for e in p if e[0] == "*" and e[1] and e[1][0][0] == "$"}
    shapes = {len(e[1]) if e[0] == "*" and e[1] is not None else -1 for e in p}
    return masked("entries with %s fields; ping:%s echo:%s" % (
        sorted(shapes), b"ping" in names, b"echo" in names))


def mask_command_list(f):
    t, p = f
    if t != "*" or p is None:
        return f
    names = {c[1] for c in p}
    wanted = [b"ping", b"echo", b"hello", b"client|id", b"config|get", b"command|list"]
    return masked("list of %s; has %s" % ("bulk strings" if all(c[0] == "$" for c in p)
                                          else "other", [w for w in wanted if w in names]))


def mask_docs(f):
    """COMMAND DOCS: keys compared; summary and complexity texts masked."""
    return mask_each(lambda entry: mask_kv(summary="*", complexity="*")(entry))(f)


mask_time = mask_each(mask_digits)


# ---------------------------------------------------------------------------------------------
# The session.

STEPS = [
    # --- PING / ECHO, case-insensitive names, binary-safe payloads
    cmd("c1", "PING"),
    cmd("c1", "ping", "hello world"),
    cmd("c1", "PiNg", ""),
    cmd("c1", "ECHO", "hello"),
    cmd("c1", "echo", ""),
    cmd("c1", "ECHO", b"\x00\xff\r\n binary"),
    cmd("c1", "ECHO", "x" * 100000, label="c1: ECHO <100000 bytes>"),
    # --- wrong arity
    arity("c1", "ECHO"),
    arity("c1", "ECHO", "a", "b"),
    arity("c1", "PING", "a", "b"),
    arity("c1", "SELECT"),
    arity("c1", "AUTH"),
    arity("c1", "CLIENT"),
    arity("c1", "CONFIG"),
    arity("c1", "CLIENT", "SETNAME"),
    arity("c1", "CLIENT", "GETNAME", "x"),
    arity("c1", "CONFIG", "GET"),
    arity("c1", "CONFIG", "SET", "timeout"),
    arity("c1", "CONFIG", "RESETSTAT", "x"),
    arity("c1", "COMMAND", "GETKEYS"),
    arity("c1", "COMMAND", "GETKEYS", "echo"),
    arity("c1", "DBSIZE", "x"),
    arity("c1", "TIME", "x"),
    arity("c1", "RESET", "x"),
    arity("c1", "MULTI", "x"),
    arity("c1", "EXEC", "x"),
    arity("c1", "DISCARD", "x"),
    arity("c1", "WATCH"),
    arity("c1", "UNWATCH", "x"),
    # --- unknown commands and subcommands
    cmd("c1", "foo"),
    cmd("c1", "foo", "a", "b"),
    cmd("c1", "FOO", "a", "b"),
    cmd("c1", "foo", *["arg%02d-long-argument" % i for i in range(20)]),
    cmd("c1", "foo", "x" * 300),
    cmd("c1", "fo\r\no", "a\nb"),
    cmd("c1", ""),
    cmd("c1", "CLIENT", "FOO"),
    cmd("c1", "CLIENT", "FOO", "bar"),
    cmd("c1", "CONFIG", "FOO"),
    cmd("c1", "COMMAND", "FOO"),
    cmd("c1", "CLIENT", "SETINFO", "lib-name", "x", label="c1: CLIENT SETINFO (7.2+; 7.0 refuses)",
        mask=lambda f: masked("any reply") if f[0] in "+-" else f),
    # --- inline commands and pipelining
    raw("c1", b"PING\r\n"),
    raw("c1", b"ping\n"),
    raw("c1", b"ECHO \"a b\"\r\n"),
    raw("c1", b"ECHO 'single quoted'\r\n"),
    raw("c1", b"ECHO \"\\x41\\x42\\n\"\r\n"),
    raw("c1", b"  PING   x  \r\n"),
    raw("c1", b"\r\n\r\nPING\r\n"),
    raw("c1", b"*-1\r\n*0\r\nPING\r\n"),
    raw("c1", b"foo \"a b\" c\r\n"),
    raw("c1", b"PING\r\nPING x\r\n*2\r\n$4\r\nECHO\r\n$1\r\ny\r\nECHO\r\n*1\r\n$4\r\nPING\r\n",
        replies=5),
    raw("c1", b"".join(servers.resp_command("ECHO", str(i)) for i in range(200)), replies=200,
        label="c1: 200 pipelined ECHOs in one write"),
    # --- SELECT (one database)
    cmd("c1", "SELECT", "0"),
    cmd("c1", "SELECT", "1"),
    cmd("c1", "SELECT", "-1"),
    cmd("c1", "SELECT", "abc"),
    cmd("c1", "SELECT", "99999999999999999999"),
    # --- AUTH without a configured password
    cmd("c1", "AUTH", "whatever"),
    cmd("c1", "AUTH", "default", "whatever"),
    cmd("c1", "AUTH", "nosuchuser", "whatever"),
    cmd("c1", "AUTH", "a", "b", "c"),
    # --- HELLO
    cmd("c1", "HELLO", mask=mask_hello),
    cmd("c1", "HELLO", "2", mask=mask_hello),
    cmd("c1", "HELLO", "4"),
    cmd("c1", "HELLO", "1"),
    cmd("c1", "HELLO", "abc"),
    cmd("c1", "HELLO", "3", "foo"),
    cmd("c1", "HELLO", "3", "AUTH", "default"),
    cmd("c1", "HELLO", "3", "SETNAME"),
    cmd("c1", "HELLO", "3", "SETNAME", "a b"),
    cmd("c1", "HELLO", "2", "AUTH", "nosuchuser", "pw"),
    cmd("c1", "HELLO", "2", "AUTH", "default", "wrong", "SETNAME", "viahello", mask=mask_hello),
    cmd("c1", "CLIENT", "GETNAME"),
    # --- CLIENT
    cmd("c1", "CLIENT", "ID", mask=mask_int),
    cmd("c1", "CLIENT", "SETNAME", "a b"),
    cmd("c1", "CLIENT", "SETNAME", "a\nb"),
    cmd("c1", "CLIENT", "SETNAME", "c1-name"),
    cmd("c1", "CLIENT", "GETNAME"),
    cmd("c1", "CLIENT", "SETNAME", ""),
    cmd("c1", "CLIENT", "GETNAME"),
    cmd("c1", "CLIENT", "SETNAME", "c1"),
    cmd("c1", "CLIENT", "INFO", mask=mask_client_info),
    cmd("c1", "CLIENT", "LIST", mask=mask_client_info),
    cmd("c1", "CLIENT", "LIST", "TYPE", "normal", mask=mask_client_info),
    cmd("c1", "CLIENT", "LIST", "TYPE", "pubsub"),
    cmd("c1", "CLIENT", "LIST", "TYPE", "bogus"),
    cmd("c1", "CLIENT", "LIST", "ID", "abc"),
    cmd("c1", "CLIENT", "LIST", "ID", "123456789"),
    cmd("c1", "CLIENT", "KILL", "127.0.0.1:1"),
    cmd("c1", "CLIENT", "KILL", "ADDR", "127.0.0.1:1"),
    cmd("c1", "CLIENT", "KILL", "LADDR", "127.0.0.1:1"),
    cmd("c1", "CLIENT", "KILL", "ID", "123456789"),
    cmd("c1", "CLIENT", "KILL", "ID", "abc"),
    cmd("c1", "CLIENT", "KILL", "ID", "0"),
    cmd("c1", "CLIENT", "KILL", "USER", "nobody"),
    cmd("c1", "CLIENT", "KILL", "TYPE", "bogus"),
    cmd("c1", "CLIENT", "KILL", "SKIPME", "maybe"),
    cmd("c1", "CLIENT", "KILL", "FOO", "bar"),
    cmd("c1", "CLIENT", "KILL", "TYPE", "normal", "SKIPME"),
    cmd("c1", "CLIENT", "HELP", mask=mask_help),
    # --- RESP3 on a second connection
    cmd("c2", "HELLO", "3", mask=mask_hello),
    cmd("c2", "PING"),
    cmd("c2", "ECHO", "resp3"),
    cmd("c2", "CLIENT", "GETNAME"),
    cmd("c2", "CLIENT", "ID", mask=mask_int),
    cmd("c2", "CLIENT", "INFO", mask=mask_client_info),
    cmd("c2", "CLIENT", "LIST", "TYPE", "pubsub"),
    cmd("c2", "CONFIG", "GET", "maxclients"),
    cmd("c2", "CONFIG", "GET", "nomatch*"),
    cmd("c2", "CONFIG", "GET", "maxclients", "timeout", mask=mask_sorted_pairs),
    cmd("c2", "COMMAND", "INFO", "ping", "nosuchcommand"),
    cmd("c2", "COMMAND", "DOCS", "ping", mask=mask_docs),
    cmd("c2", "TIME", mask=mask_time),
    cmd("c2", "DBSIZE"),
    cmd("c2", "foo", "bar"),
    cmd("c2", "HELLO", "3", "SETNAME", "c2", mask=mask_hello),
    cmd("c2", "CLIENT", "GETNAME"),
    cmd("c2", "SELECT", "1"),
    cmd("c2", "INFO", "persistence", mask=mask_info),
    cmd("c2", "HELLO", "2", mask=mask_hello),
    cmd("c2", "CLIENT", "GETNAME"),
    cmd("c2", "HELLO", "3", mask=mask_hello),
    # --- CONFIG
    cmd("c1", "CONFIG", "GET", "maxclients"),
    cmd("c1", "CONFIG", "GET", "MAXCLIENTS"),
    cmd("c1", "CONFIG", "GET", "maxclient*"),
    cmd("c1", "CONFIG", "GET", "save"),
    cmd("c1", "CONFIG", "GET", "appendonly"),
    cmd("c1", "CONFIG", "GET", "timeout"),
    cmd("c1", "CONFIG", "GET", "bind"),
    cmd("c1", "CONFIG", "GET", "requirepass"),
    cmd("c1", "CONFIG", "GET", "databases"),
    cmd("c1", "CONFIG", "GET", "protected-mode"),
    cmd("c1", "CONFIG", "GET", "proto-max-bulk-len"),
    cmd("c1", "CONFIG", "GET", "client-query-buffer-limit"),
    cmd("c1", "CONFIG", "GET", "port", mask=mask_kv(port="*")),
    cmd("c1", "CONFIG", "GET", "nomatch*"),
    cmd("c1", "CONFIG", "GET", "maxclients", "timeout", mask=mask_sorted_pairs),
    cmd("c1", "CONFIG", "SET", "foo", "bar"),
    cmd("c1", "CONFIG", "SET", "daemonize", "yes"),
    cmd("c1", "CONFIG", "SET", "unixsocket", "/tmp/x.sock"),
    cmd("c1", "CONFIG", "SET", "logfile", "/tmp/x.log"),
    cmd("c1", "CONFIG", "SET", "pidfile", "/tmp/x.pid"),
    cmd("c1", "CONFIG", "SET", "maxclients", "abc"),
    cmd("c1", "CONFIG", "SET", "timeout", "-1"),
    cmd("c1", "CONFIG", "SET", "port", "abc"),
    cmd("c1", "CONFIG", "SET", "loglevel", "bogus"),
    cmd("c1", "CONFIG", "SET", "timeout", "0", "timeout", "1"),
    cmd("c1", "CONFIG", "SET", "timeout", "300"),
    cmd("c1", "CONFIG", "GET", "timeout"),
    cmd("c1", "CONFIG", "SET", "timeout", "0", "maxclients", "10000"),
    cmd("c1", "CONFIG", "GET", "timeout"),
    cmd("c1", "CONFIG", "SET", "loglevel", "notice"),
    cmd("c1", "CONFIG", "HELP", mask=mask_help),
    # --- COMMAND
    cmd("c1", "COMMAND", "COUNT", mask=mask_int),
    cmd("c1", "COMMAND", mask=mask_command_table),
    cmd("c1", "COMMAND", "INFO", mask=mask_command_table),
    cmd("c1", "COMMAND", "INFO", "ping", "nosuchcommand"),
    cmd("c1", "COMMAND", "INFO", "PING", "echo"),
    cmd("c1", "COMMAND", "DOCS", "nosuchcommand"),
    cmd("c1", "COMMAND", "DOCS", "echo", mask=mask_docs),
    cmd("c1", "COMMAND", "GETKEYS", "echo", "a"),
    cmd("c1", "COMMAND", "GETKEYS", "ping", "x"),
    cmd("c1", "COMMAND", "GETKEYS", "nosuchcommand", "x"),
    cmd("c1", "COMMAND", "LIST", mask=mask_command_list),
    cmd("c1", "COMMAND", "LIST", "FILTERBY", "PATTERN", "ech*"),
    cmd("c1", "COMMAND", "LIST", "FILTERBY", "PATTERN", "nomatch*"),
    cmd("c1", "COMMAND", "LIST", "FILTERBY", "MODULE", "nosuchmodule"),
    cmd("c1", "COMMAND", "LIST", "FILTERBY"),
    cmd("c1", "COMMAND", "LIST", "FILTERBY", "BOGUS", "x"),
    cmd("c1", "COMMAND", "HELP", mask=mask_help),
    # --- TIME, DBSIZE, FLUSHALL, FLUSHDB
    cmd("c1", "TIME", mask=mask_time),
    cmd("c1", "DBSIZE"),
    cmd("c1", "FLUSHALL"),
    cmd("c1", "FLUSHALL", "ASYNC"),
    cmd("c1", "FLUSHALL", "sync"),
    cmd("c1", "FLUSHALL", "bad"),
    cmd("c1", "FLUSHALL", "SYNC", "ASYNC"),
    cmd("c1", "FLUSHDB"),
    cmd("c1", "FLUSHDB", "ASYNC"),
    cmd("c1", "FLUSHDB", "SYNC"),
    cmd("c1", "FLUSHDB", "bad"),
    cmd("c1", "DBSIZE"),
    # --- MULTI / EXEC / DISCARD / WATCH on a third connection
    cmd("m", "EXEC"),
    cmd("m", "DISCARD"),
    cmd("m", "MULTI"),
    cmd("m", "PING"),
    cmd("m", "ECHO", "queued"),
    cmd("m", "CLIENT", "GETNAME"),
    cmd("m", "EXEC"),
    cmd("m", "MULTI"),
    cmd("m", "EXEC"),
    cmd("m", "MULTI"),
    cmd("m", "MULTI"),
    cmd("m", "PING"),
    cmd("m", "EXEC"),
    cmd("m", "MULTI"),
    cmd("m", "PING"),
    cmd("m", "DISCARD"),
    cmd("m", "EXEC"),
    cmd("m", "MULTI"),
    cmd("m", "foo", "a"),
    cmd("m", "PING"),
    cmd("m", "EXEC"),
    cmd("m", "MULTI"),
    cmd("m", "ECHO"),
    cmd("m", "EXEC"),
    cmd("m", "MULTI"),
    cmd("m", "WATCH", "k"),
    cmd("m", "EXEC"),
    cmd("m", "MULTI"),
    cmd("m", "UNWATCH"),
    cmd("m", "EXEC"),
    cmd("m", "WATCH", "k"),
    cmd("m", "UNWATCH"),
    cmd("m", "WATCH", "k1", "k2"),
    cmd("m", "MULTI"),
    cmd("m", "PING", "in-watched-multi"),
    cmd("m", "EXEC"),
    cmd("m", "MULTI"),
    cmd("m", "SELECT", "0"),
    cmd("m", "SELECT", "1"),
    cmd("m", "CONFIG", "GET", "maxclients"),
    cmd("m", "CLIENT", "SETNAME", "in-multi"),
    cmd("m", "EXEC"),
    cmd("m", "CLIENT", "GETNAME"),
    cmd("m", "MULTI"),
    cmd("m", "CLIENT", "INFO"),
    cmd("c1", "CLIENT", "LIST", mask=mask_client_info, label="c1: CLIENT LIST (m in MULTI)"),
    cmd("m", "DISCARD"),
    raw("m", servers.resp_command("MULTI") + servers.resp_command("PING") +
        servers.resp_command("ECHO", "p") + servers.resp_command("EXEC"), replies=4,
        label="m: pipelined MULTI PING ECHO EXEC"),
    cmd("m", "HELLO", "3", mask=mask_hello),
    cmd("m", "MULTI"),
    cmd("m", "CLIENT", "GETNAME"),
    cmd("m", "PING"),
    cmd("m", "CONFIG", "GET", "maxclients"),
    cmd("m", "EXEC"),
    cmd("m", "MULTI"),
    cmd("m", "HELLO", "2"),
    cmd("m", "EXEC", mask=mask_each(mask_hello)),
    cmd("m", "PING"),
    cmd("m", "MULTI"),
    cmd("m", "PING"),
    cmd("m", "RESET"),
    cmd("m", "EXEC"),
    # --- RESET: back to RESP2, no name, out of MULTI, unwatched
    cmd("r", "HELLO", "3", "SETNAME", "before-reset", mask=mask_hello),
    cmd("r", "WATCH", "k"),
    cmd("r", "MULTI"),
    cmd("r", "PING"),
    cmd("r", "RESET"),
    cmd("r", "CLIENT", "GETNAME"),
    cmd("r", "EXEC"),
    cmd("r", "CLIENT", "INFO", mask=mask_client_info),
    # --- INFO
    cmd("c1", "INFO", mask=mask_info),
    cmd("c1", "INFO", "server", mask=mask_info),
    cmd("c1", "INFO", "SERVER", mask=mask_info),
    cmd("c1", "INFO", "clients", mask=mask_info),
    cmd("c1", "INFO", "memory", mask=mask_info),
    cmd("c1", "INFO", "persistence", mask=mask_info),
    cmd("c1", "INFO", "stats", mask=mask_info),
    cmd("c1", "INFO", "keyspace", mask=mask_info),
    cmd("c1", "INFO", "cluster", mask=mask_info),
    cmd("c1", "INFO", "server", "clients", mask=mask_info),
    cmd("c1", "INFO", "bogus"),
    cmd("c1", "CONFIG", "RESETSTAT"),
    cmd("c1", "PING"),
    cmd("c1", "PING"),
    cmd("c1", "ECHO"),
    cmd("c1", "CLIENT", "ID", mask=mask_int),
    cmd("c1", "INFO", "commandstats", mask=mask_info),
    cmd("c1", "INFO", "stats", mask=mask_info),
    cmd("c2", "INFO", mask=mask_info),
    cmd("c2", "INFO", "keyspace"),
    # --- protocol errors: each on a fresh connection, error then close
    raw("p1", b"*abc\r\n", close=True),
    raw("p2", b"*1\r\n%3\r\n", close=True),
    raw("p3", b"*1\r\n$abc\r\n", close=True),
    raw("p4", b"\"unbalanced\r\n", close=True),
    raw("p5", b"ECHO 'x\r\n", close=True),
    raw("p6", b"*1\r\n$-1\r\n", close=True),
    raw("p7", b"*2147483648\r\n", close=True),
    raw("p8", b"*1\r\n$999999999999\r\n", close=True),
    raw("p9", b"PING\r\n*1\r\n+PING\r\n", replies=2, close=True),
    raw("p10", b"*" + b"1" * 70000, close=True, label="p10: '*' + 70000 digits, no newline"),
    raw("p11", b"P" * 70000, close=True, label="p11: 70000-byte inline, no newline"),
    # --- QUIT
    cmd("q", "PING"),
    cmd("q", "QUIT", close=True),
    cmd("q2", "QUIT", "extra", close=True),
    cmd("q3", "MULTI"),
    cmd("q3", "QUIT", close=True),
    raw("q4", servers.resp_command("QUIT") + servers.resp_command("PING"), close=True,
        label="q4: QUIT then PING in one write (no reply to PING)"),
    # --- requirepass: NOAUTH, AUTH, HELLO AUTH, unauthenticated limits
    cmd("auth.a", "PING"),
    cmd("auth.a", "ECHO", "x"),
    cmd("auth.a", "CLIENT", "ID"),
    cmd("auth.a", "CLIENT", "SETNAME", "x"),
    cmd("auth.a", "CONFIG", "GET", "maxclients"),
    cmd("auth.a", "MULTI"),
    cmd("auth.a", "EXEC"),
    cmd("auth.a", "foo", "a"),
    cmd("auth.a", "ECHO"),
    cmd("auth.a", "HELLO", "3"),
    cmd("auth.a", "HELLO", "2"),
    cmd("auth.a", "HELLO", mask=mask_hello),
    cmd("auth.a", "HELLO", "3", "AUTH", "default", "wrong"),
    cmd("auth.a", "AUTH", "wrong"),
    cmd("auth.a", "AUTH", "default", "wrong"),
    cmd("auth.a", "AUTH", "nosuchuser", "wrong"),
    cmd("auth.a", "PING"),
    cmd("auth.a", "AUTH", PASSWORD),
    cmd("auth.a", "PING"),
    cmd("auth.a", "CLIENT", "INFO", mask=mask_client_info),
    cmd("auth.a", "CONFIG", "GET", "requirepass"),
    cmd("auth.a", "RESET"),
    cmd("auth.a", "PING"),
    cmd("auth.a", "AUTH", "default", PASSWORD),
    cmd("auth.a", "PING"),
    cmd("auth.b", "HELLO", "3", "AUTH", "default", PASSWORD, "SETNAME", "b", mask=mask_hello),
    cmd("auth.b", "CLIENT", "GETNAME"),
    cmd("auth.b", "PING"),
    cmd("auth.c", "HELLO", "2", "AUTH", "default", PASSWORD, mask=mask_hello),
    cmd("auth.c", "PING"),
    raw("auth.d", b"PING\r\n"),
    raw("auth.d", b"AUTH s3cret\r\n"),
    raw("auth.d", b"PING\r\n"),
    cmd("auth.e", "QUIT", close=True),
    raw("auth.p1", b"*11\r\n", close=True),
    raw("auth.p2", b"*1\r\n$16385\r\n", close=True),
    raw("auth.p3", b"*10\r\n$16384\r\n", replies=0, silent=True,
        label="auth.p3: *10 $16384 (at the limits: no error, waits for the rest)"),
    raw("auth.p4", b"*abc\r\n", close=True),
    cmd("auth.a", "CLIENT", "LIST", mask=mask_client_info),
    # --- CLIENT KILL of the others, then SHUTDOWN
    cmd("k", "CLIENT", "KILL", "TYPE", "normal", "SKIPME", "yes"),
    raw("c1", servers.resp_command("PING"), replies=0, close=True,
        label="c1: PING after being killed (closed)"),
    cmd("k", "CLIENT", "LIST", mask=mask_client_info),
    cmd("k", "SHUTDOWN", "bogus"),
    cmd("k", "SHUTDOWN", "ABORT"),
    cmd("k", "SHUTDOWN", "NOSAVE", "SAVE"),
    cmd("k", "MULTI"),
    cmd("k", "SHUTDOWN"),
    cmd("k", "DISCARD"),
    cmd("k", "SHUTDOWN", replies=0, close=True),
]


if __name__ == "__main__":
    sys.exit(differential.run(NAME, STEPS, password=PASSWORD))
