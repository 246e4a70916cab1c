"""Hashes, lists, sets and sorted sets, byte for byte against redis-server: every command of the
four types called with too few arguments, against a key of every other type (WRONGTYPE both
ways, strings included), against a missing key and against its own
type; then each type's edge cases (bad numbers, NaN, huge and negative indexes and counts,
ranges past both ends, encodings on both sides of their limits); then the read commands again
under RESP3. Random operations are compared in collections_random_test.py.

    /usr/bin/python3 tests/compat/collections_differential_test.py <path-to-pylond> [--show]

Where Redis's order is its hash table's (a set's members, a hashtable hash's fields), replies are
compared sorted; a random draw is only called where every answer is the same (a count reaching
the size, one element).
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import differential  # noqa: E402
from differential import cmd, mask_hello, mask_sorted, mask_sorted_pairs  # noqa: E402

NAME = "collections_differential_test"

# Each type's key (created before its commands run) and a second one for two-key commands.
OWN = {"hash": "hk", "list": "lk", "set": "sk", "zset": "zk"}
SECOND = {"hash": "hk2", "list": "lk2", "set": "sk2", "zset": "zk2"}
SETUP = {
    "hash": [("HSET", "hk", "f", "v", "n", "5", "x", "1.5")],
    "list": [("RPUSH", "lk", "a", "b", "c", "a"), ("RPUSH", "lk2", "z")],
    "set": [("SADD", "sk", "a", "b", "c"), ("SADD", "sk2", "b", "d")],
    "zset": [("ZADD", "zk", "1", "a", "2", "b", "3", "c"), ("ZADD", "zk2", "2", "b", "5", "d")],
}
# A key of every other type, for WRONGTYPE (Pylon's own types, which redis-server lacks, are
# checked against the collections in tests/e2e/collections_wrongtype_test.cc).
OTHERS = {"str": [("SET", "str", "text")]}
OTHER_KEYS = ["str"] + list(OWN.values())

# Every command of each type, as one good call on its key ({k}, {k2}). Commands whose reply
# order is a hash table's carry mask_sorted.
SORTED = {"SMEMBERS", "SINTER", "SUNION", "SDIFF", "SRANDMEMBER", "SPOP", "HRANDFIELD",
          "ZRANDMEMBER", "SSCAN"}
COMMANDS = {
    "hash": ["HSET {k} f2 v2", "HSETNX {k} f3 v3", "HMSET {k} f4 v4", "HGET {k} f",
             "HMGET {k} f nosuch", "HGETALL {k}", "HLEN {k}", "HSTRLEN {k} f", "HEXISTS {k} f",
             "HKEYS {k}", "HVALS {k}", "HINCRBY {k} n 2", "HINCRBYFLOAT {k} x 0.25",
             "HRANDFIELD {k} 100", "HSCAN {k} 0", "HDEL {k} f4"],
    "list": ["LPUSH {k} p", "RPUSH {k} q", "LPUSHX {k} r", "RPUSHX {k} s", "LLEN {k}",
             "LRANGE {k} 0 -1", "LINDEX {k} 1", "LSET {k} 0 P", "LINSERT {k} BEFORE b B",
             "LREM {k} 1 a", "LPOS {k} b", "LTRIM {k} 0 -1", "LPOP {k}", "RPOP {k}",
             "LMOVE {k} {k2} LEFT RIGHT", "RPOPLPUSH {k} {k2}", "LMPOP 1 {k} LEFT",
             "BLPOP {k} 0.01", "BRPOP {k} 0.01", "BLMOVE {k} {k2} RIGHT LEFT 0.01",
             "BRPOPLPUSH {k} {k2} 0.01", "BLMPOP 0.01 1 {k} RIGHT"],
    "set": ["SADD {k} e", "SREM {k} e", "SCARD {k}", "SISMEMBER {k} a", "SMISMEMBER {k} a z",
            "SMEMBERS {k}", "SRANDMEMBER {k} 100", "SMOVE {k} {k2} a", "SINTER {k} {k2}",
            "SINTERCARD 2 {k} {k2}", "SUNION {k} {k2}", "SDIFF {k} {k2}",
            "SINTERSTORE dst {k} {k2}", "SUNIONSTORE dst {k} {k2}", "SDIFFSTORE dst {k} {k2}",
            "SSCAN {k} 0", "SPOP {k} 0"],
    "zset": ["ZADD {k} 4 d", "ZINCRBY {k} 1.5 a", "ZCARD {k}", "ZCOUNT {k} -inf +inf",
             "ZLEXCOUNT {k} - +", "ZSCORE {k} a", "ZMSCORE {k} a nosuch", "ZRANK {k} b",
             "ZREVRANK {k} b", "ZRANGE {k} 0 -1 WITHSCORES", "ZRANGESTORE dst {k} 0 -1",
             "ZRANGEBYSCORE {k} -inf +inf WITHSCORES", "ZREVRANGEBYSCORE {k} +inf -inf",
             "ZRANGEBYLEX {k} - +", "ZREVRANGEBYLEX {k} + -", "ZREVRANGE {k} 0 -1",
             "ZRANDMEMBER {k} 100", "ZUNION 2 {k} {k2} WITHSCORES",
             "ZUNIONSTORE dst 2 {k} {k2}", "ZINTER 2 {k} {k2}", "ZINTERSTORE dst 2 {k} {k2}",
             "ZINTERCARD 2 {k} {k2}", "ZDIFF 2 {k} {k2}", "ZDIFFSTORE dst 2 {k} {k2}",
             "ZSCAN {k} 0", "ZREMRANGEBYRANK {k} 0 0", "ZREMRANGEBYSCORE {k} 100 200",
             "ZREMRANGEBYLEX {k} [zz [zzz", "ZREM {k} nosuch", "ZPOPMIN {k}", "ZPOPMAX {k}",
             "ZMPOP 1 {k} MIN", "BZPOPMIN {k} 0.01", "BZPOPMAX {k} 0.01",
             "BZMPOP 0.01 1 {k} MAX"],
}
READS = {"HGET", "HMGET", "HGETALL", "HLEN", "HSTRLEN", "HEXISTS", "HKEYS", "HVALS", "HSCAN",
         "LLEN", "LRANGE", "LINDEX", "LPOS", "SCARD", "SISMEMBER", "SMISMEMBER", "SMEMBERS",
         "SINTER", "SUNION", "SDIFF", "SINTERCARD", "SSCAN", "ZCARD", "ZCOUNT", "ZLEXCOUNT",
         "ZSCORE", "ZMSCORE", "ZRANK", "ZREVRANK", "ZRANGE", "ZRANGEBYSCORE", "ZREVRANGEBYSCORE",
         "ZRANGEBYLEX", "ZREVRANGEBYLEX", "ZREVRANGE", "ZUNION", "ZINTER", "ZDIFF", "ZINTERCARD",
         "ZSCAN", "HRANDFIELD", "SRANDMEMBER", "ZRANDMEMBER"}


RANDOM = {"SRANDMEMBER", "SPOP", "HRANDFIELD", "ZRANDMEMBER"}
# In the pass with the large encodings, a hash's fields come in its table's order too.
LARGE_SORTED = {"HKEYS", "HVALS"}


def mask_for(name, large):
    if name in ("SSCAN", "HSCAN", "ZSCAN"):
        return lambda f: (f[0], [f[1][0], mask_sorted(f[1][1])]) if f[0] == "*" and f[1] else f
    if large and name == "HGETALL":
        return mask_sorted_pairs
    return mask_sorted if name in SORTED or (large and name in LARGE_SORTED) else None


def call(conn, words, large=False, **kw):
    name = words[0].upper()
    kw.setdefault("mask", mask_for(name, large))
    return cmd(conn, *words, **kw)


def fill(template, kind, key=None, key2=None):
    return [w.format(k=key or OWN[kind], k2=key2 or SECOND[kind]) for w in template.split()]


def setup_steps(conn):
    steps = [cmd(conn, "FLUSHALL")]
    for commands in list(SETUP.values()) + list(OTHERS.values()):
        steps += [cmd(conn, *c) for c in commands]
    return steps


# Limits low enough that the keys of SETUP take the large encodings.
LARGE_LIMITS = [("hash-max-listpack-entries", "1"), ("set-max-intset-entries", "1"),
                ("zset-max-listpack-entries", "1"), ("list-max-listpack-size", "1")]
DEFAULT_LIMITS = [("hash-max-listpack-entries", "512"), ("set-max-intset-entries", "512"),
                  ("zset-max-listpack-entries", "128"), ("list-max-listpack-size", "-2")]


def command_steps(large):
    conn = "big" if large else "c"
    steps = [cmd(conn, "CONFIG", "SET", *[x for kv in (LARGE_LIMITS if large else DEFAULT_LIMITS)
                                           for x in kv])]
    steps += setup_steps(conn)
    for kind, templates in COMMANDS.items():
        for template in templates:
            words = fill(template, kind)
            # Too few arguments: every prefix short of the call (for a random draw, only its
            # name: HRANDFIELD key is a draw of its own).
            lengths = [1] if words[0].upper() in RANDOM else range(1, len(words))
            steps += [call(conn, words[:n], large) for n in lengths]
            # WRONGTYPE: the type's key replaced by one of every other type.
            for other in OTHER_KEYS:
                if other not in (OWN[kind], SECOND[kind]):
                    steps.append(call(conn, fill(template, kind, other, other), large))
            # A missing key, then the good call (state carries over, as on both servers).
            steps.append(call(conn, fill(template, kind, "nokey", "nokey2"), large))
            steps.append(call(conn, words, large))
        steps += setup_steps(conn)
    if large:
        steps.append(cmd(conn, "CONFIG", "SET", *[x for kv in DEFAULT_LIMITS for x in kv]))
    return steps


def edge_steps():
    s = [cmd("e", "FLUSHALL")]
    c = lambda *w, **kw: call("e", list(w), **kw)  # noqa: E731
    # --- hashes
    s += [c("HSET", "h", "f"), c("HSET", "h", "f", "v", "g"), c("HSET", "h", "", ""),
          c("HGET", "h", ""), c("HINCRBY", "h", "i", "x"), c("HINCRBY", "h", "i", "9223372036854775807"),
          c("HINCRBY", "h", "i", "1"), c("HINCRBY", "h", "", "1"),
          c("HINCRBYFLOAT", "h", "fl", "nan"), c("HINCRBYFLOAT", "h", "fl", "inf"),
          c("HINCRBYFLOAT", "h", "fl", "1e308"), c("HINCRBYFLOAT", "h", "fl", "1e308"),
          c("HINCRBYFLOAT", "h", "fl2", "0.1"), c("HINCRBYFLOAT", "h", "fl2", "-0.1"),
          c("HGET", "h", "fl2"), c("HRANDFIELD", "h", "-9223372036854775808"),
          c("HRANDFIELD", "h", "0"), c("HRANDFIELD", "h", "1", "WITHVALUES", "x"),
          c("HSCAN", "h", "0", "COUNT", "0"), c("HSCAN", "h", "x"), c("HSCAN", "h", "0", "TYPE", "x"),
          c("HDEL", "h", "f", "", "i", "fl", "fl2"), c("EXISTS", "h")]
    for n in (512, 513):  # the listpack limit, on both sides
        s += [c("DEL", "hl"), c("HSET", "hl", *[x for i in range(n) for x in ("f%d" % i, "v")]),
              c("OBJECT", "ENCODING", "hl"), c("HLEN", "hl")]
    s += [c("HSET", "hv", "f", "x" * 64), c("OBJECT", "ENCODING", "hv"),
          c("HSET", "hv", "g", "x" * 65), c("OBJECT", "ENCODING", "hv"),
          c("HDEL", "hv", "g"), c("OBJECT", "ENCODING", "hv"), c("HGETALL", "hv")]
    # --- lists
    s += [c("RPUSH", "l", *"abcdefg"), c("LRANGE", "l", "-100", "100"),
          c("LRANGE", "l", "5", "2"), c("LRANGE", "l", "9223372036854775807", "-9223372036854775808"),
          c("LRANGE", "l", "x", "1"), c("LINDEX", "l", "-1"), c("LINDEX", "l", "100"),
          c("LINDEX", "l", "x"), c("LSET", "l", "100", "x"), c("LSET", "nokey", "0", "x"),
          c("LSET", "l", "-7", "A"), c("LINSERT", "l", "AFTER", "nosuch", "x"),
          c("LINSERT", "l", "MIDDLE", "b", "x"), c("LINSERT", "nokey", "BEFORE", "a", "x"),
          c("LREM", "l", "-1", "c"), c("LREM", "l", "x", "c"), c("LPOS", "l", "d", "RANK", "0"),
          c("LPOS", "l", "d", "RANK", "-9223372036854775808"), c("LPOS", "l", "d", "COUNT", "-1"),
          c("LPOS", "l", "d", "MAXLEN", "-1"), c("LPOS", "l", "d", "COUNT", "0", "RANK", "-1"),
          c("LPOS", "l", "d", "FOO"), c("LPOS", "l", "zz", "COUNT", "2"),
          c("LPOP", "l", "0"), c("LPOP", "l", "-1"), c("LPOP", "nokey", "2"), c("RPOP", "l", "2"),
          c("LPOP", "l", "100"), c("EXISTS", "l"), c("LMPOP", "0", "l", "LEFT"),
          c("LMPOP", "1", "l", "UP"), c("LMPOP", "2", "l", "LEFT"),
          c("LMPOP", "1", "l", "LEFT", "COUNT", "0"), c("LMPOP", "1", "nokey", "LEFT"),
          c("BLPOP", "l", "-1"), c("BLPOP", "l", "x"), c("BLMPOP", "0.01", "1", "nokey", "LEFT"),
          c("RPUSH", "l2", "x"), c("LTRIM", "l2", "1", "0"), c("EXISTS", "l2"),
          c("RPUSH", "l3", "a"), c("LMOVE", "l3", "l3", "LEFT", "RIGHT"), c("LRANGE", "l3", "0", "-1"),
          c("LMOVE", "l3", "l4", "UP", "LEFT"), c("RPOPLPUSH", "nokey", "l4"),
          c("OBJECT", "ENCODING", "l3")]
    # --- sets
    s += [c("SADD", "si", "1", "2", "3"), c("OBJECT", "ENCODING", "si"), c("SMEMBERS", "si"),
          c("SADD", "si", "-0"), c("OBJECT", "ENCODING", "si"),
          c("SADD", "sj", "01"), c("OBJECT", "ENCODING", "sj"), c("SRANDMEMBER", "si", "0"),
          c("SRANDMEMBER", "si", "-9223372036854775808"), c("SPOP", "si", "-1"),
          c("SPOP", "nokey", "3"), c("SPOP", "nokey"), c("SINTERCARD", "0", "si"),
          c("SINTERCARD", "1", "si", "LIMIT", "-1"), c("SINTERCARD", "2", "si"),
          c("SINTERSTORE", "empty", "si", "nokey"), c("EXISTS", "empty"),
          c("SMOVE", "si", "si", "1"), c("SMOVE", "si", "nokey", "zz"),
          c("SSCAN", "si", "0", "MATCH", "1*"), c("SMISMEMBER", "si")]
    for n in (512, 513):  # the intset limit
        s += [c("DEL", "sl"), c("SADD", "sl", *[str(i) for i in range(n)]),
              c("OBJECT", "ENCODING", "sl"), c("SCARD", "sl")]
    # --- sorted sets
    s += [c("ZADD", "z", "nan", "a"), c("ZADD", "z", "x", "a"), c("ZADD", "z", "1"),
          c("ZADD", "z", "NX", "XX", "1", "a"), c("ZADD", "z", "GT", "LT", "1", "a"),
          c("ZADD", "z", "NX", "GT", "1", "a"), c("ZADD", "z", "INCR", "1", "a", "2", "b"),
          c("ZADD", "z", "1", "a", "2", "b", "3", "c", "-inf", "m", "+inf", "p"),
          c("ZADD", "z", "CH", "GT", "5", "a", "0", "b"), c("ZADD", "z", "INCR", "XX", "1", "nosuch"),
          c("ZADD", "z", "INCR", "inf", "p"), c("ZINCRBY", "z", "-inf", "p"),
          c("ZINCRBY", "z", "x", "a"), c("ZSCORE", "z", "a"), c("ZADD", "z", "0.1", "q"),
          c("ZSCORE", "z", "q"), c("ZADD", "z", "1e-300", "r"), c("ZRANGE", "z", "0", "-1", "WITHSCORES"),
          c("ZRANGE", "z", "(1", "5", "BYSCORE", "LIMIT", "0", "-1"),
          c("ZRANGE", "z", "5", "(1", "BYSCORE", "REV", "WITHSCORES"),
          c("ZRANGE", "z", "[a", "(c", "BYLEX"), c("ZRANGE", "z", "a", "c", "BYLEX"),
          c("ZRANGE", "z", "0", "1", "LIMIT", "0", "1"), c("ZRANGE", "z", "0", "1", "BYLEX", "WITHSCORES"),
          c("ZRANGE", "z", "0", "1", "BYSCORE", "BYLEX"), c("ZRANGEBYSCORE", "z", "x", "1"),
          c("ZRANGEBYSCORE", "z", "(x", "1"), c("ZRANGEBYSCORE", "z", "-inf", "+inf", "LIMIT", "1"),
          c("ZRANGEBYLEX", "z", "a", "+"), c("ZLEXCOUNT", "z", "(a", "[p"),
          c("ZCOUNT", "z", "(-inf", "(inf"), c("ZREVRANGE", "z", "-100", "100"),
          c("ZRANK", "z", "nosuch"), c("ZREMRANGEBYSCORE", "z", "(0", "(1"),
          c("ZREMRANGEBYRANK", "z", "-1", "-1"), c("ZREMRANGEBYLEX", "z", "x", "+"),
          c("ZPOPMIN", "z", "-1"), c("ZPOPMIN", "z", "0"), c("ZPOPMAX", "z", "2"),
          c("ZMPOP", "1", "z", "MIN", "COUNT", "0"), c("ZMPOP", "0", "z", "MIN"),
          c("ZMPOP", "1", "z", "MIDDLE"), c("BZPOPMIN", "z", "-1"),
          c("ZRANDMEMBER", "z", "-9223372036854775808"),
          c("ZRANDMEMBER", "z", "1", "WITHSCORES", "x"),
          c("ZUNIONSTORE", "out", "0", "z"), c("ZUNIONSTORE", "out", "2", "z"),
          c("ZUNIONSTORE", "out", "1", "z", "WEIGHTS", "x"),
          c("ZUNIONSTORE", "out", "1", "z", "AGGREGATE", "AVG"),
          c("ZADD", "w1", "1", "a", "2", "b"), c("SADD", "w2", "b", "c"),
          c("ZUNIONSTORE", "out", "2", "w1", "w2", "WEIGHTS", "2", "3", "AGGREGATE", "MAX"),
          c("ZRANGE", "out", "0", "-1", "WITHSCORES"),
          c("ZINTER", "2", "w1", "w2", "WITHSCORES"), c("ZDIFF", "2", "w1", "w2", "WITHSCORES"),
          c("ZUNION", "2", "w1", "w2", "WEIGHTS", "inf", "-inf", "WITHSCORES"),
          c("ZINTERCARD", "2", "w1", "w2", "LIMIT", "0"), c("ZINTERSTORE", "out", "1", "nokey"),
          c("EXISTS", "out"), c("ZRANGESTORE", "out2", "w1", "0", "-1"),
          c("OBJECT", "ENCODING", "out2")]
    for n in (128, 129):  # the listpack limit
        s += [c("DEL", "zl"), c("ZADD", "zl", *[x for i in range(n) for x in (str(i), "m%d" % i)]),
              c("OBJECT", "ENCODING", "zl"), c("ZCARD", "zl")]
    s += [c("ZADD", "zv", "1", "x" * 65), c("OBJECT", "ENCODING", "zv"),
          c("ZRANGESTORE", "zv2", "zv", "0", "-1"), c("OBJECT", "ENCODING", "zv2")]
    return s


def resp3_steps():
    steps = [cmd("r", "HELLO", "3", mask=mask_hello)] + setup_steps("r")
    for kind, templates in COMMANDS.items():
        for template in templates:
            words = fill(template, kind)
            steps.append(call("r", fill(template, kind, "nokey", "nokey2")))
            steps.append(call("r", words))
        steps += setup_steps("r")
    # Scores and pairs: every shape of a reply with scores.
    steps += [call("r", w.split()) for w in [
        "ZRANGE zk 0 -1 WITHSCORES", "ZPOPMIN zk", "ZPOPMIN zk 2", "ZADD zk 1 a 2 b",
        "ZMPOP 1 zk MIN COUNT 2", "ZADD zk 1.5 a", "BZPOPMAX zk 0.01", "ZSCORE zk2 b",
        "ZMSCORE zk2 b nosuch", "ZINCRBY zk2 0.5 b", "ZRANDMEMBER zk2 5 WITHSCORES",
        "HRANDFIELD hk 5 WITHVALUES", "HGETALL hk", "SMEMBERS sk", "LPOP lk 2", "ZADD zk INCR 1 q"]]
    return steps


def sort_steps(conn, resp3=False):
    """SORT and SORT_RO on lists, sets and sorted sets, in both encodings of each. Only a set
    given unsorted (BY a constant, not stored) answers in its table's order: compared sorted."""
    s = [cmd(conn, "HELLO", "3", mask=mask_hello)] if resp3 else []
    s += [cmd(conn, "FLUSHALL")]
    c = lambda *w, **kw: call(conn, list(w), **kw)  # noqa: E731
    s += [c("RPUSH", "sl", "3", "1", "2", "10", "-5", "1.5", "1e2", " 7", "0x10", "-inf", "inf"),
          c("RPUSH", "sa", "b", "a", "B", "ab", "", "a"), c("SADD", "ss", "5", "3", "40", "1"),
          c("SADD", "sw", "x", "y", "zz", "w"), c("ZADD", "sz", "3", "c", "1", "a", "2", "b", "4", "d"),
          c("MSET", "w_3", "30", "w_1", "10", "w_2", "20", "w_10", "-1", "w_a", "5", "w_b", "1"),
          c("HSET", "h_3", "f", "c3"), c("HSET", "h_1", "f", "c1", "g", "9"), c("HSET", "h_a", "f", "A"),
          c("SET", "o_x", "4"), c("SET", "o_y", "2"), c("SET", "o_zz", "3"), c("SET", "o_w", "1"),
          c("RPUSH", "bad", "1", "x", "2"), c("RPUSH", "nan", "nan"), c("RPUSH", "tiny", "1e-400"),
          c("SET", "str", "x"), c("HSET", "hash", "f", "v")]
    for key in ("sl", "ss", "sz"):
        for opts in ["", "DESC", "LIMIT 0 2", "LIMIT 2 3 DESC", "LIMIT -1 2", "LIMIT 1 -1",
                     "LIMIT 100 2", "LIMIT 0 0", "LIMIT 9223372036854775807 -9223372036854775808",
                     "GET #", "GET # GET w_*", "GET h_*->f GET h_*->g GET h_*-> GET w_*->f",
                     "BY w_*", "BY w_* DESC LIMIT 1 2", "BY h_*->g", "BY nosort LIMIT 1 2",
                     "BY nosort DESC", "BY nosort DESC LIMIT 1 2", "BY nosort GET # GET w_*"]:
            set_order = key == "ss" and opts.startswith("BY nosort")
            s.append(c("SORT", key, *opts.split(), mask=mask_sorted if set_order else None))
            if not set_order:
                s.append(c("SORT_RO", key, *opts.split()))
    s += [c("SORT", "sa", "ALPHA"), c("SORT", "sa", "ALPHA", "DESC", "LIMIT", "1", "3"),
          c("SORT", "sa"), c("SORT", "sw", "ALPHA"), c("SORT", "sw", "BY", "o_*"),
          c("SORT", "sw", "BY", "o_*", "ALPHA", "DESC"), c("SORT", "sz", "ALPHA", "DESC"),
          c("SORT", "sa", "BY", "h_*->f", "ALPHA", "GET", "#"),
          # Equal ALPHA weights (missing ones too) keep the list's order, as glibc's qsort.
          c("RPUSH", "q", *"cadbeaf"), c("MSET", "v_a", "x", "v_b", "x", "v_c", "y"),
          c("SORT", "q", "BY", "v_*", "ALPHA"), c("SORT", "q", "BY", "v_*", "ALPHA", "DESC"),
          c("SORT", "bad"), c("SORT", "bad", "ALPHA"), c("SORT", "bad", "STORE", "d1"),
          c("SORT", "nan"), c("SORT", "tiny"),
          # Redis's SORT reads errno after strtod without clearing it: once a weight underflows,
          # every later SORT through strtod fails until a command clears errno (a ZADD of a
          # non-integer score does). Pylon clears it for each weight; the ZADD aligns the two.
          c("ZADD", "errno", "1.5", "m"), c("SORT", "bad", "BY", "w_*"),
          c("SORT", "nokey"), c("SORT", "nokey", "STORE", "d1"), c("SORT", "str"),
          c("SORT", "hash"), c("SORT_RO", "hash"), c("SORT", "str", "LIMIT", "x", "1"),
          c("SORT", "sl", "LIMIT", "0", "x"), c("SORT", "sl", "LIMIT", "0"), c("SORT", "sl", "BY"),
          c("SORT", "sl", "GET"), c("SORT", "sl", "FOO"), c("SORT", "sl", "STORE"),
          c("SORT_RO", "sl", "STORE", "d1"), c("SORT", "sl", "ASC", "DESC", "ASC"),
          c("SORT", "sl", "STORE", "d1"), c("LRANGE", "d1", "0", "-1"), c("TYPE", "d1"),
          c("SET", "d2", "x"), c("EXPIRE", "d2", "100"),
          c("SORT", "ss", "BY", "nosort", "STORE", "d2"), c("LRANGE", "d2", "0", "-1"),
          c("TTL", "d2"), c("SORT", "sw", "BY", "nosort", "GET", "o_*", "STORE", "d2"),
          c("LRANGE", "d2", "0", "-1"),
          c("SORT", "sz", "GET", "#", "GET", "nokey_*", "GET", "h_*->f", "STORE", "d3"),
          c("LRANGE", "d3", "0", "-1"), c("SORT", "sl", "LIMIT", "100", "1", "STORE", "d3"),
          c("EXISTS", "d3"), c("SORT", "sl", "STORE", "sl"), c("LRANGE", "sl", "0", "-1"),
          c("SORT", "sl", "STORE", "a", "STORE", "b"), c("EXISTS", "a", "b"),
          c("COMMAND", "GETKEYS", "SORT", "sl", "LIMIT", "0", "1", "STORE", "x", "GET", "y"),
          c("COMMAND", "GETKEYS", "SORT", "sl", "GET", "STORE", "STORE", "x"),
          c("COMMAND", "GETKEYS", "SORT_RO", "sl", "STORE", "x")]
    # The large encodings, for the same sorts.
    s += [cmd(conn, "CONFIG", "SET", *[x for kv in LARGE_LIMITS for x in kv]),
          c("DEL", "sl", "ss", "sz"),
          c("RPUSH", "sl", "3", "1", "2", "10", "-5"), c("SADD", "ss", "5", "3", "x", "1"),
          c("ZADD", "sz", "3", "c", "1", "a", "2", "b", "4", "d"), c("SORT", "sl"),
          c("SORT", "sl", "BY", "nosort", "DESC", "LIMIT", "1", "3"), c("SORT", "ss", "ALPHA"),
          c("SORT", "ss"), c("SORT", "sz", "BY", "nosort", "LIMIT", "1", "2", "DESC"),
          c("SORT", "sz", "BY", "w_*", "GET", "#", "GET", "h_*->f"),
          c("SORT", "ss", "BY", "nosort", "STORE", "d4"), c("LRANGE", "d4", "0", "-1"),
          cmd(conn, "CONFIG", "SET", *[x for kv in DEFAULT_LIMITS for x in kv])]
    return s


STEPS = (command_steps(False) + command_steps(True) + edge_steps() + resp3_steps() +
         sort_steps("sort") + sort_steps("sort3", resp3=True))

if __name__ == "__main__":
    sys.exit(differential.run(NAME, STEPS))
