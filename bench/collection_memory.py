#!/usr/bin/python3
"""The memory step and the sorted-set fill of bench/collections.sh: bytes per element of Redis's
collection types in pylond and in redis-server, loaded the same way into each (stdlib only,
keyspace.py's client).

    collection_memory.py PORT NAME SMALL LARGE CSV
    collection_memory.py --fill-zset PORT KEY COUNT   ZADD KEY i m:%012d for 0 <= i < COUNT (the
                                                      member names pylon-loadgen's __rand_int__
                                                      draws), checked with ZCARD

For each type (hash, list, set, zset): FLUSHALL, then
  small: SMALL keys "c:%012d", each a collection of 5 elements (fields "f:%012d"/values, members
         "m:%012d", list items, scores 1..5): the compact forms (listpack, intset is not used:
         members are strings);
  large: one key of LARGE elements of 16 bytes ("m:%014d"): the large forms (hashtable,
         quicklist, hashtable set, skiplist);
and appends a row per (type, shape) to CSV: used_memory before and after, bytes per element.
"""

import csv
import os
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from keyspace import Conn, ReplyError, encode, info_field, settle  # noqa: E402

ELEMENTS_SMALL = 5


def small_command(kind, i):
    key = b"c:%012d" % i
    if kind == "hash":
        args = [b"HSET", key]
        for j in range(ELEMENTS_SMALL):
            args += [b"f:%012d" % j, b"v:%012d" % (i + j)]
    elif kind == "list":
        args = [b"RPUSH", key] + [b"m:%012d" % (i + j) for j in range(ELEMENTS_SMALL)]
    elif kind == "set":
        args = [b"SADD", key] + [b"m:%012d" % (i + j) for j in range(ELEMENTS_SMALL)]
    else:
        args = [b"ZADD", key]
        for j in range(ELEMENTS_SMALL):
            args += [b"%d" % (j + 1), b"m:%012d" % (i + j)]
    return encode(*args)


def large_command(kind, start, count):
    """One command adding elements start..start+count-1 to the one large key."""
    key = b"large"
    members = [b"m:%014d" % i for i in range(start, start + count)]
    if kind == "hash":
        args = [b"HSET", key]
        for m in members:
            args += [m, m]
    elif kind == "list":
        args = [b"RPUSH", key] + members
    elif kind == "set":
        args = [b"SADD", key] + members
    else:
        args = [b"ZADD", key]
        for n, m in zip(range(start, start + count), members):
            args += [b"%d" % n, m]
    return encode(*args)


def pipelined(port, commands, window=64):
    """Sends the commands from a writer thread, at most `window` ahead of the replies read here;
    every reply must be a success."""
    conn = Conn(port)
    slots = threading.Semaphore(window)
    failure = []

    def writer():
        try:
            for c in commands:
                slots.acquire()
                conn.sock.sendall(c)
        except OSError as e:
            failure.append(e)

    t = threading.Thread(target=writer, daemon=True)
    t.start()
    try:
        for _ in range(len(commands)):
            conn.reply()
            slots.release()
    finally:
        t.join()
        conn.close()
    if failure:
        raise failure[0]


def memory(port, name, small, large, csv_path):
    small, large = int(small), int(large)
    conn = Conn(port)
    pid = int(info_field(conn, "server", "process_id"))
    rows = []
    for kind in ("hash", "list", "set", "zset"):
        for shape in ("small", "large"):
            conn.call("FLUSHALL")
            used0, _ = settle(conn, pid)
            t0 = time.monotonic()
            if shape == "small":
                commands = [small_command(kind, i) for i in range(small)]
                elements = small * ELEMENTS_SMALL
            else:
                batch = 1000
                commands = [large_command(kind, s, min(batch, large - s))
                            for s in range(0, large, batch)]
                elements = large
            pipelined(port, commands)
            seconds = time.monotonic() - t0
            used1, _ = settle(conn, pid)
            encoding = conn.call("OBJECT", "ENCODING", "c:%012d" % 0 if shape == "small"
                                 else "large")
            per = (used1 - used0) / elements
            rows.append([name, kind, shape, elements, encoding, used0, used1, "%.1f" % per,
                         "%.1f" % seconds])
            print("bench-collections: memory %s %s %s: %d elements (%s) in %.1f s, %.1f B/element"
                  % (name, kind, shape, elements, encoding, seconds, per))
    conn.call("FLUSHALL")
    conn.close()
    new = not os.path.exists(csv_path)
    with open(csv_path, "a", newline="") as f:
        w = csv.writer(f)
        if new:
            w.writerow(["server", "type", "shape", "elements", "encoding", "used_memory_before",
                        "used_memory_after", "bytes_per_element", "load_seconds"])
        w.writerows(rows)
    return 0


def fill_zset(port, key, count):
    count = int(count)
    batch = 1000
    commands = []
    for start in range(0, count, batch):
        args = [b"ZADD", key.encode()]
        for i in range(start, min(start + batch, count)):
            args += [b"%d" % i, b"m:%012d" % i]
        commands.append(encode(*args))
    pipelined(port, commands)
    conn = Conn(port)
    card = conn.call("ZCARD", key)
    conn.close()
    if card != count:
        raise ReplyError("ZCARD %s is %s after adding %d members" % (key, card, count))
    return 0


def main(argv):
    if len(argv) == 4 and argv[0] == "--fill-zset":
        return fill_zset(*argv[1:])
    if len(argv) != 5:
        sys.exit(__doc__)
    try:
        return memory(*argv)
    except (OSError, ReplyError, ConnectionError) as e:
        print("bench-collections: memory step failed against %s: %s" % (argv[1], e))
        return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
