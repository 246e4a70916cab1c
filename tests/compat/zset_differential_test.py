#!/usr/bin/python3
"""Differential test of sorted sets: every Z* command with good and bad input (option clashes,
ranges, bounds, NaN, LIMIT, WEIGHTS/AGGREGATE), both encodings (OBJECT ENCODING at the
zset-max-listpack-* limits), the key's life (WRONGTYPE, deleted with its last member),
keyspace notifications, MULTI, and RESP3's reply shapes for each command. The same scripted
session runs against redis-server and pylond and the replies are compared byte for byte (the
engine is differential.py).

    /usr/bin/python3 zset_differential_test.py <path-to-pylond> [--show]

Only deterministic replies are compared as they are: ZRANDMEMBER is checked through counts and
shapes, ZSCAN through full iterations. PYLON_TEST_TARGET=redis replaces pylond with a second
redis-server (to validate this script).
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import differential  # noqa: E402
import servers  # noqa: E402
from differential import cmd, mask_hello, masked, raw, scan_all  # noqa: E402

NAME = "zset_differential_test"


def seq(conn, *commands, mask=None):
    """Several commands in one write, their replies compared together."""
    text = " | ".join(" ".join(str(a) for a in c) for c in commands)
    label = "%s: %s" % (conn, text if len(text) <= 90 else text[:87] + "...")
    return raw(conn, b"".join(servers.resp_command(*c) for c in commands),
               replies=len(commands), mask=mask, label=label)


def mask_random_members(f):
    """A ZRANDMEMBER reply: only its shape (lengths, nesting, types) is compared."""
    t, p = f
    if t == "*" and p is not None:
        return (t, [mask_random_members(x) for x in p])
    if t in ("$", ","):
        return masked("%s value" % t)
    return f


BIG = ["ZADD", "big"] + [x for i in range(200) for x in (str(i % 17), "m%03d" % i)]
LEX = ["ZADD", "lex"] + [x for m in ["a", "b", "bb", "c", "d", "e", "f", "g"] for x in ("0", m)]

STEPS = [
    # --- ZADD and its options, scores as Redis formats them
    cmd("c", "ZADD", "z", "1", "a", "2", "b", "3", "c"),
    cmd("c", "ZADD", "z", "1.5", "a", "0.1", "d", "-inf", "e", "+inf", "f"),
    seq("c", ("ZSCORE", "z", "a"), ("ZSCORE", "z", "d"), ("ZSCORE", "z", "e"),
        ("ZSCORE", "z", "f"), ("ZSCORE", "z", "nosuch"), ("ZSCORE", "nokey", "a")),
    cmd("c", "ZRANGE", "z", "0", "-1", "WITHSCORES"),
    seq("c", ("ZADD", "z", "NX", "10", "a", "10", "new"), ("ZADD", "z", "XX", "10", "a", "5", "x"),
        ("ZADD", "z", "CH", "10", "a", "2", "b", "7", "y"),
        ("ZADD", "z", "GT", "CH", "1", "a", "20", "b"), ("ZADD", "z", "LT", "CH", "30", "a", "1", "b"),
        ("ZRANGE", "z", "0", "-1", "WITHSCORES")),
    seq("c", ("ZADD", "z", "INCR", "5", "a"), ("ZADD", "z", "NX", "INCR", "5", "a"),
        ("ZADD", "z", "XX", "INCR", "5", "nosuch"), ("ZADD", "z", "GT", "INCR", "-1", "a"),
        ("ZADD", "z", "LT", "INCR", "-1", "a"), ("ZINCRBY", "z", "2.5", "a"),
        ("ZINCRBY", "z", "1", "brandnew"), ("ZINCRBY", "z", "nan", "a"),
        ("ZINCRBY", "z", "1", "f"), ("ZINCRBY", "z", "-inf", "f")),
    seq("c", ("ZADD", "z", "NX", "XX", "1", "a"), ("ZADD", "z", "GT", "LT", "1", "a"),
        ("ZADD", "z", "GT", "NX", "1", "a"), ("ZADD", "z", "INCR", "1", "a", "2", "b"),
        ("ZADD", "z", "1"), ("ZADD", "z", "1", "a", "2"), ("ZADD", "z", "NX"),
        ("ZADD", "z", "x", "a"), ("ZADD", "z", "nan", "a"), ("ZADD", "z", "1", "a", "bad", "b"),
        ("ZADD", "z", " 1", "a"), ("ZADD", "z", "1e400", "a"), ("ZADD", "z", "0x10", "hex")),
    seq("c", ("ZADD", "nokey", "XX", "1", "a"), ("EXISTS", "nokey"),
        ("ZADD", "nokey", "XX", "INCR", "1", "a"), ("EXISTS", "nokey")),
    seq("c", ("ZADD", "z", "1.0000000000000002", "p"), ("ZSCORE", "z", "p"),
        ("ZADD", "z", "123456789012345678", "q"), ("ZSCORE", "z", "q"),
        ("ZADD", "z", "-0", "r"), ("ZSCORE", "z", "r"), ("ZADD", "z", "1e-300", "s"),
        ("ZSCORE", "z", "s")),
    seq("c", ("ZCARD", "z"), ("ZCARD", "nokey"), ("ZMSCORE", "z", "a", "nosuch", "b"),
        ("ZMSCORE", "nokey", "a", "b"), ("ZRANK", "z", "b"), ("ZREVRANK", "z", "b"),
        ("ZRANK", "z", "nosuch"), ("ZRANK", "nokey", "a")),
    seq("c", ("ZINCRBY", "inc", "inf", "m"), ("ZINCRBY", "inc", "-inf", "m"), ("ZSCORE", "inc", "m")),
    seq("c", ("ZADD", "inc", "INCR", "-inf", "m"), ("ZADD", "inc", "1", "m", "INCR")),

    # --- ranges by rank, score and lex, every direction, LIMIT, and the bad combinations
    cmd("c", "DEL", "z"),
    cmd("c", *BIG),
    seq("c", ("ZRANGE", "big", "0", "4"), ("ZRANGE", "big", "-3", "-1", "WITHSCORES"),
        ("ZRANGE", "big", "5", "2"), ("ZRANGE", "big", "190", "1000"),
        ("ZRANGE", "big", "-1000", "1"), ("ZRANGE", "big", "300", "400"),
        ("ZREVRANGE", "big", "0", "3", "WITHSCORES"), ("ZRANGE", "big", "0", "3", "REV"),
        ("ZRANGE", "nokey", "0", "-1")),
    seq("c", ("ZRANGEBYSCORE", "big", "3", "3"), ("ZRANGEBYSCORE", "big", "(3", "4"),
        ("ZRANGEBYSCORE", "big", "3", "(4", "WITHSCORES"),
        ("ZRANGEBYSCORE", "big", "-inf", "+inf", "LIMIT", "10", "5"),
        ("ZRANGEBYSCORE", "big", "-inf", "+inf", "LIMIT", "-1", "5"),
        ("ZRANGEBYSCORE", "big", "-inf", "+inf", "LIMIT", "195", "-1"),
        ("ZRANGEBYSCORE", "big", "-inf", "+inf", "LIMIT", "5", "0"),
        ("ZRANGEBYSCORE", "big", "5", "3"), ("ZRANGEBYSCORE", "big", "(3", "(3"),
        ("ZREVRANGEBYSCORE", "big", "4", "3", "WITHSCORES", "LIMIT", "2", "4"),
        ("ZREVRANGEBYSCORE", "big", "+inf", "(15"), ("ZRANGEBYSCORE", "big", "inf", "inf"),
        ("ZRANGE", "big", "(2", "3", "BYSCORE", "LIMIT", "1", "3", "WITHSCORES"),
        ("ZRANGE", "big", "3", "(2", "BYSCORE", "REV", "LIMIT", "1", "3")),
    seq("c", ("ZRANGEBYSCORE", "big", "x", "1"), ("ZRANGEBYSCORE", "big", "1", "(x"),
        ("ZRANGEBYSCORE", "big", "nan", "1"), ("ZRANGEBYSCORE", "big", "((1", "2"),
        ("ZRANGEBYSCORE", "big", " 1", "1"), ("ZRANGEBYSCORE", "big", "", "0"),
        ("ZRANGEBYSCORE", "big", "1", "2", "LIMIT", "1"),
        ("ZRANGEBYSCORE", "big", "1", "2", "LIMIT", "x", "1"),
        ("ZRANGEBYSCORE", "big", "1", "2", "REV"), ("ZRANGEBYSCORE", "big", "1", "2", "BYLEX"),
        ("ZRANGE", "big", "0", "1", "LIMIT", "0", "1"),
        ("ZRANGE", "big", "0", "1", "LIMIT", "0", "-1"),
        ("ZRANGE", "big", "[a", "[b", "BYLEX", "WITHSCORES"),
        ("ZRANGE", "big", "0", "1", "BYSCORE", "BYLEX"), ("ZRANGE", "big", "0", "1", "REV", "REV"),
        ("ZRANGE", "big", "a", "1"), ("ZREVRANGE", "big", "0", "1", "LIMIT", "0", "1"),
        ("ZRANGE", "big", "0", "1", "FOO"), ("ZRANGEBYLEX", "big", "-", "+", "WITHSCORES")),
    cmd("c", *LEX),
    seq("c", ("ZRANGEBYLEX", "lex", "-", "+"), ("ZRANGEBYLEX", "lex", "[b", "(d"),
        ("ZRANGEBYLEX", "lex", "(b", "[bb"), ("ZRANGEBYLEX", "lex", "-", "[c", "LIMIT", "1", "2"),
        ("ZREVRANGEBYLEX", "lex", "+", "-", "LIMIT", "0", "3"),
        ("ZREVRANGEBYLEX", "lex", "[d", "(b"), ("ZRANGE", "lex", "[c", "-", "BYLEX", "REV"),
        ("ZRANGEBYLEX", "lex", "+", "-"), ("ZRANGEBYLEX", "lex", "[", "[b"),
        ("ZRANGEBYLEX", "lex", "a", "[b"), ("ZRANGEBYLEX", "lex", "-x", "+"),
        ("ZRANGEBYLEX", "lex", "", "+"), ("ZLEXCOUNT", "lex", "[b", "[d"),
        ("ZLEXCOUNT", "lex", "-", "+"), ("ZLEXCOUNT", "lex", "x", "+"),
        ("ZLEXCOUNT", "nokey", "-", "+")),
    seq("c", ("ZCOUNT", "big", "3", "5"), ("ZCOUNT", "big", "(3", "(5"),
        ("ZCOUNT", "big", "-inf", "+inf"), ("ZCOUNT", "big", "5", "3"),
        ("ZCOUNT", "nokey", "0", "1"), ("ZCOUNT", "big", "a", "1")),

    # --- the same on the skiplist form (a lex set of 300 members, scores equal)
    cmd("c", *(["ZADD", "biglex"] + [x for i in range(300) for x in ("0", "w%04d" % (i * 7 % 300))])),
    seq("c", ("OBJECT", "ENCODING", "biglex"), ("ZRANGEBYLEX", "biglex", "[w0100", "(w0105"),
        ("ZREVRANGEBYLEX", "biglex", "(w0200", "-", "LIMIT", "3", "4"),
        ("ZLEXCOUNT", "biglex", "(w0010", "[w0290"), ("ZRANK", "biglex", "w0150"),
        ("ZREVRANK", "biglex", "w0150"), ("ZRANGE", "biglex", "-5", "-2", "WITHSCORES"),
        ("ZREVRANGE", "biglex", "3", "5"), ("ZRANGE", "biglex", "10", "12", "REV"),
        ("ZREMRANGEBYLEX", "biglex", "[w0050", "[w0149"), ("ZCARD", "biglex"),
        ("ZRANGEBYLEX", "biglex", "[w0048", "[w0151"), ("ZPOPMAX", "biglex", "3"),
        ("ZPOPMIN", "biglex", "2"), ("ZMSCORE", "biglex", "w0000", "w0002", "w0200"),
        ("ZREMRANGEBYRANK", "biglex", "100", "-3"), ("ZRANGE", "biglex", "95", "-1"),
        ("ZINTERSTORE", "dst", "2", "biglex", "biglex", "WEIGHTS", "2", "3"),
        ("ZRANGE", "dst", "0", "2", "WITHSCORES"), ("ZRANGESTORE", "dst", "biglex", "0", "-1",
                                                   "REV"),
        ("ZRANGE", "dst", "0", "3"), ("OBJECT", "ENCODING", "dst"),
        ("ZADD", "biglex", "GT", "CH", "-1", "w0001", "1", "w0003"),
        ("ZADD", "biglex", "LT", "INCR", "1", "w0004"), ("ZADD", "biglex", "GT", "INCR", "1",
                                                         "w0004"),
        ("ZRANGE", "biglex", "-2", "-1", "WITHSCORES"), ("DEL", "biglex")),

    # --- ZRANGESTORE and the removals by range
    seq("c", ("ZRANGESTORE", "dst", "big", "0", "9"), ("ZRANGE", "dst", "0", "-1", "WITHSCORES"),
        ("OBJECT", "ENCODING", "dst"), ("ZRANGESTORE", "dst", "big", "5", "7", "BYSCORE",
                                        "LIMIT", "0", "150"),
        ("OBJECT", "ENCODING", "dst"), ("ZCARD", "dst"),
        ("ZRANGESTORE", "dst", "big", "[a", "[b", "BYLEX"), ("EXISTS", "dst"),
        ("ZRANGESTORE", "dst", "lex", "+", "[c", "BYLEX", "REV", "LIMIT", "1", "2"),
        ("ZRANGE", "dst", "0", "-1"), ("ZRANGESTORE", "dst", "nokey", "0", "-1"), ("EXISTS", "dst"),
        ("ZRANGESTORE", "dst", "big", "0", "1", "WITHSCORES"),
        ("ZRANGESTORE", "dst", "big", "0", "1", "LIMIT", "0", "1")),
    seq("c", ("SET", "str", "v"), ("ZRANGESTORE", "str", "big", "0", "1"), ("TYPE", "str"),
        ("ZRANGESTORE", "dst", "str", "0", "1")),
    seq("c", ("ZREMRANGEBYRANK", "big", "0", "4"), ("ZREMRANGEBYRANK", "big", "-2", "-1"),
        ("ZREMRANGEBYRANK", "big", "10", "5"), ("ZREMRANGEBYSCORE", "big", "(15", "+inf"),
        ("ZREMRANGEBYSCORE", "big", "x", "1"), ("ZREMRANGEBYLEX", "lex", "[b", "(d"),
        ("ZREMRANGEBYLEX", "lex", "x", "+"), ("ZREMRANGEBYRANK", "big", "a", "1"),
        ("ZREMRANGEBYRANK", "nokey", "0", "-1"), ("ZCARD", "big"), ("ZRANGE", "lex", "0", "-1"),
        ("OBJECT", "ENCODING", "big"), ("ZREMRANGEBYSCORE", "big", "-inf", "+inf"),
        ("EXISTS", "big")),

    # --- pops
    cmd("c", "ZADD", "p", "1", "a", "2", "b", "3", "c", "4", "d", "5", "e"),
    seq("c", ("ZPOPMIN", "p"), ("ZPOPMAX", "p"), ("ZPOPMIN", "p", "2"), ("ZPOPMAX", "p", "0"),
        ("ZPOPMIN", "p", "-1"), ("ZPOPMIN", "p", "x"), ("ZPOPMIN", "p", "1", "2"),
        ("ZPOPMAX", "p", "10"), ("EXISTS", "p"), ("ZPOPMIN", "nokey"), ("ZPOPMIN", "nokey", "3")),
    cmd("c", "ZADD", "p", "1", "a", "2", "b", "3", "c"),
    seq("c", ("ZMPOP", "2", "nokey", "p", "MIN"), ("ZMPOP", "1", "p", "MAX", "COUNT", "10"),
        ("ZMPOP", "1", "p", "MIN"), ("ZMPOP", "0", "p", "MIN"), ("ZMPOP", "x", "p", "MIN"),
        ("ZMPOP", "2", "p", "MIN"), ("ZMPOP", "1", "p", "MIDDLE"),
        ("ZMPOP", "1", "p", "MIN", "COUNT", "0"), ("ZMPOP", "1", "p", "MIN", "COUNT"),
        ("ZMPOP", "1", "p", "MIN", "COUNT", "1", "COUNT", "1"), ("ZMPOP", "1", "p", "MIN", "X")),
    cmd("c", "ZADD", "p", "1", "a", "2", "b"),
    seq("c", ("BZPOPMIN", "nokey", "p", "0"), ("BZPOPMAX", "p", "0"), ("BZPOPMIN", "p", "-1"),
        ("BZPOPMIN", "p", "x"), ("BZMPOP", "0", "1", "p", "MIN"), ("BZMPOP", "0", "1", "p", "X"),
        ("BZMPOP", "x", "1", "p", "MIN"), ("BZMPOP", "-1", "1", "p", "MIN")),
    seq("c", ("MULTI",), ("BZPOPMIN", "nokey", "0"), ("BZMPOP", "0", "1", "nokey", "MIN"),
        ("EXEC",)),

    # --- algebra
    seq("c", ("ZADD", "u1", "1", "a", "2", "b", "3", "c"), ("ZADD", "u2", "10", "b", "20", "c",
                                                           "30", "d"),
        ("ZUNION", "2", "u1", "u2", "WITHSCORES"),
        ("ZUNION", "2", "u1", "u2", "WEIGHTS", "2", "0.5", "AGGREGATE", "MAX", "WITHSCORES"),
        ("ZINTER", "2", "u1", "u2", "WITHSCORES"),
        ("ZINTER", "2", "u1", "u2", "AGGREGATE", "MIN", "WITHSCORES"),
        ("ZINTER", "3", "u1", "u2", "nokey"), ("ZDIFF", "2", "u1", "u2", "WITHSCORES"),
        ("ZDIFF", "1", "u1"), ("ZINTERCARD", "2", "u1", "u2"),
        ("ZINTERCARD", "2", "u1", "u2", "LIMIT", "1"), ("ZINTERCARD", "1", "u1", "LIMIT", "0")),
    seq("c", ("ZUNIONSTORE", "dst", "2", "u1", "u2"), ("ZRANGE", "dst", "0", "-1", "WITHSCORES"),
        ("ZINTERSTORE", "dst", "2", "u1", "u2", "WEIGHTS", "1", "-1"),
        ("ZRANGE", "dst", "0", "-1", "WITHSCORES"), ("ZDIFFSTORE", "dst", "2", "u2", "u1"),
        ("ZRANGE", "dst", "0", "-1", "WITHSCORES"), ("ZINTERSTORE", "dst", "2", "u1", "nokey"),
        ("EXISTS", "dst"), ("ZUNIONSTORE", "u1", "2", "u1", "u1"), ("ZRANGE", "u1", "0", "-1",
                                                                   "WITHSCORES")),
    seq("c", ("ZADD", "infs", "inf", "a"), ("ZADD", "ninfs", "-inf", "a"),
        ("ZUNION", "2", "infs", "ninfs", "WITHSCORES"),
        ("ZUNION", "1", "infs", "WEIGHTS", "0", "WITHSCORES"),
        ("ZINTER", "2", "infs", "ninfs", "WITHSCORES")),
    seq("c", ("ZUNION", "0", "u1"), ("ZUNION", "-1", "u1"), ("ZUNION", "x", "u1"),
        ("ZUNION", "3", "u1", "u2"), ("ZUNION", "2", "u1", "u2", "WEIGHTS", "1"),
        ("ZUNION", "2", "u1", "u2", "WEIGHTS", "1", "x"),
        ("ZUNION", "2", "u1", "u2", "AGGREGATE", "AVG"), ("ZUNION", "2", "u1", "u2", "AGGREGATE"),
        ("ZUNIONSTORE", "dst", "2", "u1", "u2", "WITHSCORES"), ("ZDIFF", "2", "u1", "u2",
                                                                "WEIGHTS", "1", "1"),
        ("ZINTERCARD", "0", "u1"), ("ZINTERCARD", "1", "u1", "LIMIT", "-1"), ("ZINTERCARD", "1", "u1", "LIMIT", "x"),
        ("ZINTERCARD", "1", "u1", "WITHSCORES"), ("ZINTERSTORE", "dst", "0", "u1"),
        ("ZDIFFSTORE", "dst", "0", "u1"), ("ZUNION", "2", "u1", "str")),

    # --- ZRANDMEMBER: counts and shapes
    seq("c", ("ZRANDMEMBER", "nokey"), ("ZRANDMEMBER", "nokey", "3"),
        ("ZRANDMEMBER", "u2", "0"), ("ZRANDMEMBER", "u2", "x"),
        ("ZRANDMEMBER", "u2", "1", "WITHSCORE"), ("ZRANDMEMBER", "u2", "1", "WITHSCORES", "x"),
        ("ZRANDMEMBER", "u2", "-9223372036854775808"),
        ("ZRANDMEMBER", "u2", "9223372036854775807", "WITHSCORES"),
        ("ZRANDMEMBER", "u2", "3", "WITHSCORES")),
    seq("c", ("ZRANDMEMBER", "u2"), ("ZRANDMEMBER", "u2", "2"), ("ZRANDMEMBER", "u2", "-5"),
        ("ZRANDMEMBER", "u2", "-2", "WITHSCORES"), ("ZRANDMEMBER", "u2", "10"),
        mask=mask_random_members),

    # --- ZSCAN
    scan_all("c", "ZSCAN", "u2", cursor_at=2, pairs=True),
    cmd("c", *BIG),
    scan_all("c", "ZSCAN", "big", "COUNT", "7", cursor_at=2, pairs=True),
    scan_all("c", "ZSCAN", "big", "MATCH", "m1*", cursor_at=2, pairs=True),
    seq("c", ("ZSCAN", "u2", "x"), ("ZSCAN", "u2", "0", "COUNT", "0"),
        ("ZSCAN", "u2", "0", "FOO", "1"), ("ZSCAN", "nokey", "0"), ("ZSCAN", "str", "0")),

    # --- WRONGTYPE, and the encodings at the limits
    seq("c", ("ZADD", "str", "1", "a"), ("ZINCRBY", "str", "1", "a"), ("ZREM", "str", "a"),
        ("ZCARD", "str"), ("ZSCORE", "str", "a"), ("ZRANGE", "str", "0", "1"),
        ("ZPOPMIN", "str"), ("ZMPOP", "2", "nokey", "str", "MIN"), ("BZPOPMIN", "str", "0"),
        ("ZCOUNT", "str", "0", "1"), ("ZRANDMEMBER", "str"), ("GET", "u2"), ("LPUSH", "u2", "x")),
    seq("c", ("ZADD", "enc", "1", "a"), ("OBJECT", "ENCODING", "enc"),
        ("ZADD", "enc", "2", "x" * 64), ("OBJECT", "ENCODING", "enc"),
        ("ZADD", "enc", "3", "x" * 65), ("OBJECT", "ENCODING", "enc"),
        ("ZREM", "enc", "x" * 65), ("OBJECT", "ENCODING", "enc"), ("TYPE", "enc")),
    seq("c", ("CONFIG", "SET", "zset-max-listpack-entries", "4"),
        ("ZADD", "e4", "1", "a", "2", "b", "3", "c", "4", "d"), ("OBJECT", "ENCODING", "e4"),
        ("ZADD", "e4", "5", "e"), ("OBJECT", "ENCODING", "e4"),
        ("ZADD", "e5", "1", "a", "1", "a", "1", "a", "1", "a", "1", "a"),
        ("OBJECT", "ENCODING", "e5"), ("ZUNIONSTORE", "e6", "1", "e4"), ("OBJECT", "ENCODING", "e6"),
        ("ZREM", "e4", "e"), ("ZUNIONSTORE", "e6", "1", "e4"), ("OBJECT", "ENCODING", "e6"),
        ("ZRANGESTORE", "e7", "e4", "0", "-1"), ("OBJECT", "ENCODING", "e7"),
        ("CONFIG", "SET", "zset-max-listpack-entries", "128")),

    # --- the key goes with its last member; ZREM
    seq("c", ("ZADD", "k", "1", "a", "2", "b"), ("ZREM", "k", "a", "nosuch", "a"),
        ("ZREM", "k", "b", "c"), ("EXISTS", "k"), ("ZREM", "nokey", "a"),
        ("ZADD", "k", "1", "a"), ("EXPIRE", "k", "100"), ("ZADD", "k", "2", "b"), ("TTL", "k")),

    # --- arity
    seq("c", ("ZADD", "k"), ("ZCARD",), ("ZRANGE", "k", "0"), ("ZPOPMIN",), ("BZPOPMIN", "k"),
        ("ZRANGESTORE", "d", "k", "0"), ("ZUNIONSTORE", "d", "1"), ("ZMPOP", "1", "k"),
        ("ZSCORE", "k"), ("ZMSCORE", "k"), ("ZINCRBY", "k", "1"), ("ZRANDMEMBER",)),

    # --- RESP3 shapes
    cmd("r3", "HELLO", "3", mask=mask_hello),
    seq("r3", ("ZADD", "r", "1", "a", "2.5", "b", "inf", "c"), ("ZSCORE", "r", "b"),
        ("ZMSCORE", "r", "a", "x"), ("ZINCRBY", "r", "1", "a"), ("ZADD", "r", "INCR", "1", "a"),
        ("ZADD", "r", "NX", "INCR", "1", "a"), ("ZRANGE", "r", "0", "-1"),
        ("ZRANGE", "r", "0", "-1", "WITHSCORES"), ("ZREVRANGEBYSCORE", "r", "+inf", "-inf",
                                                    "WITHSCORES"),
        ("ZUNION", "1", "r", "WITHSCORES"), ("ZINTER", "1", "r"), ("ZDIFF", "1", "r",
                                                                   "WITHSCORES"),
        ("ZRANK", "r", "x"), ("ZRANGE", "nokey", "0", "-1")),
    seq("r3", ("ZPOPMIN", "r"), ("ZPOPMAX", "r", "1"), ("ZADD", "r", "1", "a", "2", "b"),
        ("ZPOPMIN", "r", "5"), ("ZPOPMIN", "nokey"), ("ZPOPMIN", "nokey", "2"),
        ("ZADD", "r", "1", "a", "2", "b", "3", "c"), ("BZPOPMIN", "r", "0"),
        ("BZMPOP", "0", "1", "r", "MAX"), ("ZMPOP", "1", "r", "MIN", "COUNT", "5"),
        ("ZMPOP", "1", "r", "MIN")),
    seq("r3", ("ZADD", "r", "1", "a", "2", "b", "3", "c"), ("ZRANDMEMBER", "r", "5", "WITHSCORES"),
        ("ZRANDMEMBER", "r", "3"), ("ZRANDMEMBER", "nokey"), ("ZRANDMEMBER", "nokey", "1"),
        ("ZRANDMEMBER", "r", "0", "WITHSCORES")),
    seq("r3", ("ZRANDMEMBER", "r", "-4", "WITHSCORES"), ("ZRANDMEMBER", "r", "2", "WITHSCORES"),
        ("ZRANDMEMBER", "r", "1", "WITHSCORES"), mask=mask_random_members),
    seq("r3", ("MULTI",), ("BZPOPMAX", "nokey", "0"), ("EXEC",)),
    cmd("r3", "FLUSHALL"),
]


if __name__ == "__main__":
    sys.exit(differential.run(NAME, STEPS))
