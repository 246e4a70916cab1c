"""Random operations on hashes, lists, sets and sorted sets, against redis-server and pylond at
once: the same seeded sequence of a few thousand commands (good and bad: wrong types, missing
keys, out-of-range indexes, non-numbers, encodings pushed past their limits) goes to both, every
reply is compared byte for byte (as a multiset where Redis's order is its hash table's), and
after every few hundred operations, and at the end, each key's type, encoding and contents.

    /usr/bin/python3 tests/compat/collections_random_test.py <path-to-pylond> [--seed N]
        [--ops N] [--resp3] [--types hash,list,set,zset] [--show]

Without --seed, three fixed seeds run (RESP2, RESP2, RESP3). A mismatch prints the seed, the
operation's number and both replies, so that a run can be repeated exactly.
"""

import argparse
import os
import random
import socket
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import differential  # noqa: E402
import servers  # noqa: E402
from differential import Reader, serialize  # noqa: E402

NAME = "collections_random_test"
CHECK_EVERY = 250
MAX_MISMATCHES = 20

# Small pools, so that operations meet each other's keys and elements.
KEYS = {"hash": ["h%d" % i for i in range(4)], "list": ["l%d" % i for i in range(4)],
        "set": ["s%d" % i for i in range(4)], "zset": ["z%d" % i for i in range(4)]}
OTHER_KEYS = ["str", "missing"]
# Lexicographic ranges are defined only over members of one score (Redis leaves the answer
# unspecified otherwise, and its skiplist's shape decides it): they get keys of their own, whose
# members all have score 0.
LEX_KEYS = ["zlex0", "zlex1"]


class Gen:
    def __init__(self, rng):
        self.r = rng

    def key(self, kind):
        # Mostly its own type; sometimes another type's key (WRONGTYPE) or a string or none.
        roll = self.r.random()
        if roll < 0.85:
            return self.r.choice(KEYS[kind])
        if roll < 0.95:
            return self.r.choice(KEYS[self.r.choice(list(KEYS))])
        return self.r.choice(OTHER_KEYS)

    def element(self):
        roll = self.r.random()
        if roll < 0.45:
            return "e%d" % self.r.randrange(40)
        if roll < 0.75:
            return str(self.r.randrange(-50, 200))  # integers: intsets, numeric fields
        if roll < 0.85:
            return "x" * self.r.choice([0, 1, 63, 64, 65, 100])  # the value-length limits
        if roll < 0.93:
            return "long-%d-%s" % (self.r.randrange(10), "y" * 70)
        return self.r.choice(["", " ", "-0", "+1", "01", "1.5", "nan", "inf", "-inf", "9" * 25])

    def elements(self, lo=1, hi=6):
        return [self.element() for _ in range(self.r.randint(lo, hi))]

    def index(self):
        return str(self.r.choice([0, 1, 2, -1, -2, 3, 5, 10, -10, 100, -100,
                                  self.r.randrange(-30, 30), 9223372036854775807,
                                  -9223372036854775808]))

    def count(self):
        return str(self.r.choice([0, 1, 2, 3, 5, 10, 50, -1, -3, self.r.randrange(-5, 20)]))

    def score(self):
        roll = self.r.random()
        if roll < 0.6:
            return str(self.r.randrange(-20, 20))
        if roll < 0.8:
            return repr(self.r.uniform(-100, 100))
        return self.r.choice(["inf", "-inf", "+inf", "1e300", "-0", "0.1", "nan", "abc", "",
                              "1.7976931348623157e308", "5e-324"])

    def score_bound(self):
        roll = self.r.random()
        if roll < 0.5:
            return str(self.r.randrange(-20, 20))
        if roll < 0.8:
            return "(" + str(self.r.randrange(-20, 20))
        return self.r.choice(["-inf", "+inf", "inf", "(inf", "(-inf", "x", "((1", "nan"])

    def lex_bound(self):
        roll = self.r.random()
        if roll < 0.7:
            return self.r.choice("[(") + self.element()
        return self.r.choice(["-", "+", "e1", "", "[", "("])


def hash_op(g):
    k = g.key("hash")
    r = g.r
    f = g.element
    ops = [
        lambda: ["HSET", k] + [x for _ in range(r.randint(1, 4)) for x in (f(), f())],
        lambda: ["HSET", k, f()],
        lambda: ["HSETNX", k, f(), f()],
        lambda: ["HMSET", k, f(), f()],
        lambda: ["HGET", k, f()],
        lambda: ["HMGET", k] + g.elements(),
        lambda: ["HDEL", k] + g.elements(),
        lambda: ["HLEN", k],
        lambda: ["HSTRLEN", k, f()],
        lambda: ["HEXISTS", k, f()],
        lambda: ["HINCRBY", k, f(), g.index()],
        lambda: ["HINCRBYFLOAT", k, f(), g.score()],
        lambda: ["HGETALL", k],
        lambda: ["HKEYS", k],
        lambda: ["HVALS", k],
    ]
    return r.choice(ops)()


def list_op(g):
    k = g.key("list")
    r = g.r
    e = g.element
    side = lambda: r.choice(["LEFT", "RIGHT", "left", "MIDDLE"])  # noqa: E731
    ops = [
        lambda: [r.choice(["LPUSH", "RPUSH"]), k] + g.elements(),
        lambda: [r.choice(["LPUSHX", "RPUSHX"]), k] + g.elements(),
        lambda: [r.choice(["LPOP", "RPOP"]), k],
        lambda: [r.choice(["LPOP", "RPOP"]), k, g.count()],
        lambda: ["LLEN", k],
        lambda: ["LRANGE", k, g.index(), g.index()],
        lambda: ["LINDEX", k, g.index()],
        lambda: ["LSET", k, g.index(), e()],
        lambda: ["LINSERT", k, r.choice(["BEFORE", "AFTER", "ASIDE"]), e(), e()],
        lambda: ["LREM", k, g.count(), e()],
        lambda: ["LTRIM", k, g.index(), g.index()],
        lambda: ["LPOS", k, e()] + r.choice([[], ["RANK", g.count()], ["COUNT", g.count()],
                                             ["MAXLEN", g.count()],
                                             ["RANK", g.count(), "COUNT", "0"]]),
        lambda: ["LMOVE", k, g.key("list"), side(), side()],
        lambda: ["RPOPLPUSH", k, g.key("list")],
        lambda: ["LMPOP", r.choice(["1", "2", "0", "-1"]), k, g.key("list"),
                 r.choice(["LEFT", "RIGHT", "UP"])] + r.choice([[], ["COUNT", g.count()]]),
        lambda: [r.choice(["BLPOP", "BRPOP"]), k, g.key("list"), "0.01"],
    ]
    return r.choice(ops)()


def set_op(g):
    k = g.key("set")
    r = g.r
    keys = lambda: [g.key("set") for _ in range(r.randint(1, 3))]  # noqa: E731
    ops = [
        lambda: ["SADD", k] + g.elements(),
        lambda: ["SADD", k] + [str(r.randrange(-1000, 1000)) for _ in range(r.randint(1, 8))],
        lambda: ["SREM", k] + g.elements(),
        lambda: ["SCARD", k],
        lambda: ["SISMEMBER", k, g.element()],
        lambda: ["SMISMEMBER", k] + g.elements(),
        lambda: ["SMEMBERS", k],
        lambda: ["SMOVE", k, g.key("set"), g.element()],
        lambda: [r.choice(["SINTER", "SUNION", "SDIFF"])] + keys(),
        lambda: [r.choice(["SINTERSTORE", "SUNIONSTORE", "SDIFFSTORE"]), g.key("set")] + keys(),
        lambda: ["SINTERCARD", str(r.randint(0, 3))] + keys() + r.choice(
            [[], ["LIMIT", g.count()]]),
        lambda: ["SPOP", k, "0"],
        lambda: ["SRANDMEMBER", k, "0"],
    ]
    return r.choice(ops)()


def zset_op(g):
    k = g.key("zset")
    r = g.r
    lk = r.choice(LEX_KEYS)
    keys = lambda: [g.key("zset") for _ in range(r.randint(1, 3))]  # noqa: E731
    flags = lambda: r.sample(["NX", "XX", "GT", "LT", "CH", "INCR"], r.randint(0, 2))  # noqa
    ops = [
        lambda: ["ZADD", k] + flags() + [x for _ in range(r.randint(1, 4))
                                        for x in (g.score(), g.element())],
        lambda: ["ZINCRBY", k, g.score(), g.element()],
        lambda: ["ZREM", k] + g.elements(),
        lambda: ["ZCARD", k],
        lambda: ["ZCOUNT", k, g.score_bound(), g.score_bound()],
        lambda: ["ZADD", lk] + [x for _ in range(r.randint(1, 4)) for x in ("0", g.element())],
        lambda: ["ZLEXCOUNT", lk, g.lex_bound(), g.lex_bound()],
        lambda: ["ZSCORE", k, g.element()],
        lambda: ["ZMSCORE", k] + g.elements(),
        lambda: [r.choice(["ZRANK", "ZREVRANK"]), k, g.element()],
        lambda: ["ZRANGE", k, g.index(), g.index()] + r.choice([[], ["WITHSCORES"], ["REV"]]),
        lambda: ["ZRANGE", k, g.score_bound(), g.score_bound(), "BYSCORE"] +
        r.choice([[], ["REV"]]) + r.choice([[], ["LIMIT", g.index(), g.count()]]) +
        r.choice([[], ["WITHSCORES"]]),
        lambda: ["ZRANGE", lk, g.lex_bound(), g.lex_bound(), "BYLEX"] +
        r.choice([[], ["REV"]]) + r.choice([[], ["LIMIT", g.index(), g.count()]]),
        lambda: [r.choice(["ZRANGEBYSCORE", "ZREVRANGEBYSCORE"]), k, g.score_bound(),
                 g.score_bound()] + r.choice([[], ["WITHSCORES"], ["LIMIT", "0", g.count()]]),
        lambda: [r.choice(["ZRANGEBYLEX", "ZREVRANGEBYLEX"]), lk, g.lex_bound(), g.lex_bound()],
        lambda: ["ZREVRANGE", k, g.index(), g.index()] + r.choice([[], ["WITHSCORES"]]),
        lambda: ["ZREMRANGEBYRANK", k, g.index(), g.index()],
        lambda: ["ZREMRANGEBYSCORE", k, g.score_bound(), g.score_bound()],
        lambda: ["ZREMRANGEBYLEX", lk, g.lex_bound(), g.lex_bound()],
        lambda: [r.choice(["ZPOPMIN", "ZPOPMAX"]), k] + r.choice([[], [g.count()]]),
        lambda: ["ZMPOP", str(r.randint(1, 2)), k, g.key("zset"), r.choice(["MIN", "MAX"])] +
        r.choice([[], ["COUNT", g.count()]]),
        lambda: ["ZRANGESTORE", g.key("zset"), k, g.index(), g.index()],
        lambda: [r.choice(["ZUNIONSTORE", "ZINTERSTORE", "ZDIFFSTORE"]), g.key("zset"), "2",
                 g.key("zset"), g.key("set")] + r.choice([[], ["WEIGHTS", g.score(), "2"]]) +
        r.choice([[], ["AGGREGATE", r.choice(["SUM", "MIN", "MAX", "AVG"])]]),
        lambda: [r.choice(["ZUNION", "ZINTER", "ZDIFF"]), "2", k, g.key("zset")] +
        r.choice([[], ["WITHSCORES"]]),
        lambda: ["ZINTERCARD", "2", k, g.key("zset")],
        lambda: ["ZRANDMEMBER", k, "0"],
    ]
    return r.choice(ops)()


def generic_op(g):
    r = g.r
    kind = r.choice(list(KEYS))
    k = g.key(kind)
    ops = [
        lambda: ["TYPE", k],
        lambda: ["OBJECT", "ENCODING", k],
        lambda: ["DEL", k],
        lambda: ["EXISTS", k],
        lambda: ["RENAME", k, g.key(kind)],
        lambda: ["SET", "str", g.element()],
        lambda: ["EXPIRE", k, "1000"],
        lambda: ["PERSIST", k],
        lambda: ["TTL", k],
    ]
    return r.choice(ops)()


FAMILIES = {"hash": hash_op, "list": list_op, "set": set_op, "zset": zset_op}

# Replies whose order is a hash table's in Redis (compared as a multiset of elements, or of
# pairs for the commands with fields and values).
UNORDERED = {"HGETALL": 2, "HKEYS": 1, "HVALS": 1, "SMEMBERS": 1, "SINTER": 1, "SUNION": 1,
             "SDIFF": 1}


def normalize(args, frame):
    """The frame as compared: sorted where Redis's order is not defined."""
    name = args[0].upper()
    if name == "TTL" and frame[0] == ":" and int(frame[1]) > 0:
        return (":", b"1")  # a time to live is there: the seconds left depend on timing
    width = UNORDERED.get(name)
    if width and frame[0] in "*~%" and frame[1]:
        items = frame[1]
        groups = [tuple(items[i:i + width]) for i in range(0, len(items), width)]
        groups.sort(key=lambda g: b"".join(serialize(x) for x in g))
        return (frame[0], [x for g in groups for x in g])
    return frame


class Side:
    def __init__(self, server, resp3):
        sock = socket.create_connection((server.host, server.port), timeout=10)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.reader = Reader(sock)
        if resp3:
            self.call(["HELLO", "3"])

    def call(self, args):
        self.reader.sock.sendall(servers.resp_command(*args))
        return self.reader.frame()


def contents(side):
    """Each key's type, encoding and contents, as comparable bytes."""
    out = []
    for key in sorted(k for ks in KEYS.values() for k in ks) + LEX_KEYS + OTHER_KEYS:
        t = side.call(["TYPE", key])
        out.append((key, serialize(t)))
        name = t[1].decode() if t[1] else ""
        if name == "none":
            continue
        out.append((key, serialize(side.call(["OBJECT", "ENCODING", key]))))
        dump = {"hash": ["HGETALL", key], "list": ["LRANGE", key, "0", "-1"],
                "set": ["SMEMBERS", key], "zset": ["ZRANGE", key, "0", "-1", "WITHSCORES"],
                "string": ["GET", key]}.get(name)
        if dump:
            out.append((key, serialize(normalize(dump, side.call(dump)))))
        out.append((key, serialize(normalize(["TTL"], side.call(["TTL", key])))))
    return out


def run_seed(ref_server, tgt_server, seed, ops, resp3, families, verbose):
    rng = random.Random(seed)
    g = Gen(rng)
    ref, tgt = Side(ref_server, resp3), Side(tgt_server, resp3)
    for side in (ref, tgt):
        side.call(["FLUSHALL"])
        side.call(["SET", "str", "a string"])
        # Small limits, so that random runs cross every encoding's threshold often.
        for name, value in (("hash-max-listpack-entries", "8"), ("set-max-intset-entries", "8"),
                            ("zset-max-listpack-entries", "8"), ("list-max-listpack-size", "4")):
            side.call(["CONFIG", "SET", name, value])
    mismatches = 0
    weights = [(f, 3) for f in families] + [(None, 1)]
    for i in range(1, ops + 1):
        family = rng.choices([w[0] for w in weights], [w[1] for w in weights])[0]
        args = FAMILIES[family](g) if family else generic_op(g)
        want = serialize(normalize(args, ref.call(args)))
        got = serialize(normalize(args, tgt.call(args)))
        if verbose:
            print("%5d %-60s %s" % (i, " ".join(args)[:60], want[:80]))
        if want != got:
            mismatches += 1
            print("MISMATCH seed %d op %d: %s\n  redis:  %s\n  pylond: %s"
                  % (seed, i, " ".join(a if len(a) < 40 else a[:37] + "..." for a in args),
                     want[:300], got[:300]))
        if i % CHECK_EVERY == 0 or i == ops:
            for (key, a), (_, b) in zip(contents(ref), contents(tgt)):
                if a != b:
                    mismatches += 1
                    print("MISMATCH seed %d after op %d: key %s\n  redis:  %s\n  pylond: %s"
                          % (seed, i, key, a[:300], b[:300]))
        if mismatches >= MAX_MISMATCHES:
            print("%s: seed %d: stopping after %d mismatches" % (NAME, seed, mismatches))
            break
    return mismatches


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("pylond", nargs="?")
    ap.add_argument("--seed", type=int)
    ap.add_argument("--ops", type=int, default=3000)
    ap.add_argument("--resp3", action="store_true")
    ap.add_argument("--types", default="hash,list,set,zset")
    ap.add_argument("--show", action="store_true")
    a = ap.parse_args()
    pylond = servers.pylond_from_argv(NAME)
    families = a.types.split(",")
    runs = [(a.seed, a.resp3)] if a.seed is not None else [(1, False), (2, False), (3, True)]
    total = 0
    with servers.Servers() as group:
        try:
            ref = group.start(servers.make_reference(name="redis"))
            tgt = group.start(servers.make_target(pylond))
            for seed, resp3 in runs:
                m = run_seed(ref, tgt, seed, a.ops, resp3, families, a.show)
                print("%s: seed %d (%s, %d operations): %d mismatches"
                      % (NAME, seed, "RESP3" if resp3 else "RESP2", a.ops, m))
                total += m
        except (servers.ServerError, OSError, differential.Closed) as e:
            print("%s: %s: %s" % (NAME, type(e).__name__, e))
            total += 1
    for problem in group.problems:
        print("%s: %s" % (NAME, problem))
        total += 1
    print("%s: %s" % (NAME, "FAILED" if total else "no differences"))
    return 1 if total else 0


if __name__ == "__main__":
    sys.exit(main())
