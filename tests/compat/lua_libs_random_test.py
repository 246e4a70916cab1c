"""Random cmsgpack and struct calls in EVAL, against redis-server and the target at once: seeded
snippets (unpack of random bytes biased to MessagePack's type bytes, unpack_one/unpack_limit
with random offsets and limits, struct formats drawn from every option, digit and control
character, pack of awkward numbers and tables) rendered with tests/unit/lua_libs_prelude.lua's
helpers, each reply compared byte for byte.

    /usr/bin/python3 tests/compat/lua_libs_random_test.py <path-to-pylond> [--show]

PYLON_LUA_RANDOM_SEED and PYLON_LUA_RANDOM_COUNT choose the run (default: seed 1, 3000
snippets); a mismatch prints the snippet, so that it can be added to lua_libs_cases.txt.
"""

import os
import random
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import differential  # noqa: E402
from differential import cmd  # noqa: E402
from lua_libs_reference import PRELUDE, script_for  # noqa: E402

NAME = "lua_libs_random_test"

# MessagePack's type bytes and their boundaries come up more often than chance would give.
TYPE_BYTES = [0x00, 0x01, 0x02, 0x03, 0x7f, 0x80, 0x81, 0x8f, 0x90, 0x91, 0x9f, 0xa0, 0xa1, 0xbf,
              0xc0, 0xc1, 0xc2, 0xc3, 0xc4, 0xca, 0xcb, 0xcc, 0xcd, 0xce, 0xcf, 0xd0, 0xd1, 0xd2,
              0xd3, 0xd4, 0xd9, 0xda, 0xdb, 0xdc, 0xdd, 0xde, 0xdf, 0xe0, 0xff]
FORMAT_CHARS = "bBhHlLTiIfdcsx<>! 0123456789q"
NUMBERS = ["0", "1", "-1", "255", "256", "-129", "2^31", "2^32", "-2^31-1", "2^53", "2^63",
           "2^64", "-2^63", "1.5", "0.1", "-0.0", "1/0", "-1/0", "0/0", "1e300", "-1e300", "3.7",
           "-3.7", "2^63-2^10", "'12'", "'x'", "nil", "{}", "true"]
STRINGS = ["'abc'", "''", "'a\\0b'"]
TABLES = ["{1, 2}", "{a = 1, [1] = 2}", "{[3] = 1}", "{{{}}}", "{[1.5] = 0}"]


def lua_string(data):
    return "'" + "".join("\\%d" % b for b in data) + "'"


class Snippets:
    def __init__(self, rng):
        self.rng = rng

    def data(self):
        r = self.rng
        return lua_string(bytes(r.choice(TYPE_BYTES) if r.random() < 0.6 else r.randrange(256)
                                for _ in range(r.randrange(0, 40))))

    def fmt(self):
        r = self.rng
        return lua_string("".join(r.choice(FORMAT_CHARS)
                                  for _ in range(r.randrange(0, 12))).encode())

    def values(self, pool, count):
        return ", ".join(self.rng.choice(pool) for _ in range(count))

    def one(self):
        r = self.rng
        kind = r.randrange(9)
        if kind == 0:
            return "return try(cmsgpack.unpack, %s)" % self.data()
        if kind == 1:
            return "return try(cmsgpack.unpack_one, %s, %d)" % (self.data(), r.randrange(-2, 8))
        if kind == 2:
            return "return try(cmsgpack.unpack_limit, %s, %d, %d)" % (
                self.data(), r.randrange(-1, 5), r.randrange(-1, 8))
        if kind == 3:
            return "return try(struct.unpack, %s, %s)" % (self.fmt(), self.data())
        if kind == 4:
            return "return try(struct.unpack, %s, %s, %d)" % (self.fmt(), self.data(),
                                                               r.randrange(-3, 10))
        if kind == 5:
            return "return try(struct.size, %s)" % self.fmt()
        if kind == 6:
            args = self.values(NUMBERS * 3 + STRINGS, r.randrange(0, 5))
            return "return try(function() return hex(struct.pack(%s%s)) end)" % (
                self.fmt(), ", " + args if args else "")
        if kind == 7:
            args = self.values(NUMBERS * 2 + STRINGS + TABLES, r.randrange(1, 5))
            return "return try(function() return hex(cmsgpack.pack(%s)) end)" % args
        return ("local p = cmsgpack.pack(%s) "
                "return try(function() return hex(cmsgpack.pack(cmsgpack.unpack(p))) end)"
                % self.values(NUMBERS + TABLES, r.randrange(1, 4)))


def steps(seed, count):
    with open(PRELUDE, encoding="utf-8") as fh:
        prelude = fh.read().rstrip("\n")
    gen = Snippets(random.Random(seed))
    out = []
    for i in range(count):
        snippet = gen.one()
        out.append(cmd("r", "EVAL", script_for(prelude, snippet), "0",
                       label="seed %d #%d: %s" % (seed, i, snippet)))
    return out


if __name__ == "__main__":
    seed = int(os.environ.get("PYLON_LUA_RANDOM_SEED", "1"))
    count = int(os.environ.get("PYLON_LUA_RANDOM_COUNT", "3000"))
    sys.exit(differential.run(NAME, steps(seed, count)))
