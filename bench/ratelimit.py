#!/usr/bin/python3
"""The keyspace steps of bench/ratelimit.sh (stdlib only; the RESP client is keyspace.py's).

    ratelimit.py probe PORT NAME ROLE [ALGO...]
        every command the role needs must answer as expected; exit status 1 and a message naming
        the command otherwise; prints "PID SHA" (the server's process id, the sha of the loaded
        script or "-"). ROLE is one of
          reference  redis-server: SCRIPT LOAD bench/token_bucket.lua, EVALSHA of it, INCR
          target     pylond: RL.ALLOW with each ALGO
          standin    redis-server in pylond's place (PYLON_TEST_TARGET=redis): as reference,
                     without INCR
        and, for every role, what the memory step needs (FLUSHALL, DBSIZE, INFO memory/server).
        Ends with FLUSHALL.
    ratelimit.py memory PORT NAME KEYS CSV LABEL COMMAND...
        FLUSHALL, then COMMAND once on each of KEYS distinct keys (the argument of COMMAND that
        holds "%012d" is the key pattern; every reply must be an admitted RL.ALLOW-style array
        [1, ...]); DBSIZE must be KEYS; appends used_memory / RSS before and after to CSV; ends
        with FLUSHALL
    ratelimit.py check PORT NAME KIND KEYS LIMIT
        after the runs: how many calls were admitted. KIND "rl" reads pylond's INFO ratelimit
        counters; KIND "lua:PREFIX" reads the tokens left in the KEYS hashes PREFIX%012d of the
        Lua script (out of LIMIT)
"""

import csv
import os
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from keyspace import Conn, ReplyError, encode, info_field, settle  # noqa: E402

SCRIPT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "token_bucket.lua")
PROBE_KEY = "bench:probe:rl"


def load_script(conn):
    with open(SCRIPT) as f:
        return conn.call("SCRIPT", "LOAD", f.read())


def is_decision(reply):
    return (isinstance(reply, list) and len(reply) == 5 and all(isinstance(x, int) for x in reply)
            and reply[0] in (0, 1))


def probe(port, name, role, algos):
    if role not in ("reference", "target", "standin"):
        sys.exit(__doc__)
    needs = []  # (what needs it, command, check of the reply or None)
    if role in ("reference", "standin"):
        needs.append(("the Lua token bucket", ("SCRIPT", "LOAD", "<bench/token_bucket.lua>"),
                      None))
        needs.append(("the Lua token bucket", ("EVALSHA", "<sha>", "1", PROBE_KEY + ":lua",
                                               "10", "1000", "10", "1"), is_decision))
    if role == "reference":
        needs.append(("the INCR floor", ("INCR", PROBE_KEY + ":incr"), None))
    if role == "target":
        for algo in algos:
            needs.append(("the ALGO %s runs" % algo,
                          ("RL.ALLOW", "%s:%s" % (PROBE_KEY, algo), "LIMIT", "10", "PERIOD",
                           "1000", "ALGO", algo), is_decision))
    for cmd in (("FLUSHALL",), ("DBSIZE",), ("INFO", "memory"), ("INFO", "server")):
        needs.append(("the memory step", cmd, None))
    sha = None
    failed = {}  # command name -> [what needs it]
    unknown = set()  # command names the server does not know
    try:
        conn = Conn(port, timeout=5.0)
        for why, cmd, check in needs:
            try:
                if cmd[0] == "SCRIPT":
                    sha = load_script(conn)
                    continue
                if cmd[0] == "EVALSHA":
                    if sha is None:
                        continue
                    cmd = (cmd[0], sha) + cmd[2:]
                reply = conn.call(*cmd)
                if check and not check(reply):
                    raise ReplyError("not an array of 5 integers [allowed, limit, remaining,"
                                     " retry_after_ms, reset_after_ms]: %r" % (reply,))
            except ReplyError as e:
                if cmd[0].upper() not in failed:
                    print("bench: %s answers `%s` with an error: %s" % (name, " ".join(cmd), e),
                          file=sys.stderr)
                if "unknown command" in str(e).lower():
                    unknown.add(cmd[0].upper())
                failed.setdefault(cmd[0].upper(), []).append(why)
        if failed:
            for command, whys in failed.items():
                print("bench: %s %s %s, needed by %s" % (
                    name, "lacks" if command in unknown else "fails", command,
                    ", ".join(dict.fromkeys(whys))), file=sys.stderr)
            if "RL.ALLOW" in unknown:
                print("bench: the rate-limit benchmark needs a pylond with the ratelimit module"
                      " (RL.ALLOW)", file=sys.stderr)
            return 1
        info_field(conn, "memory", "used_memory")
        pid = int(info_field(conn, "server", "process_id"))
        conn.call("FLUSHALL")
        conn.close()
    except (OSError, ConnectionError, ReplyError) as e:
        print("bench: probing %s on port %d failed: %s" % (name, port, e), file=sys.stderr)
        return 1
    print(pid, sha or "-")
    return 0


def command_template(args):
    """RESP bytes of the command with the one argument holding %012d left as a pattern."""
    keyed = [a for a in args if "%012d" in a]
    if len(keyed) != 1:
        raise ValueError("exactly one argument of the command must hold %012d: " + " ".join(args))
    out = [b"*%d\r\n" % len(args)]
    for a in args:
        if "%012d" in a:
            n = len(a % 0)
            out.append(b"$%d\r\n%s\r\n" % (n, a.replace("%", "%%").replace("%%012d", "%012d")
                                           .encode()))
        else:
            out.append(encode(a)[len(b"*1\r\n"):].replace(b"%", b"%%"))
    return b"".join(out)


def load(port, keys, template, batch=2000, window=4):
    """The command once per key 0 <= i < keys, pipelined as keyspace.py's load: batches of
    `batch` commands, at most `window` batches ahead of the replies. Each reply must be an array
    of 5 integers whose first is 1 (admitted): 6 lines, the first two "*5", ":1"."""
    conn = Conn(port)
    slots = threading.Semaphore(window)
    failure = []

    def writer():
        try:
            for start in range(0, keys, batch):
                slots.acquire()
                conn.sock.sendall(b"".join(template % i
                                           for i in range(start, min(keys, start + batch))))
        except OSError as e:
            failure.append(e)

    t = threading.Thread(target=writer, daemon=True)
    t.start()
    done = 0
    while done < keys:
        n = min(batch, keys - done)
        while conn.buf.count(b"\r\n") < 6 * n:
            if failure:
                raise failure[0]
            conn._fill()
            if conn.buf.startswith(b"-") or b"\r\n-" in conn.buf:  # an error reply
                i = 0 if conn.buf.startswith(b"-") else conn.buf.index(b"\r\n-") + 2
                raise ReplyError("failed after about %d keys: %s" % (
                    done, conn.buf[i + 1:].split(b"\r\n", 1)[0].decode(errors="replace")))
        end = len(conn.buf) - len(conn.buf.split(b"\r\n", 6 * n)[-1])  # after the 6n-th line
        chunk, conn.buf = conn.buf[:end], conn.buf[end:]
        if chunk.count(b"*5\r\n:1\r\n") != n:
            raise ReplyError("not every call was admitted (or an unexpected reply): %r"
                             % chunk[:120])
        done += n
        slots.release()
    t.join()
    conn.close()


def memory(port, name, keys, csv_path, label, args):
    keys = int(keys)
    template = command_template(args)
    conn = Conn(port, timeout=120.0)
    conn.call("FLUSHALL")
    pid = int(info_field(conn, "server", "process_id"))
    used0, rss0 = settle(conn, pid)
    t0 = time.monotonic()
    load(port, keys, template)
    seconds = time.monotonic() - t0
    dbsize = conn.call("DBSIZE")
    if dbsize != keys:
        raise ReplyError("DBSIZE is %s after calling on %d distinct keys (did some expire?)"
                         % (dbsize, keys))
    used1, rss1 = settle(conn, pid)
    dbsize = conn.call("DBSIZE")
    if dbsize != keys:
        raise ReplyError("DBSIZE is %s once memory settled: keys expired during the measure"
                         % dbsize)
    conn.call("FLUSHALL")
    conn.close()
    new = not os.path.exists(csv_path)
    with open(csv_path, "a", newline="") as f:
        w = csv.writer(f)
        if new:
            w.writerow(["server", "command", "keys", "dbsize", "used_memory_before",
                        "used_memory_after", "rss_before", "rss_after", "used_memory_per_key",
                        "rss_per_key", "load_seconds"])
        w.writerow([name, label, keys, dbsize, used0, used1, rss0, rss1,
                    "%.1f" % ((used1 - used0) / keys), "%.1f" % ((rss1 - rss0) / keys),
                    "%.1f" % seconds])
    print("bench: memory %s: %d limiters (%s) in %.1f s; used_memory %.1f B/key, RSS %.1f B/key"
          % (name, keys, label, seconds, (used1 - used0) / keys, (rss1 - rss0) / keys))
    return 0


def check(port, name, kind, keys, limit):
    keys, limit = int(keys), int(limit)
    conn = Conn(port)
    if kind == "rl":
        fields = {}
        for line in conn.call("INFO", "ratelimit").splitlines():
            if ":" in line:
                k, v = line.split(":", 1)
                fields[k] = v.strip()
        allowed = int(fields.get("ratelimit_allowed", 0))
        refused = int(fields.get("ratelimit_refused", 0))
        print("bench: %s admitted %s of %s RL.ALLOW calls since it started (INFO ratelimit),"
              " refused %s"
              % (name, "{:,}".format(allowed), "{:,}".format(allowed + refused),
                 "{:,}".format(refused)))
    elif kind.startswith("lua:"):
        prefix = kind[4:]
        tokens = []
        for start in range(0, keys, 1000):  # batches: neither side buffers much
            batch = range(start, min(keys, start + 1000))
            conn.sock.sendall(b"".join(encode("HGET", "%s%012d" % (prefix, i), "tokens")
                                       for i in batch))
            tokens += [conn.reply() for _ in batch]
        present = [float(t) for t in tokens if t is not None]
        if present:
            low = min(present)
            print("bench: %s: %d of %d Lua buckets %s* exist; the emptiest holds %.1f of %d"
                  " tokens%s" % (name, len(present), keys, prefix, low, limit,
                                 " (none ran dry)" if low >= 1
                                 else ": some calls may have been refused"))
        else:
            print("bench: %s: none of the %d Lua buckets %s* exists (all full again)"
                  % (name, keys, prefix))
    else:
        sys.exit(__doc__)
    conn.close()
    return 0


def main(argv):
    if len(argv) < 3:
        sys.exit(__doc__)
    cmd, port, name, rest = argv[0], int(argv[1]), argv[2], argv[3:]
    try:
        if cmd == "probe" and rest:
            return probe(port, name, rest[0], rest[1:])
        if cmd == "memory" and len(rest) >= 4:
            return memory(port, name, rest[0], rest[1], rest[2], rest[3:])
        if cmd == "check" and len(rest) == 3:
            return check(port, name, *rest)
    except (OSError, ConnectionError, ReplyError, ValueError) as e:
        print("bench: %s step against %s (port %d) failed: %s" % (cmd, name, port, e),
              file=sys.stderr)
        return 1
    sys.exit(__doc__)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
