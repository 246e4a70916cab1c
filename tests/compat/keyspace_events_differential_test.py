"""Keyspace notifications, frame for frame against redis-server: a RESP2 and a RESP3 client
subscribe to every keyspace and keyevent channel; a writer changes notify-keyspace-events and
runs commands of each type; every message each subscriber receives is compared, and that
nothing more arrives (a marker message follows each command). The classes are switched one at a time so that a message sent under the
wrong class shows up as an extra frame.

    /usr/bin/python3 tests/compat/keyspace_events_differential_test.py <path-to-pylond> [--show]
"""

import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import differential  # noqa: E402
import servers  # noqa: E402
from differential import Step, cmd, listen, mask_hello  # noqa: E402

NAME = "keyspace_events_differential_test"


def events(frames, *command):
    """The writer runs command, then publishes on "marker"; each subscriber then reads `frames`
    messages and the marker's (a message too many or too few puts the marker out of place)."""
    return [cmd("w", *command), cmd("w", "PUBLISH", "marker", "end"),
            listen("s2", frames + 1), listen("s3", frames + 1)]


def config(flags):
    return cmd("w", "CONFIG", "SET", "notify-keyspace-events", flags)


def pause(ms):
    """Lets the real clock move on (for a key given a 1 ms time to live); only a lower bound."""
    step = Step("w", b"", replies=0, label="w: (waits %d ms)" % ms)
    step.drive = lambda reader: (time.sleep(ms / 1000), [])[1]
    return step


STEPS = [
    cmd("s2", "PSUBSCRIBE", "__key*__:*"),
    cmd("s2", "SUBSCRIBE", "marker"),
    cmd("s3", "HELLO", "3", mask=mask_hello),
    cmd("s3", "PSUBSCRIBE", "__key*__:*"),
    cmd("s3", "SUBSCRIBE", "marker"),
    # Nothing is sent by default.
    cmd("w", "CONFIG", "GET", "notify-keyspace-events"),
    *events(0, "SET", "k", "v"),
    config("KEA"),
    cmd("w", "CONFIG", "GET", "notify-keyspace-events"),
    # Strings.
    *events(2, "SET", "k", "v1"),
    *events(4, "SET", "k", "v2", "EX", "100"),
    *events(0, "SET", "k", "v3", "NX"),
    *events(2, "SETNX", "k2", "x"),
    *events(4, "SETEX", "k3", "100", "x"),
    *events(2, "GETSET", "k", "v4"),
    *events(2, "APPEND", "k", "more"),
    *events(2, "APPEND", "fresh", "more"),
    *events(2, "SETRANGE", "k", "1", "zz"),
    *events(0, "SETRANGE", "k", "1", ""),
    *events(2, "INCR", "n"),
    *events(2, "INCRBY", "n", "5"),
    *events(2, "DECR", "n"),
    *events(2, "INCRBYFLOAT", "f", "1.5"),
    *events(0, "INCR", "k"),  # an error changes nothing
    *events(4, "MSET", "a", "1", "b", "2"),
    *events(0, "MSETNX", "a", "1", "c", "3"),
    *events(4, "MSETNX", "c", "3", "d", "4"),
    *events(2, "GETDEL", "d"),
    *events(0, "GETDEL", "d"),
    *events(2, "GETEX", "c", "EX", "100"),
    *events(2, "GETEX", "c", "PERSIST"),
    *events(0, "GETEX", "c", "PERSIST"),
    # Generic.
    *events(2, "EXPIRE", "a", "100"),
    *events(0, "EXPIRE", "nosuch", "100"),
    *events(2, "PERSIST", "a"),
    *events(0, "PERSIST", "a"),
    *events(2, "PEXPIREAT", "b", "1"),  # a time past deletes
    *events(4, "RENAME", "a", "a2"),
    *events(0, "RENAMENX", "a2", "c"),
    *events(4, "RENAMENX", "a2", "a3"),
    *events(4, "DEL", "a3", "nosuch", "c"),
    *events(0, "DEL", "nosuch"),
    # Hashes.
    *events(2, "HSET", "h", "f", "1", "g", "2"),
    *events(2, "HSET", "h", "f", "1"),
    *events(2, "HMSET", "h", "x", "1"),
    *events(0, "HSETNX", "h", "f", "1"),
    *events(2, "HSETNX", "h", "y", "1"),
    *events(2, "HINCRBY", "h", "f", "3"),
    *events(2, "HINCRBYFLOAT", "h", "f", "0.5"),
    *events(0, "HINCRBY", "h", "f", "3"),  # now a float: an error
    *events(0, "HDEL", "h", "nosuch"),
    *events(2, "HDEL", "h", "f", "g"),
    *events(4, "HDEL", "h", "x", "y"),
    # Expiry, lazily (GET finds the key expired) and with the key-miss class.
    *events(4, "SET", "e", "v", "PX", "1"),
    pause(20),
    *events(2, "GET", "e"),
    config("KEAm"),
    cmd("w", "CONFIG", "GET", "notify-keyspace-events"),
    *events(2, "GET", "nosuch"),
    *events(0, "GET", "k"),
    *events(2, "EXISTS", "nosuch"),
    # 'n': new keys, before the command's own event.
    config("KEn"),
    cmd("w", "CONFIG", "GET", "notify-keyspace-events"),
    *events(2, "SET", "brand", "v"),
    *events(0, "SET", "brand", "again"),
    *events(2, "HSET", "hnew", "f", "v"),
    config("KEAn"),
    cmd("w", "CONFIG", "GET", "notify-keyspace-events"),
    *events(4, "SET", "brand2", "v"),
    # One class at a time, one channel kind at a time.
    config("K$"),
    *events(1, "SET", "k", "v"),
    *events(0, "DEL", "k"),
    *events(0, "HSET", "h2", "f", "v"),
    config("Eh"),
    *events(0, "SET", "k", "v"),
    *events(1, "HSET", "h2", "f", "w"),
    config("Eg"),
    *events(1, "DEL", "h2"),
    *events(0, "SET", "k", "v"),
    config("Kg$lshzxetdn"),
    cmd("w", "CONFIG", "GET", "notify-keyspace-events"),
    config(""),
    *events(0, "SET", "k", "v"),
    cmd("w", "CONFIG", "SET", "notify-keyspace-events", "KEQ"),
    cmd("w", "CONFIG", "GET", "notify-keyspace-events"),
]


if __name__ == "__main__":
    sys.exit(differential.run(NAME, STEPS))
