"""Scripting, byte for byte against redis-server 7.0.15: EVAL / EVALSHA / EVAL_RO / EVALSHA_RO,
SCRIPT, FUNCTION, FCALL / FCALL_RO. Every conversion rule between Redis replies and Lua values
(both ways, on a RESP2 and a RESP3 client, with and without redis.setresp(3)), the error texts
(compilation, runtime, redis.call errors passed through, numkeys, NOSCRIPT, read-only scripts,
commands refused in scripts), the sandbox, the Lua libraries (cjson, bit, cmsgpack, struct),
the script cache, function libraries (load errors, LIST, DUMP/RESTORE with the RDB payload
compared unmasked) and scripts' effects on the keyspace.

    /usr/bin/python3 tests/compat/scripting_differential_test.py <path-to-pylond> [--show]

Connection "c2" speaks RESP2, "c3" RESP3 (HELLO 3). The masks, each explained where it is
defined: the server's version (redis.REDIS_VERSION, HELLO: pylond reports its own), byte counts
of memory (INFO memory's script fields: only the counts of scripts and functions are compared)
and hash-table orders (FUNCTION LIST of several libraries, maps and sets of several members).

Left out because redis-server 7.0.15 itself crashes on them (so there is nothing to compare):
error() called with a table that has no err field.
"""

import hashlib
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import differential  # noqa: E402
from differential import cmd, mask_each, mask_hello, mask_help, mask_sorted  # noqa: E402
from differential import listen, mask_sorted_pairs, mask_text  # noqa: E402

NAME = "scripting_differential_test"
PROTOCOLS = ("c2", "c3")
ABSENT_SHA = "f" * 40


def sha(body):
    """A script's sha1, the name EVALSHA knows it by."""
    return hashlib.sha1(body.encode()).hexdigest()


def ev(conn, body, *keys, args=(), command="EVAL", **kw):
    """EVAL body with its keys (numkeys is their count) and args."""
    return cmd(conn, command, body, len(keys), *keys, *args, **kw)


def ev_ro(conn, body, *keys, args=(), **kw):
    return ev(conn, body, *keys, args=args, command="EVAL_RO", **kw)


def both(body, *keys, args=(), **kw):
    """The same script on the RESP2 and the RESP3 client."""
    return [ev(conn, body, *keys, args=args, **kw) for conn in PROTOCOLS]


def resp3_inside(body, *keys, args=(), **kw):
    """body run after redis.setresp(3), on both clients: command replies reach Lua as RESP3."""
    return both("redis.setresp(3); " + body, *keys, args=args, **kw)


# The server's version: pylond reports its own. Digits become N, so that the shape (three
# dot-separated numbers) is still compared.
mask_version = mask_text(lambda s: re.sub(r"\d+", "N", s))


def _script_memory_lines(text):
    """INFO memory: only the lines about scripts, in their order; byte counts (an allocator's
    and a Lua heap's, and their human forms with the unit) become N, the counts of scripts,
    functions and libraries are kept."""
    kept = []
    for line in text.split("\r\n"):
        name, _, value = line.partition(":")
        if name.startswith("number_of_"):
            kept.append(line)
        elif re.match(r"used_memory_(lua|vm|scripts)", name):
            kept.append("%s:%s" % (name, re.sub(r"[\d.]+[BKMGTP]?", "N", value)))
    return "\r\n".join(kept)


mask_script_memory = mask_text(_script_memory_lines)

# FUNCTION LIST of several libraries (and a library's functions) comes in the order of Redis's
# dictionaries, whose hash seed is random per process: libraries are compared sorted, and each
# library's "functions" list too.


def _sort_library(lib):
    t, p = lib
    if t not in "*%" or not p:
        return lib
    out = list(p)
    for i in range(0, len(out) - 1, 2):
        if out[i][1] == b"functions":
            out[i + 1] = mask_sorted(out[i + 1])
    return (t, out)


def mask_libraries(f):
    return mask_sorted(mask_each(_sort_library)(f))


# ---------------------------------------------------------------------------------------------
# Lua values to Redis replies.

LUA_TO_REDIS = [
    # Numbers are truncated to integers (towards zero); out of range is what the C cast gives.
    "return 1", "return 0", "return -1", "return 3.99", "return -3.5", "return 0.5",
    "return 1e20", "return -1e20", "return 2^53", "return 2^53 + 1", "return 2^63",
    "return -2^63", "return 9007199254740993", "return 1/0", "return -1/0",
    "return 123456789012", "return '3.99'", "return tonumber('0x10')",
    # Strings, binary-safe.
    "return 'hello'", "return ''", "return 'a\\0b'", "return 'line1\\r\\nline2'",
    "return string.rep('x', 1000)",
    # Booleans and nil.
    "return true", "return false", "return nil", "return",
    # Tables: arrays stop at the first nil; hash parts are ignored; nested tables.
    "return {}", "return {1, 2, 3}", "return {1, nil, 3}", "return {nil, 2}",
    "return {1, 'two', 3.7, true, false}", "return {1, {2, {3, {4}}}, 'x'}",
    "return {1, 2, x = 3, y = 4}", "return {x = 1}", "return {{}, {{}}}",
    "return {'a', false, 'b'}", "return {1, 2, [4] = 4}", "return {[1] = 'one', [2] = 'two'}",
    # Error and status tables, and the helpers that build them.
    "return {err = 'My Error'}", "return {err = 'MYCODE something failed'}",
    "return {err = ''}", "return {err = 'line1\\r\\nline2'}", "return {err = 42}",
    "return {ok = 'Fine'}", "return {ok = 'a\\r\\nb'}", "return {ok = ''}", "return {ok = 7}",
    "return {err = 'E1', ok = 'both'}", "return {1, 2, err = 'E2'}",
    "return redis.error_reply('plain text')", "return redis.error_reply('CODE with code')",
    "return redis.error_reply('-DASH leading dash')", "return redis.error_reply('')",
    "return redis.status_reply('STATUS')", "return redis.status_reply('')",
    "return {redis.status_reply('in'), redis.error_reply('array')}",
    "return redis.error_reply('A\\r\\nB')", "return redis.status_reply('a\\r\\nb')",
    "return redis.error_reply('TRAILING newline\\n')", "return {double = '3.5'}",
    "return type(redis.error_reply('x'))", "return redis.error_reply('x').err",
    "return redis.status_reply('x').ok",
    # RESP3 types described as tables: a RESP2 client gets their RESP2 form.
    "return {double = 3.5}", "return {double = -0.25}", "return {double = 1/0}",
    "return {double = 1e300}", "return {double = 10}", "return {double = 'not a number'}",
    "return {big_number = '123456789012345678901234567890'}", "return {big_number = 5}",
    "return {big_number = 'a\\r\\nb'}",
    "return {verbatim_string = {format = 'txt', string = 'hello'}}",
    "return {verbatim_string = {format = 'mkd', string = ''}}",
    "return {verbatim_string = {format = 'txt'}}", "return {verbatim_string = 'flat'}",
    "return {map = {a = 1}}", "return {map = {}}", "return {map = {k = {1, 2}}}",
    "return {map = {[1] = 'x'}}", "return {set = {a = true}}", "return {set = {}}",
    "return {set = {[5] = true}}", "return {map = 'not a table'}",
    # The tables of the sandbox; a table whose metatable would raise (raw access: ignored).
    "return _G", "return redis", "return {cjson.null}",
    "local a = {}; setmetatable(a, {__index = function() error('no') end}); return a",
    "local a = {}; setmetatable(a, {__index = function() return 1 end}); return a",
    "return {{map = {a = 1}}, {set = {b = true}}, {double = 0.5}, {ok = 'nested'}}",
    # Other Lua types become nil.
    "return tostring", "return function() end", "return coroutine.create(function() end)",
]

# Several members: their order is a Lua table's; compared as sorted pairs / members.
LUA_TO_REDIS_UNORDERED = [
    ("return {map = {a = 1, b = 'two', c = {3}}}", mask_sorted_pairs),
    ("return {set = {x = true, y = true, z = true}}", mask_sorted),
]

# Under setresp(3) a script's booleans reach a RESP2 client as integers, a RESP3 one as booleans.
SETRESP3_RETURNS = [
    "return true", "return false", "return {true, false, nil}", "return nil", "return 2.5",
    "return {double = 2.5}", "return {map = {a = true}}",
]


# Redis stops at 7995 levels (the Lua stack's limit); reading stops well past that.
DEEP_REPLY_LIMIT = 100000


class DeepReply(differential.Step):
    """A script returning a table that contains itself: Redis nests one-element arrays until
    the Lua stack is exhausted, then ends with an error. The frames are read line by line (their
    nesting is deeper than a recursive reader can go) and the step's reply is their count and
    the last line."""

    def __init__(self, conn, body):
        super().__init__(conn, differential.servers.resp_command("EVAL", body, "0"), replies=0,
                         label="%s: EVAL %s (deeply nested reply)" % (conn, body))

        def drive(reader):
            reader.sock.sendall(self.data)
            nested = 0
            line = reader._line()
            while line == b"*1" and nested < DEEP_REPLY_LIMIT:  # a server without a limit
                nested += 1
                line = reader._line()
            return [("+", b"%d nested one-element arrays, then: %s" % (nested, line))]
        self.drive = drive


def lua_to_redis():
    steps = []
    for body in LUA_TO_REDIS:
        steps += both(body)
    for body, mask in LUA_TO_REDIS_UNORDERED:
        steps += both(body, mask=mask)
    for body in SETRESP3_RETURNS:
        steps += resp3_inside(body)
    recursive = "local a = {}; local b = {a}; a[1] = b; return a"
    steps += [DeepReply(conn, recursive) for conn in PROTOCOLS]
    steps += [cmd(conn, "PING") for conn in PROTOCOLS]  # the connections are still usable
    return steps


# ---------------------------------------------------------------------------------------------
# Redis replies to Lua values: each script inspects what redis.call gave it.

def redis_to_lua():
    steps = [cmd("c2", "FLUSHALL"),
             cmd("c2", "RPUSH", "list", "a", "b", "c"),
             cmd("c2", "HSET", "hash", "f1", "v1"),
             cmd("c2", "SADD", "set", "m1"),
             cmd("c2", "ZADD", "zset", "1.5", "one", "2", "two", "-0.25", "neg"),
             cmd("c2", "SET", "str", "value")]
    # The same inspections in RESP2 (the default) and after setresp(3).
    inspections = [
        "return type(redis.call('set', 'tmp', 'x'))",
        "return redis.call('set', 'tmp', 'x').ok",
        "return redis.call('set', 'tmp', 'x')",
        "return type(redis.call('incr', 'counter'))",
        "return redis.call('incr', 'counter')",
        "return type(redis.call('get', 'str'))",
        "return type(redis.call('get', 'nosuch'))",
        "return tostring(redis.call('get', 'nosuch'))",
        "return {redis.call('get', 'nosuch')}",
        "return redis.call('get', 'nosuch')",
        "return type(redis.call('lrange', 'list', 0, -1))",
        "return #redis.call('lrange', 'list', 0, -1)",
        "return redis.call('lrange', 'list', 0, -1)",
        "return redis.call('lrange', 'nosuch', 0, -1)",
        "return #redis.call('lrange', 'nosuch', 0, -1)",
        # A null array (RESP2 *-1): false, or nil under setresp(3).
        "return type(redis.call('blmpop', 0, 1, 'nosuch', 'left'))",
        "return tostring(redis.call('blmpop', 0, 1, 'nosuch', 'left'))",
        "return {redis.call('blmpop', 0, 1, 'nosuch', 'left')}",
        "return redis.call('hgetall', 'hash')",
        "local r = redis.call('hgetall', 'hash'); return {type(r), tostring(r.map ~= nil)}",
        "return redis.call('smembers', 'set')",
        "local r = redis.call('smembers', 'set'); return {type(r), tostring(r.set ~= nil)}",
        "return redis.call('zscore', 'zset', 'one')",
        "local r = redis.call('zscore', 'zset', 'one'); return {type(r), tostring(r.double)}",
        "return redis.call('zscore', 'zset', 'nosuch')",
        "return type(redis.call('zscore', 'zset', 'nosuch'))",
        "return redis.call('zrange', 'zset', 0, -1, 'withscores')",
        "local r = redis.call('zrange', 'zset', 0, -1, 'withscores'); return #r",
        "return redis.call('zincrby', 'zset', 0, 'neg')",
        "return redis.call('incrbyfloat', 'float', '1.5')",
        "return type(redis.call('incrbyfloat', 'float', '1.5'))",
        "return redis.call('ping')",
        "return redis.call('echo', 'hi')",
        "return redis.call('exists', 'str', 'list', 'nosuch')",
        "return redis.call('type', 'zset')",
        "local r = redis.call('type', 'zset'); return {type(r), r.ok}",
        "return redis.pcall('incr', 'str')",
        "local r = redis.pcall('incr', 'str'); return {type(r), r.err}",
        "return redis.call('hmget', 'hash', 'f1', 'nosuch', 'f1')",
        "return redis.call('lpos', 'list', 'nosuch')",
        "return redis.call('object', 'encoding', 'list')",
        # Nulls inside an array: under setresp(3) they are nil, and the array ends there.
        "return redis.call('zmscore', 'zset', 'one', 'nosuch', 'two')",
        "return #redis.call('zmscore', 'zset', 'one', 'nosuch', 'two')",
        # Nested arrays with doubles inside (RESP3: [key, [[member, score]]]).
        "return redis.call('zmpop', 1, 'zset', 'min')",
        "return {redis.pcall('incr', 'str'), 'after'}",
        "return redis.call('set', 'big', '9223372036854775807')",
        "return tonumber(redis.call('get', 'big'))",
        "return redis.call('incrby', 'big', -1)",
    ]
    for body in inspections:
        steps += both(body)
        steps += resp3_inside(body)
    # RESP3 replies carried through Lua whole: maps and sets of several members come in the
    # order of Redis's hash table and of the Lua table; compared sorted.
    steps += [cmd("c2", "HSET", "hash", "f2", "v2", "f3", "v3"),
              cmd("c2", "SADD", "set", "m2", "m3")]
    steps += resp3_inside("return redis.call('hgetall', 'hash')", mask=mask_sorted_pairs)
    steps += resp3_inside("return redis.call('smembers', 'set')", mask=mask_sorted)
    steps += resp3_inside("local r = redis.call('hgetall', 'hash'); local n = 0; "
                          "for k, v in pairs(r.map) do n = n + 1 end; return n")
    steps += resp3_inside("return redis.call('hgetall', 'hash').map.f2")
    steps += resp3_inside("return tostring(redis.call('smembers', 'set').set.m3)")
    # Verbatim strings: INFO under RESP3. Only the format and the section's title are
    # compared (the text is the server's own).
    steps += resp3_inside("local r = redis.call('info', 'server'); "
                          "return {r.verbatim_string.format, "
                          "string.sub(r.verbatim_string.string, 1, 8)}")
    steps += both("return string.sub(redis.call('info', 'server'), 1, 8)")
    # Switching back to RESP2 in the same script, and bad arguments to setresp.
    steps += both("redis.setresp(3); redis.setresp(2); "
                  "return type(redis.call('get', 'nosuch'))")
    steps += both("return redis.setresp(2)")
    for bad in ("redis.setresp(4)", "redis.setresp(1)", "redis.setresp()",
                "redis.setresp('3')", "redis.setresp('x')", "redis.setresp(2, 3)"):
        steps += both("return " + bad)
    return steps


# ---------------------------------------------------------------------------------------------
# Error texts.

def errors():
    steps = [cmd("c2", "FLUSHALL"), cmd("c2", "SET", "str", "value"),
             cmd("c2", "RPUSH", "list", "a")]
    # Wrong numbers of keys, and the commands' own arity.
    steps += [
        cmd("c2", "EVAL", "return 1", "1"),
        cmd("c2", "EVAL", "return 1", "2", "a"),
        cmd("c2", "EVAL", "return 1", "-1"),
        cmd("c2", "EVAL", "return 1", "-5", "a"),
        cmd("c2", "EVAL", "return 1", "x"),
        cmd("c2", "EVAL", "return 1", "1.5", "a"),
        cmd("c2", "EVAL", "return 1", ""),
        cmd("c2", "EVAL", "return 1", "99999999999999999999"),
        cmd("c2", "EVAL", "return #KEYS", "01", "a"),
        cmd("c2", "EVAL", "return #KEYS", "+1", "a"),
        cmd("c2", "EVAL", "return #KEYS", " 1", "a"),
        cmd("c2", "EVAL", "return #KEYS", "0x1", "a"),
        cmd("c2", "EVAL", "return #KEYS", "-0", "a"),
        cmd("c2", "FCALL", "nosuch", "1.5", "a"),
        cmd("c2", "EVAL", "return {KEYS[1], ARGV[1]}", "1", "onlykey"),
        cmd("c2", "EVAL", "return 1"),
        cmd("c2", "EVAL"),
        cmd("c2", "EVALSHA"),
        cmd("c2", "EVALSHA", "x"),
        cmd("c2", "EVAL_RO", "return 1"),
        cmd("c2", "EVALSHA_RO", "x"),
        cmd("c2", "EVALSHA", sha("return 1"), "3", "a"),
        cmd("c2", "EVALSHA", ABSENT_SHA, "0"),
        cmd("c2", "EVALSHA_RO", ABSENT_SHA, "0"),
        cmd("c2", "EVALSHA", "nosuch", "0"),
        cmd("c2", "EVALSHA", "", "0"),
        cmd("c3", "EVALSHA", ABSENT_SHA, "0"),
    ]
    # Compilation errors.
    for body in ("retur 1", "return (", "return 'unfinished", "end", "x ==== 1",
                 "local function f() return 1", "return 1 +", "\n\nreturn @",
                 "return [[never closed", "for i = 1 do end"):
        steps += both(body)
    # Runtime errors: the user_script:LINE: prefix and the script's sha at the end.
    steps += both("return nosuch_global")
    steps += both("\n\nreturn nosuch_global")
    steps += both("local t = nil; return t.field")
    steps += both("return 1 + {}")
    steps += both("return #nil")
    steps += both("error('plain message')")
    steps += both("error('no position', 0)")
    steps += both("error({err = 'TABLECODE raised as a table'})")
    steps += both("error({err = 'no code in this one'})")
    steps += both("error(redis.error_reply('MY raised reply'))")
    # error() of a table without an err field ({ok = ...}, {1, 2}) crashes redis-server 7.0.15
    # (SIGSEGV): not comparable, left out.
    steps += both("error({err = 5})")
    steps += both("error(true)")
    steps += both("error(42)")
    steps += both("error()")
    steps += both("error(nil)")
    steps += both("assert(false)")
    steps += both("assert(false, 'assertion text')")
    steps += both("local function f() error('deep') end\nlocal function g() f() end\ng()")
    steps += both("return string.rep('x', -1) .. nosuch")
    # Errors from redis.call: their codes pass through.
    steps += both("return redis.call('incr', 'str')")
    steps += both("return redis.call('lpush', 'str', 'x')")
    steps += both("return redis.call('get', 'list')")
    steps += both("return redis.call('get')")
    steps += both("return redis.call('set', 'k')")
    steps += both("return redis.call('nosuchcommand', 'x')")
    steps += both("return redis.call('GeT', 'nosuch')")
    steps += both("return redis.call('object', 'nosuch')")
    steps += both("return redis.call('object')")
    steps += both("return redis.call('')")
    steps += both("return redis.call()")
    steps += both("return redis.pcall()")
    steps += both("return redis.call(nil)")
    steps += both("return redis.call('get', nil)")
    steps += both("return redis.call('get', {})")
    steps += both("return redis.call('get', true)")
    steps += both("return redis.call('set', 'k', 1.5)")
    steps += both("redis.call('set', 'num', 0.1); return redis.call('get', 'num')")
    steps += both("redis.call('set', 'num', 1e20); return redis.call('get', 'num')")
    steps += both("redis.call('set', 'num', -3); return redis.call('get', 'num')")
    # Numbers as command arguments: formatted with %.17g.
    for number in ("3.0", "1/3", "-0.0", "1e300", "2^63", "0/0", "1/0", "-1/0", "2^53 + 1",
                   "0.1 + 0.2", "-123456789"):
        steps += both("redis.call('set', 'num', %s); return redis.call('get', 'num')" % number)
    steps += both("local a = {}; for i = 1, 7999 do a[i] = 1 end; "
                  "return redis.call('lpush', 'biglist', unpack(a))")
    steps += both("return redis.call({})")
    steps += both("return redis.call(1)")
    steps += both("return redis.call('config', 'set', 'maxmemory', 'bad')")
    steps += both("return redis.call('expire', 'str', 'soon')")
    steps += both("return redis.call('lindex', 'list', 'x')")
    steps += both("return redis.call('setex', 'k', -1, 'v')")
    steps += both("return redis.pcall('lpush', 'str', 'x')")
    steps += both("return redis.pcall('nosuchcommand')")
    steps += both("return redis.pcall('get')")
    steps += both("return redis.pcall('get', {})")
    steps += both("local r = redis.pcall('incr', 'str'); return r.err")
    steps += both("local ok, e = pcall(redis.call, 'incr', 'str'); return {tostring(ok), e.err}")
    steps += both("local ok, e = pcall(redis.call, 'nosuch'); return {type(e), e.err}")
    steps += both("local ok, e = pcall(error, 'x'); return {tostring(ok), e}")
    steps += both("local ok, e = pcall(function() return nosuch end); return e")
    steps += both("redis.pcall('incr', 'str'); return 'went on'")
    # Commands a script may not run.
    for refused in ("'multi'", "'exec'", "'discard'", "'watch', 'k'", "'unwatch'",
                    "'subscribe', 'ch'", "'psubscribe', 'p*'", "'unsubscribe'",
                    "'eval', 'return 1', 0", "'evalsha', 'x', 0", "'script', 'flush'",
                    "'function', 'flush'", "'fcall', 'f', 0", "'client', 'list'",
                    "'auth', 'x'", "'hello', '3'", "'reset'", "'shutdown'", "'client', 'id'",
                    "'config', 'get', 'maxmemory'", "'eval_ro', 'return 1', 0",
                    "'fcall_ro', 'f', 0", "'function', 'list'", "'script', 'load', 'return 1'",
                    "'brpoplpush', 'a', 'b', 0"):
        steps += [ev("c2", "return redis.call(%s)" % refused),
                  ev("c2", "return redis.pcall(%s)" % refused)]
    # Scripts declaring their flags in a shebang line (Redis 7).
    for body in ("#!lua\nreturn 1", "#!lua flags=no-writes\nreturn redis.call('get', 'str')",
                 "#!lua flags=no-writes\nreturn redis.call('set', 'str', 'v')",
                 "#!lua flags=no-writes,allow-oom\nreturn 2", "#!lua flags=\nreturn 3",
                 "#!lua flags=no-cluster\nreturn 4",
                 "#!lua flags=allow-cross-slot-keys,allow-stale\nreturn 5",
                 "#!lua flags=bad\nreturn 1", "#!lua flags=no-writes,bad\nreturn 1",
                 "#!lua name=x\nreturn 1", "#!lua extra\nreturn 1", "#!notlua\nreturn 1",
                 "#!lua", "#!", "#!lua\nretur 1", "#!lua\nreturn nosuch",
                 "#!lua\n\nerror('on line 3')", "#!lua flags=no-writes\nreturn redis.call("
                 "'del', 'str')"):
        steps.append(ev("c2", body))
    steps += [ev_ro("c2", "#!lua\nreturn 1"), ev_ro("c2", "#!lua flags=no-writes\nreturn 1"),
              ev_ro("c2", "#!lua flags=no-writes\nreturn redis.call('set', 'str', 'v')"),
              cmd("c2", "SCRIPT", "LOAD", "#!lua\nreturn 'shebang'"),
              cmd("c2", "EVALSHA", sha("#!lua\nreturn 'shebang'"), "0"),
              cmd("c2", "EVALSHA_RO", sha("#!lua\nreturn 'shebang'"), "0"),
              cmd("c2", "SCRIPT", "LOAD", "#!lua flags=bad\nreturn 1"),
              cmd("c2", "GET", "str")]
    # Many keys.
    steps.append(cmd("c2", "EVAL", "return {#KEYS, KEYS[1000], #ARGV, ARGV[1]}", "1000",
                     *["key%d" % i for i in range(1000)], "arg"))
    # Read-only scripts refuse writes (EVAL_RO, EVALSHA_RO).
    ro_write = "return redis.call('set', 'rokey', 'v')"
    steps += [ev_ro(conn, ro_write) for conn in PROTOCOLS]
    steps += [ev_ro("c2", "return redis.pcall('set', 'rokey', 'v')"),
              ev_ro("c2", "return redis.pcall('del', 'str')"),
              ev_ro("c2", "return redis.call('get', 'str')"),
              ev_ro("c2", "return redis.call('incr', 'str')"),
              ev_ro("c2", "return redis.call('lrange', KEYS[1], 0, -1)", "list"),
              cmd("c2", "EXISTS", "rokey"),
              cmd("c2", "SCRIPT", "LOAD", ro_write),
              cmd("c2", "EVALSHA_RO", sha(ro_write), "0"),
              cmd("c2", "EVALSHA", sha(ro_write), "0"),
              cmd("c2", "EXISTS", "rokey")]
    return steps


# ---------------------------------------------------------------------------------------------
# The sandbox and the redis table.

def sandbox():
    steps = []
    for body in (
            "return nosuch", "x = 1", "myglobal = 'v'; return myglobal",
            "rawset(_G, 'x', 1)", "_G.x = 1", "_G['newkey'] = 1",
            "setmetatable(_G, nil)", "return getmetatable(_G) ~= nil",
            "local t = getmetatable(_G); return type(t)",
            "return type(os)", "return os.time()", "return type(io)", "return io.write('x')",
            "return type(loadfile)", "return type(dofile)", "return dofile('/etc/passwd')",
            "return type(loadstring)", "return loadstring('return 1 + 1')()",
            "local f, e = loadstring('x x'); return {tostring(f), e}",
            "return loadstring('return nosuchglobal')()",
            "return type(redis.register_function)",
            "return redis.acl_check_cmd('set', 'k', 'v')", "return redis.acl_check_cmd('get')",
            "return redis.acl_check_cmd('nosuch')", "return redis.acl_check_cmd()",
            "return type(load)", "return type(print)", "print('x')", "return type(require)",
            "return type(module)", "return type(package)", "return type(debug)",
            "return type(newproxy)", "return type(setfenv)", "return type(getfenv)",
            "return type(coroutine)", "return type(collectgarbage)", "return type(gcinfo)",
            "return _VERSION", "return type(_G)", "return type(string)", "return type(math)",
            "return type(table)", "return type(cjson)", "return type(bit)",
            "return type(cmsgpack)", "return type(struct)", "return type(redis)",
            "return type(KEYS)", "return type(ARGV)", "return type(__redis__err__handler)",
            "return type(unpack)", "return type(select)",
            "local n = 0; for k, v in pairs(_G) do n = n + 1 end; return n",
            "local n = 0; for k in pairs(redis) do n = n + 1 end; return n",
            "local names = {}; for k in pairs(redis) do names[#names + 1] = k end; "
            "table.sort(names); return names",
            "local names = {}; for k in pairs(_G) do names[#names + 1] = k end; "
            "table.sort(names); return names",
            "local names = {}; for k in pairs(string) do names[#names + 1] = k end; "
            "table.sort(names); return names",
            "local names = {}; for k in pairs(math) do names[#names + 1] = k end; "
            "table.sort(names); return names",
            "local names = {}; for k in pairs(table) do names[#names + 1] = k end; "
            "table.sort(names); return names",
            # The redis table and the libraries are read-only.
            "redis.call = nil", "redis.x = 1", "redis.call = function() return 1 end",
            "string.x = 1", "math.random = nil", "cjson.encode = nil", "table.x = 1",
            "local s = 'str'; s.x = 1", "string.upper = string.lower",
            "return redis.LOG_DEBUG", "return redis.LOG_VERBOSE", "return redis.LOG_NOTICE",
            "return redis.LOG_WARNING", "return redis.REPL_NONE", "return redis.REPL_AOF",
            "return redis.REPL_SLAVE", "return redis.REPL_REPLICA", "return redis.REPL_ALL",
            # redis.log, set_repl, replicate_commands, breakpoint, debug.
            "return redis.log(redis.LOG_WARNING, 'from the differential test')",
            "return redis.log(redis.LOG_DEBUG, 'several', 'parts', 3)",
            "return redis.log(redis.LOG_NOTICE)", "return redis.log()",
            "return redis.log('x', 'y')", "return redis.log(99, 'y')", "return redis.log(-1, 'y')",
            "return redis.set_repl(redis.REPL_ALL)", "return redis.set_repl(99)",
            "return redis.set_repl()", "return redis.replicate_commands()",
            "return redis.breakpoint()", "return redis.debug('x')",
            # sha1hex.
            "return redis.sha1hex('')", "return redis.sha1hex('abc')",
            "return redis.sha1hex('return 1')", "return redis.sha1hex('a\\0b')",
            "return redis.sha1hex(string.rep('x', 10000))", "return redis.sha1hex(123)",
            "return redis.sha1hex()", "return redis.sha1hex('a', 'b')",
            "return redis.sha1hex({})",
            # The version: its shape, and REDIS_VERSION_NUM agreeing with it.
            "return type(redis.REDIS_VERSION)", "return type(redis.REDIS_VERSION_NUM)",
            "local a, b, c = string.match(redis.REDIS_VERSION, '^(%d+)%.(%d+)%.(%d+)$'); "
            "return redis.REDIS_VERSION_NUM == a * 65536 + b * 256 + c",
            # math.random: the same sequence in every call of a script.
            "return {math.random(1000000), math.random(1000000), math.random(1000000)}",
            "return tostring(math.random())", "return math.random(5, 10)",
            "math.randomseed(42); return {math.random(1000000), tostring(math.random())}",
            "math.randomseed(42); return math.random(1000000)", "return math.random(0)",
            "return math.random(1, 2, 3)",
            # Numbers as Lua prints them and as string.format does.
            "return string.format('%d', 2^31)", "return string.format('%d', 2^53)",
            "return string.format('%d', -2^53)", "return string.format('%.0f', 1e20)",
            "return string.format('%5.2f|%x|%s|%q', 3.14159, 255, 'str', 'a\\nb')",
            "return tostring(1e15)", "return tostring(1e16)", "return tostring(0.1)",
            "return tostring(-0)", "return tostring(1/0)", "return tostring(-1/0)",
            "return tostring(0/0) == tostring(0/0)", "return tostring(2^63)",
            "return tostring(123456789012345)", "return tostring(3.0)",
            "return tonumber('  10  ')", "return tonumber('1e2')", "return tostring(tonumber('z'))",
            "return tonumber('ff', 16)", "return 10 .. ''", "return 1.5 .. ''",
            "return table.getn({1, 2, 3})", "return table.concat({1, 2, 3}, ',')",
            "local t = {3, 1, 2}; table.sort(t); return t",
            "local t = {}; table.insert(t, 'a'); table.insert(t, 1, 'b'); return t",
            "return select('#', unpack({1, 2, 3, nil, 5}))",
            "local t = {}; for i = 1, 5000 do t[i] = i end; return select('#', unpack(t))",
            "local t = {}; for i = 1, 7000 do t[i] = i end; return {unpack(t)}",
            "local t = {}; for i = 1, 100 do t[i] = tostring(i) end; "
            "return redis.call('del', unpack(t))",
            "return string.byte('A')", "return string.char(72, 105)",
            "return {string.find('hello world', 'o w')}", "return string.gsub('aaa', 'a', 'b')",
            "return string.upper('mixed Case')", "return string.len('a\\0b')",
            "return math.floor(-3.5)", "return math.huge > 0", "return math.pi * 1000",
            "return math.fmod(7, 3)", "return math.max(1, 5, 3)", "return math.sqrt(16)",
            "return type(getfenv(1))", "local co = coroutine.wrap(function() "
            "coroutine.yield(1) end); return co()",
            "return pcall(error)", "return {xpcall(function() error('x') end, "
            "function(e) return 'handled: ' .. e end)}",
            "return next({})", "return rawequal('a', 'a')", "return rawget({5}, 1)",
            "return #KEYS + #ARGV",
            # Deep recursion, a coroutine calling Redis, a long loop, a 10 MB string.
            "local function f() return f() + 1 end return f()",
            "local co = coroutine.create(function() return redis.call('ping') end); "
            "return {coroutine.resume(co)}",
            "local s = 0; for i = 1, 1000000 do s = s + i end; return s",
            "return #string.rep('x', 10000000)", "return string.rep('ab', 3, ',')",
    ):
        steps += both(body)
    # Locals of one script do not survive into the next.
    steps += both("local leftover = 1; return leftover")
    steps += both("return leftover")
    # The version itself: masked to its shape.
    steps += both("return redis.REDIS_VERSION", mask=mask_version)
    return steps


# ---------------------------------------------------------------------------------------------
# Libraries: cjson, bit, cmsgpack, struct.

def cjson():
    steps = []
    for body in (
            # Encoding every type.
            "return cjson.encode(1)", "return cjson.encode(-1.5)", "return cjson.encode(0.1)",
            "return cjson.encode(1/3)", "return cjson.encode(1e300)", "return cjson.encode(-0)",
            "return cjson.encode(2^53)", "return cjson.encode(123456789012345)",
            "return cjson.encode(1e-10)", "return cjson.encode(1/0)", "return cjson.encode(0/0)",
            "return cjson.encode('str')", "return cjson.encode('q\"uote\\\\back/slash')",
            "return cjson.encode('\\n\\t\\r\\b\\f\\0\\1\\31')",
            "return cjson.encode('\\127\\128\\255')",
            "return cjson.encode('caf\\195\\169')", "return cjson.encode(true)",
            "return cjson.encode(false)", "return cjson.encode(nil)",
            "return cjson.encode(cjson.null)",
            "return cjson.encode({})", "return cjson.encode({1, 2, 3})",
            "return cjson.encode({1, 'a', true, false, cjson.null})",
            "return cjson.encode({a = 1})", "return cjson.encode({a = {b = {c = {1, 2}}}})",
            "return cjson.encode({[1] = 'a', [2] = 'b', [4] = 'd'})",
            "return cjson.encode({[1] = 'a', [100] = 'b'})",
            "return cjson.encode({[1] = 'a', x = 'b'})", "return cjson.encode({[0] = 'zero'})",
            "return cjson.encode({[-1] = 'neg'})", "return cjson.encode({[1.5] = 'frac'})",
            "return cjson.encode({[true] = 1})", "return cjson.encode({{}, {{}}})",
            "return cjson.encode(function() end)", "return cjson.encode({f = function() end})",
            "return cjson.encode()", "return cjson.encode(1, 2)",
            "local t = {}; local cur = t; for i = 1, 1100 do cur[1] = {}; cur = cur[1] end; "
            "return cjson.encode(t)",
            "local t = {}; local cur = t; for i = 1, 999 do cur[1] = {}; cur = cur[1] end; "
            "return #cjson.encode(t)",
            "local t = {}; t[1] = t; return cjson.encode(t)",
            # Decoding every type.
            "return cjson.decode('1')", "return cjson.decode('-1.5')",
            "return tostring(cjson.decode('1e300'))", "return tostring(cjson.decode('-0'))",
            "return tostring(cjson.decode('0.1'))", "return cjson.decode('\"str\"')",
            "return cjson.decode('\"\\\\u00e9\\\\n\\\\u0041\"')",
            "return cjson.decode('\"\\\\ud83d\\\\ude00\"')", "return cjson.decode('true')",
            "return cjson.decode('false')", "return type(cjson.decode('null'))",
            "return cjson.decode('null') == cjson.null", "return cjson.decode('null')",
            "return cjson.decode('[1, 2, [3, [4]]]')", "return cjson.decode('[]')",
            "return type(cjson.decode('{}'))",
            "return cjson.decode('{\"a\": {\"b\": [1, 2]}}').a.b",
            "return cjson.decode('[1, null, 3]')", "return #cjson.decode('[1, null, 3]')",
            "return cjson.decode('{\"k\": \"v\"}').k", "return cjson.decode('  [ 1 , 2 ]  ')",
            "return tostring(cjson.decode('12345678901234567890'))",
            "return tostring(cjson.decode('1e400'))",
            "return cjson.encode(setmetatable({}, {__index = function() return 1 end}))",
            "return cjson.decode('0x10')", "return tostring(cjson.decode('1E2'))",
            # Invalid JSON.
            "return cjson.decode('')", "return cjson.decode('{')", "return cjson.decode('[1,]')",
            "return cjson.decode('{\"a\" 1}')", "return cjson.decode('nul')",
            "return cjson.decode('\"unterminated')", "return cjson.decode('[1] x')",
            "return cjson.decode('{1: 2}')", "return cjson.decode(\"'single'\")",
            "return cjson.decode('\"\\\\x\"')", "return cjson.decode('01')",
            "return cjson.decode('NaN')", "return cjson.decode('[1')", "return cjson.decode(1)",
            "return cjson.decode()", "return cjson.decode({})",
            "return cjson.decode(string.rep('[', 1100) .. string.rep(']', 1100))",
            "return #cjson.decode(string.rep('[', 999) .. string.rep(']', 999))",
            # Round trips.
            "return cjson.encode(cjson.decode('{\"a\":[1,2.5,\"x\",true,false,null]}'))",
            "return cjson.encode(cjson.decode('[[],{},[{}]]'))",
            "return cjson.encode(cjson.decode('\"\\\\u0000\\\\u001f\"'))",
            "return cjson.decode(cjson.encode({1, 2, 3}))",
            "return cjson.decode(cjson.encode({x = 'y'})).x",
            "return cjson.encode(cjson.decode(ARGV[1]))",
            # The configuration functions.
            "return cjson.encode_keep_buffer(false)", "return {cjson.encode_max_depth()}",
            "return {cjson.decode_max_depth()}", "return {cjson.encode_number_precision()}",
            "return {cjson.encode_sparse_array()}", "return {cjson.encode_invalid_numbers()}",
            "return {cjson.decode_invalid_numbers()}", "return type(cjson.new)",
            "return cjson.encode_number_precision(0)",
    ):
        steps += both(body, args=('{"nested":{"list":[1,-2,3.25e2]}}',))
    # Objects of several members: their order is a Lua table's; compared decoded and sorted.
    steps += both("local d = cjson.decode(cjson.encode({b = 2, a = 1, c = {z = 1}})); "
                  "return {d.a, d.b, d.c.z}")
    return steps


def bitop():
    steps = []
    for body in (
            "return bit.band(0xff, 0x0f)", "return bit.band(-1, 0xffff, 0xff)",
            "return bit.bor(1, 2, 4)", "return bit.bxor(0xff, 0x0f)", "return bit.bnot(0)",
            "return bit.lshift(1, 31)", "return bit.lshift(1, 32)", "return bit.lshift(1, 33)",
            "return bit.rshift(-1, 28)", "return bit.arshift(-256, 4)",
            "return bit.arshift(256, 4)", "return bit.tohex(65535)", "return bit.tohex(-1)",
            "return bit.tohex(255, 2)", "return bit.tohex(255, -4)", "return bit.tohex(0x1234, 2)",
            "return bit.tobit(0xffffffff)", "return bit.tobit(2^32 + 5)",
            "return bit.tobit(1.5)", "return bit.bswap(0x12345678)", "return bit.bswap(1)",
            "return bit.rol(0x12345678, 8)", "return bit.rol(1, 33)",
            "return bit.ror(0x12345678, 8)", "return bit.ror(1, 1)", "return bit.band()",
            "return bit.band('x')", "return bit.tohex('12')", "return bit.bor(2^40, 1)",
    ):
        steps += both(body)
    return steps


def msgpack_and_struct():
    steps = []
    for body in (
            "return cmsgpack.pack(1, -1, 'a', true, false, nil)",
            "return cmsgpack.pack({1, 2, 3})",
            "return cmsgpack.pack({a = 1})",
            "return cmsgpack.pack(1.5, 2^40, -2^40)",
            "return {cmsgpack.unpack(cmsgpack.pack(1, 'two', {3, {4}}))}",
            "return cmsgpack.unpack(cmsgpack.pack({k = 'v'})).k",
            "return cmsgpack.unpack('\\193')",
            "return cmsgpack.unpack('')",
            "return cmsgpack.pack()",
            "return {cmsgpack.unpack_limit(cmsgpack.pack(1, 2, 3), 2)}",
            "return struct.pack('>I2', 258)", "return struct.pack('<i4', -2)",
            "return struct.pack('>d', 1.5)", "return {struct.unpack('>I2', '\\1\\2')}",
            "return {struct.unpack('<i4i4', struct.pack('<i4i4', -7, 9))}",
            "return struct.size('i4d')", "return {struct.unpack('s', 'abc\\0rest')}",
            "return struct.pack('bad-format!', 1)", "return struct.unpack('>I4', 'ab')",
            "return {struct.unpack('>I2', '\\0\\1\\0\\2', 3)}",
    ):
        steps += both(body)
    return steps


# ---------------------------------------------------------------------------------------------
# The script cache: SCRIPT and EVALSHA.

SHA_RETURN_1 = sha("return 1")


def script_cache():
    loaded = ["return 1", "return 2", "return KEYS[1]", "return ARGV[1]"]
    absent = ABSENT_SHA
    steps = [cmd("c2", "SCRIPT", "FLUSH"),
             cmd("c2", "INFO", "memory", mask=mask_script_memory)]
    steps += [cmd("c2", "SCRIPT", "LOAD", body) for body in loaded]
    steps += [cmd("c2", "INFO", "memory", mask=mask_script_memory),
              cmd("c3", "INFO", "memory", mask=mask_script_memory)]
    steps += [cmd("c2", "SCRIPT", "LOAD", "return 1"),  # again: the same sha
              cmd("c2", "SCRIPT", "LOAD", "retur 1"),
              cmd("c2", "SCRIPT", "LOAD", ""),
              cmd("c2", "SCRIPT", "LOAD"),
              cmd("c2", "SCRIPT", "LOAD", "a", "b"),
              cmd("c3", "SCRIPT", "LOAD", "return 3"),
              cmd("c2", "EVALSHA", SHA_RETURN_1, "0"),
              cmd("c2", "EVALSHA", SHA_RETURN_1.upper(), "0"),
              cmd("c2", "EVALSHA", SHA_RETURN_1[:39], "0"),
              cmd("c2", "EVALSHA", SHA_RETURN_1 + "0", "0"),
              cmd("c2", "EVALSHA_RO", SHA_RETURN_1, "0"),
              cmd("c2", "EVALSHA", SHA_RETURN_1, "1"),
              cmd("c2", "EVALSHA", SHA_RETURN_1, "-1"),
              ev("c2", "return redis.sha1hex('return KEYS[1]')"),
              ev("c2", "return redis.sha1hex('return ARGV[1]')"),
              cmd("c2", "EVALSHA", sha("return KEYS[1]"), "1", "key"),
              cmd("c2", "EVALSHA", sha("return ARGV[1]"), "0", "arg"),
              cmd("c2", "SCRIPT", "EXISTS", SHA_RETURN_1),
              cmd("c2", "SCRIPT", "EXISTS", absent),
              cmd("c2", "SCRIPT", "EXISTS", SHA_RETURN_1.upper(), SHA_RETURN_1[:39], "",
                  SHA_RETURN_1 + "0"),
              cmd("c2", "SCRIPT", "EXISTS"),
              cmd("c3", "SCRIPT", "EXISTS", SHA_RETURN_1, absent)]
    # Many shas, present and absent mixed (the present ones are computed by the servers).
    steps.append(ev("c2", "local shas = {}; for i = 1, 60 do "
                    "shas[#shas + 1] = redis.sha1hex('return ' .. (i % 6)) end; "
                    "return shas"))
    many = []
    for i in range(60):
        many.append(SHA_RETURN_1 if i % 7 == 0 else "%040x" % (i * 2654435761))
    steps.append(cmd("c2", "SCRIPT", "EXISTS", *many))
    # A script run by EVAL is cached too (EVALSHA finds it).
    steps += [ev("c2", "return 'cached by eval'"),
              cmd("c2", "EVALSHA", sha("return 'cached by eval'"), "0"),
              cmd("c2", "SCRIPT", "EXISTS", sha("return 'cached by eval'"))]
    # FLUSH and its modes.
    steps += [cmd("c2", "INFO", "memory", mask=mask_script_memory),
              cmd("c2", "SCRIPT", "FLUSH"),
              cmd("c2", "INFO", "memory", mask=mask_script_memory),
              cmd("c2", "SCRIPT", "EXISTS", SHA_RETURN_1),
              cmd("c2", "EVALSHA", SHA_RETURN_1, "0"),
              cmd("c2", "SCRIPT", "LOAD", "return 1"),
              cmd("c2", "SCRIPT", "FLUSH", "ASYNC"),
              cmd("c2", "SCRIPT", "EXISTS", SHA_RETURN_1),
              cmd("c2", "SCRIPT", "LOAD", "return 1"),
              cmd("c2", "SCRIPT", "FLUSH", "SYNC"),
              cmd("c2", "SCRIPT", "EXISTS", SHA_RETURN_1),
              cmd("c2", "SCRIPT", "FLUSH", "sync"),
              cmd("c2", "SCRIPT", "FLUSH", "badarg"),
              cmd("c2", "SCRIPT", "FLUSH", "SYNC", "ASYNC"),
              cmd("c2", "SCRIPT", "KILL"),
              cmd("c2", "SCRIPT", "KILL", "x"),
              cmd("c2", "SCRIPT", "NOSUCH"),
              cmd("c2", "SCRIPT"),
              cmd("c2", "SCRIPT", "HELP", mask=mask_help),
              cmd("c2", "SCRIPT", "DEBUG", "bad"),
              cmd("c2", "FUNCTION", "KILL")]
    return steps


# ---------------------------------------------------------------------------------------------
# Functions.

def library(name, body):
    return "#!lua name=%s\n%s" % (name, body)


LIB_A = library("liba", "redis.register_function('echo_a', function(keys, args) "
                "return args[1] end)\n"
                "redis.register_function{function_name = 'ro_get', callback = "
                "function(keys, args) return redis.call('get', keys[1]) end, "
                "flags = {'no-writes'}, description = 'reads a key'}\n"
                "redis.register_function{function_name = 'ro_set', callback = "
                "function(keys, args) return redis.call('set', keys[1], args[1]) end, "
                "flags = {'no-writes'}}\n"
                "redis.register_function('rw_set', function(keys, args) "
                "return redis.call('set', keys[1], args[1]) end)")
LIB_B = library("libb", "redis.register_function('echo_b', function(keys, args) "
                "return {keys, args} end)")
LIB_B2 = library("libb", "redis.register_function('echo_b', function(keys, args) "
                 "return 'replaced' end)")


def function_load_errors():
    def fn(body):
        return "redis.register_function('f', function() %s end)" % body

    bad = [
        fn("return 1"),  # no header
        "#!lua\n" + fn("return 1"),  # no name
        "#!lua name=\n" + fn("return 1"),
        "#!nosuch name={name}\n" + fn("return 1"),
        "#!lua name={name} foo=bar\n" + fn("return 1"),
        "#!lua name={name} name=y\n" + fn("return 1"),
        "#!lua name=bad-name\n" + fn("return 1"),
        "#!lua name={name}\n",
        "#!lua name={name}\nreturn 1",
        "#!lua name={name}\nsyntax error here",
        "#!lua name={name}\nerror('while loading')",
        "#!lua name={name}\nredis.call('ping')",
        "#!lua name={name}\nreturn nosuch",
        "#!lua name={name}\n" + fn("return 1") + "\n" + fn("return 2"),
        "#!lua name={name}\nredis.register_function('bad-name', function() return 1 end)",
        "#!lua name={name}\nredis.register_function('', function() return 1 end)",
        "#!lua name={name}\nredis.register_function('f')",
        "#!lua name={name}\nredis.register_function('f', 'not a function')",
        "#!lua name={name}\nredis.register_function(1, function() return 1 end)",
        "#!lua name={name}\nredis.register_function()",
        "#!lua name={name}\nredis.register_function('f', function() end, 'extra')",
        "#!lua name={name}\nredis.register_function{function_name = 'f', callback = "
        "function() return 1 end, flags = {'nosuch-flag'}}",
        "#!lua name={name}\nredis.register_function{function_name = 'f', callback = "
        "function() return 1 end, flags = 'no-writes'}",
        "#!lua name={name}\nredis.register_function{function_name = 'f', callback = "
        "function() return 1 end, unknown_field = 1}",
        "#!lua name={name}\nredis.register_function{callback = function() return 1 end}",
        "#!lua name={name}\nredis.register_function{function_name = 'f'}",
        "#!lua name={name}\nredis.register_function{function_name = 'f', callback = "
        "function() return 1 end, description = 5}",
        "#!lua name={name}\nredis.register_function{function_name = 'f', callback = "
        "function() return 1 end, flags = {1}}",
        "#!lua name={name}\nx = 1\n" + fn("return 1"),
        "#!lua name={name}\nredis.setresp(3)\n" + fn("return 1"),
        "#!lua name={name}\nreturn redis.sha1hex('x') .. " + "redis.register_function('f', "
        "function() return 1 end)",
        "#!lua name={name}\nlocal t = {}; " + fn("return 1") + "; return os.time()",
    ]
    # Each under its own library name: a load that wrongly succeeds cannot hide the next one's
    # error behind "already exists".
    steps = [cmd("c2", "FUNCTION", "LOAD", code.replace("{name}", "bad%d" % i))
             for i, code in enumerate(bad)]
    steps += [cmd("c2", "FUNCTION", "LOAD"),
              cmd("c2", "FUNCTION", "LOAD", "REPLACE"),
              cmd("c2", "FUNCTION", "LOAD", "BADARG", LIB_B),
              # The engine's name is not case-sensitive.
              cmd("c2", "FUNCTION", "LOAD", "#!LUA name=upper\nredis.register_function("
                  "'upper_f', function() return 'upper' end)"),
              cmd("c2", "FCALL", "upper_f", "0"),
              cmd("c2", "FUNCTION", "DELETE", "upper"),
              # What the loads left (a number is a valid name and description: Lua makes it a
              # string), then a clean slate for the tests that follow.
              cmd("c2", "FUNCTION", "LIST", mask=mask_libraries),
              cmd("c2", "FUNCTION", "FLUSH")]
    return steps


def functions():
    steps = [cmd("c2", "FUNCTION", "FLUSH"), cmd("c2", "FLUSHALL")]
    steps += function_load_errors()
    steps += [cmd("c2", "FUNCTION", "STATS"), cmd("c3", "FUNCTION", "STATS"),
             cmd("c2", "FUNCTION", "LOAD", LIB_A),
             cmd("c2", "FUNCTION", "LOAD", LIB_A),  # exists
             cmd("c2", "FUNCTION", "LOAD", LIB_B),
             cmd("c2", "FUNCTION", "LOAD", "REPLACE", LIB_B2),
             cmd("c2", "FUNCTION", "LOAD", "replace", LIB_B),
             # A function name taken by another library.
             cmd("c2", "FUNCTION", "LOAD", library("libc", "redis.register_function("
                                                   "'echo_a', function() return 1 end)")),
             cmd("c2", "FUNCTION", "STATS"), cmd("c3", "FUNCTION", "STATS"),
             cmd("c2", "INFO", "memory", mask=mask_script_memory)]
    # FCALL and FCALL_RO.
    steps += [
        cmd("c2", "FCALL", "echo_a", "0", "hello"),
        cmd("c3", "FCALL", "echo_a", "0", "hello"),
        cmd("c2", "FCALL", "ECHO_A", "0", "case"),
        cmd("c2", "FCALL", "echo_b", "2", "k1", "k2", "a1", "a2"),
        cmd("c3", "FCALL", "echo_b", "1", "k1", "a1"),
        cmd("c2", "FCALL", "echo_b", "0"),
        cmd("c2", "FCALL", "rw_set", "1", "fkey", "fvalue"),
        cmd("c2", "GET", "fkey"),
        cmd("c2", "FCALL", "ro_get", "1", "fkey"),
        cmd("c2", "FCALL_RO", "ro_get", "1", "fkey"),
        cmd("c2", "FCALL_RO", "rw_set", "1", "fkey", "v2"),
        cmd("c2", "FCALL_RO", "echo_a", "0", "x"),
        cmd("c2", "FCALL", "ro_set", "1", "fkey", "v3"),
        cmd("c2", "FCALL_RO", "ro_set", "1", "fkey", "v3"),
        cmd("c2", "GET", "fkey"),
        cmd("c2", "FCALL", "nosuch", "0"),
        cmd("c2", "FCALL_RO", "nosuch", "0"),
        cmd("c2", "FCALL", "echo_a", "1"),
        cmd("c2", "FCALL", "echo_a", "-1"),
        cmd("c2", "FCALL", "echo_a", "x"),
        cmd("c2", "FCALL", "echo_a"),
        cmd("c2", "FCALL"),
        cmd("c2", "FCALL_RO", "echo_a"),
        # Runtime errors inside functions: the function's name instead of a sha.
        cmd("c2", "FUNCTION", "LOAD", library("liberr", "redis.register_function('boom', "
                                              "function(keys, args) error('boom') end)\n"
                                              "redis.register_function('undef', "
                                              "function(keys, args) return nosuch end)\n"
                                              "redis.register_function('callerr', "
                                              "function(keys, args) return redis.call("
                                              "'incr', keys[1]) end)\n"
                                              "redis.register_function('pcallerr', "
                                              "function(keys, args) return redis.pcall("
                                              "'incr', keys[1]) end)\n"
                                              "redis.register_function('types', "
                                              "function(keys, args) redis.setresp(3); "
                                              "return redis.call('hgetall', keys[1]) end)\n"
                                              # Functions get no KEYS/ARGV globals.
                                              "redis.register_function('globals', "
                                              "function(keys, args) return {#keys, #args, "
                                              "KEYS} end)\n"
                                              "redis.register_function('server_api', "
                                              "function() return server.call('ping') end)\n"
                                              "redis.register_function{function_name = "
                                              "'all_flags', callback = function() return "
                                              "'flagged' end, flags = {"
                                              "'no-writes', 'allow-oom', 'allow-stale', "
                                              "'no-cluster', 'allow-cross-slot-keys'}}\n"
                                              # The API available while loading.
                                              "redis.log(redis.LOG_NOTICE, 'liberr loads')\n"
                                              "local version = redis.REDIS_VERSION_NUM\n"
                                              "redis.register_function('load_time', "
                                              "function() return version > 0 end)\n"
                                              # Registering is for loading only.
                                              "redis.register_function('late', function() "
                                              "redis.register_function('x', function() end) "
                                              "end)")),
        cmd("c2", "FCALL", "late", "0"),
        cmd("c2", "FCALL", "load_time", "0"),
        cmd("c2", "FUNCTION", "LIST", "LIBRARYNAME", "liberr", mask=mask_libraries),
        cmd("c3", "FUNCTION", "LIST", "LIBRARYNAME", "liberr", mask=mask_libraries),
        cmd("c2", "FCALL", "boom", "0"),
        cmd("c2", "FCALL", "undef", "0"),
        cmd("c2", "FCALL", "globals", "1", "k", "a"),
        cmd("c2", "FCALL", "server_api", "0"),
        cmd("c2", "FCALL", "all_flags", "0"),
        cmd("c2", "FCALL_RO", "all_flags", "0"),
        cmd("c3", "FCALL", "all_flags", "0"),
        cmd("c2", "FCALL", "callerr", "1", "fkey"),
        cmd("c2", "FCALL", "pcallerr", "1", "fkey"),
        cmd("c2", "HSET", "fhash", "f", "v"),
        cmd("c2", "FCALL", "types", "1", "fhash"),
        cmd("c3", "FCALL", "types", "1", "fhash"),
        # FUNCTION LIST, one library at a time by pattern, then all (sorted: see the mask).
        cmd("c2", "FUNCTION", "LIST", "LIBRARYNAME", "libb"),
        cmd("c3", "FUNCTION", "LIST", "LIBRARYNAME", "libb"),
        cmd("c2", "FUNCTION", "LIST", "LIBRARYNAME", "libb", "WITHCODE"),
        cmd("c3", "FUNCTION", "LIST", "WITHCODE", "LIBRARYNAME", "libb"),
        cmd("c2", "FUNCTION", "LIST", "LIBRARYNAME", "liba", mask=mask_each(_sort_library)),
        cmd("c3", "FUNCTION", "LIST", "LIBRARYNAME", "lib?", mask=mask_libraries),
        cmd("c2", "FUNCTION", "LIST", "LIBRARYNAME", "*a", mask=mask_libraries),
        cmd("c2", "FUNCTION", "LIST", "LIBRARYNAME", "nomatch"),
        cmd("c2", "FUNCTION", "LIST", mask=mask_libraries),
        cmd("c3", "FUNCTION", "LIST", "WITHCODE", mask=mask_libraries),
        cmd("c2", "FUNCTION", "LIST", "LIBRARYNAME"),
        cmd("c2", "FUNCTION", "LIST", "BADARG"),
        cmd("c2", "FUNCTION", "LIST", "WITHCODE", "WITHCODE"),
        cmd("c2", "FUNCTION", "LIST", "LIBRARYNAME", "a", "LIBRARYNAME", "b"),
        cmd("c2", "FUNCTION", "STATS"),
        # FUNCTION DELETE.
        cmd("c2", "MULTI"),
        cmd("c2", "FCALL", "echo_a", "0", "queued"),
        cmd("c2", "FCALL", "boom", "0"),
        cmd("c2", "FCALL_RO", "rw_set", "1", "fkey", "v"),
        cmd("c2", "EXEC"),
        cmd("c2", "FUNCTION", "DELETE", "liberr"),
        cmd("c2", "FUNCTION", "DELETE", "liberr"),
        cmd("c2", "FUNCTION", "DELETE"),
        cmd("c2", "FUNCTION", "DELETE", "a", "b"),
        cmd("c2", "FCALL", "boom", "0"),
        cmd("c2", "FUNCTION", "DELETE", "liba"),
        cmd("c2", "FUNCTION", "LIST", "LIBRARYNAME", "liba"),
        # DUMP / FLUSH / RESTORE, with one library (two come in a hash table's order).
        cmd("c2", "FUNCTION", "DUMP"),
        cmd("c3", "FUNCTION", "DUMP"),
    ]
    steps += dump_restore()
    steps += [cmd("c2", "FUNCTION", "NOSUCH"), cmd("c2", "FUNCTION"),
              cmd("c2", "FUNCTION", "HELP", mask=mask_help),
              cmd("c2", "FUNCTION", "FLUSH", "BADARG"),
              cmd("c2", "FUNCTION", "FLUSH", "ASYNC"),
              cmd("c2", "FUNCTION", "LIST"),
              cmd("c2", "FUNCTION", "LOAD", LIB_B),
              cmd("c2", "FUNCTION", "FLUSH", "SYNC"),
              cmd("c2", "FUNCTION", "DUMP"),
              cmd("c2", "FUNCTION", "STATS"),
              cmd("c2", "FUNCTION", "STATS", "x"),
              cmd("c2", "FUNCTION", "KILL"),
              cmd("c2", "FUNCTION", "KILL", "x")]
    return steps


def dump_restore():
    """The payload's bytes are compared as FUNCTION DUMP returns them; each server is then given
    back its own payload (DumpInto / RestoreFrom), so the test does not need to know them."""
    return [
        DumpInto("c2", "payload_b"),
        cmd("c2", "FUNCTION", "FLUSH"),
        cmd("c2", "FUNCTION", "LIST"),
        RestoreFrom("c2", "payload_b"),
        cmd("c2", "FUNCTION", "LIST", "WITHCODE"),
        cmd("c2", "FCALL", "echo_b", "1", "k", "a"),
        RestoreFrom("c2", "payload_b"),  # APPEND (the default): the library exists
        RestoreFrom("c2", "payload_b", "APPEND"),
        RestoreFrom("c2", "payload_b", "REPLACE"),
        RestoreFrom("c2", "payload_b", "FLUSH"),
        RestoreFrom("c2", "payload_b", "BADPOLICY"),
        RestoreFrom("c2", "payload_b", "REPLACE", "EXTRA"),
        cmd("c2", "FUNCTION", "LOAD", "REPLACE", LIB_B2),
        RestoreFrom("c2", "payload_b", "REPLACE"),
        cmd("c2", "FCALL", "echo_b", "0"),
        cmd("c2", "FUNCTION", "LOAD", "REPLACE", LIB_B2),
        RestoreFrom("c2", "payload_b", "FLUSH"),
        cmd("c2", "FCALL", "echo_b", "0"),
        cmd("c2", "FUNCTION", "RESTORE", "garbage"),
        cmd("c2", "FUNCTION", "RESTORE", ""),
        cmd("c2", "FUNCTION", "RESTORE"),
        cmd("c2", "FUNCTION", "RESTORE", b"\xf5\xc3@X@]\x1f#!lua name=x\n\n\x0a\x00" + b"\0" * 8),
        RestoreFrom("c2", "payload_b", corrupt=True),
        cmd("c2", "FUNCTION", "LIST", "LIBRARYNAME", "libb"),
    ]


class DumpInto(differential.Step):
    """FUNCTION DUMP, its reply compared, its payload kept (per server) for RestoreFrom."""

    def __init__(self, conn, slot):
        super().__init__(conn, differential.servers.resp_command("FUNCTION", "DUMP"),
                         replies=0, label="%s: FUNCTION DUMP (kept as %s)" % (conn, slot))

        def drive(reader):
            reader.sock.sendall(self.data)
            f = reader.frame()
            PAYLOADS[(reader.sock.getpeername(), slot)] = f[1] if f[0] == "$" else b""
            return [f]
        self.drive = drive


class RestoreFrom(differential.Step):
    """FUNCTION RESTORE of the payload a DumpInto kept on this server; corrupt=True flips a byte
    in the middle (the checksum must catch it)."""

    def __init__(self, conn, slot, *policy, corrupt=False):
        super().__init__(conn, b"", replies=0, label="%s: FUNCTION RESTORE <%s>%s %s" % (
            conn, slot, " (one byte flipped)" if corrupt else "", " ".join(policy)))

        def drive(reader):
            payload = PAYLOADS.get((reader.sock.getpeername(), slot), b"")
            if corrupt and payload:
                mid = len(payload) // 2
                payload = payload[:mid] + bytes([payload[mid] ^ 0x20]) + payload[mid + 1:]
            reader.sock.sendall(differential.servers.resp_command("FUNCTION", "RESTORE",
                                                                  payload, *policy))
            return [reader.frame()]
        self.drive = drive


# (server address, slot) -> the payload that server's FUNCTION DUMP returned.
PAYLOADS = {}


# ---------------------------------------------------------------------------------------------
# Keys and side effects.

def side_effects():
    steps = [cmd("c2", "FLUSHALL")]
    steps += [
        ev("c2", "return {KEYS[1], KEYS[2], ARGV[1], ARGV[2], #KEYS, #ARGV}", "k1", "k2",
           args=("a1", "a2")),
        ev("c2", "return {#KEYS, #ARGV}", args=("a1", "a2", "a3")),
        ev("c2", "return KEYS", "x", "y"),
        ev("c3", "return ARGV", args=("", "binary\0arg", "3")),
        ev("c2", "return type(ARGV[1])", args=("42",)),
        ev("c2", "KEYS[1] = 'changed'; return KEYS[1]", "orig"),
        ev("c2", "redis.call('set', KEYS[1], ARGV[1]); return redis.call('get', KEYS[1])",
           "sk", args=("sv",)),
        cmd("c2", "GET", "sk"),
        ev("c2", "return redis.call('incr', KEYS[1])", "counter"),
        ev("c2", "return redis.call('incrby', KEYS[1], ARGV[1])", "counter", args=("10",)),
        ev("c2", "return redis.call('incrby', KEYS[1], 2.9)", "counter"),
        cmd("c2", "GET", "counter"),
        ev("c2", "redis.call('set', KEYS[1], 'v'); return redis.call('expire', KEYS[1], 100)",
           "ek"),
        cmd("c2", "TTL", "ek"),
        ev("c2", "return redis.call('ttl', KEYS[1])", "ek"),
        ev("c2", "return redis.call('pexpire', KEYS[1], 0)", "ek"),
        cmd("c2", "EXISTS", "ek"),
        ev("c2", "redis.call('set', KEYS[1], 'v', 'EX', 100); return redis.call('persist', "
           "KEYS[1])", "pk"),
        cmd("c2", "TTL", "pk"),
        ev("c2", "redis.call('hset', KEYS[1], 'a', '1'); return redis.call('hgetall', KEYS[1])",
           "hk"),
        ev("c3", "return redis.call('hgetall', KEYS[1])", "hk"),
        ev("c3", "redis.setresp(3); return redis.call('hgetall', KEYS[1])", "hk"),
        ev("c2", "redis.setresp(3); return redis.call('hgetall', KEYS[1])", "hk"),
        ev("c2", "redis.call('zadd', KEYS[1], 1, 'a', 2.5, 'b'); "
           "return redis.call('zrange', KEYS[1], 0, -1, 'withscores')", "zk"),
        ev("c3", "return redis.call('zrange', KEYS[1], 0, -1, 'withscores')", "zk"),
        ev("c3", "redis.setresp(3); return redis.call('zrange', KEYS[1], 0, -1, 'withscores')",
           "zk"),
        ev("c2", "redis.setresp(3); return redis.call('zrange', KEYS[1], 0, -1, 'withscores')",
           "zk"),
        ev("c3", "redis.setresp(3); return redis.call('zscore', KEYS[1], 'b')", "zk"),
        ev("c2", "redis.setresp(3); return redis.call('zscore', KEYS[1], 'b')", "zk"),
        cmd("c2", "ZRANGE", "zk", "0", "-1", "WITHSCORES"),
        # Blocking commands: Redis 7.0 refuses most of them in scripts (flagged noscript: BLPOP,
        # BRPOP, BLMOVE, BRPOPLPUSH, BZPOPMIN, BZPOPMAX); the others (BLMPOP, BZMPOP) run without
        # blocking: nil at once on an empty key, a pop on a full one. (XREAD BLOCK, refused in
        # scripts with its own error, is not here: pylond has no streams yet.)
        ev("c2", "return redis.call('blpop', KEYS[1], 0)", "emptylist"),
        ev("c3", "return redis.pcall('brpop', KEYS[1], 5)", "emptylist"),
        ev("c2", "return redis.call('blmove', KEYS[1], KEYS[2], 'left', 'right', 0)",
           "emptylist", "dst"),
        ev("c2", "return redis.call('brpoplpush', KEYS[1], KEYS[2], 0)", "emptylist", "dst"),
        ev("c2", "return redis.call('bzpopmin', KEYS[1], 0)", "emptyzset"),
        ev("c2", "return redis.call('bzpopmax', KEYS[1], 0)", "emptyzset"),
        ev("c2", "return redis.call('blmpop', 0, 1, KEYS[1], 'left')", "emptylist"),
        ev("c3", "return redis.call('blmpop', 0, 1, KEYS[1], 'left')", "emptylist"),
        ev("c2", "return type(redis.call('blmpop', 0, 1, KEYS[1], 'left'))", "emptylist"),
        ev("c2", "return redis.call('bzmpop', 0, 1, KEYS[1], 'min')", "emptyzset"),
        cmd("c2", "RPUSH", "full", "a", "b", "c", "d"),
        ev("c2", "return redis.call('blpop', KEYS[1], 0)", "full"),
        ev("c2", "return redis.call('blmpop', 0, 1, KEYS[1], 'left')", "full"),
        ev("c3", "return redis.call('blmpop', 5, 1, KEYS[1], 'right', 'count', 2)", "full"),
        ev("c2", "return redis.call('blmpop', 0, 2, 'emptylist', KEYS[1], 'left')", "full"),
        cmd("c2", "EXISTS", "full"),
        ev("c2", "return redis.call('bzmpop', 0, 1, KEYS[1], 'min')", "zk"),
        ev("c3", "return redis.call('bzmpop', 0, 1, KEYS[1], 'max')", "zk"),
        # Several commands, their effects all visible afterwards.
        ev("c2", "for i = 1, 10 do redis.call('rpush', KEYS[1], i) end; "
           "return redis.call('llen', KEYS[1])", "many"),
        cmd("c2", "LRANGE", "many", "0", "-1"),
        ev("c2", "redis.call('del', KEYS[1]); return redis.call('exists', KEYS[1])", "many"),
        cmd("c2", "EXISTS", "many"),
        # An error after a write keeps the write (no rollback).
        ev("c2", "redis.call('set', KEYS[1], 'written'); error('after the write')", "partial"),
        cmd("c2", "GET", "partial"),
        ev("c2", "redis.call('set', KEYS[1], 'w2'); return redis.call('incr', KEYS[1])",
           "partial"),
        cmd("c2", "GET", "partial"),
        # A script can touch keys it did not declare (standalone mode).
        ev("c2", "return redis.call('set', 'undeclared', 'ok')"),
        cmd("c2", "GET", "undeclared"),
        # Commands whose reply varies, asked only for its shape.
        ev("c2", "return #redis.call('time')"),
        ev("c2", "return type(redis.call('randomkey'))"),
        # A client blocked on a list is served when the script has ended, with what the script
        # left (the first push is popped by the script itself).
        cmd("blocked", "BLPOP", "blk", "10", replies=0, label="blocked: BLPOP blk 10 (waits)"),
        ev("c2", "redis.call('rpush', KEYS[1], 'one', 'two'); "
           "return redis.call('lpop', KEYS[1])", "blk"),
        listen("blocked", 1),
        cmd("c2", "LRANGE", "blk", "0", "-1"),
        # Messages published by a script, and the keyspace events of its writes, reach
        # subscribers (in the order the script ran them).
        cmd("c2", "CONFIG", "SET", "notify-keyspace-events", "KEA"),
        cmd("sub", "SUBSCRIBE", "news"),
        cmd("sub", "PSUBSCRIBE", "__keyevent@0__:*"),
        ev("c2", "redis.call('publish', 'news', 'from a script'); "
           "redis.call('set', KEYS[1], 'v'); redis.call('expire', KEYS[1], 100); "
           "return redis.call('publish', 'news', 'second')", "evented"),
        listen("sub", 4),
        cmd("sub3", "HELLO", "3", mask=mask_hello),
        cmd("sub3", "SUBSCRIBE", "news"),
        ev("c3", "return redis.call('publish', 'news', 'to RESP3')"),
        listen("sub3", 1),
        cmd("c2", "CONFIG", "SET", "notify-keyspace-events", ""),
        # SELECT in a script changes only the script's database (there is one here).
        ev("c2", "return redis.call('select', 1)"),
        ev("c2", "return redis.call('select', 0)"),
        ev("c2", "return redis.call('dbsize')"),
        # EVAL in MULTI / EXEC.
        cmd("c2", "MULTI"),
        ev("c2", "return redis.call('incr', 'txcounter')"),
        ev("c2", "return {1, {2, 'three'}}"),
        ev("c2", "return redis.call('nosuch')"),
        cmd("c2", "EVALSHA", ABSENT_SHA, "0"),
        cmd("c2", "EXEC"),
        cmd("c3", "MULTI"),
        ev("c3", "redis.setresp(3); return redis.call('hgetall', 'hk')"),
        ev("c3", "return {double = 1.5}"),
        cmd("c3", "EXEC"),
        cmd("c2", "MULTI"),
        cmd("c2", "EVAL", "return 1"),
        cmd("c2", "EXEC"),
        # WATCH sees a script's writes.
        cmd("c2", "WATCH", "watched"),
        ev("c3", "return redis.call('set', 'watched', 'by script')"),
        cmd("c2", "MULTI"),
        cmd("c2", "GET", "watched"),
        cmd("c2", "EXEC"),
        # Type errors between a script's own writes.
        ev("c2", "redis.call('set', KEYS[1], 'str'); return redis.pcall('lpush', KEYS[1], 'x')",
           "typed"),
        cmd("c2", "TYPE", "typed"),
        cmd("c2", "DBSIZE"),
    ]
    return steps


STEPS = [cmd("c3", "HELLO", "3", mask=mask_hello), cmd("c2", "PING"), cmd("c3", "PING")]
STEPS += lua_to_redis()
STEPS += redis_to_lua()
STEPS += errors()
STEPS += sandbox()
STEPS += cjson()
STEPS += bitop()
STEPS += msgpack_and_struct()
STEPS += script_cache()
STEPS += functions()
STEPS += side_effects()


if __name__ == "__main__":
    sys.exit(differential.run(NAME, STEPS))
