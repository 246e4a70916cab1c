#!/usr/bin/python3
"""The keyspace steps of bench/run.sh, with a small RESP client of its own (stdlib only).

    keyspace.py probe PORT NAME [--steps] TEST...
                                               every command the given redis-benchmark tests (and,
                                               with --steps, the memory/growth steps) need must
                                               answer without an error; exit status 1 and a
                                               message naming the command otherwise
    keyspace.py memory PORT NAME KEYS CSV      FLUSHALL, then load KEYS keys and append one row of
                                               used_memory / RSS before and after to CSV
    keyspace.py growth PORT NAME OUTPUT CSV    parse redis-benchmark's text OUTPUT of the growth
                                               run, read DBSIZE, append one row to CSV
    keyspace.py flushall PORT NAME             FLUSHALL (bounded wait)

Keys of the memory step are "key:%012d" (16 bytes: the key names redis-benchmark uses with
-r 1000000, so the load is also the key space the GET test reads); values are "val:%012d"
(16 bytes, not a number, so Redis cannot store them as integers).
"""

import csv
import os
import re
import socket
import sys
import threading
import time

HOST = "127.0.0.1"
TIMEOUT = 60.0  # seconds for any one reply: a hung server fails the step instead of hanging it


class ReplyError(Exception):
    pass


def encode(*args):
    out = [b"*%d\r\n" % len(args)]
    for a in args:
        a = a if isinstance(a, bytes) else str(a).encode()
        out.append(b"$%d\r\n%s\r\n" % (len(a), a))
    return b"".join(out)


class Conn:
    """One blocking connection; replies are parsed as RESP2 (errors raise ReplyError)."""

    def __init__(self, port, timeout=TIMEOUT):
        self.sock = socket.create_connection((HOST, port), timeout=timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = b""

    def close(self):
        self.sock.close()

    def _line(self):
        while True:
            i = self.buf.find(b"\r\n")
            if i >= 0:
                line, self.buf = self.buf[:i], self.buf[i + 2:]
                return line
            self._fill()

    def _fill(self):
        data = self.sock.recv(1 << 16)
        if not data:
            raise ConnectionError("connection closed by the server")
        self.buf += data

    def reply(self):
        line = self._line()
        kind, rest = line[:1], line[1:]
        if kind == b"-":
            raise ReplyError(rest.decode(errors="replace"))
        if kind in (b"+",):
            return rest.decode(errors="replace")
        if kind == b":":
            return int(rest)
        if kind == b"$":
            n = int(rest)
            if n < 0:
                return None
            while len(self.buf) < n + 2:
                self._fill()
            data, self.buf = self.buf[:n], self.buf[n + 2:]
            return data.decode(errors="replace")
        if kind == b"*":
            n = int(rest)
            return None if n < 0 else [self.reply() for _ in range(n)]
        raise ConnectionError("unexpected reply %r" % line[:80])

    def call(self, *args):
        self.sock.sendall(encode(*args))
        return self.reply()

    def inline(self, text):
        self.sock.sendall(text.encode() + b"\r\n")
        return self.reply()


def info_field(conn, section, field):
    for line in conn.call("INFO", section).splitlines():
        if line.startswith(field + ":"):
            return line.split(":", 1)[1].strip()
    raise ReplyError("INFO %s has no %s field" % (section, field))


# What each redis-benchmark test sends (one representative command), for the up-front probe.
PROBES = {
    "ping_inline": [("inline", "PING")],
    "ping_mbulk": [("PING",)],
    "ping": [("inline", "PING"), ("PING",)],
    "set": [("SET", "bench:probe", "xxx")],
    "get": [("SET", "bench:probe", "xxx"), ("GET", "bench:probe")],
    "incr": [("INCR", "bench:probe:counter")],
    "mset": [("MSET", "bench:probe:a", "xxx", "bench:probe:b", "xxx")],
    "lpush": [("LPUSH", "bench:probe:list", "xxx")],
    "rpush": [("RPUSH", "bench:probe:list", "xxx")],
    "lpop": [("LPOP", "bench:probe:list")],
    "rpop": [("RPOP", "bench:probe:list")],
    "sadd": [("SADD", "bench:probe:set", "xxx")],
    "hset": [("HSET", "bench:probe:hash", "f", "xxx")],
    "spop": [("SPOP", "bench:probe:set")],
    "zadd": [("ZADD", "bench:probe:zset", "1", "xxx")],
    "zpopmin": [("ZPOPMIN", "bench:probe:zset")],
    "lrange": [("LRANGE", "bench:probe:list", "0", "99")],
}
# The memory and growth steps: FLUSHALL, DBSIZE, INFO memory/server, SET.
STEP_PROBES = [("FLUSHALL",), ("DBSIZE",), ("INFO", "memory"), ("INFO", "server"),
               ("SET", "bench:probe", "xxx")]


def probe(port, name, args):
    steps = "--steps" in args
    tests = [t for t in args if t != "--steps"]
    commands = []  # (what needs it, command)
    for test in tests:
        key = test.lower()
        key = "lrange" if key.startswith("lrange") else key
        commands += [("the %s test" % test, cmd) for cmd in PROBES.get(key, [])]
    if steps:
        commands += [("the memory and growth steps", cmd) for cmd in STEP_PROBES]
    missing = {}  # command -> what needs it, in probe order
    try:
        conn = Conn(port, timeout=5.0)
        for why, cmd in commands:
            words = cmd[1:] if cmd[0] == "inline" else cmd
            try:
                if cmd[0] == "inline":
                    conn.inline(cmd[1])
                else:
                    conn.call(*cmd)
            except ReplyError as e:
                if words[0].upper() not in missing:
                    print("bench: %s answers `%s` with an error: %s"
                          % (name, " ".join(words), e), file=sys.stderr)
                missing.setdefault(words[0].upper(), []).append(why)
        if missing:
            for command, whys in missing.items():
                print("bench: %s lacks %s, needed by %s" % (name, command,
                                                           ", ".join(dict.fromkeys(whys))),
                      file=sys.stderr)
            print("bench: choose BENCH_TESTS accordingly; BENCH_MEMORY=0 BENCH_GROWTH=0 skip the"
                  " memory and growth steps", file=sys.stderr)
            return 1
        if steps:
            info_field(conn, "memory", "used_memory")
            info_field(conn, "server", "process_id")
            conn.call("FLUSHALL")
        conn.close()
    except (OSError, ConnectionError, ReplyError) as e:
        print("bench: probing %s on port %d failed: %s" % (name, port, e), file=sys.stderr)
        return 1
    return 0


def rss_bytes(pid):
    """VmRSS of a local process, in bytes (the same yardstick for both servers)."""
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                value, unit = line.split()[1:3]
                assert unit == "kB", unit
                return int(value) * 1024
    raise OSError("no VmRSS in /proc/%d/status" % pid)


def settle(conn, pid, timeout=5.0, interval=0.25):
    """used_memory and RSS once used_memory stopped moving (e.g. an incremental resize or
    background free finished), at most `timeout` seconds later."""
    last = None
    deadline = time.monotonic() + timeout
    while True:
        used = int(info_field(conn, "memory", "used_memory"))
        rss = rss_bytes(pid)
        if used == last or time.monotonic() >= deadline:
            return used, rss
        last = used
        time.sleep(interval)


def load(port, keys, batch=2000, window=4):
    """SET key:%012d val:%012d for 0 <= i < keys, pipelined: a writer thread sends batches of
    `batch` commands, at most `window` batches ahead of the replies read here, so neither side
    buffers much (the server's query buffer would otherwise count in the measure). Every reply
    must be +OK."""
    conn = Conn(port)
    fmt = b"*3\r\n$3\r\nSET\r\n$16\r\nkey:%012d\r\n$16\r\nval:%012d\r\n"
    slots = threading.Semaphore(window)
    failure = []

    def writer():
        try:
            for start in range(0, keys, batch):
                slots.acquire()
                conn.sock.sendall(b"".join(fmt % (i, i) for i in range(start,
                                                                         min(keys, start + batch))))
        except OSError as e:
            failure.append(e)

    t = threading.Thread(target=writer, daemon=True)
    t.start()
    expected = b"+OK\r\n"
    done = 0
    while done < keys:
        n = min(batch, keys - done)
        want = len(expected) * n
        while len(conn.buf) < want:
            if failure:
                raise failure[0]
            conn._fill()
            i = conn.buf.find(b"-")  # "+OK\r\n" has none: an error reply
            if i >= 0:
                raise ReplyError("SET failed after %d keys: %s" % (
                    done + conn.buf[:i].count(b"\r\n"),
                    conn.buf[i + 1:].split(b"\r\n", 1)[0].decode(errors="replace")))
        chunk, conn.buf = conn.buf[:want], conn.buf[want:]
        if chunk != expected * n:
            raise ReplyError("unexpected reply to SET: %r" % chunk[:80])
        done += n
        slots.release()
    t.join()
    conn.close()


def memory(port, name, keys, csv_path):
    keys = int(keys)
    conn = Conn(port)
    conn.call("FLUSHALL")
    pid = int(info_field(conn, "server", "process_id"))
    used0, rss0 = settle(conn, pid)
    t0 = time.monotonic()
    load(port, keys)
    seconds = time.monotonic() - t0
    dbsize = conn.call("DBSIZE")
    if dbsize != keys:
        raise ReplyError("DBSIZE is %s after loading %d distinct keys" % (dbsize, keys))
    used1, rss1 = settle(conn, pid)
    conn.close()
    row = [name, keys, dbsize, used0, used1, rss0, rss1,
           "%.1f" % ((used1 - used0) / keys), "%.1f" % ((rss1 - rss0) / keys), "%.1f" % seconds]
    new = not os.path.exists(csv_path)
    with open(csv_path, "a", newline="") as f:
        w = csv.writer(f)
        if new:
            w.writerow(["server", "keys", "dbsize", "used_memory_before", "used_memory_after",
                        "rss_before", "rss_after", "used_memory_per_key", "rss_per_key",
                        "load_seconds"])
        w.writerow(row)
    print("bench: memory %s: %d keys loaded in %.1f s; used_memory %.1f B/key, RSS %.1f B/key"
          % (name, keys, seconds, (used1 - used0) / keys, (rss1 - rss0) / keys))
    return 0


def parse_benchmark(text):
    """redis-benchmark's text output (one test): seconds, rps, p50/p99/p99.9/max in ms."""
    text = text.replace("\r", "\n")
    r = {}
    m = re.search(r"requests completed in ([0-9.]+) seconds", text)
    r["seconds"] = float(m.group(1)) if m else float("nan")
    m = re.search(r"throughput summary: ([0-9.]+) requests per second", text)
    r["rps"] = float(m.group(1)) if m else float("nan")
    m = re.search(r"avg\s+min\s+p50\s+p95\s+p99\s+max\s*\n\s*([0-9.]+)\s+([0-9.]+)\s+([0-9.]+)"
                  r"\s+([0-9.]+)\s+([0-9.]+)\s+([0-9.]+)", text)
    if not m:
        raise ValueError("no latency summary in redis-benchmark's output")
    r["p50"], r["p99"], r["max"] = float(m.group(3)), float(m.group(5)), float(m.group(6))
    # "Latency by percentile distribution": "99.902% <= 0.911 milliseconds (cumulative ...)".
    # p99.9 is the first bound that covers at least 99.9 % of the requests.
    r["p999"] = float("nan")
    section = text.split("Latency by percentile distribution:", 1)
    if len(section) == 2:
        for pct, ms in re.findall(r"^([0-9.]+)% <= ([0-9.]+) milliseconds", section[1], re.M):
            if float(pct) >= 99.9:
                r["p999"] = float(ms)
                break
    return r


def growth(port, name, output_path, csv_path):
    with open(output_path, errors="replace") as f:
        r = parse_benchmark(f.read())
    conn = Conn(port)
    dbsize = conn.call("DBSIZE")
    conn.close()
    new = not os.path.exists(csv_path)
    with open(csv_path, "a", newline="") as f:
        w = csv.writer(f)
        if new:
            w.writerow(["server", "keys", "seconds", "rps", "p50_ms", "p99_ms", "p999_ms",
                        "max_ms"])
        w.writerow([name, dbsize, "%.2f" % r["seconds"], "%.0f" % r["rps"], "%.3f" % r["p50"],
                    "%.3f" % r["p99"], "%.3f" % r["p999"], "%.3f" % r["max"]])
    print("bench: growth %s: %d keys in %.1f s (%.0f SET/s); latency p99 %.3f ms, p99.9 %.3f ms,"
          " max %.3f ms" % (name, dbsize, r["seconds"], r["rps"], r["p99"], r["p999"], r["max"]))
    return 0


def flushall(port, name):
    conn = Conn(port, timeout=120.0)
    conn.call("FLUSHALL")
    conn.close()
    return 0


def main(argv):
    if len(argv) < 3:
        sys.exit(__doc__)
    cmd, port, name, rest = argv[0], int(argv[1]), argv[2], argv[3:]
    try:
        if cmd == "probe":
            return probe(port, name, rest)
        if cmd == "memory" and len(rest) == 2:
            return memory(port, name, *rest)
        if cmd == "growth" and len(rest) == 2:
            return growth(port, name, *rest)
        if cmd == "flushall" and not rest:
            return flushall(port, name)
    except (OSError, ConnectionError, ReplyError, ValueError) as e:
        print("bench: %s step against %s (port %d) failed: %s" % (cmd, name, port, e),
              file=sys.stderr)
        return 1
    sys.exit(__doc__)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
