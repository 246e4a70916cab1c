"""cmsgpack and struct inside EVAL, byte for byte against redis-server, in RESP2 and RESP3.

    /usr/bin/python3 tests/compat/lua_libs_differential_test.py <path-to-pylond> [--show]

Three kinds of step:
  - every case of tests/unit/lua_libs_cases.txt (a snippet that renders its results as text,
    with tests/unit/lua_libs_prelude.lua's helpers): the libraries' values and error texts;
  - scripts that return the libraries' results raw, so the engine's conversion of what they
    produce (tables, floats, binary strings, nil holes) and its error replies for an uncaught
    library error (with the script's sha and line) are compared too, on a RESP2 and a RESP3
    connection;
  - binary input given as ARGV (bytes no Lua literal needs to spell out).

Needs EVAL on the target; PYLON_TEST_TARGET=redis runs it against a second redis-server.
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import differential  # noqa: E402
from differential import cmd, mask_hello  # noqa: E402
from lua_libs_reference import CASES, PRELUDE, parse_cases, script_for  # noqa: E402

NAME = "lua_libs_differential_test"

# Scripts whose results reach the client unrendered.
RAW = [
    "return cmsgpack.pack(1, -1, 300, 'abc', true, {1, 2}, {a = 1})",
    "return cmsgpack.pack(1.5, 0.1, 2^63, -2^63, 1/0)",
    "return {cmsgpack.unpack(cmsgpack.pack(1, 'two', {3, {4}}, false))}",
    "return {cmsgpack.unpack('\\146\\1\\192\\3')}",
    "return cmsgpack.unpack('\\203\\63\\248\\0\\0\\0\\0\\0\\0')",
    "return cmsgpack.unpack('\\202\\192\\32\\0\\0')",
    "return cmsgpack.unpack('\\207\\255\\255\\255\\255\\255\\255\\255\\255')",
    "return cmsgpack.unpack('\\211\\128\\0\\0\\0\\0\\0\\0\\0')",
    "return cmsgpack.unpack('\\195')",
    "return cmsgpack.unpack('\\194')",
    "return cmsgpack.unpack('\\192')",
    "return cmsgpack.unpack('\\129\\161a\\1')",
    "return {cmsgpack.unpack_one(cmsgpack.pack(7, 8), 1)}",
    "return {cmsgpack.unpack_limit(cmsgpack.pack(7, 8, 9), 2)}",
    "return {cmsgpack.unpack_limit(cmsgpack.pack(7, 8, 9), 5, 1)}",
    "return cmsgpack.unpack('\\193')",
    "return cmsgpack.unpack('\\205\\1')",
    "return cmsgpack.unpack('\\129\\192\\1')",
    "return cmsgpack.unpack_one('abc', 9)",
    "return cmsgpack.unpack_limit('abc', -2)",
    "return cmsgpack.pack()",
    "return cmsgpack.unpack()",
    "return struct.pack('>i2Hc3', -2, 513, 'xyz')",
    "return {struct.unpack('>i2Hc3', struct.pack('>i2Hc3', -2, 513, 'xyz'))}",
    "return {struct.unpack('<d f', struct.pack('<d f', 2.75, -0.5))}",
    "return {struct.unpack('s s', 'ab\\0cd\\0')}",
    "return struct.size('!8 b d c3')",
    "return struct.pack('q')",
    "return struct.pack('i40', 1)",
    "return struct.pack('c5', 'ab')",
    "return struct.unpack('i', 'ab')",
    "return struct.unpack('s', 'abc')",
    "return struct.unpack('c0', 'abc')",
    "return struct.unpack('b', 'abc', 0)",
    "return struct.size('s')",
    "return struct.pack('!3')",
    "return cmsgpack._VERSION",
    "local t = {} for i = 1, 100 do t[i] = i * 1.5 end return {cmsgpack.unpack(cmsgpack.pack(t))}",
    "local t = {} for i = 1, 20 do t = {t, i} end return cmsgpack.pack(t)",
    "return {cmsgpack.unpack(cmsgpack.pack({1, {2, {3, {4, {5}}}}}))}",
]

# Binary input through ARGV: (script, args).
WITH_ARGS = [
    ("return {cmsgpack.unpack(ARGV[1])}", [b"\x93\x01\xa3abc\xc3"]),
    ("return {cmsgpack.unpack(ARGV[1])}", [b"\xdc\x00\x02\x01"]),
    ("return {cmsgpack.unpack(ARGV[1])}", [b"\xc4\x01\x00"]),
    ("return {cmsgpack.unpack(ARGV[1])}", [b"\xd9"]),
    ("return {cmsgpack.unpack(ARGV[1])}", [b"\xdb\xff\xff\xff\xff"]),
    ("return {cmsgpack.unpack(ARGV[1])}", [b"\xdf\x00\x00\x00\x02\xa1k\x01"]),
    ("return {cmsgpack.unpack(ARGV[1])}", [b""]),
    ("return cmsgpack.pack(ARGV[1])", [bytes(range(256))]),
    ("return cmsgpack.pack(ARGV[1], ARGV[2])", [b"x" * 40, b"\x00" * 300]),
    ("return {cmsgpack.unpack_one(ARGV[1], tonumber(ARGV[2]))}", [b"\x01\x02\x03", b"2"]),
    ("return {cmsgpack.unpack_limit(ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]))}",
     [b"\x01\x02\x03\x04", b"2", b"1"]),
    ("return {struct.unpack(ARGV[1], ARGV[2])}", [b">I4 h", b"\x00\x00\x01\x00\xff\xfe"]),
    ("return {struct.unpack(ARGV[1], ARGV[2])}", [b"<l", b"\x01\x02"]),
    ("return {struct.unpack(ARGV[1], ARGV[2])}", [b"\xff", b"\x01"]),
    ("return struct.pack(ARGV[1], tonumber(ARGV[2]))", [b">i16", b"-3"]),
    ("return struct.size(ARGV[1])", [b"!4 b\x00ii"]),
]


def steps():
    with open(PRELUDE, encoding="utf-8") as fh:
        prelude = fh.read().rstrip("\n")
    _, cases = parse_cases(CASES)
    out = [cmd("r3", "HELLO", "3", mask=mask_hello)]
    for _, snippet, _ in cases:
        out.append(cmd("r2", "EVAL", script_for(prelude, snippet), "0",
                       label="r2: " + snippet[:70]))
    for conn in ("r2", "r3"):
        for script in RAW:
            out.append(cmd(conn, "EVAL", script, "0", label="%s: %s" % (conn, script[:70])))
        for script, args in WITH_ARGS:
            out.append(cmd(conn, "EVAL", script, "0", *args,
                           label="%s: %s %r" % (conn, script[:40], args)[:110]))
    return out


if __name__ == "__main__":
    sys.exit(differential.run(NAME, steps()))
