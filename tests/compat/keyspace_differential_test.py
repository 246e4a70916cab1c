#!/usr/bin/python3
"""Differential test of the keyspace: string commands (SET and its options, GET*, M*, INCR*,
APPEND, GETRANGE, SETRANGE), key commands (DEL, EXISTS, RENAME, TYPE, expiry, KEYS, SCAN,
RANDOMKEY, OBJECT, MEMORY USAGE), WATCH across connections and RESP3 replies. The same scripted
session runs against redis-server and pylond and the replies are compared byte for byte (the
engine is differential.py).

    /usr/bin/python3 keyspace_differential_test.py <path-to-pylond> [--show]

Nothing waits for time to pass: expiry in the past is set with PXAT 1 or a negative EXPIRE, and
absolute times in 2100 (EXAT / PXAT) make EXPIRETIME exact; the remaining TTL of a key is
compared through a range mask. PYLON_TEST_TARGET=redis replaces pylond with a second
redis-server (to validate this script).
"""

import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import differential  # noqa: E402
import servers  # noqa: E402
from differential import (cmd, mask_each, mask_hello, mask_help, mask_int,  # noqa: E402
                          mask_sorted, masked, raw, scan_all)

NAME = "keyspace_differential_test"

T2100 = 4102444800  # 2100-01-01 00:00:00 UTC, in seconds
P2100 = T2100 * 1000 + 123  # the same, in milliseconds, not on a second
I64_MAX = "9223372036854775807"
I64_MIN = "-9223372036854775808"
BIG_OFFSET = str(512 * 1024 * 1024)  # proto-max-bulk-len: SETRANGE up to there is refused


def seq(conn, *commands, mask=None):
    """Several commands in one write, their replies compared together: a setup and the check of
    its effect, a MULTI ... EXEC, or a list of similar cases."""
    def word(a):
        s = a if isinstance(a, str) and a.isprintable() and a and " " not in a else repr(a)
        return s if len(s) <= 24 else s[:21] + "..."
    text = " | ".join(" ".join(word(a) for a in c) for c in commands)
    label = "%s: %s" % (conn, text if len(text) <= 90 else text[:87] + "...")
    return raw(conn, b"".join(servers.resp_command(*c) for c in commands),
               replies=len(commands), mask=mask, label=label)


# ---------------------------------------------------------------------------------------------
# Masks for this script's replies (the generic ones are in differential.py).


def mask_range(lo, hi):
    """An integer in [lo, hi] (a TTL counting down) becomes a label; anything else is kept."""
    def apply(f):
        if f[0] == ":" and lo <= int(f[1]) <= hi:
            return masked("int in [%d, %d]" % (lo, hi))
        return f
    return apply


def mask_near_now(seconds, unit=1):
    """EXPIRETIME (unit 1) or PEXPIRETIME (unit 1000) of a key given `seconds` to live: a value
    within 10 s of now + seconds becomes a label."""
    def apply(f):
        if f[0] == ":" and abs(int(f[1]) - (time.time() + seconds) * unit) <= 10 * unit:
            return masked("now + %ds" % seconds)
        return f
    return apply


def mask_scan_reply(f):
    """A [cursor, keys] SCAN reply: the cursor masked, the keys sorted."""
    t, p = f
    if t != "*" or p is None or len(p) != 2 or p[1][0] != "*" or p[1][1] is None:
        return f
    return (t, [masked("cursor"), mask_sorted(p[1])])


def mask_scan_shape(f):
    """A SCAN reply from an arbitrary cursor: which keys come back is the hash seed's choice."""
    t, p = f
    if t == "*" and p is not None and len(p) == 2 and p[0][0] == "$" and p[1][0] == "*":
        return masked("cursor and keys")
    return f


TTL100 = mask_range(90, 100)  # TTL of a key given 100 s
PTTL100 = mask_range(90000, 100000)


# ---------------------------------------------------------------------------------------------
# Wrong arity, every command: one step per group.

ARITY = [
    [("GET",), ("GET", "a", "b"), ("SET",), ("SET", "a"), ("SETNX", "a"),
     ("SETNX", "a", "b", "c"), ("SETEX", "a", "10"), ("SETEX", "a", "10", "v", "x"),
     ("PSETEX", "a", "10")],
    [("GETSET", "a"), ("GETDEL",), ("GETDEL", "a", "b"), ("GETEX",), ("MGET",), ("MSET",),
     ("MSET", "a"), ("MSET", "a", "1", "b"), ("MSETNX",), ("MSETNX", "a", "1", "b")],
    [("INCR",), ("INCR", "a", "b"), ("DECR",), ("INCRBY", "a"), ("INCRBY", "a", "1", "2"),
     ("DECRBY", "a"), ("INCRBYFLOAT", "a"), ("INCRBYFLOAT", "a", "1", "2")],
    [("APPEND", "a"), ("STRLEN",), ("STRLEN", "a", "b"), ("GETRANGE", "a", "0"),
     ("GETRANGE", "a", "0", "1", "2"), ("SUBSTR", "a", "0"), ("SETRANGE", "a", "0")],
    [("DEL",), ("UNLINK",), ("EXISTS",), ("TOUCH",), ("TYPE",), ("TYPE", "a", "b"),
     ("RENAME", "a"), ("RENAME", "a", "b", "c"), ("RENAMENX", "a")],
    [("EXPIRE", "a"), ("PEXPIRE", "a"), ("EXPIREAT", "a"), ("PEXPIREAT", "a"), ("TTL",),
     ("TTL", "a", "b"), ("PTTL",), ("EXPIRETIME",), ("PEXPIRETIME", "a", "b"), ("PERSIST",),
     ("PERSIST", "a", "b")],
    [("KEYS",), ("KEYS", "a", "b"), ("SCAN",), ("RANDOMKEY", "a"), ("DBSIZE", "a")],
    [("OBJECT",), ("OBJECT", "ENCODING"), ("OBJECT", "ENCODING", "a", "b"),
     ("OBJECT", "REFCOUNT"), ("OBJECT", "IDLETIME"), ("OBJECT", "FREQ"), ("MEMORY",),
     ("MEMORY", "USAGE")],
]

# ---------------------------------------------------------------------------------------------
# The session. "c" is the main connection; "w1"/"w2" test WATCH; "r3" speaks RESP3.

STEPS = [
    cmd("c", "FLUSHALL"),
    *[seq("c", *group) for group in ARITY],

    # --- SET: NX / XX / GET
    cmd("c", "SET", "s", "v1"),
    cmd("c", "GET", "s"),
    seq("c", ("SET", "s", "v2", "NX"), ("GET", "s")),
    seq("c", ("SET", "s", "v2", "XX"), ("GET", "s")),
    seq("c", ("SET", "s2", "v", "XX"), ("EXISTS", "s2")),
    cmd("c", "SET", "s2", "v", "nx"),
    cmd("c", "SET", "s", "v3", "GET"),
    cmd("c", "SET", "missing1", "v", "GET"),
    seq("c", ("SET", "s", "v4", "NX", "GET"), ("GET", "s")),
    seq("c", ("SET", "missing2", "v", "XX", "GET"), ("EXISTS", "missing2")),
    cmd("c", "SET", "s", "v5", "XX", "GET"),
    cmd("c", "SET", "s", "v6", "GET", "GET"),
    cmd("c", "SET", "s", "v", "NX", "NX"),
    cmd("c", "SET", "s", "v", "NX", "XX"),
    cmd("c", "SET", "s", "v", "XX", "NX"),
    cmd("c", "SET", "s", "v", "FOO"),
    cmd("c", "SET", "s", "v", "EX"),
    seq("c", ("SET", "s", "v", "GET", "EX"), ("GET", "s")),
    # --- SET: expiry options and their conflicts
    cmd("c", "SET", "s", "v", "EX", "100"),
    cmd("c", "TTL", "s", mask=TTL100),
    cmd("c", "PTTL", "s", mask=PTTL100),
    cmd("c", "EXPIRETIME", "s", mask=mask_near_now(100)),
    cmd("c", "PEXPIRETIME", "s", mask=mask_near_now(100, 1000)),
    seq("c", ("SET", "s", "v", "PX", "100000"), ("PTTL", "s"), mask=PTTL100),
    seq("c", ("SET", "s", "v", "KEEPTTL"), ("TTL", "s"), mask=TTL100),
    seq("c", ("SET", "s", "v", "keepttl", "XX", "GET"), ("TTL", "s"), mask=TTL100),
    seq("c", ("SET", "s", "v"), ("TTL", "s")),
    seq("c", ("SET", "s", "v", "EXAT", str(T2100)), ("EXPIRETIME", "s"), ("PEXPIRETIME", "s")),
    seq("c", ("SET", "s", "v", "PXAT", str(P2100)), ("PEXPIRETIME", "s"), ("EXPIRETIME", "s")),
    seq("c", ("SET", "s", "v", "PXAT", str(P2100 + 477)), ("EXPIRETIME", "s")),
    seq("c", ("SET", "s", "v", "EX", "1000", "EX", "100"), ("TTL", "s"), mask=TTL100),
    seq("c", *[("SET", "s", "v") + options for options in [
        ("EX", "100", "PX", "100"), ("PX", "100", "EX", "100"), ("EX", "100", "KEEPTTL"),
        ("KEEPTTL", "PXAT", str(P2100)), ("EXAT", str(T2100), "PXAT", str(P2100))]]),
    seq("c", *[("SET", "s", "v", opt, t) for opt, t in [
        ("EX", "0"), ("EX", "-1"), ("PX", "0"), ("EXAT", "0"), ("PXAT", "-5")]]),
    seq("c", *[("SET", "s", "v", "EX", t) for t in ["abc", "1.5", "+10", " 10", "010"]]),
    seq("c", *[("SET", "s", "v", opt, t) for opt, t in [
        ("EX", I64_MAX), ("EX", "9223372036854775"), ("PX", I64_MAX), ("EXAT", I64_MAX)]]),
    seq("c", ("SET", "s", "v", "PXAT", I64_MAX), ("PEXPIRETIME", "s")),
    seq("c", ("SET", "s", "x", "EX", "99999999999999999999"), ("GET", "s")),
    seq("c", ("SET", "s", "gone", "PXAT", "1"), ("GET", "s")),
    seq("c", ("SET", "s", "gone", "EXAT", "1", "GET"), ("EXISTS", "s")),
    seq("c", ("SET", "s", "v", "NX", "EX", "100", "GET"), ("TTL", "s"), mask=TTL100),
    # --- SETNX, SETEX, PSETEX
    cmd("c", "SETNX", "nx", "1"),
    seq("c", ("SETNX", "nx", "2"), ("GET", "nx")),
    seq("c", ("SETEX", "se", "100", "v"), ("TTL", "se"), mask=TTL100),
    seq("c", ("PSETEX", "pse", "100000", "v"), ("PTTL", "pse"), mask=PTTL100),
    seq("c", ("SETEX", "se", "0", "v"), ("SETEX", "se", "-10", "v"), ("PSETEX", "pse", "0", "v")),
    seq("c", ("SETEX", "se", "abc", "v"), ("SETEX", "se", I64_MAX, "v"),
        ("PSETEX", "pse", I64_MAX, "v")),
    # --- GET, GETSET, GETDEL
    cmd("c", "GET", "nosuchkey"),
    cmd("c", "GETSET", "gs", "a"),
    seq("c", ("SETEX", "gs", "100", "b"), ("GETSET", "gs", "c"), ("TTL", "gs")),
    seq("c", ("GETDEL", "gs"), ("GETDEL", "gs"), ("EXISTS", "gs")),
    # --- GETEX
    cmd("c", "SET", "gx", "v"),
    cmd("c", "GETEX", "gx"),
    cmd("c", "GETEX", "nosuchkey"),
    cmd("c", "GETEX", "nosuchkey", "EX", "100"),
    seq("c", ("GETEX", "gx", "EX", "100"), ("TTL", "gx"), mask=TTL100),
    seq("c", ("GETEX", "gx"), ("TTL", "gx"), mask=TTL100),
    seq("c", ("GETEX", "gx", "PERSIST"), ("TTL", "gx")),
    seq("c", ("GETEX", "gx", "PX", "100000"), ("PTTL", "gx"), mask=PTTL100),
    seq("c", ("GETEX", "gx", "EXAT", str(T2100)), ("PEXPIRETIME", "gx")),
    seq("c", ("GETEX", "gx", "PXAT", str(P2100)), ("PEXPIRETIME", "gx")),
    seq("c", ("GETEX", "gx", "persist"), ("GETEX", "gx", "PERSIST"), ("TTL", "gx")),
    seq("c", ("GETEX", "gx", "EX", "0"), ("GETEX", "gx", "EX", "-1"), ("GETEX", "gx", "PX", "0")),
    seq("c", ("GETEX", "gx", "EX", "abc"), ("GETEX", "gx", "EX", I64_MAX)),
    seq("c", ("GETEX", "gx", "PXAT", I64_MAX), ("PEXPIRETIME", "gx")),
    seq("c", ("GETEX", "gx", "EX", "10", "PX", "10"), ("GETEX", "gx", "PERSIST", "EX", "10"),
        ("GETEX", "gx", "EX", "10", "PERSIST")),
    seq("c", ("GETEX", "gx", "KEEPTTL"), ("GETEX", "gx", "EX"), ("GETEX", "gx", "FOO"),
        ("GETEX", "nosuchkey", "EX", "abc")),
    seq("c", ("GETEX", "gx", "PXAT", "1"), ("GET", "gx"), ("EXISTS", "gx")),
    # --- MGET, MSET, MSETNX
    cmd("c", "MSET", "m1", "a", "m2", "b", "m1", "c"),
    cmd("c", "MGET", "m1", "m2", "nosuchkey", "m1"),
    cmd("c", "MGET", "nosuchkey"),
    seq("c", ("SETEX", "m1", "100", "x"), ("MSET", "m1", "d"), ("TTL", "m1")),
    seq("c", ("MSETNX", "m3", "1", "m1", "2"), ("MGET", "m3", "m1")),
    seq("c", ("MSETNX", "m3", "1", "m4", "2", "m3", "3"), ("MGET", "m3", "m4")),

    # --- INCR / DECR / INCRBY / DECRBY
    seq("c", ("INCR", "n"), ("INCR", "n"), ("DECR", "n"), ("DECR", "n2")),
    seq("c", ("INCRBY", "n", "100"), ("INCRBY", "n", "-200"), ("DECRBY", "n", "-5"),
        ("DECRBY", "n", "5"), ("GET", "n")),
    seq("c", ("INCRBY", "n", "abc"), ("INCRBY", "n", "1.5"), ("INCRBY", "n", "")),
    cmd("c", "INCRBY", "n", "9223372036854775808"),
    cmd("c", "DECRBY", "n", I64_MIN),
    seq("c", ("SET", "n", I64_MAX), ("INCR", "n"), ("INCRBY", "n", "0"), ("DECR", "n")),
    seq("c", ("SET", "n", I64_MIN), ("DECR", "n"), ("INCRBY", "n", "-1"), ("INCR", "n")),
    seq("c", ("SET", "n", "-2"), ("DECRBY", "n", I64_MAX), ("INCRBY", "n", I64_MIN)),
    seq("c", ("SET", "n", "1"), ("INCRBY", "n", I64_MAX), ("GET", "n")),
    # values that are not integers: spaces, signs, leading zeros, 20 digits, \0
    *[seq("c", ("SET", "bad", value), ("INCR", "bad"))
      for value in ["abc", "", " 1", "1 ", "+1", "01", "-0", "1.0", "1e3", "0x10",
                    "12345678901234567890", "1\x00", "\t1"]],
    seq("c", ("SET", "n", "0"), ("INCR", "n")),
    seq("c", ("SET", "n", "-0123"), ("DECR", "n")),
    seq("c", ("SETEX", "n", "100", "41"), ("INCR", "n"), ("TTL", "n"), mask=TTL100),

    # --- INCRBYFLOAT
    cmd("c", "INCRBYFLOAT", "f", "0.1"),
    cmd("c", "INCRBYFLOAT", "f", "0.2"),
    cmd("c", "INCRBYFLOAT", "f", "1e3"),
    cmd("c", "INCRBYFLOAT", "f", "-1000.3"),
    seq("c", *[("INCRBYFLOAT", "f", incr) for incr in ["1.5", "3.0e3", ".5", "5.", "-.25"]]),
    seq("c", *[("INCRBYFLOAT", "f", incr) for incr in ["+1.5", "1e-5", "-3e3", "0x10"]]),
    cmd("c", "INCRBYFLOAT", "f", "1.23456789012345678901234"),
    seq("c", ("GET", "f"), ("OBJECT", "ENCODING", "f")),
    seq("c", *[("INCRBYFLOAT", "f", bad) for bad in ["abc", "", " 1", "1 ", "1e", "1,5"]]),
    seq("c", *[("INCRBYFLOAT", "f", bad) for bad in ["inf", "-inf", "nan", "infinity"]]),
    seq("c", *[("INCRBYFLOAT", "f", bad) for bad in ["1e5000", "1e-5000"]]),
    cmd("c", "INCRBYFLOAT", "f", "1." + "0" * 5200, label="c: INCRBYFLOAT f 1.<5200 zeros>"),
    cmd("c", "GET", "f"),
    # a \0 inside a number: the whole argument must be the number
    seq("c", ("SET", "f0", "1"), ("INCRBYFLOAT", "f0", "1.5\x00"), ("GET", "f0")),
    seq("c", ("SET", "f0", "1.5\x00"), ("INCRBYFLOAT", "f0", "1"), ("INCRBY", "f0", "1")),
    seq("c", ("SET", "f0", "1"), ("INCRBY", "f0", "1\x00"), ("EXPIRE", "f0", "100\x00"),
        ("SET", "f0", "v", "EX", "100\x00"), ("GETRANGE", "f0", "0\x00", "1"), ("GET", "f0")),
    seq("c", ("SET", "f", "3.000"), ("INCRBYFLOAT", "f", "0")),
    seq("c", ("SET", "f", "10.50"), ("INCRBYFLOAT", "f", "0.1")),
    seq("c", ("SET", "f", "5.0e3"), ("INCRBYFLOAT", "f", "1")),
    seq("c", ("SET", "f", "1e308"), ("INCRBYFLOAT", "f", "1e308")),
    seq("c", ("SET", "f", "1e4931"), ("INCRBYFLOAT", "f", "1e4932")),
    seq("c", ("SET", "f", " 1.5"), ("INCRBYFLOAT", "f", "1")),
    seq("c", ("SET", "f", "nan"), ("INCRBYFLOAT", "f", "1")),
    seq("c", ("SET", "f", "12345678901234567890"), ("INCRBYFLOAT", "f", "1"), ("INCR", "f")),
    seq("c", ("SET", "f", "7"), ("INCRBYFLOAT", "f", "-2"), ("OBJECT", "ENCODING", "f"),
        ("INCR", "f"), ("OBJECT", "ENCODING", "f")),
    seq("c", ("SETEX", "f", "100", "1.5"), ("INCRBYFLOAT", "f", "1"), ("TTL", "f"),
        mask=TTL100),

    # --- APPEND, STRLEN
    seq("c", ("APPEND", "ap", "abc"), ("APPEND", "ap", ""), ("APPEND", "ap", "def"),
        ("GET", "ap"), ("STRLEN", "ap")),
    cmd("c", "STRLEN", "nosuchkey"),
    seq("c", ("APPEND", "ap2", ""), ("EXISTS", "ap2")),
    seq("c", ("SET", "num", "12345"), ("STRLEN", "num"), ("APPEND", "num", "6"),
        ("GET", "num")),
    seq("c", ("SET", "num", "-1"), ("STRLEN", "num")),
    seq("c", ("SETEX", "ap", "100", "x"), ("APPEND", "ap", "y"), ("TTL", "ap"), mask=TTL100),

    # --- GETRANGE / SUBSTR
    cmd("c", "SET", "r", "Hello, World"),
    *[seq("c", *[("GETRANGE", "r", a, b) for a, b in cases]) for cases in [
        [("0", "4"), ("0", "-1"), ("-5", "-1"), ("-1", "-1")],
        [("5", "2"), ("-100", "100"), ("-100", "-50"), ("100", "200")],
        [("0", "-100"), ("3", "-100"), ("-3", "1"), ("-1", "0")],
        [("11", "11"), ("12", "12"), (I64_MIN, I64_MAX)],
        [("a", "1"), ("0", "1.5"), ("0", "99999999999999999999")]]],
    seq("c", ("GETRANGE", "nosuchkey", "0", "-1"), ("GETRANGE", "nosuchkey", "0", "0")),
    seq("c", ("SUBSTR", "r", "7", "-1"), ("SUBSTR", "r", "-3", "-2")),
    seq("c", ("SET", "num", "12345"), ("GETRANGE", "num", "1", "3"),
        ("GETRANGE", "num", "-2", "-1")),
    seq("c", ("SET", "e", ""), ("GETRANGE", "e", "0", "-1"), ("GETRANGE", "e", "-1", "0")),

    # --- SETRANGE
    seq("c", ("SETRANGE", "sr", "0", "abc"), ("SETRANGE", "sr", "1", "X"), ("GET", "sr")),
    seq("c", ("SETRANGE", "sr", "6", "end"), ("GET", "sr")),
    seq("c", ("SETRANGE", "sr2", "5", "pad"), ("GET", "sr2")),
    seq("c", ("SETRANGE", "sr", "-1", "x"), ("SETRANGE", "sr", "abc", "x")),
    seq("c", ("SETRANGE", "sr", BIG_OFFSET, "x"),
        ("SETRANGE", "sr", str(int(BIG_OFFSET) - 1), "xy"), ("SETRANGE", "sr", "4294967296", "x")),
    seq("c", ("SETRANGE", "sr", "100", ""), ("SETRANGE", "sr", BIG_OFFSET, ""),
        ("STRLEN", "sr")),
    seq("c", ("SETRANGE", "sr3", "0", ""), ("SETRANGE", "sr3", "10", ""),
        ("SETRANGE", "sr3", BIG_OFFSET, ""), ("EXISTS", "sr3")),
    cmd("c", "SETRANGE", "sr3", "-1", ""),
    seq("c", ("SET", "num", "12345"), ("SETRANGE", "num", "1", "x"), ("GET", "num")),
    seq("c", ("SETEX", "sr", "100", "abc"), ("SETRANGE", "sr", "1", "Z"), ("TTL", "sr"),
        mask=TTL100),

    # --- binary keys and values (\0, \r\n), the empty key, a big value
    seq("c", ("SET", "bin", b"a\x00b\r\nc"), ("GET", "bin"), ("STRLEN", "bin")),
    seq("c", ("APPEND", "bin", b"\x00\r\n"), ("GETRANGE", "bin", "1", "4")),
    seq("c", ("SETRANGE", "bin", "0", b"\r\n"), ("GET", "bin")),
    seq("c", ("SET", b"k\x00\r\nk", b"\xff\xfe"), ("GET", b"k\x00\r\nk"),
        ("EXISTS", b"k\x00\r\nk", b"k\x00")),
    cmd("c", "KEYS", b"k\x00*", mask=mask_sorted),
    seq("c", ("SET", "", "empty key"), ("GET", ""), ("EXISTS", ""), ("TYPE", ""), ("DEL", "")),
    seq("c", ("SET", "big", "x" * 100000), ("STRLEN", "big"), ("GETRANGE", "big", "99995", "-1"),
        ("OBJECT", "ENCODING", "big")),
    seq("c", ("APPEND", "big", "y"), ("GETRANGE", "big", "-3", "-1")),
    raw("c", b"SET inl \"a b\\r\\n\"\r\nGET inl\r\n", replies=2),

    # --- OBJECT ENCODING / REFCOUNT: int, embstr, raw
    *[seq("c", ("SET", "enc", value), ("OBJECT", "ENCODING", "enc"),
          ("OBJECT", "REFCOUNT", "enc"))
      for value in ["123", "-1", "0", "9999", "10000", I64_MAX, I64_MIN, "9223372036854775808",
                    "0123", " 1", "1.5", "x" * 44, "x" * 45, ""]],
    seq("c", ("SET", "enc", "123"), ("APPEND", "enc", "4"), ("OBJECT", "ENCODING", "enc")),
    seq("c", ("SET", "enc", "abc"), ("APPEND", "enc", "d"), ("OBJECT", "ENCODING", "enc")),
    seq("c", ("SET", "enc", "abc"), ("SETRANGE", "enc", "0", "x"),
        ("OBJECT", "ENCODING", "enc")),
    seq("c", ("SET", "enc", "10"), ("INCR", "enc"), ("OBJECT", "ENCODING", "enc"),
        ("OBJECT", "REFCOUNT", "enc")),
    seq("c", ("INCRBY", "enc", "100000"), ("OBJECT", "ENCODING", "enc"),
        ("OBJECT", "REFCOUNT", "enc")),
    seq("c", ("DEL", "enc"), ("APPEND", "enc", "123"), ("OBJECT", "ENCODING", "enc")),
    seq("c", ("MSET", "enc", "77", "enc2", "x" * 45), ("OBJECT", "ENCODING", "enc"),
        ("OBJECT", "ENCODING", "enc2")),
    seq("c", ("GETSET", "enc", "5"), ("OBJECT", "ENCODING", "enc")),
    seq("c", ("SETEX", "enc", "100", "12"), ("OBJECT", "ENCODING", "enc")),
    seq("c", ("OBJECT", "ENCODING", "nosuchkey"), ("OBJECT", "REFCOUNT", "nosuchkey")),
    # --- OBJECT IDLETIME / FREQ / HELP, MEMORY USAGE
    cmd("c", "OBJECT", "IDLETIME", "enc", mask=mask_int),
    seq("c", ("OBJECT", "IDLETIME", "nosuchkey"), ("OBJECT", "FREQ", "nosuchkey")),
    cmd("c", "OBJECT", "FREQ", "enc"),
    cmd("c", "OBJECT", "HELP", mask=mask_help),
    cmd("c", "OBJECT", "help", mask=mask_help),
    seq("c", ("OBJECT", "FOO"), ("OBJECT", "FOO", "enc")),
    seq("c", ("MEMORY", "USAGE", "enc"), ("MEMORY", "USAGE", "big"),
        ("MEMORY", "USAGE", "enc", "SAMPLES", "5"), mask=mask_int),
    cmd("c", "MEMORY", "USAGE", "nosuchkey"),
    seq("c", ("MEMORY", "USAGE", "enc", "SAMPLES", "abc"), ("MEMORY", "USAGE", "enc", "FOO"),
        ("MEMORY", "USAGE", "enc", "SAMPLES"), ("MEMORY", "FOO")),
    cmd("c", "MEMORY", "HELP", mask=mask_help),
    # under an LFU policy FREQ answers (5 for a new key, 6 after one read), IDLETIME refuses;
    # lfu-decay-time 0 (no decay) so that a minute ticking over between steps changes nothing
    cmd("c", "CONFIG", "SET", "lfu-decay-time", "0"),
    cmd("c", "CONFIG", "SET", "maxmemory-policy", "allkeys-lfu"),
    cmd("c", "SET", "lfu", "fresh value"),
    cmd("c", "OBJECT", "FREQ", "lfu"),
    cmd("c", "GET", "lfu"),
    cmd("c", "OBJECT", "FREQ", "lfu"),
    cmd("c", "OBJECT", "IDLETIME", "lfu"),
    cmd("c", "CONFIG", "SET", "maxmemory-policy", "noeviction"),
    cmd("c", "CONFIG", "SET", "lfu-decay-time", "1"),
    cmd("c", "OBJECT", "FREQ", "lfu"),
    cmd("c", "OBJECT", "IDLETIME", "lfu", mask=mask_int),

    # --- DEL, UNLINK, EXISTS, TOUCH, TYPE
    cmd("c", "FLUSHALL"),
    cmd("c", "MSET", "a", "1", "b", "2", "c", "3", "d", "4"),
    cmd("c", "EXISTS", "a", "a", "nosuchkey", "b"),
    cmd("c", "EXISTS", "nosuchkey"),
    cmd("c", "TOUCH", "a", "a", "nosuchkey"),
    seq("c", ("TYPE", "a"), ("TYPE", "nosuchkey")),
    cmd("c", "DEL", "a", "a", "nosuchkey"),
    cmd("c", "DEL", "a"),
    cmd("c", "UNLINK", "b", "c", "b"),
    cmd("c", "UNLINK", "nosuchkey"),
    cmd("c", "DBSIZE"),
    seq("c", ("SET", "x", "1", "PXAT", "1"), ("EXISTS", "x"), ("TYPE", "x"), ("DEL", "x"),
        ("DBSIZE",)),

    # --- RENAME / RENAMENX
    cmd("c", "RENAME", "nosuchkey", "dst"),
    cmd("c", "RENAMENX", "nosuchkey", "dst"),
    cmd("c", "RENAME", "nosuchkey", "nosuchkey"),
    seq("c", ("RENAME", "d", "d"), ("RENAMENX", "d", "d"), ("GET", "d")),
    cmd("c", "SET", "src", "v", "PXAT", str(P2100)),
    seq("c", ("RENAME", "src", "dst"), ("EXISTS", "src"), ("GET", "dst"),
        ("PEXPIRETIME", "dst")),
    seq("c", ("SET", "src", "w"), ("RENAME", "src", "dst"), ("TTL", "dst"), ("GET", "dst")),
    cmd("c", "SET", "src", "z", "EX", "100"),
    cmd("c", "RENAMENX", "src", "dst"),
    seq("c", ("RENAMENX", "src", "dst2"), ("TTL", "dst2"), ("EXISTS", "src"), mask=TTL100),
    seq("c", ("SET", "src", "v", "PXAT", "1"), ("RENAME", "src", "dst3"),
        ("EXISTS", "dst3")),

    # --- COPY: value and expiry, of strings and hashes; DB 0 only (one database)
    seq("c", ("COPY", "a"), ("COPY", "a", "b", "c"), ("COPY", "nosuchkey", "z"),
        ("COPY", "dst", "dst")),
    cmd("c", "SET", "csrc", "v", "PXAT", str(P2100)),
    seq("c", ("COPY", "csrc", "cdst"), ("GET", "cdst"), ("PEXPIRETIME", "cdst"),
        ("COPY", "csrc", "cdst"), ("SET", "csrc", "w"), ("COPY", "csrc", "cdst", "replace"),
        ("GET", "cdst"), ("TTL", "cdst")),
    seq("c", ("COPY", "csrc", "c2", "DB", "0"), ("COPY", "csrc", "c3", "DB", "1"),
        ("COPY", "csrc", "c3", "DB", "-1"), ("COPY", "csrc", "c3", "DB", "x"),
        ("COPY", "csrc", "c3", "DB", "99999999999"), ("COPY", "csrc", "c3", "DB"),
        ("COPY", "csrc", "c3", "REPLACE", "FOO"), ("COPY", "csrc", "csrc", "DB", "0")),
    seq("c", ("HSET", "chash", "f", "v", "g", "w"), ("COPY", "chash", "chash2"),
        ("HGETALL", "chash2"), ("OBJECT", "ENCODING", "chash2"), ("TYPE", "chash2"),
        ("COPY", "chash", "csrc", "REPLACE"), ("TYPE", "csrc"), ("HLEN", "csrc")),

    # --- EXPIRE family: basics, zero and negative times delete the key
    cmd("c", "FLUSHALL"),
    cmd("c", "SET", "k", "v"),
    seq("c", ("TTL", "k"), ("PTTL", "k"), ("EXPIRETIME", "k"), ("PEXPIRETIME", "k")),
    seq("c", ("TTL", "nosuchkey"), ("PTTL", "nosuchkey"), ("EXPIRETIME", "nosuchkey"),
        ("PEXPIRETIME", "nosuchkey")),
    seq("c", ("PERSIST", "k"), ("PERSIST", "nosuchkey")),
    cmd("c", "EXPIRE", "nosuchkey", "100"),
    seq("c", ("EXPIRE", "k", "100"), ("TTL", "k"), mask=TTL100),
    seq("c", ("PERSIST", "k"), ("TTL", "k")),
    seq("c", ("PEXPIRE", "k", "100000"), ("PTTL", "k"), mask=PTTL100),
    seq("c", ("EXPIREAT", "k", str(T2100)), ("PEXPIRETIME", "k")),
    seq("c", ("PEXPIREAT", "k", str(P2100)), ("PEXPIRETIME", "k"), ("EXPIRETIME", "k")),
    cmd("c", "TTL", "k", mask=mask_range(2000000000, 3000000000)),
    seq("c", ("EXPIRE", "k", "0"), ("EXISTS", "k")),
    seq("c", ("SET", "k", "v"), ("EXPIRE", "k", "-1"), ("EXISTS", "k")),
    seq("c", ("SET", "k", "v"), ("PEXPIRE", "k", "-100"), ("GET", "k")),
    seq("c", ("SET", "k", "v"), ("EXPIREAT", "k", "1"), ("EXISTS", "k")),
    seq("c", ("SET", "k", "v"), ("PEXPIREAT", "k", "0"), ("EXISTS", "k")),
    cmd("c", "EXPIRE", "nosuchkey", "-1"),
    cmd("c", "DBSIZE"),
    # bad and overflowing times
    cmd("c", "SET", "k", "v"),
    seq("c", *[("EXPIRE", "k", t) for t in ["abc", "1.5", "", "010", "99999999999999999999"]]),
    cmd("c", "EXPIRE", "k", I64_MAX),
    seq("c", ("EXPIRE", "k", I64_MIN), ("EXPIRE", "k", "9223372036854775")),
    seq("c", ("PEXPIRE", "k", I64_MAX), ("PEXPIRE", "nosuchkey", I64_MAX)),
    seq("c", ("EXPIREAT", "k", I64_MAX), ("EXPIREAT", "k", I64_MIN)),
    cmd("c", "TTL", "k"),
    seq("c", ("PEXPIRE", "k", I64_MIN), ("EXISTS", "k")),
    seq("c", ("SET", "k", "v"), ("EXPIREAT", "k", "9223372036854775"), ("PEXPIRETIME", "k")),
    seq("c", ("PEXPIREAT", "k", I64_MAX), ("PEXPIRETIME", "k"), ("EXPIRETIME", "k")),
    cmd("c", "PTTL", "k", mask=mask_range(9000000000000000000, int(I64_MAX))),
    # NX / XX / GT / LT (a key without a TTL counts as an infinite TTL)
    cmd("c", "SET", "k", "v"),
    seq("c", ("EXPIRE", "k", "100", "XX"), ("EXPIRE", "k", "100", "GT"), ("TTL", "k")),
    seq("c", ("EXPIREAT", "k", str(T2100), "LT"), ("EXPIRETIME", "k")),
    seq("c", ("EXPIREAT", "k", str(T2100 + 100), "NX"), ("EXPIREAT", "k", str(T2100 + 100), "XX"),
        ("EXPIRETIME", "k")),
    seq("c", ("EXPIREAT", "k", str(T2100), "GT"), ("EXPIREAT", "k", str(T2100 + 100), "GT"),
        ("EXPIREAT", "k", str(T2100 + 200), "GT"), ("EXPIRETIME", "k")),
    seq("c", ("EXPIREAT", "k", str(T2100 + 300), "LT"), ("EXPIREAT", "k", str(T2100 + 200), "lt"),
        ("EXPIREAT", "k", str(T2100 + 50), "LT"), ("EXPIRETIME", "k")),
    seq("c", ("PEXPIREAT", "k", str(P2100), "XX", "LT"), ("PEXPIRETIME", "k")),
    seq("c", ("PEXPIREAT", "k", str(P2100 + 1), "GT", "XX"), ("PEXPIRETIME", "k")),
    seq("c", ("EXPIRE", "k", "100", "GT"), ("EXPIRE", "k", "100", "LT"), ("TTL", "k"),
        mask=TTL100),
    cmd("c", "PEXPIRE", "k", "100000", "NX"),
    seq("c", ("EXPIRE", "k", "-1", "GT"), ("EXISTS", "k")),
    seq("c", ("EXPIRE", "k", "-1", "LT"), ("EXISTS", "k")),
    seq("c", ("SET", "k", "v"), ("EXPIRE", "k", "-1", "GT"), ("EXISTS", "k")),
    seq("c", ("EXPIRE", "k", "-1", "XX"), ("EXISTS", "k")),
    seq("c", ("EXPIRE", "k", "-1", "NX"), ("EXISTS", "k")),
    seq("c", ("SET", "k", "v"), ("EXPIRE", "k", "100", "NX", "NX"), ("TTL", "k"), mask=TTL100),
    seq("c", ("EXPIRE", "nosuchkey", "100", "NX"), ("EXPIRE", "nosuchkey", "100", "XX"),
        ("EXPIRE", "nosuchkey", "100", "GT"), ("EXPIRE", "nosuchkey", "100", "LT")),
    # option errors (checked before the time and the key)
    cmd("c", "EXPIRE", "k", "100", "NX", "XX"),
    seq("c", ("EXPIRE", "k", "100", "NX", "GT"), ("EXPIRE", "k", "100", "LT", "NX")),
    cmd("c", "EXPIRE", "k", "100", "GT", "LT"),
    seq("c", ("PEXPIRE", "k", "100", "XX", "GT", "LT"), ("EXPIREAT", "k", "100", "NX", "XX", "GT")),
    cmd("c", "EXPIRE", "k", "100", "FOO"),
    seq("c", ("EXPIRE", "k", "100", ""), ("EXPIRE", "k", "100", "NX", "FOO"),
        ("PEXPIREAT", "k", "100", "bar")),
    seq("c", ("EXPIRE", "k", "abc", "FOO"), ("EXPIRE", "k", "abc", "NX", "XX"),
        ("EXPIRE", "nosuchkey", "100", "FOO")),
    cmd("c", "TTL", "k", mask=TTL100),
    # writes of the value: INCR / APPEND / SETRANGE / INCRBYFLOAT keep the TTL, SET drops it
    seq("c", ("SET", "k", "1", "PXAT", str(P2100)), ("INCR", "k"), ("APPEND", "k", "0"),
        ("SETRANGE", "k", "0", "3"), ("INCRBYFLOAT", "k", "0.5"), ("PEXPIRETIME", "k")),
    seq("c", ("SET", "k", "2"), ("PEXPIRETIME", "k")),

    # --- KEYS with glob patterns
    cmd("c", "FLUSHALL"),
    cmd("c", "KEYS", "*"),
    cmd("c", "MSET", "hello", "1", "hallo", "1", "hxllo", "1", "hllo", "1", "heeeello", "1",
        "a*b", "1", "a?b", "1", "a\\b", "1", "h[e]llo", "1", "", "1", "HELLO", "1"),
    cmd("c", "KEYS", "*", mask=mask_sorted),
    *[seq("c", *[("KEYS", pattern) for pattern in patterns], mask=mask_sorted) for patterns in [
        ["h?llo", "h*llo", "h[ae]llo", "h[^e]llo", "h[!e]llo"],
        ["h[a-f]llo", "h[f-a]llo", "h[a-b-x]llo", "h[]llo"],
        ["a\\*b", "a\\?b", "a\\\\b", "a[*]b", "h\\[e\\]llo"],
        ["h[", "h[e", "h\\", "", "?"],
        ["*E*", "**", "[ah]*", "nomatch*"]]],
    cmd("c", "DBSIZE"),

    # --- SCAN: full iterations compare the set of keys returned
    scan_all("c", "SCAN"),
    scan_all("c", "SCAN", "COUNT", "1"),
    scan_all("c", "SCAN", "COUNT", "2", "MATCH", "h*llo"),
    scan_all("c", "SCAN", "MATCH", "a?b", "COUNT", "3"),
    scan_all("c", "SCAN", "MATCH", "nomatch*"),
    scan_all("c", "SCAN", "TYPE", "string", "COUNT", "4"),
    scan_all("c", "SCAN", "TYPE", "STRING"),
    scan_all("c", "SCAN", "TYPE", "list"),
    scan_all("c", "SCAN", "TYPE", "bogus"),
    scan_all("c", "SCAN", "MATCH", "h*", "TYPE", "string", "COUNT", "5"),
    scan_all("c", "SCAN", "MATCH", "*", "MATCH", "x*"),
    cmd("c", "SCAN", "0", "COUNT", "1000", mask=mask_scan_reply),
    cmd("c", "SCAN", "-1", mask=mask_scan_shape),
    cmd("c", "SCAN", "", "COUNT", "1000", mask=mask_scan_reply),
    seq("c", *[("SCAN", cursor) for cursor in ["abc", " 0", "0x", "99999999999999999999"]]),
    seq("c", ("SCAN", "0", "COUNT", "0"), ("SCAN", "0", "COUNT", "-1"),
        ("SCAN", "0", "COUNT", "abc")),
    seq("c", ("SCAN", "0", "COUNT"), ("SCAN", "0", "MATCH"), ("SCAN", "0", "FOO", "bar"),
        ("SCAN", "abc", "FOO", "bar")),
    cmd("c", "SET", "exp", "v", "PXAT", "1"),
    scan_all("c", "SCAN", "MATCH", "exp*"),
    seq("c", ("KEYS", "exp*"), ("EXISTS", "exp")),

    # --- RANDOMKEY, DBSIZE, FLUSHDB, FLUSHALL
    seq("c", ("FLUSHDB",), ("DBSIZE",), ("RANDOMKEY",), ("SCAN", "0"), ("KEYS", "*")),
    seq("c", ("SET", "only", "1"), ("RANDOMKEY",), ("RANDOMKEY",)),
    seq("c", ("SET", "", "1"), ("DEL", "only"), ("RANDOMKEY",)),
    seq("c", ("MSET", "a", "1", "b", "2"), ("DBSIZE",), ("FLUSHDB", "ASYNC"), ("DBSIZE",)),
    seq("c", ("MSET", "a", "1", "b", "2"), ("FLUSHALL", "SYNC"), ("DBSIZE",),
        ("EXISTS", "a", "b")),

    # --- WATCH / MULTI / EXEC across two connections
    seq("w1", ("SET", "wk", "1"), ("WATCH", "wk")),
    cmd("w2", "SET", "wk", "2"),
    seq("w1", ("MULTI",), ("INCR", "wk"), ("EXEC",), ("GET", "wk")),
    # writes that change nothing do not touch the key
    cmd("w1", "WATCH", "wk"),
    seq("w2", ("DEL", "nosuchkey"), ("SET", "wk", "x", "NX"), ("EXPIRE", "nosuchkey", "100"),
        ("PERSIST", "wk"), ("SETRANGE", "wk", "0", ""), ("GETEX", "wk"),
        ("GETEX", "wk", "PERSIST"), ("GET", "wk")),
    seq("w1", ("MULTI",), ("INCR", "wk"), ("EXEC",)),
    # writes that leave the same value still touch it
    *[step for write in [("SET", "wk", "3"), ("INCRBY", "wk", "0"), ("APPEND", "wk", ""),
                         ("EXPIRE", "wk", "100"), ("GETEX", "wk", "EX", "100"),
                         ("EXPIRE", "wk", "-1"), ("RENAME", "wk", "wk2"), ("DEL", "wk")]
      for step in (seq("w1", ("SET", "wk", "3"), ("WATCH", "wk")), cmd("w2", *write),
                   seq("w1", ("MULTI",), ("GET", "wk"), ("EXEC",)))],
    # EXPIRE with an option that refuses the change does not touch it
    seq("w1", ("SET", "wk", "3", "EX", "100"), ("WATCH", "wk")),
    cmd("w2", "EXPIRE", "wk", "200", "NX"),
    seq("w1", ("MULTI",), ("TTL", "wk"), ("EXEC",), mask=mask_each(TTL100)),
    # PERSIST of a key with a TTL touches it
    cmd("w1", "WATCH", "wk"),
    cmd("w2", "PERSIST", "wk"),
    seq("w1", ("MULTI",), ("TTL", "wk"), ("EXEC",)),
    # the destination of a RENAME is touched
    seq("w1", ("SET", "wsrc", "s"), ("WATCH", "wk")),
    cmd("w2", "RENAME", "wsrc", "wk"),
    seq("w1", ("MULTI",), ("GET", "wk"), ("EXEC",)),
    # a missing key: created by another client, or deleted again (no-op)
    cmd("w1", "WATCH", "wnew"),
    cmd("w2", "SET", "wnew", "1"),
    seq("w1", ("MULTI",), ("GET", "wnew"), ("EXEC",)),
    seq("w1", ("DEL", "wnew"), ("WATCH", "wnew")),
    cmd("w2", "DEL", "wnew"),
    seq("w1", ("MULTI",), ("GET", "wnew"), ("EXEC",)),
    # several keys, one touched; the watcher's own write
    cmd("w1", "WATCH", "wa", "wb", "wc"),
    cmd("w2", "SET", "wb", "1"),
    seq("w1", ("MULTI",), ("SET", "wa", "1"), ("EXEC",), ("EXISTS", "wa")),
    seq("w1", ("WATCH", "wa"), ("SET", "wa", "mine"), ("MULTI",), ("GET", "wa"), ("EXEC",)),
    # UNWATCH, DISCARD and an aborted EXEC forget the watched keys
    seq("w1", ("WATCH", "wa"), ("UNWATCH",)),
    cmd("w2", "SET", "wa", "2"),
    seq("w1", ("MULTI",), ("GET", "wa"), ("EXEC",)),
    seq("w1", ("WATCH", "wa"), ("MULTI",), ("DISCARD",)),
    cmd("w2", "SET", "wa", "3"),
    seq("w1", ("MULTI",), ("GET", "wa"), ("EXEC",)),
    cmd("w1", "WATCH", "wa"),
    cmd("w2", "SET", "wa", "4"),
    seq("w1", ("MULTI",), ("GET", "wa"), ("EXEC",)),
    cmd("w2", "SET", "wa", "5"),
    seq("w1", ("MULTI",), ("GET", "wa"), ("EXEC",)),
    # WATCH inside MULTI
    seq("w1", ("MULTI",), ("WATCH", "wa"), ("GET", "wa"), ("EXEC",)),
    # FLUSHALL / FLUSHDB touch the watched keys that exist, not the missing ones
    cmd("w1", "WATCH", "wa"),
    cmd("w2", "FLUSHALL"),
    seq("w1", ("MULTI",), ("GET", "wa"), ("EXEC",)),
    cmd("w1", "WATCH", "wa"),
    cmd("w2", "FLUSHALL"),
    seq("w1", ("MULTI",), ("GET", "wa"), ("EXEC",)),
    seq("w1", ("SET", "wa", "1"), ("WATCH", "wa")),
    cmd("w2", "FLUSHDB"),
    seq("w1", ("MULTI",), ("GET", "wa"), ("EXEC",)),
    # errors inside a transaction: at EXEC time (in the array) or when queued (EXECABORT)
    seq("w1", ("MULTI",), ("SET", "t", "abc"), ("INCR", "t"), ("SET", "t", "v", "EX", "abc"),
        ("EXPIRE", "t", "100", "FOO"), ("GET", "t"), ("EXEC",)),
    seq("w1", ("MULTI",), ("SET", "t", "new"), ("GET",), ("EXEC",), ("GET", "t")),
    seq("w1", ("MULTI",), ("SET", "t", "1"), ("INCRBYFLOAT", "t", "1.5"), ("GETDEL", "t"),
        ("MGET", "t", "wa"), ("EXEC",)),

    # --- RESP3 replies
    cmd("r3", "HELLO", "3", mask=mask_hello),
    cmd("r3", "FLUSHALL"),
    seq("r3", ("RANDOMKEY",), ("GET", "nosuchkey")),
    seq("r3", ("SET", "r", "1"), ("SET", "r", "2", "NX"), ("SET", "r", "2", "XX", "GET"),
        ("SET", "r2", "2", "GET")),
    cmd("r3", "INCR", "r"),
    cmd("r3", "INCRBYFLOAT", "r", "1.5"),
    cmd("r3", "GET", "r"),
    cmd("r3", "MGET", "r", "nosuchkey", "r2"),
    seq("r3", ("GETDEL", "nosuchkey"), ("GETEX", "nosuchkey", "PERSIST"),
        ("GETSET", "nosuchkey2", "1")),
    seq("r3", ("GETRANGE", "r", "10", "20"), ("STRLEN", "r")),
    seq("r3", ("TYPE", "r"), ("TYPE", "nosuchkey")),
    seq("r3", ("TTL", "nosuchkey"), ("PEXPIRETIME", "r"), ("EXISTS", "r", "r2")),
    cmd("r3", "RANDOMKEY", mask=lambda f: masked("a key") if f[0] == "$" else f),
    cmd("r3", "KEYS", "r*", mask=mask_sorted),
    scan_all("r3", "SCAN", "COUNT", "1"),
    cmd("r3", "SCAN", "0", "COUNT", "1000", mask=mask_scan_reply),
    seq("r3", ("OBJECT", "ENCODING", "r"), ("OBJECT", "ENCODING", "nosuchkey")),
    cmd("r3", "OBJECT", "FREQ", "r"),
    cmd("r3", "OBJECT", "HELP", mask=mask_help),
    cmd("r3", "MEMORY", "USAGE", "nosuchkey"),
    cmd("r3", "MEMORY", "USAGE", "r", mask=mask_int),
    cmd("r3", "RENAME", "nosuchkey", "x"),
    seq("r3", ("INCR", "r"), ("WATCH", "r")),
    cmd("w2", "SET", "r", "touched"),
    seq("r3", ("MULTI",), ("GET", "r"), ("EXEC",)),
    seq("r3", ("MULTI",), ("GET", "r"), ("GET", "nosuchkey"), ("INCRBYFLOAT", "n", "0.5"),
        ("EXEC",)),
    cmd("r3", "DBSIZE"),
]


if __name__ == "__main__":
    sys.exit(differential.run(NAME, STEPS))
