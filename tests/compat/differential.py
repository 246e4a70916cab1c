"""The engine of the differential tests: one scripted session against redis-server and the
target (pylond), replies compared byte for byte.

A script lists its steps and calls run():

    import differential
    from differential import cmd, raw, arity
    STEPS = [cmd("c1", "PING"), raw("c1", b"PING\r\n"), ...]
    sys.exit(differential.run("my_test", STEPS))

and is run as

    /usr/bin/python3 my_test.py <path-to-pylond> [--show]

Raw sockets, no client library: each step writes bytes on a named connection and reads its reply
frames (RESP2 or RESP3). Where a reply legitimately differs (ids, ports, versions, timings), a mask
rewrites both replies the same way before comparing. --show prints every step's reference reply.

scan_all(conn, "SCAN", "MATCH", "k*") is a step that iterates a cursor to the end and compares
the set of elements returned. A step with unordered=True compares its frames as a multiset, and
listen(conn, n) reads n frames pushed to a connection without sending anything.

Connections are opened on first use; with run(..., password=...), a name starting with "auth."
goes to a second pair of servers, started with requirepass. PYLON_TEST_TARGET=redis replaces
pylond with a second redis-server (to validate a script).
"""

import os
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import servers  # noqa: E402

READ_TIMEOUT = 10.0
TIME_BUDGET = 240.0  # seconds for the whole session: a hung server fails the run, not hangs it
SILENCE_WAIT = 0.5


# ---------------------------------------------------------------------------------------------
# RESP frames. A frame is (type, payload): type is the RESP type byte as a one-char str;
# payload is bytes for line and blob types (None for a RESP2 null "$-1" / "*-1"), a list of
# frames for aggregates (maps and attributes flattened: k1, v1, k2, v2 ...).
# serialize(parse(raw)) == raw, so comparing serialized frames is comparing bytes.

LINE_TYPES = "+-:,(#_"
BLOB_TYPES = "$=!"
AGGREGATE_TYPES = "*%~>|"


class Closed(Exception):
    pass


class Malformed(Exception):
    pass


class Reader:
    def __init__(self, sock):
        self.sock = sock
        self.buf = b""

    def _fill(self):
        try:
            data = self.sock.recv(65536)
        except socket.timeout:
            raise Closed("timeout: no reply within %.0fs" % READ_TIMEOUT)
        except ConnectionResetError:
            data = b""
        if not data:
            raise Closed("connection closed")
        self.buf += data

    def _line(self):
        while b"\r\n" not in self.buf:
            self._fill()
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def _exact(self, n):
        while len(self.buf) < n + 2:
            self._fill()
        data, tail, self.buf = self.buf[:n], self.buf[n:n + 2], self.buf[n + 2:]
        if tail != b"\r\n":
            raise Malformed("blob not followed by CRLF")
        return data

    def frame(self):
        line = self._line()
        if not line:
            raise Malformed("empty line")
        t, rest = chr(line[0]), line[1:]
        if t in LINE_TYPES:
            return (t, rest)
        try:
            n = int(rest)
        except ValueError:
            raise Malformed("bad length %r" % line)
        if t in BLOB_TYPES:
            return (t, None) if n == -1 else (t, self._exact(n))
        if t in AGGREGATE_TYPES:
            if n == -1:
                return (t, None)
            count = 2 * n if t in "%|" else n
            return (t, [self.frame() for _ in range(count)])
        raise Malformed("unknown type byte %r" % t)

    def silence(self, timeout):
        """b"silent" if nothing arrives within timeout and the connection stays open."""
        if self.buf:
            return b"unexpected data"
        self.sock.settimeout(timeout)
        try:
            return b"unexpected data" if self.sock.recv(1) else b"closed"
        except ConnectionResetError:
            return b"closed"
        except socket.timeout:
            return b"silent"
        finally:
            self.sock.settimeout(READ_TIMEOUT)

    def at_eof(self, timeout):
        """True if the peer closes the connection (within timeout) without sending more."""
        if self.buf:
            return False
        self.sock.settimeout(timeout)
        try:
            return self.sock.recv(1) == b""
        except ConnectionResetError:
            return True
        except socket.timeout:
            return False
        finally:
            self.sock.settimeout(READ_TIMEOUT)


def serialize(f):
    t, p = f
    if t == "?":  # a masked value
        return b"<" + p + b">"
    if t in LINE_TYPES:
        return t.encode() + p + b"\r\n"
    if p is None:
        return t.encode() + b"-1\r\n"
    if t in BLOB_TYPES:
        return b"%s%d\r\n%s\r\n" % (t.encode(), len(p), p)
    n = len(p) // 2 if t in "%|" else len(p)
    return b"%s%d\r\n" % (t.encode(), n) + b"".join(serialize(c) for c in p)


# ---------------------------------------------------------------------------------------------
# Masks: functions frame -> frame, applied to both replies of a step.

def masked(what):
    return ("?", what.encode() if isinstance(what, str) else what)


def mask_int(f):
    return masked("int") if f[0] == ":" else f


def mask_kv(**rules):
    """Map (RESP3) or flat key/value array (RESP2): replace the values of the given keys.
    A rule is a mask function, or "*" to replace the value whatever it is."""
    def apply(f):
        t, p = f
        if t not in "%*" or p is None or len(p) % 2:
            return f
        out = list(p)
        for i in range(0, len(out), 2):
            key = out[i][1].decode(errors="replace") if isinstance(out[i][1], bytes) else None
            if key in rules:
                rule = rules[key]
                out[i + 1] = masked(key) if rule == "*" else rule(out[i + 1])
        return (t, out)
    return apply


def mask_text(fn):
    """Applies fn to the text of a bulk (RESP2) or verbatim string (RESP3, "txt:" kept)."""
    def apply(f):
        t, p = f
        if t not in "$=" or p is None:
            return f
        prefix, body = (p[:4], p[4:]) if t == "=" else (b"", p)
        return (t, prefix + fn(body.decode(errors="replace")).encode())
    return apply


def mask_each(fn):
    """Applies fn to each element of an aggregate."""
    def apply(f):
        return f if f[1] is None or f[0] not in AGGREGATE_TYPES else (f[0], [fn(c) for c in f[1]])
    return apply


def mask_sorted_pairs(f):
    """CONFIG GET with several patterns: Redis's order is a dict's; compare sorted pairs."""
    t, p = f
    if t not in "%*" or not p:
        return f
    pairs = sorted(zip(p[0::2], p[1::2]), key=lambda kv: serialize(kv[0]))
    return (t, [x for kv in pairs for x in kv])


def mask_help(f):
    """XXX HELP: the first line (usage) and the last ("HELP" / "    Prints this help.")."""
    t, p = f
    if t != "*" or not p:
        return f
    return (t, [p[0], masked("subcommands"), p[-2], p[-1]])


def mask_sorted(f):
    """An array (or RESP3 set) whose order is a hash table's: compare its elements sorted."""
    t, p = f
    if t not in "*~" or not p:
        return f
    return (t, sorted(p, key=serialize))


mask_hello = mask_kv(version="*", id=mask_int)


# ---------------------------------------------------------------------------------------------
# Steps.

class Step:
    # drive: None, or a function Reader -> list of frames that runs the whole exchange itself
    # (several commands, each depending on the last reply); data is then only for the label.
    drive = None

    def __init__(self, conn, data, mask=None, replies=1, close=False, silent=False, label=None,
                 unordered=False):
        self.conn = conn
        # The frames of the step are compared as a multiset (pub/sub deliveries to several
        # patterns, UNSUBSCRIBE of every channel: Redis's order is its hash table's).
        self.unordered = unordered
        self.silent = silent
        self.data = data
        self.mask = mask
        self.replies = replies
        self.close = close
        self.label = label or "%s: %s" % (conn, _short(data))


def _short(data):
    s = repr(data)[2:-1]
    return s if len(s) <= 70 else s[:67] + "..."


def cmd(conn, *args, **kw):
    """A command sent as a RESP multibulk."""
    return Step(conn, servers.resp_command(*args), **kw)


def raw(conn, data, **kw):
    """Raw bytes: inline commands, pipelines, protocol errors."""
    return Step(conn, data, **kw)


def listen(conn, replies, **kw):
    """Reads frames a connection was sent without asking (pub/sub messages)."""
    kw.setdefault("label", "%s: (reads %d pushed frames)" % (conn, replies))
    return Step(conn, b"", replies=replies, **kw)


def arity(conn, *args):
    """A wrong number of arguments (the error text is compared like any reply)."""
    return cmd(conn, *args)


def scan_all(conn, *args, cursor_at=1, pairs=False, max_calls=10000, **kw):
    """A full SCAN-family iteration: args is the command without its cursor (inserted at index
    cursor_at: 1 for SCAN, 2 for HSCAN key ...). It is sent with cursor 0, then with each cursor
    returned, until "0". The step's reply is one array of every element returned, deduplicated
    and sorted (a scan's order, cursors and duplicates are a hash table's); with pairs=True
    (HSCAN, ZSCAN) elements are kept as field/value pairs. An error, or a reply that is not a
    [cursor, array] pair, ends the iteration and is the step's reply."""
    args = list(args)

    def drive(reader):
        cursor, seen = b"0", {}
        for _ in range(max_calls):
            command = servers.resp_command(*(args[:cursor_at] + [cursor] + args[cursor_at:]))
            try:
                reader.sock.sendall(command)
            except OSError as e:
                return [("!", ("send failed: %s" % type(e).__name__).encode())]
            f = reader.frame()
            t, p = f
            if (t != "*" or p is None or len(p) != 2 or p[0][0] != "$" or p[0][1] is None
                    or p[1][0] != "*" or p[1][1] is None):
                return [f]
            items = p[1][1]
            groups = zip(items[0::2], items[1::2]) if pairs else ((x,) for x in items)
            for g in groups:
                seen[b"".join(serialize(x) for x in g)] = g
            cursor = p[0][1]
            if cursor == b"0":
                return [("*", [x for k in sorted(seen) for x in seen[k]])]
        return [("!", b"no cursor 0 after %d calls" % max_calls)]

    kw.setdefault("label", "%s: %s (full iteration)" % (conn, " ".join(
        a if isinstance(a, str) else repr(a) for a in args)))
    step = Step(conn, servers.resp_command(*args), replies=0, **kw)
    step.drive = drive
    return step


# ---------------------------------------------------------------------------------------------
# Running a session against one server pair.

class Side:
    """One side of the comparison: a main server, optionally a requirepass server (for the
    connections named "auth.*"), named connections."""

    def __init__(self, main, auth=None):
        self.servers = {"": main, "auth.": auth}
        self.conns = {}

    def conn(self, name):
        c = self.conns.get(name)
        if c is None:
            server = self.servers["auth." if name.startswith("auth.") else ""]
            if server is None:
                raise OSError("no requirepass server: run() was given no password")
            sock = socket.create_connection((server.host, server.port), timeout=READ_TIMEOUT)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            c = self.conns[name] = Reader(sock)
        return c

    def run(self, step):
        """Returns a list of reply frames, plus ("!", text) entries for closes and errors."""
        out = []
        try:
            c = self.conn(step.conn)
        except OSError as e:
            return [("!", ("connect failed: %s" % type(e).__name__).encode())]
        try:
            if step.drive is None:
                c.sock.sendall(step.data)
        except OSError as e:
            out.append(("!", ("send failed: %s" % type(e).__name__).encode()))
        try:
            if step.drive is not None:
                out.extend(step.drive(c))
            for _ in range(step.replies):
                out.append(c.frame())
            if step.close:
                out.append(("!", b"closed" if c.at_eof(READ_TIMEOUT) else b"NOT closed"))
            elif step.silent:
                out.append(("?", c.silence(SILENCE_WAIT)))
        except Closed as e:
            out.append(("!", str(e).encode()))
        except Malformed as e:
            out.append(("!", ("malformed reply: %s" % e).encode()))
        if out and out[-1][0] == "!":
            self.drop(step.conn)
        return out

    def drop(self, name):
        c = self.conns.pop(name, None)
        if c:
            c.sock.close()

    def close_all(self):
        for name in list(self.conns):
            self.drop(name)


def render(frames, mask, unordered=False):
    parts = [serialize(mask(f) if mask and f[0] != "!" else f)
             if f[0] != "!" else b"<" + f[1] + b">" for f in frames]
    return b"".join(sorted(parts) if unordered else parts)


def show(b, limit=600, at=0):
    """b as an escaped string; a long one is cut to a window around byte `at`."""
    start = max(0, at - limit // 3) if len(b) > limit else 0
    s = repr(b[start:start + limit])[2:-1]
    return ("..." if start else "") + s + ("... (%d bytes)" % len(b) if start + limit < len(b)
                                           else "")



def _start_side(group, make, password, name, directives=()):
    """Starts a Side: make(directives, name) builds a server (make_reference or make_target)."""
    main = group.start(make(directives, name))
    auth = None
    if password is not None:
        auth = group.start(make([("requirepass", password)], "%s(auth)" % name))
    return Side(main, auth)


def run(name, steps, password=None, time_budget=TIME_BUDGET, ref_directives=(),
        target_directives=(), prepare=None):
    """Runs steps against redis-server and the target; prints mismatches and a summary line.
    argv[1] is the pylond binary, --show prints each step's reference reply. With a password,
    a second pair of servers is started with requirepass for the "auth.*" connections.
    ref_directives and target_directives configure each main server ("$PORT" in a value is its
    port); prepare(reference, target), if given, runs once both are up, before the steps.
    Returns the exit status (0: no mismatch, every server stopped cleanly)."""
    if password is None and any(step.conn.startswith("auth.") for step in steps):
        raise ValueError("%s: connections named auth.* need run(..., password=...)" % name)
    pylond = servers.pylond_from_argv(name)
    verbose = "--show" in sys.argv
    passed = failed = 0
    try:
        with servers.Servers() as group:
            ref = _start_side(group, lambda d, n: servers.make_reference(d, name=n), password,
                              "redis", ref_directives)
            tgt = _start_side(group, lambda d, n: servers.make_target(pylond, d, name=n),
                              password, None, target_directives)
            if prepare:
                prepare(ref.servers[""], tgt.servers[""])
            deadline = time.monotonic() + time_budget
            for i, step in enumerate(steps):
                if time.monotonic() > deadline:
                    failed += len(steps) - i
                    print("%s: time budget of %.0fs exceeded: %d steps not run"
                          % (name, time_budget, len(steps) - i))
                    break
                want_frames = ref.run(step)
                got_frames = tgt.run(step)
                want = render(want_frames, step.mask, step.unordered)
                got = render(got_frames, step.mask, step.unordered)
                if verbose:
                    print("%-72s %s" % (step.label, show(want, 300)))
                if want == got:
                    passed += 1
                else:
                    failed += 1
                    at = next((k for k, (a, b) in enumerate(zip(want, got)) if a != b),
                              min(len(want), len(got)))
                    print("MISMATCH %s (first difference at byte %d)\n  redis:  %s\n  %-7s %s"
                          % (step.label, at, show(want, at=at), servers.TARGET + ":",
                             show(got, at=at)))
            ref.close_all()
            tgt.close_all()
    except servers.ServerError as e:
        print("%s: could not start servers: %s" % (name, e))
        print("%s: %d passed, %d failed" % (name, passed, failed + 1))
        return 1
    for problem in group.problems:
        print("%s: %s" % (name, problem))
        failed += 1
    print("%s: %d passed, %d failed" % (name, passed, failed))
    return 1 if failed else 0
