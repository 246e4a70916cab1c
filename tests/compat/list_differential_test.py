#!/usr/bin/python3
"""Differential test of lists: every list command with good and bad input (indexes, counts,
LPOS's options, LMPOP's grammar, timeouts), WRONGTYPE, the null forms of the pops in RESP2 and
RESP3, and the blocking commands: first blocked first served across clients, a push and a pop
in one MULTI waking nobody, BLMOVE feeding the clients blocked on its destination, CLIENT
UNBLOCK, blocking commands inside MULTI. The same scripted session runs against redis-server
and pylond and the replies are compared byte for byte (the engine is differential.py).

    /usr/bin/python3 list_differential_test.py <path-to-pylond> [--show]

PYLON_TEST_TARGET=redis replaces pylond with a second redis-server (to validate this script).
"""

import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import differential  # noqa: E402
import servers  # noqa: E402
from differential import Step, cmd, listen, mask_hello  # noqa: E402

NAME = "list_differential_test"

# One session of commands, run on a RESP2 and on a RESP3 connection from an empty keyspace.
SESSION = [
    ('rpush', 'l', 'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'),
    ('lpush', 'l', 'x', 'y', 'z'),
    ('llen', 'l'),
    ('lrange', 'l', '0', '-1'),
    ('lrange', 'l', '-3', '-1'),
    ('lrange', 'l', '5', '2'),
    ('lrange', 'l', '-100', '100'),
    ('lrange', 'l', '100', '200'),
    ('lrange', 'l', 'x', '1'),
    ('lindex', 'l', '0'),
    ('lindex', 'l', '-1'),
    ('lindex', 'l', '100'),
    ('lindex', 'l', '-100'),
    ('lindex', 'l', 'x'),
    ('lindex', 'nokey', 'x'),
    ('lindex', 'nokey', '0'),
    ('lset', 'l', '0', 'A'),
    ('lset', 'l', '-1', 'H'),
    ('lset', 'l', '100', 'z'),
    ('lset', 'nokey', '0', 'z'),
    ('lset', 'l', 'x', 'z'),
    ('lrange', 'l', '0', '-1'),
    ('linsert', 'l', 'before', 'c', 'C'),
    ('linsert', 'l', 'after', 'c', 'CC'),
    ('linsert', 'l', 'middle', 'c', 'CC'),
    ('linsert', 'l', 'before', 'nothere', 'Q'),
    ('linsert', 'nokey', 'before', 'a', 'b'),
    ('lrange', 'l', '0', '-1'),
    ('lrem', 'l', '0', 'nothing'),
    ('rpush', 'r', 'a', 'b', 'a', 'c', 'a', 'd', 'a'),
    ('lrem', 'r', '2', 'a'),
    ('lrange', 'r', '0', '-1'),
    ('lrem', 'r', '-1', 'a'),
    ('lrange', 'r', '0', '-1'),
    ('lrem', 'r', '0', 'a'),
    ('lrange', 'r', '0', '-1'),
    ('lrem', 'r', 'x', 'a'),
    ('lrem', 'nokey', '1', 'a'),
    ('ltrim', 'r', '1', '1'),
    ('lrange', 'r', '0', '-1'),
    ('ltrim', 'r', '5', '10'),
    ('exists', 'r'),
    ('ltrim', 'nokey', '0', '1'),
    ('ltrim', 'l', 'x', '1'),
    ('lpop', 'l'),
    ('rpop', 'l'),
    ('lpop', 'l', '2'),
    ('rpop', 'l', '2'),
    ('lpop', 'l', '0'),
    ('lpop', 'l', '-1'),
    ('lpop', 'l', 'x'),
    ('lpop', 'nokey'),
    ('lpop', 'nokey', '3'),
    ('lpop', 'nokey', '0'),
    ('lpop', 'l', '1', '2'),
    ('rpop', 'nokey', '1'),
    ('lrange', 'l', '0', '-1'),
    ('rpush', 'p', 'a', 'b', 'c', '1', '2', '3', 'c', 'c', 'a'),
    ('lpos', 'p', 'c'),
    ('lpos', 'p', 'c', 'rank', '2'),
    ('lpos', 'p', 'c', 'rank', '-1'),
    ('lpos', 'p', 'c', 'rank', '-2'),
    ('lpos', 'p', 'c', 'count', '0'),
    ('lpos', 'p', 'c', 'count', '2'),
    ('lpos', 'p', 'c', 'count', '0', 'rank', '-1'),
    ('lpos', 'p', 'c', 'count', '0', 'maxlen', '3'),
    ('lpos', 'p', 'c', 'rank', '2', 'maxlen', '3'),
    ('lpos', 'p', 'zz'),
    ('lpos', 'p', 'zz', 'count', '1'),
    ('lpos', 'nokey', 'a'),
    ('lpos', 'nokey', 'a', 'count', '1'),
    ('lpos', 'p', 'c', 'rank', '0'),
    ('lpos', 'p', 'c', 'count', '-1'),
    ('lpos', 'p', 'c', 'maxlen', '-1'),
    ('lpos', 'p', 'c', 'count', 'x'),
    ('lpos', 'p', 'c', 'foo'),
    ('lpos', 'p', 'c', 'rank'),
    ('lpos', 'p', 'c', 'rank', '9223372036854775807'),
    ('lmove', 'p', 'q', 'left', 'right'),
    ('lmove', 'p', 'q', 'right', 'left'),
    ('lmove', 'p', 'p', 'left', 'right'),
    ('lrange', 'p', '0', '-1'),
    ('lrange', 'q', '0', '-1'),
    ('lmove', 'p', 'q', 'up', 'left'),
    ('lmove', 'nokey', 'q', 'left', 'left'),
    ('rpoplpush', 'p', 'q'),
    ('rpoplpush', 'nokey', 'q'),
    ('set', 's', 'str'),
    ('lmove', 'p', 's', 'left', 'left'),
    ('lmove', 's', 'p', 'left', 'left'),
    ('rpush', 's', 'x'),
    ('lpush', 's', 'x'),
    ('lpushx', 's', 'x'),
    ('lrange', 's', '0', '1'),
    ('llen', 's'),
    ('lpushx', 'nokey', 'a'),
    ('rpushx', 'nokey', 'a'),
    ('exists', 'nokey'),
    ('lpushx', 'q', 'a', 'b'),
    ('rpushx', 'q', 'c', 'd'),
    ('lrange', 'q', '0', '-1'),
    ('lmpop', '2', 'nokey', 'q', 'left'),
    ('lmpop', '2', 'nokey', 'q', 'right', 'count', '3'),
    ('lmpop', '1', 'nokey', 'left'),
    ('lmpop', '0', 'q', 'left'),
    ('lmpop', '1', 'q', 'left', 'count', '0'),
    ('lmpop', '1', 'q', 'left', 'count', '1', 'count', '1'),
    ('lmpop', '1', 'q'),
    ('lmpop', '3', 'q', 'left'),
    ('lmpop', '1', 's', 'left'),
    ('lmpop', '2', 'q', 's', 'left', 'count', '100'),
    ('exists', 'q'),
    ('lmpop', '1', 'p', 'right', 'count', '100'),
    ('type', 'p'),
    ('blpop', 'nokey', '0.01'),
    ('blpop', 's', '1'),
    ('blpop', 'q', 'p', '1'),
    ('brpop', 'p', '1'),
    ('rpush', 'q', '1', '2', '3'),
    ('blpop', 's', 'q', '0'),
    ('blpop', 'q', 's', '0'),
    ('brpop', 'q', '0'),
    ('blpop', 'q', '-1'),
    ('blpop', 'q', 'abc'),
    ('blpop', 'q', '0x10'),
    ('rpush', 'q', '1', '2', '3', '4', '5'),
    ('blmove', 'q', 'q2', 'left', 'right', '0'),
    ('blmove', 'q', 'q2', 'left', 'right', '-1'),
    ('blmove', 'q', 'q2', 'middle', 'right', '0'),
    ('brpoplpush', 'q', 'q2', '0'),
    ('brpoplpush', 'q2', 'q', '0.1x'),
    ('blmpop', '0', '1', 'q2', 'left', 'count', '5'),
    ('blmpop', '-1', '1', 'q2', 'left'),
    ('blmpop', '0', '0', 'q2', 'left'),
    ('object', 'encoding', 'q'),
    ('rpush', 'big', '1', '2', '3'),
    ('object', 'encoding', 'big'),
    ('type', 'big'),
    ('lpush',),
    ('lpush', 'x'),
    ('lpop',),
    ('blpop', 'x'),
    ('lmove', 'a', 'b', 'c'),
    ('lpos', 'a'),
    ('rpush', 'lp', 'a', 'b', 'a', 'c', 'a'),
    ('lpos', 'lp', 'a', 'rank', '-9223372036854775808'),
    ('lpos', 'lp', 'a', 'rank', '-9223372036854775808', 'count', '0'),
    ('lpos', 'lp', 'a', 'rank', '9223372036854775807'),
    ('lpos', 'lp', 'a', 'rank', '-9223372036854775807', 'count', '0'),
    ('lpos', 'lp', 'a', 'rank', '2', 'count', '1', 'maxlen', '1'),
    ('lpos', 'lp', 'a', 'count', '2', 'maxlen', '0')
]


def wait_blocked(conn, n):
    """Until the server counts n blocked clients (a blocking command sent on another connection
    is on its way): its reply is the count reached, so a server that never gets there differs."""
    def drive(reader):
        for _ in range(300):
            reader.sock.sendall(servers.resp_command("INFO", "clients"))
            t, p = reader.frame()
            if t == "$" and p and b"blocked_clients:%d\r\n" % n in p:
                return [("+", b"blocked_clients reached %d" % n)]
            time.sleep(0.01)
        return [("+", b"blocked_clients never %d" % n)]
    step = Step(conn, b"", replies=0, label="%s: (waits for %d blocked clients)" % (conn, n))
    step.drive = drive
    return step


def sent(conn, *args):
    """A blocking command sent without reading its reply (read later with listen)."""
    return cmd(conn, *args, replies=0, label="%s: %s (sent)" % (conn, " ".join(args)))


BLOCKING = [
    cmd("c", "FLUSHALL"),
    # First blocked first served across three clients, from one push.
    sent("b1", "BRPOP", "q", "0"), wait_blocked("c", 1),
    sent("b2", "BLPOP", "other", "q", "0"), wait_blocked("c", 2),
    sent("b3", "BLMPOP", "0", "1", "q", "LEFT", "COUNT", "2"), wait_blocked("c", 3),
    cmd("c", "LPUSH", "q", "a", "b", "c", "d"),
    listen("b1", 1), listen("b2", 1), listen("b3", 1),
    cmd("c", "EXISTS", "q"),
    # A push and a pop in one MULTI wake nobody; the woken client keeps its place.
    sent("b1", "BLPOP", "q", "0"), wait_blocked("c", 1),
    cmd("c", "MULTI"), cmd("c", "RPUSH", "q", "x"), cmd("c", "LPOP", "q"), cmd("c", "EXEC"),
    sent("b2", "BLPOP", "q", "0"), wait_blocked("c", 2),
    cmd("c", "RPUSH", "q", "y"), listen("b1", 1), wait_blocked("c", 1),
    cmd("c", "RPUSH", "q", "z"), listen("b2", 1),
    # BLMOVE down a chain into a BLPOP.
    sent("b1", "BLMOVE", "a", "b", "RIGHT", "LEFT", "0"), wait_blocked("c", 1),
    sent("b2", "BRPOPLPUSH", "b", "c", "0"), wait_blocked("c", 2),
    sent("b3", "BLPOP", "c", "0"), wait_blocked("c", 3),
    cmd("c", "RPUSH", "a", "job"), listen("b1", 1), listen("b2", 1), listen("b3", 1),
    cmd("c", "EXISTS", "a", "b", "c"),
    # A key set to another type leaves a blocked pop waiting; a list on its other key serves it.
    sent("b1", "BLPOP", "s1", "s2", "0"), wait_blocked("c", 1),
    cmd("c", "SET", "s1", "str"), wait_blocked("c", 1),
    cmd("c", "RPUSH", "s2", "v"), listen("b1", 1),
    # A woken BLMOVE whose destination became a string.
    sent("b1", "BLMOVE", "m", "s1", "LEFT", "LEFT", "0"), wait_blocked("c", 1),
    cmd("c", "RPUSH", "m", "v"), listen("b1", 1), cmd("c", "LLEN", "m"),
    # Inside MULTI nothing blocks.
    cmd("c", "MULTI"), cmd("c", "BLPOP", "none", "0"), cmd("c", "BRPOP", "none", "0"),
    cmd("c", "BLMOVE", "none", "d", "LEFT", "LEFT", "0"), cmd("c", "BRPOPLPUSH", "none", "d", "0"),
    cmd("c", "BLMPOP", "0", "1", "none", "LEFT"), cmd("c", "EXEC"),
    # Timeouts, and CLIENT UNBLOCK.
    cmd("b1", "BLPOP", "none", "0.01"), cmd("b1", "BLMOVE", "none", "d", "LEFT", "LEFT", "0.01"),
    cmd("b1", "BLMPOP", "0.01", "1", "none", "LEFT"),
]

STEPS = ([cmd("c", "FLUSHALL")] + [cmd("c", *c) for c in SESSION] +
         [cmd("r3", "HELLO", "3", mask=mask_hello), cmd("r3", "FLUSHALL")] +
         [cmd("r3", *c) for c in SESSION] + BLOCKING)


if __name__ == "__main__":
    sys.exit(differential.run(NAME, STEPS))
