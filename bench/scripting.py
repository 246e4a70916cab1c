#!/usr/bin/python3
"""The keyspace steps of bench/scripting.sh (stdlib only; the RESP client is keyspace.py's).

    scripting.py probe PORT NAME ROLE
        SCRIPT LOAD of the three benchmarked scripts (`return 1`, bench/token_bucket.lua and the
        `limits` library's moving-window hit, read from the installed package), one EVALSHA of
        each with a check of its reply, and the INFO fields the memory step reads; ROLE "target"
        also needs RL.ALLOW ALGO token. Prints "PID SHA_TRIVIAL SHA_TOKEN SHA_WINDOW"; exit
        status 1 and a message naming what failed otherwise. Ends with FLUSHALL.
    scripting.py fill PORT PREFIX KEYS LIMIT TIMESTAMP
        each list PREFIX%012d (0 <= i < KEYS) holds exactly LIMIT entries TIMESTAMP: the state of
        a moving window that was full one window ago (every entry expired, none trimmed yet)
    scripting.py admitted PORT NAME PREFIX KEYS TIMESTAMP EXPECTED
        after a moving-window run at TIMESTAMP: the hits the script admitted (entries TIMESTAMP at
        the head of each list) must be EXPECTED, the requests of the run; exit status 1 otherwise
    scripting.py memory PORT NAME COUNT CSV
        SCRIPT FLUSH, then SCRIPT LOAD of COUNT distinct small scripts; appends to CSV the growth
        of used_memory, used_memory_vm_eval, used_memory_scripts_eval and the RSS (the server must
        be local); ends with SCRIPT FLUSH
"""

import csv
import importlib.util
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from keyspace import Conn, ReplyError, encode, info_field, rss_bytes  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
TOKEN_BUCKET = os.path.join(HERE, "token_bucket.lua")
TRIVIAL = "return 1"
# The script the `limits` library (Debian python3-limits, MIT license) runs for every hit of its
# moving-window strategy (RedisStorage.acquire_entry). Read from the installed package, not copied.
WINDOW_SCRIPT = ("resources", "redis", "lua_scripts", "acquire_moving_window.lua")
MEMORY_FIELDS = ("used_memory", "used_memory_vm_eval", "used_memory_scripts_eval")
# What each measure is: the three INFO fields (each server's own accounting: Redis's used_memory
# leaves out the Lua heap, pylond's counts every malloc, the Lua heap with it), then the RSS the
# kernel charges the process, the same yardstick for both.
MEASURES = MEMORY_FIELDS + ("rss",)
PROBE_KEY = "bench:probe:scripting"


def window_script_path():
    spec = importlib.util.find_spec("limits")  # locates the package without importing it
    if spec is None or not spec.submodule_search_locations:
        raise ReplyError("the `limits` package is not installed (apt-get install python3-limits)")
    return os.path.join(list(spec.submodule_search_locations)[0], *WINDOW_SCRIPT)


def read(path):
    with open(path) as f:
        return f.read()


def is_decision(reply):
    return isinstance(reply, list) and len(reply) == 5 and all(isinstance(x, int) for x in reply)


def probe(port, name, role):
    if role not in ("reference", "target", "standin"):
        sys.exit(__doc__)
    conn = Conn(port, timeout=5.0)
    conn.call("FLUSHALL")
    shas = [conn.call("SCRIPT", "LOAD", text)
            for text in (TRIVIAL, read(TOKEN_BUCKET), read(window_script_path()))]
    now = "%.6f" % time.time()
    checks = [
        (("EVALSHA", shas[0], "0"), lambda r: r == 1, "1"),
        (("EVALSHA", shas[1], "1", PROBE_KEY + ":token", "10", "1000", "10", "1"), is_decision,
         "an array of 5 integers"),
        # limits' script answers true (admitted: the integer 1) or false (refused: a nil).
        (("EVALSHA", shas[2], "1", PROBE_KEY + ":window", now, "1000", "60", "1"),
         lambda r: r == 1, "1 (admitted)"),
        (("LLEN", PROBE_KEY + ":window"), lambda r: r == 1, "1 entry in the window"),
    ]
    if role == "target":
        checks.append((("RL.ALLOW", PROBE_KEY + ":native", "LIMIT", "10", "PERIOD", "1000",
                        "ALGO", "token"), is_decision, "an array of 5 integers"))
    for cmd, ok, expected in checks:
        try:
            reply = conn.call(*cmd)
        except ReplyError as e:
            print("bench-scripting: %s answers `%s` with an error: %s"
                  % (name, " ".join(cmd), e), file=sys.stderr)
            return 1
        if not ok(reply):
            print("bench-scripting: %s answers `%s` with %r, not %s"
                  % (name, " ".join(cmd), reply, expected), file=sys.stderr)
            return 1
    for field in MEMORY_FIELDS + ("number_of_cached_scripts",):
        info_field(conn, "memory", field)
    pid = int(info_field(conn, "server", "process_id"))
    conn.call("FLUSHALL")
    conn.close()
    print(pid, *shas)
    return 0


def fill(port, prefix, keys, limit, timestamp):
    conn = Conn(port)
    keys, limit = int(keys), int(limit)
    for i in range(keys):
        key = "%s%012d" % (prefix, i)
        conn.sock.sendall(encode("DEL", key) + encode("RPUSH", key, *[timestamp] * limit))
    for _ in range(keys):
        conn.reply()
        if conn.reply() != limit:
            raise ReplyError("a moving-window list did not get its %d entries" % limit)
    conn.close()
    return 0


def admitted(port, name, prefix, keys, timestamp, expected):
    conn = Conn(port)
    keys, expected = int(keys), int(expected)
    conn.sock.sendall(b"".join(encode("LRANGE", "%s%012d" % (prefix, i), "0", "-1")
                               for i in range(keys)))
    # The script pushes tonumber(ARGV[1]): Lua's rendering of the number, compared as a number.
    now = float(timestamp)
    total = 0
    for _ in range(keys):
        entries = conn.reply()
        fresh = next((i for i, e in enumerate(entries) if float(e) != now), len(entries))
        total += fresh
    conn.close()
    if total != expected:
        print("bench-scripting: %s admitted %d of %d moving-window hits (a list took more than"
              " its limit: more clients or fewer requests keep every hit admitted)"
              % (name, total, expected), file=sys.stderr)
        return 1
    return 0


def memory_measures(conn, pid):
    """The MEASURES once the INFO fields stopped moving, at most 5 s later."""
    deadline = time.monotonic() + 5.0
    last = None
    while True:
        text = conn.call("INFO", "memory")
        fields = dict(line.split(":", 1) for line in text.splitlines() if ":" in line)
        missing = [f for f in MEMORY_FIELDS if f not in fields]
        if missing:
            raise ReplyError("INFO memory has no %s" % ", ".join(missing))
        values = [int(fields[f]) for f in MEMORY_FIELDS] + [rss_bytes(pid)]
        if values[:-1] == (last or [])[:-1] or time.monotonic() >= deadline:
            return values
        last = values
        time.sleep(0.25)


def memory(port, name, count, csv_path):
    count = int(count)
    conn = Conn(port, timeout=120.0)
    conn.call("SCRIPT", "FLUSH", "SYNC")
    pid = int(info_field(conn, "server", "process_id"))
    before = memory_measures(conn, pid)
    # Small distinct scripts, as a library registers them: a call with a key and an argument.
    # They are loaded on a connection of their own, closed before the measure: its query and
    # reply buffers are not the scripts' memory.
    loader = Conn(port, timeout=120.0)
    batch = 1000
    for start in range(0, count, batch):
        ids = range(start, min(count, start + batch))
        loader.sock.sendall(b"".join(
            encode("SCRIPT", "LOAD", "return redis.call('INCRBY', KEYS[1], %d)" % i)
            for i in ids))
        for _ in ids:
            loader.reply()
    loader.close()
    cached = int(info_field(conn, "memory", "number_of_cached_scripts"))
    if cached != count:
        raise ReplyError("number_of_cached_scripts is %d after %d SCRIPT LOADs" % (cached, count))
    after = memory_measures(conn, pid)
    conn.call("SCRIPT", "FLUSH", "SYNC")
    conn.close()
    per_script = [(a - b) / count for a, b in zip(after, before)]
    new = not os.path.exists(csv_path)
    with open(csv_path, "a", newline="") as f:
        w = csv.writer(f)
        if new:
            w.writerow(["server", "scripts"] + ["%s_%s" % (f, when) for when in ("before", "after")
                                               for f in MEASURES]
                       + ["%s_per_script" % f for f in MEASURES])
        w.writerow([name, count] + before + after + ["%.1f" % x for x in per_script])
    print("bench-scripting: memory %s: %d cached scripts; per script: %s" % (
        name, count, ", ".join("%s %.1f B" % (f, x) for f, x in zip(MEASURES, per_script))))
    return 0


def main(argv):
    if len(argv) < 2:
        sys.exit(__doc__)
    cmd, port, rest = argv[0], int(argv[1]), argv[2:]
    steps = {("probe", 2): probe, ("fill", 4): fill, ("admitted", 5): admitted,
             ("memory", 3): memory}
    step = steps.get((cmd, len(rest)))
    if step is None:
        sys.exit(__doc__)
    try:
        return step(port, *rest)
    except (OSError, ConnectionError, ReplyError, ValueError) as e:
        print("bench-scripting: %s step on port %d failed: %s" % (cmd, port, e), file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
