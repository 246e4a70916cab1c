#!/usr/bin/python3
"""Command fuzzer for pylond (Python 3, standard library only).

Starts pylond on a free loopback port with the append-only log on, reads its command table
(COMMAND, COMMAND DOCS), and from it generates well-formed calls of every command (and now and
then a deliberately wrong one), sent as single calls, pipelines, transactions, pub/sub and
blocking calls over several RESP2/RESP3 connections. It fails on a crash, a sanitizer report, a
hang, or a key that does not come back equal after a SIGTERM and a restart on the same log.

    command_fuzz.py PYLOND [--seed N | --seeds FILE] [--seconds S] [--ops N] [--out DIR]
    command_fuzz.py PYLOND --replay DIR/repro-N.txt       # resend a reproducer, then restart-check

CI (one fixed seed, bounded time), with a pylond built with -DPYLON_SANITIZE=ON:
    /usr/bin/python3 tests/fuzz/command_fuzz.py build/asan-fuzz/daemon/pylond --seed 1 \\
        --seconds 120 --out /tmp/command-fuzz

A reproducer has one call per line, a JSON list: the connection's name, then the arguments
(bytes as latin-1 code points). Calls are the same for a given seed except the values echoed
back from replies (queue ids, lease and semaphore tokens, client ids) and the absolute times.
"""

import argparse
import collections
import json
import os
import random
import select
import signal
import socket
import subprocess
import sys
import tempfile
import time

HOST = "127.0.0.1"
MAIN_TIMEOUT = 10.0   # a main connection silent this long is a hang
STALL_SECONDS = 1.0   # a single call slower than this is reported
SANITIZER_MARKS = (b"runtime error", b"AddressSanitizer", b"LeakSanitizer", b"SUMMARY: ")

# Left out because they would end or wedge the run (everything else is generated):
EXCLUDED = {
    "shutdown": "stops the server",
    "quit": "closes the connection",
    "monitor": "turns the connection into a stream", "debug": "can crash the server on purpose",
    "client|kill": "would close the fuzzer's own connections",
    "client|pause": "would stall every connection", "client|no-evict": "changes eviction rules",
    "client|reply": "would break the one-reply-per-call count",
    "cluster|reload": "node to node (resharding)", "cluster|import": "node to node",
    "cluster|handover": "node to node", "cluster|peer": "node to node",
    "testclock": "exists only with enable-test-clock yes; the run uses the real clock",
}
# CONFIG SET directives that would stop the run or cut the fuzzer off (all others are fuzzed):
# where the server listens or logs, authentication, client limits that would disconnect the
# fuzzer's own connections or refuse its large values, cluster mode, and the test clock.
CONFIG_FROZEN = {"port", "bind", "dir", "appendonly", "appendfilename", "enable-test-clock",
                 "maxclients", "requirepass", "timeout", "client-output-buffer-limit",
                 "client-query-buffer-limit", "proto-max-bulk-len", "unixsocket", "logfile",
                 "pidfile", "daemonize"}
CONFIG_VALUES = {
    "maxmemory": ["0", "0", "0", "1gb", "100mb", "20mb"],
    "maxmemory-policy": ["noeviction", "allkeys-lru", "allkeys-lfu", "volatile-lru", "volatile-ttl",
                         "allkeys-random", "allkeys-sieve", "allkeys-s3fifo", "volatile-s3fifo"],
    "appendfsync": ["always", "everysec", "no"], "loglevel": ["notice", "warning", "verbose"],
    "hz": ["1", "10", "100", "500"], "aof-load-corrupt": ["yes", "no"],
    "auto-aof-rewrite-min-size": ["1mb", "64mb", "1"], "auto-aof-rewrite-percentage": ["0", "100", "1"],
    "bf-max-memory": ["128mb", "1mb", "0", "1"],
}
CONFIG_BOUNDED = {"maxmemory", "bf-max-memory"}   # only values from the list: the machine's memory

# Calls the generator steers around: bugs already reported (so a run can find new ones) and
# documented costs the stall report would flag every time (--include-known sends them too).
# Each is (description, predicate on the call's arguments).
KNOWN_BUGS = [
    ("maglev TABLESIZE in the millions: each change of the ring rebuilds the whole table in "
     "the loop, most of a second (a documented cost, docs/commands.md RING.CONFIG), which the "
     "stall report would flag in every seed",
     lambda a: a[0].upper() == b"RING.CONFIG" and any(v > 1000000 for v in option_ints(a, b"TABLESIZE"))),
]

INTERESTING_INTS = ["0", "1", "-1", "2", "2147483647", "2147483648", "4294967296", "9007199254740992",
                    "4611686018427387904", "9223372036854775807", "-9223372036854775808",
                    "9223372036854775808", "NaN", "nan", "inf", "-inf", "1e308", "0.5", "-0.0", "",
                    "abc", "-2147483649", "18446744073709551615", "4398046511104", "4398046511105",
                    "1099511627776", "1099511627777", "4294967295", "65535", "1000000", "1000001"]
INTERESTING_DOUBLES = ["0", "1", "-1", "0.5", "-0.0", "1e308", "-1e308", "inf", "-inf", "+inf",
                       "nan", "NaN", "1e-300", "5e-324", "0.001", "0.01", "0.99", "2.5", "abc", "",
                       "0x10", "1e3", "9223372036854775808", "12.345", "100.001"]
SMALL_TIMES = [0, 1, 2, 5, 10, 50, 100, 250, 1000, 2000, 5000, 30000, 60000, 3600000]
FAMILY_OF_PREFIX = {"rl": "rl", "cl": "rl", "q": "q", "bf": "bf", "ring": "ring", "cb": "cb",
                    "sem": "sem", "exp": "exp", "cache": "cache", "retry": "retry", "idem": "idem"}
FAMILIES = ["k"] + sorted(set(FAMILY_OF_PREFIX.values()))
CHANNELS = [b"ch:0", b"ch:1", b"ch:2", b"__breaker__:cb:0", b"__queue__:deadletter:q:0"]
PATTERNS = [b"*", b"ch:*", b"k:?", b"[a-z]*", b"\\", b"[", b"[^a]*", b"", b"__*", b"rl:[0-3]",
            b"a*a*a*a*a*a*a*a*a*a*a*a*a*a*b", b"*" * 40 + b"x", b"[\\"]
TYPES = [b"string", b"ratelimit", b"queue", b"MBbloom--", b"ring", b"experiment", b"breaker",
         b"semaphore", b"retry", b"idempotency", b"cache", b"none", b"bogus"]
TX_CONTROL = {"multi", "exec", "discard", "reset", "watch", "unwatch"}


def option_ints(args, token):
    """The integer values that follow `token` (any case) in a call; unparsable ones are skipped."""
    out = []
    for i in range(len(args) - 1):
        if args[i].upper() == token:
            try:
                out.append(int(args[i + 1]))
            except ValueError:
                pass
    return out


# ---------------------------------------------------------------- RESP2 / RESP3 wire format

class Err(bytes):
    """An error reply (-... or !...): kept apart from strings so it can be counted."""


class Map(list):
    """A RESP3 map (%), as a list of (key, value) pairs: keys may be arrays."""


class NeedMore(Exception):
    """The buffer ends inside a value: read more."""


class ProtocolError(ConnectionError):
    """The server sent bytes that are no RESP value (reported as a lost connection)."""


def encode(args):
    """A call as a RESP multibulk (binary-safe)."""
    out = [b"*%d\r\n" % len(args)]
    for a in args:
        out.append(b"$%d\r\n%s\r\n" % (len(a), a))
    return b"".join(out)


def parse(buf, pos):
    """Parses one RESP2/RESP3 value at buf[pos:]; returns (value, next position)."""
    end = buf.find(b"\r\n", pos)
    if end < 0:
        raise NeedMore
    t, line, pos = buf[pos:pos + 1], bytes(buf[pos + 1:end]), end + 2
    if t == b"+":
        return line, pos
    if t == b"-":
        return Err(line), pos
    if t in (b":", b"("):
        return int(line), pos
    if t == b",":
        return ("double", line), pos   # kept as text: nan must compare equal to itself
    if t == b"#":
        return line == b"t", pos
    if t == b"_":
        return None, pos
    if t in (b"$", b"=", b"!"):
        n = int(line)
        if n < 0:
            return None, pos
        if len(buf) < pos + n + 2:
            raise NeedMore
        data = bytes(buf[pos:pos + n])
        if buf[pos + n:pos + n + 2] != b"\r\n":
            raise ProtocolError("bulk of %d bytes not followed by CRLF" % n)
        return (Err(data) if t == b"!" else data[4:] if t == b"=" else data), pos + n + 2
    if t in (b"*", b"~", b">", b"%", b"|"):
        n = int(line)
        if n < 0:
            return None, pos
        items = []
        for _ in range(n * 2 if t in (b"%", b"|") else n):
            v, pos = parse(buf, pos)
            items.append(v)
        if t == b"|":          # an attribute: the value it annotates follows
            return parse(buf, pos)
        if t == b"%":
            return Map(zip(items[::2], items[1::2])), pos
        return items, pos
    raise ProtocolError("unknown type byte %r" % t)


def reply_kind(buf):
    """The type name of the value at the start of buf, attributes skipped (for the summary)."""
    names = {b"+": "simple", b"-": "error", b":": "integer", b"$": "bulk", b"*": "array",
             b"_": "null", b",": "double", b"#": "boolean", b"(": "bignum", b"=": "verbatim",
             b"!": "error", b"~": "set", b"%": "map", b">": "push"}
    pos = 0
    while buf[pos:pos + 1] == b"|":   # attributes: the kind is the annotated value's
        end = buf.find(b"\r\n", pos)
        n, pos = int(buf[pos + 1:end]), end + 2
        for _ in range(2 * n):
            _, pos = parse(buf, pos)
    return "null" if buf[pos:pos + 3] in (b"$-1", b"*-1") else names.get(bytes(buf[pos:pos + 1]), "?")


class Conn:
    """One client connection: pipelined sends and replies read with a deadline."""

    def __init__(self, port, name):
        self.name = name
        self.sock = socket.create_connection((HOST, port), timeout=MAIN_TIMEOUT)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = bytearray()

    def send(self, calls):
        """Writes the calls, reading replies meanwhile so neither side's buffers can fill."""
        data = memoryview(b"".join(encode(c) for c in calls))
        deadline = time.monotonic() + MAIN_TIMEOUT
        while data:
            if time.monotonic() > deadline:
                raise TimeoutError("send to %s" % self.name)
            readable, writable, _ = select.select([self.sock], [self.sock], [], 1.0)
            if readable:
                self._recv()
            if writable:
                data = data[self.sock.send(data[:1 << 20]):]

    def _recv(self):
        chunk = self.sock.recv(1 << 20)
        if not chunk:
            raise ConnectionError("%s closed by the server" % self.name)
        self.buf += chunk

    def read(self, timeout=MAIN_TIMEOUT):
        """The next reply as (kind, value); TimeoutError or ConnectionError otherwise."""
        deadline = time.monotonic() + timeout
        while True:
            if self.buf:
                try:
                    value, end = parse(self.buf, 0)
                    kind = reply_kind(self.buf)
                    del self.buf[:end]
                    return kind, value
                except NeedMore:
                    pass
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not select.select([self.sock], [], [], remaining)[0]:
                raise TimeoutError("no reply on %s within %.1f s" % (self.name, timeout))
            self._recv()

    def call(self, *args, timeout=MAIN_TIMEOUT):
        """One call, its reply's value."""
        self.send([[a if isinstance(a, bytes) else str(a).encode() for a in args]])
        return self.read(timeout)[1]

    def close(self):
        self.sock.close()


# ---------------------------------------------------------------- the server process

class Server:
    """A pylond process on a free loopback port, its stderr kept in a file for sanitizer reports."""

    def __init__(self, binary, workdir):
        self.binary, self.workdir = binary, workdir
        self.datadir = os.path.join(workdir, "data")
        os.makedirs(self.datadir, exist_ok=True)
        self.proc, self.port, self.err_seen, self.starts = None, None, 0, 0

    def start(self):
        """Starts pylond and waits until it answers PING (not -LOADING): the log is loaded."""
        with socket.socket() as s:
            s.bind((HOST, 0))
            self.port = s.getsockname()[1]
        self.starts += 1
        self.err_path = os.path.join(self.workdir, "stderr-%d.txt" % self.starts)
        env = dict(os.environ, ASAN_OPTIONS="detect_leaks=0:abort_on_error=0",
                   UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1")
        cmd = [self.binary, "--port", str(self.port), "--bind", HOST, "--appendonly", "yes",
               "--dir", self.datadir, "--appendfsync", "everysec", "--enable-test-clock", "no"]
        with open(self.err_path, "wb") as err, open(os.path.join(self.workdir, "stdout.txt"), "ab") as out:
            self.proc = subprocess.Popen(cmd, stdout=out, stderr=err, env=env)
        self.err_seen = 0
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("pylond exited with %s at start:\n%s" % (self.proc.returncode, self.stderr_tail()))
            try:
                c = Conn(self.port, "start")
                reply = c.call(b"PING")
                c.close()
                if reply == b"PONG":
                    return
            except (OSError, ConnectionError):
                pass
            time.sleep(0.05)
        raise RuntimeError("pylond did not finish loading within 300 s")

    def alive(self):
        return self.proc.poll() is None

    def stop(self):
        """SIGTERM (the log is fsynced), then the exit code; SIGKILL after 120 s."""
        if self.alive():
            self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(120)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            return "hung on SIGTERM (killed)"

    def new_stderr(self):
        """What the server wrote to stderr since the last call (to spot sanitizer reports)."""
        with open(self.err_path, "rb") as f:
            f.seek(self.err_seen)
            data = f.read()
        self.err_seen += len(data)
        return data

    def stderr_tail(self, lines=80):
        with open(self.err_path, "rb") as f:
            return b"\n".join(f.read().splitlines()[-lines:]).decode("utf-8", "replace")


class Failure(Exception):
    """The run found something: kind ('crash', 'hang', 'sanitizer', 'restart difference'...)."""

    def __init__(self, kind, detail, keys=()):
        super().__init__("%s: %s" % (kind, detail))
        self.kind, self.detail, self.keys = kind, detail, keys


# ---------------------------------------------------------------- the command model

class Arg:
    """One argument of COMMAND DOCS: name, type, token, flags and, for oneof/block, children."""

    def __init__(self, doc):
        d = {k.decode(): v for k, v in doc}
        self.name, self.type = d["name"].decode(), d["type"].decode()
        self.token = d.get("token")
        flags = {f.decode() for f in d.get("flags") or []}
        self.optional, self.multiple = "optional" in flags, "multiple" in flags
        self.multiple_token = "multiple_token" in flags
        self.children = [Arg(c) for c in d.get("arguments") or []]


class Spec:
    """A command or subcommand: its words, arity, flags, group and argument tree."""

    def __init__(self, name, info, doc):
        self.name = name
        self.words = [w.upper().encode() for w in name.split("|")]
        self.arity, self.flags = info[1], {f.decode() for f in info[2]}
        d = {k.decode(): v for k, v in doc}
        self.group = (d.get("group") or b"").decode()
        self.args = [Arg(a) for a in d.get("arguments") or []]
        self.container = bool(info[9])
        prefix = name.split(".")[0] if "." in name else ""
        self.family = FAMILY_OF_PREFIX.get(prefix, "k" if self.group == "string" else None)
        self.subscribe = name.endswith("subscribe")
        tokens, stack = set(), list(self.args)
        while stack:
            a = stack.pop()
            tokens.add(a.token)
            stack += a.children
        self.block_option = b"BLOCK" in tokens


def load_specs(conn):
    """Every command and subcommand the server serves, from COMMAND and COMMAND DOCS (RESP3),
    and the directives CONFIG SET may change."""
    conn.call(b"HELLO", b"3")
    directives = sorted(k.decode() for k, _ in conn.call(b"CONFIG", b"GET", b"*"))
    docs = {k.decode(): v for k, v in conn.call(b"COMMAND", b"DOCS")}
    specs = {}
    for info in conn.call(b"COMMAND"):
        name = info[0].decode()
        doc = docs.get(name, Map())
        specs[name] = Spec(name, info, doc)
        subdocs = {k.decode(): v for k, v in dict(doc).get(b"subcommands", Map())}
        for sub in info[9]:
            subname = sub[0].decode()
            specs[subname] = Spec(subname, sub, subdocs.get(subname, Map()))
    conn.call(b"HELLO", b"2")
    return specs, [d for d in directives if d not in CONFIG_FROZEN and not d.startswith("cluster-")] + ["nosuch"]


# ---------------------------------------------------------------- generating calls

class Generator:
    """Turns specs into calls: values by argument name and type, keys from per-family pools."""

    def __init__(self, rng, table, client_ids):
        (self.specs, self.directives), self.rng, self.client_ids = table, rng, client_ids
        specs = self.specs
        self.learned = collections.deque(maxlen=64)    # ids and tokens the server handed out
        self.chunks = collections.deque(maxlen=16)     # (iterator, data) from BF.SCANDUMP
        self.pools = {f: [b"%s:%d" % (f.encode(), i) for i in range(8)] for f in FAMILIES}
        self.pools["k"].append(b"k:" + b"a" * 300)
        self.all_keys = {k for pool in self.pools.values() for k in pool}
        names = sorted(n for n in specs if n not in EXCLUDED)
        self.weights = {n: 0.03 if n in ("flushall", "flushdb") else 0.1 if n == "bgrewriteaof"
                        else 0.3 if specs[n].container else 1.0 for n in names}
        self.main_names = [n for n in names if not specs[n].subscribe]
        self.sub_names = [n for n in names if specs[n].subscribe]
        self.generated = collections.Counter()
        self.steered = collections.Counter()   # calls of known bugs not sent
        self.named = self._named_values()

    def pick(self, names):
        """A command name, weighted (FLUSHALL and BGREWRITEAOF rarely)."""
        return self.rng.choices(names, [self.weights[n] for n in names])[0]

    def call(self, names):
        """One generated call of a command drawn from `names`, steering around known bugs."""
        while True:
            spec = self.specs[self.pick(names)]
            args = list(spec.words)
            custom = getattr(self, "custom_" + spec.name.replace("|", "_").replace(".", "_"), None)
            if custom:
                args += custom(spec)
            elif not spec.container or self.rng.random() < 0.5:
                self.gen_seq(spec.args, args, spec)
            else:
                args.append(self.rng.choice([b"HELP", b"NOSUCH", b""]))
            args = self.mutate(args)
            known = [desc for desc, pred in KNOWN_BUGS if pred(args)]
            if INCLUDE_KNOWN or not known:
                self.generated[spec.name] += 1
                return args
            self.steered[known[0]] += 1

    def mutate(self, args):
        """Sometimes deliberately wrong: an argument dropped, one added, an unknown token."""
        r = self.rng.random()
        pos = self.rng.randint(1, max(1, len(args)))
        if r < 0.03 and len(args) > 1:
            del args[min(pos, len(args) - 1)]
        elif r < 0.05:
            args.insert(pos, self.string())
        elif r < 0.06:
            args.insert(pos, b"BOGUS")
        elif r < 0.065:
            args[0] = b"NOSUCH" + args[0]
        return args

    def gen_seq(self, seq, out, spec):
        """A sequence of arguments; a count (numkeys, numtags) usually matches what follows it."""
        for i, arg in enumerate(seq):
            self.gen_arg(arg, out, spec)
            if arg.name in ("numkeys", "numtags") and out and self.rng.random() < 0.8:
                pos, before = len(out) - 1, len(out)
                for rest in seq[i + 1:]:
                    self.gen_arg(rest, out, spec)
                out[pos] = str(len(out) - before).encode()
                return

    def gen_arg(self, arg, out, spec, force=False):
        """One argument: skipped if optional (half the time), repeated if multiple."""
        rng = self.rng
        if arg.optional and not force and rng.random() < 0.5:
            return
        reps = 1 if not arg.multiple else rng.choice((1, 1, 2, 3)) if rng.random() < 0.9 else rng.randint(4, 40)
        for r in range(reps):
            if arg.token is not None and (arg.type == "pure-token" or r == 0 or arg.multiple_token):
                out.append(self.token(arg.token))
            if arg.type == "oneof":
                choice = rng.choice(arg.children)
                if all(c.type == "string" for c in arg.children):
                    # Lower-case alternatives are literal words. "[ALGO ketama|jump|...]" (RING.CONFIG,
                    # and RETRY.NEXT's JITTER) reaches COMMAND DOCS with the token on the first
                    # alternative only: every alternative takes it.
                    token = next((c.token for c in arg.children if c.token), None)
                    out += ([self.token(token)] if token else []) + [self.token(choice.name.encode())]
                else:
                    self.gen_arg(choice, out, spec, force=True)
            elif arg.type == "block":
                self.gen_seq(arg.children, out, spec)
            elif arg.type != "pure-token":
                out.append(self.value(arg, spec))

    def token(self, tok):
        r = self.rng.random()
        return tok.lower() if r < 0.05 else tok.swapcase() if r < 0.08 else tok

    def value(self, arg, spec):
        """A key from the pools; else a value by argument name (see _named_values), else by type."""
        f = None if arg.type == "key" else self.named.get((spec.name, arg.name)) or self.named.get(arg.name)
        if f is None:
            f = {"integer": self.integer, "double": self.double, "key": lambda: self.key(spec),
                 "pattern": self.pattern, "unix-time": lambda: self.unix_time(arg.name)}.get(arg.type, self.string)
        return f()

    def _named_values(self):
        """Values for arguments whose name says more than their type."""
        rng, ch = self.rng, self.rng.choice
        small = lambda *v: (lambda: str(ch(v)).encode() if rng.random() < 0.75 else self.integer())
        pool = lambda *v: (lambda: ch(v) if rng.random() < 0.9 else self.string())
        times = lambda: str(ch(SMALL_TIMES)).encode() if rng.random() < 0.75 else self.integer()
        return {
            "milliseconds": times, "ms": times, "seconds": small(0, 1, 2, 10, 100, 3600),
            "count": small(1, 2, 3, 10, 100, 0), "limit": small(1, 2, 3, 5, 10, 100),
            "burst": small(1, 2, 5, 10), "cost": small(0, 1, 2, 5), "max_burst": small(0, 1, 5, 10),
            "count_per_period": small(1, 5, 30), "period": small(1, 10, 60), "quantity": small(0, 1, 2),
            "capacity": small(1, 2, 10, 100, 1000, 0), "expansion": small(1, 2, 4, 0),
            "error_rate": lambda: ch([b"0.01", b"0.001", b"0.1", b"0.5"]) if rng.random() < 0.7 else self.double(),
            "error": lambda: ch([b"0.01", b"0.001", b"0.1"]) if rng.random() < 0.7 else self.double(),
            "weight": small(0, 1, 2, 3, 100, 65535, 65536), "vnodes": small(4, 160, 4096, 3, 4097),
            "tablesize": small(65537, 7, 13, 16777213, 4, 65536), "slot": small(0, 16383, 16384),
            "cursor": lambda: self.learned_or(self.integer), "index": small(0, 1), "protover": small(2, 3, 1, 4),
            "offset": small(0, 1, 5, 100, 1000), "start": small(0, 1, -1, 5, -100),
            "end": small(0, 1, -1, 5, -100), "pct": small(0, 1, 50, 100, 101),
            "n": small(1, 5, 10, 100, 100000, 100001), "size": small(1, 5, 10, 100000, 100001),
            "attempts": small(1, 3, 10, 1000000), "iterator": lambda: self.learned_or(small(0, 1, 2)),
            "client-id": lambda: str(ch(self.client_ids)).encode() if self.client_ids and rng.random() < 0.8 else self.integer(),
            "percent": lambda: ch([b"0", b"12.5", b"100", b"100.001", b"33.33", b"-1"]) if rng.random() < 0.8 else self.double(),
            "id": lambda: self.learned_or(self.string), "token": lambda: self.learned_or(self.string),
            "ring": lambda: ch(self.pools["ring"]), "exp": lambda: ch(self.pools["exp"]),
            "channel": lambda: ch(CHANNELS), "shardchannel": lambda: ch(CHANNELS[:3]),
            "pattern": self.pattern, "type": lambda: ch(TYPES),
            "section": pool(b"server", b"clients", b"memory", b"persistence", b"stats", b"keyspace",
                            b"all", b"everything", b"default", b"commandstats", b"errorstats", b"queues", b"bogus"),
            "command-name": lambda: ch(list(self.specs)).encode() if rng.random() < 0.9 else b"nosuch",
            "category": pool(b"@string", b"string", b"keyspace", b"pubsub", b"ratelimit", b"nosuch"),
            "username": pool(b"default", b"nobody"), "password": pool(b"", b"secret"),
            "algorithm": pool(b"token", b"leaky", b"fixed", b"sliding", b"sliding-log", b"gcra", b"nosuch"),
            "node": lambda: ch([b"n0", b"n1", b"n2", b"10.0.1.1:11211", b""]) if rng.random() < 0.7
            else b"n%d" % rng.randrange(5000),   # rings of hundreds of nodes too
            "name": pool(b"a", b"b", b"c", b""), "user": pool(*[b"u%d" % i for i in range(10)]),
            "tag": pool(b"t0", b"t1", b"t2"), "fingerprint": pool(b"f0", b"f1"),
            "attribute": pool(b"country", b"age", b"plan"),
            "op": pool(b"eq", b"=", b"ne", b"!=", b"lt", b"<", b"le", b"<=", b"gt", b">", b"ge", b">=",
                       b"in", b"notin", b"~"),
            "item": lambda: ch([b"i0", b"i1", b"i2", b"i3"]) if rng.random() < 0.5 else self.string(),
            ("exp.assign", "value"): pool(b"de", b"fr", b"17", b"42.5", b"de,fr", b"pro"),
            ("exp.define", "value"): pool(b"de", b"18", b"de,fr,it", b"x", b"1e400"),
            ("cluster|keyslot", "key"): lambda: self.key(None),
        }

    def learned_or(self, fallback):
        """A value the server handed out (70%), else the fallback; the RNG use does not depend
        on the server's replies, so a seed's draws stay the same."""
        v, r, i = fallback(), self.rng.random(), self.rng.randrange(1 << 20)
        return self.learned[i % len(self.learned)] if self.learned and r < 0.7 else v

    def integer(self):
        if self.rng.random() < 0.3:
            return str(self.rng.randint(-1000, 100000)).encode()
        return self.rng.choice(INTERESTING_INTS).encode()

    def double(self):
        if self.rng.random() < 0.3:
            return repr(self.rng.uniform(-1000, 1000)).encode()
        return self.rng.choice(INTERESTING_DOUBLES).encode()

    def unix_time(self, name):
        """A time near now (so expiries fall in the run), or an interesting integer."""
        if self.rng.random() < 0.3:
            return self.integer()
        ms = int(time.time() * 1000) + self.rng.choice((-60000, -1, 0, 500, 5000, 60000, 86400000))
        return str(ms if name.endswith("milliseconds") else ms // 1000).encode()

    def string(self):
        """Empty, short, binary (NUL, CRLF), UTF-8, numeric-looking, or 1-100 KB now and then."""
        r, rng = self.rng.random(), self.rng
        if r < 0.01:
            return bytes([rng.randrange(256)]) * rng.randint(1024, 100 * 1024)
        if r < 0.1:
            return rng.choice([b"", b"\x00", b"a\r\nb", b"\r\n", b"\xff\xfe\x00x", "héllo 世界".encode()])
        if r < 0.2:
            return self.integer()
        return bytes(rng.choice(b"abcxyz:01 *?[]\\") for _ in range(rng.randint(1, 12)))

    def pattern(self):
        return self.rng.choice(PATTERNS) if self.rng.random() < 0.8 else self.string()

    def key(self, spec):
        """A key of the command's family; sometimes another family's (to provoke WRONGTYPE)."""
        family = spec.family if spec is not None else None
        if family is None or self.rng.random() < 0.05:
            family = self.rng.choice(FAMILIES)
        return self.rng.choice(self.pools[family])

    # Commands whose arguments no argument tree can describe well enough.
    def custom_config_set(self, spec):
        """Pairs of directive and value, never a directive that would stop the run."""
        out = []
        for _ in range(self.rng.choice((1, 1, 2))):
            name = self.rng.choice(self.directives)
            vals = CONFIG_VALUES.get(name)
            bounded = name in CONFIG_BOUNDED or self.rng.random() < 0.8
            value = self.rng.choice(vals).encode() if vals and bounded else self.integer()
            out += [name.encode(), value]
        return out

    def custom_rl_allowall(self, spec):
        """numkeys, the keys, then (usually) one RL.ALLOW rule per key."""
        keys = [self.key(spec) for _ in range(self.rng.randint(1, 4))]
        nrules = len(keys) if self.rng.random() < 0.8 else self.rng.randint(0, 5)
        numkeys = str(len(keys)).encode() if self.rng.random() < 0.9 else self.integer()
        rules = []
        for _ in range(nrules):
            self.gen_seq(self.specs["rl.allow"].args[1:], rules, self.specs["rl.allow"])
        return [numkeys] + keys + rules

    def custom_command_getkeys(self, spec):
        """A whole generated call of another command."""
        return self.call(self.main_names)

    custom_command_getkeysandflags = custom_command_getkeys

    def custom_bf_loadchunk(self, spec):
        """Mostly a chunk BF.SCANDUMP handed out, so loads succeed and build real filters."""
        key, r, i = self.key(spec), self.rng.random(), self.rng.randrange(1 << 20)
        if self.chunks and r < 0.6:
            it, data = self.chunks[i % len(self.chunks)]
            return [key, it, data]
        return [key, self.integer(), self.string()]

    def learn(self, call, value):
        """Keeps ids, tokens and dump chunks from replies, to be sent back later."""
        name = call[0].upper()
        if name == b"BF.SCANDUMP" and isinstance(value, list) and len(value) == 2 and value[1]:
            self.chunks.append((str(value[0]).encode(), value[1]))
        elif name.split(b".")[0] in (b"Q", b"SEM", b"CACHE", b"IDEM"):
            stack = [value]
            while stack:
                v = stack.pop()
                if isinstance(v, list):
                    stack.extend(v[:20])
                elif isinstance(v, bytes) and not isinstance(v, Err) and 0 < len(v) <= 40 \
                        and v not in (b"OK", b"QUEUED"):
                    self.learned.append(v)


# ---------------------------------------------------------------- the run

def printable(call, limit=200):
    """A call for the terminal: JSON, long values shortened."""
    return json.dumps([a if isinstance(a, str) else (a.decode("latin-1") if len(a) <= limit else
                       "<%d bytes: %r...>" % (len(a), a[:16])) for a in call])


class Fuzzer:
    """One seed against one fresh server: batches until time or calls run out, then the
    restart check. Raises Failure on anything worth reporting."""

    def __init__(self, server, seed, deadline, max_ops):
        self.server, self.seed, self.deadline, self.max_ops = server, seed, deadline, max_ops
        self.rng = random.Random(seed)
        self.history = collections.deque(maxlen=200)
        self.by_key = collections.defaultdict(lambda: collections.deque(maxlen=200))
        self.seq = 0
        self.kinds, self.errors = collections.Counter(), collections.Counter()
        self.stalls = []
        self.succeeded = set()   # commands that got at least one reply other than an error
        self.conns = {}
        self.client_ids = collections.deque(maxlen=8)   # for CLIENT UNBLOCK
        self.blocked = None   # the call waiting on the blocking connection, if any

    # -- connections
    def conn(self, name):
        """The named connection, (re)opened on demand; its id goes to the CLIENT UNBLOCK pool."""
        if name not in self.conns:
            c = Conn(self.server.port, name)
            self.conns[name] = c
            c.id = c.call(b"CLIENT", b"ID")
            self.client_ids.append(c.id)
        return self.conns[name]

    def drop(self, name):
        c = self.conns.pop(name, None)
        if c:
            c.close()
        if name == "blk":
            self.blocked = None

    def record(self, conn_name, calls):
        for call in calls:
            self.seq += 1
            entry = (self.seq, conn_name, call)
            self.history.append(entry)
            for a in call[1:]:
                if a in self.gen.all_keys:
                    self.by_key[a].append(entry)

    def account(self, call, kind, value):
        """Counts a reply by type (errors by their first word) and learns from it."""
        self.kinds[kind] += 1
        if isinstance(value, Err):
            self.errors[(value.split(b" ", 1)[0] or b"?").decode("latin-1")] += 1
        else:
            name = call[0].lower().decode("latin-1")
            sub = name + "|" + call[1].lower().decode("latin-1") if len(call) > 1 else ""
            self.succeeded.add(sub if sub in self.gen.specs else name)
        self.gen.learn(call, value)

    def run_calls(self, name, calls):
        """Sends calls on a main connection and reads one reply each, timing every reply. The
        server writes a loop turn's replies together, so a slow call of a pipeline shows as a
        gap before the first reply of its turn: the calls whose replies come in that burst are
        the suspects of a stall."""
        c = self.conn(name)
        self.record(name, calls)
        start = time.monotonic()
        c.send(calls)
        stall = None
        for call in calls:
            kind, value = c.read()
            now = time.monotonic()
            if now - start > STALL_SECONDS:
                stall = [int((now - start) * 1000)]
                self.stalls.append(stall)
            elif now - start > 0.01:
                stall = None
            if stall is not None and len(stall) <= 8:
                stall.append(printable(call))
            start = now
            self.account(call, kind, value)

    def sync(self, name, calls):
        """Sends calls on a connection whose reply count is unknown (pub/sub frames), then a
        PING with a marker, and reads until the marker's answer."""
        marker = b"sync-%d" % self.seq
        calls = calls + [[b"PING", marker]]
        c = self.conn(name)
        self.record(name, calls)
        c.send(calls)
        while True:
            kind, value = c.read()
            self.kinds[kind] += 1
            if value == marker or (isinstance(value, list) and value[-1:] == [marker]):
                return

    # -- batches
    def batch(self):
        """One batch of a random kind; the main connections must answer every call."""
        r, rng, gen = self.rng.random(), self.rng, self.gen
        main = rng.choice(("c0", "c1"))
        if r < 0.45:
            calls = [gen.call(gen.main_names) for _ in range(rng.randint(1, 50) if r < 0.3 else 1)]
            self.run_calls(main, [c for c in calls if not self.blocking(c)])
            for c in [c for c in calls if self.blocking(c)][:1]:
                self.block(c)
        elif r < 0.6:
            self.transaction(main)
        elif r < 0.65:
            conn = rng.choice(("c0", "c1", "ps", "blk"))
            hello = [[b"HELLO", rng.choice((b"2", b"3"))]]
            if conn == "ps":
                self.sync(conn, hello)
            elif conn != "blk" or self.blocked is None:
                self.run_calls(conn, hello)
        elif r < 0.8:
            self.pubsub()
        elif r < 0.93:
            self.block(self.blocking_call())
        elif r < 0.95:   # a client that goes away in any state (MULTI, WATCH, subscribed ...)
            self.drop(rng.choice((main, "ps")))
        else:
            self.run_calls(main, [[b"PUBLISH", rng.choice(CHANNELS), gen.string()]])

    def blocking(self, call):
        """A call with a BLOCK option, or of a blocking command that has none."""
        spec = self.gen.specs.get(call[0].lower().decode("latin-1"))
        return any(a.upper() == b"BLOCK" for a in call) or (
            spec is not None and "blocking" in spec.flags and not spec.block_option)

    def blocking_call(self):
        """A call that may block: Q.POP or CACHE.FETCH with BLOCK."""
        gen = self.gen
        for _ in range(100):
            call = gen.call(["q.pop", "cache.fetch"])
            if self.blocking(call):
                return call
        return [b"Q.POP", gen.key(gen.specs["q.pop"]), b"BLOCK", b"0"]

    def block(self, call):
        """The blocking connection: first finishes the call left waiting there (CLIENT UNBLOCK
        and read, a short read, or a disconnect), then leaves this one waiting."""
        if self.blocked is not None:
            c, r = self.conns["blk"], self.rng.random()
            if r < 0.4:   # from the probe connection: c0 and c1 may be inside a MULTI
                self.run_calls("probe", [[b"CLIENT", b"UNBLOCK", self.blocked,
                                       self.rng.choice([b"TIMEOUT", b"ERROR"])]])
                self.account(self.blocked_call, *c.read())
            elif r < 0.7:
                try:
                    self.account(self.blocked_call, *c.read(0.05))
                except TimeoutError:
                    self.drop("blk")
            else:
                self.drop("blk")
        c = self.conn("blk")
        self.blocked, self.blocked_call = str(c.id).encode(), call
        self.record("blk", [call])
        c.send([call])

    def transaction(self, main):
        """MULTI ... EXEC / DISCARD, sometimes under WATCH with a write from another client."""
        rng, gen = self.rng, self.gen
        inner = [n for n in gen.main_names if n not in TX_CONTROL]
        keys = [gen.key(None) for _ in range(rng.randint(1, 3))]
        watch = rng.random() < 0.4
        calls = ([[b"WATCH"] + keys] if watch else []) + [[b"MULTI"]]
        calls += [gen.call(inner) for _ in range(rng.randint(0, 10))]
        self.run_calls(main, calls)
        if watch and rng.random() < 0.5:
            self.run_calls("c1" if main == "c0" else "c0", [[b"SET", keys[0], b"raced"]])
        self.run_calls(main, [[b"EXEC"] if rng.random() < 0.85 else [b"DISCARD"]])

    def pubsub(self):
        """Subscribe-family calls (and others, refused in RESP2's subscribed state) on their
        own connection, plus a PUBLISH / SPUBLISH from a main connection."""
        rng, gen = self.rng, self.gen
        calls = []
        for _ in range(rng.randint(1, 6)):
            r = rng.random()
            if r < 0.6:
                calls.append(gen.call(gen.sub_names))
            elif r < 0.7:
                calls.append([b"RESET"])
            elif r < 0.8:
                calls += [[b"MULTI"], gen.call(gen.sub_names), [b"EXEC"]]
            else:
                call = gen.call([n for n in gen.main_names if n not in TX_CONTROL])
                if not self.blocking(call):
                    calls.append(call)
        self.sync("ps", calls)
        pub = rng.choice((b"PUBLISH", b"SPUBLISH"))
        self.run_calls(rng.choice(("c0", "c1")), [[pub, rng.choice(CHANNELS[:3]), gen.string()]])

    # -- checks
    def check_alive(self):
        """The process is alive, wrote no sanitizer report, and answers PING within 10 s."""
        err = self.server.new_stderr()
        if any(m in err for m in SANITIZER_MARKS):
            raise Failure("sanitizer", err.decode("utf-8", "replace")[:4000])
        if not self.server.alive():
            raise Failure("crash", "pylond exited with %s" % self.server.proc.returncode)
        if self.conn("probe").call(b"PING") != b"PONG":
            raise Failure("probe", "PING not answered PONG")

    def diagnose(self, exc):
        """Turns a timeout or a closed connection into a crash, a hang, or a lost connection."""
        for _ in range(50):
            if not self.server.alive():
                break
            time.sleep(0.1)
        err = self.server.new_stderr()
        if any(m in err for m in SANITIZER_MARKS):
            return Failure("sanitizer", err.decode("utf-8", "replace")[:4000])
        if not self.server.alive():
            return Failure("crash", "pylond exited with %s after: %s" % (self.server.proc.returncode, exc))
        try:
            probe = Conn(self.server.port, "probe2")
            probe.call(b"PING")
            probe.close()
        except (OSError, ConnectionError, TimeoutError):
            return Failure("hang", "the server answers no PING within %d s (%s)" % (MAIN_TIMEOUT, exc))
        return Failure("hang" if isinstance(exc, TimeoutError) else "connection lost", str(exc))

    def run(self):
        """Fuzzes until the deadline or max_ops calls, then checks the restart."""
        self.gen = Generator(self.rng, load_specs(self.conn("setup")), self.client_ids)
        self.drop("setup")
        try:
            while time.monotonic() < self.deadline and self.seq < self.max_ops:
                self.batch()
                self.check_alive()
            self.restart_check()
        except (TimeoutError, ConnectionError, OSError) as exc:
            raise self.diagnose(exc)

    def restart_check(self):
        """Snapshot, SIGTERM, restart on the same log, snapshot again: every key comes back equal,
        but for keys whose expiry passed meanwhile."""
        for name in list(self.conns):
            self.drop(name)
        c = self.conn("snap")
        c.call(b"CONFIG", b"SET", b"maxmemory", b"0")   # no eviction while the snapshot reads
        before = snapshot(c)
        self.drop("snap")
        code = self.server.stop()
        err = self.server.new_stderr()
        if code != 0 or any(m in err for m in SANITIZER_MARKS):
            raise Failure("shutdown", "exit code %s on SIGTERM\n%s" % (code, err.decode("utf-8", "replace")[-4000:]))
        try:
            self.server.start()
        except RuntimeError as exc:
            raise Failure("restart", str(exc))
        after = snapshot(self.conn("snap"))
        now_ms = int(time.time() * 1000) + 1000
        diffs = []
        for key in sorted(set(before) | set(after)):
            a, b = before.get(key), after.get(key)
            if (a is not None and b is not None and same(a, b)) or (b is None and 0 <= a[1] <= now_ms):
                continue
            diffs.append((key, a, b))
        self.keys_compared = len(before)
        if diffs:
            text = "\n".join("%r\n  before: %r\n  after:  %r" % (k, a, b) for k, a, b in diffs[:20])
            raise Failure("restart difference", "%d keys differ\n%s" % (len(diffs), text),
                          keys=[k for k, _, _ in diffs])


# ---------------------------------------------------------------- the snapshot

def same(a, b):
    """Equal, where a masked value ('*', a str: replies hold bytes) on either side matches."""
    if a == "*" or b == "*":
        return True
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    return a == b


def fields(reply, masked=(), extra=None):
    """A map reply as a dict with clock-derived fields replaced by '*' (RESP3 map or flat array)."""
    if not isinstance(reply, list):
        return reply
    pairs = reply if isinstance(reply, Map) else list(zip(reply[::2], reply[1::2]))
    d = {k: ("*" if k in masked else v) for k, v in pairs}
    if extra:
        extra(d, dict(pairs))
    return d


def read_queue(c, key):
    """Q.INFO and Q.CONFIG; time moves messages (delays end, leases end, retention, dead letters),
    so the places are masked and only their sum with `expired` is compared; the contents
    (Q.PEEK, Q.DEAD) are masked unless nothing is delayed or in flight and retention is over an
    hour."""
    moving = (b"ready", b"delayed", b"inflight", b"dead", b"redelivered", b"dead_lettered", b"expired")

    def total(d, raw):
        d[b"total"] = sum(raw.get(f, 0) for f in (b"ready", b"delayed", b"inflight", b"dead", b"expired"))
    info = c.call(b"Q.INFO", key)
    out = [fields(info, moving, total), fields(c.call(b"Q.CONFIG", key))]
    raw = fields(info)
    quiet = isinstance(raw, dict) and raw.get(b"delayed") == 0 and raw.get(b"inflight") == 0 \
        and raw.get(b"retention_ms", 0) > 3600000
    contents = [c.call(b"Q.PEEK", key, b"COUNT", b"1000"), c.call(b"Q.DEAD", key, b"COUNT", b"1000")]
    return out + (contents if quiet else ["*", "*"])


def read_bloom(c, key):
    """BF.INFO, BF.CARD and the first 8 MB of BF.SCANDUMP (the filter's bits)."""
    out, it, size = [c.call(b"BF.INFO", key), c.call(b"BF.CARD", key)], b"0", 0
    while size < 8 << 20:
        reply = c.call(b"BF.SCANDUMP", key, it)
        out.append(reply)
        if not isinstance(reply, list) or reply[0] == 0:
            break
        it, size = str(reply[0]).encode(), size + len(reply[1])
    return out


def read_breaker(c, key):
    """CB.CONFIG, and CB.STATE but for what the clock moves: an OPEN breaker turns HALF_OPEN,
    trials expire, and a TIME window slides, so those states' fields are masked."""
    config = fields(c.call(b"CB.CONFIG", key))
    state = fields(c.call(b"CB.STATE", key))
    if isinstance(state, dict) and (state.get(b"state") in (b"OPEN", b"HALF_OPEN")
                                    or (isinstance(config, dict) and config.get(b"window_type") == b"TIME")):
        state = {k: (v if k == b"not_permitted" else "*") for k, v in state.items()}
    return [config, state]


RING_PROBES = [b"user:%d" % i for i in range(5)]
READERS = {   # reads of each type's state that change nothing
    # not OBJECT ENCODING: as in Redis, a reload makes a raw string embstr or int again
    b"string": lambda c, k: [c.call(b"GET", k)],
    # remaining refills and reset_after counts down with the clock
    b"ratelimit": lambda c, k: [fields(c.call(b"RL.INFO", k), (b"remaining", b"reset_after"))],
    b"queue": read_queue,
    b"MBbloom--": read_bloom,
    b"ring": lambda c, k: [fields(c.call(b"RING.CONFIG", k)), c.call(b"RING.NODES", k)] +
    [c.call(b"RING.LOCATE", k, p, b"COUNT", b"3") for p in RING_PROBES],
    b"breaker": read_breaker,
    # holders' leases end with the clock (holders -> expired): only their sum is compared
    b"semaphore": lambda c, k: [fields(c.call(b"SEM.INFO", k), (b"holders", b"available", b"expired"),
                                       lambda d, raw: d.update({b"sum": raw.get(b"holders", 0) + raw.get(b"expired", 0)}))],
    # EXP.INFO's counts of users are kept in memory only (documented), so they are masked
    b"experiment": lambda c, k: [fields(c.call(b"EXP.INFO", k), (b"excluded_by_targeting", b"excluded_by_traffic"),
                                        lambda d, raw: d.update({b"variants": [v[:2] for v in raw.get(b"variants") or []]}))],
    b"cache": lambda c, k: [c.call(b"CACHE.GET", k), c.call(b"OBJECT", b"ENCODING", k)],
}


def snapshot(c):
    """Every key: its type, absolute expiry (PEXPIRETIME) and contents, read with RESP3."""
    c.call(b"HELLO", b"3")
    keys, cursor = set(), b"0"
    while True:
        cursor, page = c.call(b"SCAN", cursor, b"COUNT", b"1000")
        keys.update(page)
        if cursor == b"0":
            break
    snap = {}
    for key in sorted(keys):
        typ = c.call(b"TYPE", key)
        if typ == b"none":
            continue   # expired while scanning
        reader = READERS.get(typ, lambda c, k: [c.call(b"OBJECT", b"ENCODING", k)])
        snap[key] = (typ, c.call(b"PEXPIRETIME", key), reader(c, key))
    return snap


# ---------------------------------------------------------------- reporting and the CLI

INCLUDE_KNOWN = False


def report(seed, failure, fuzzer, server, out_dir):
    """Prints the failure, the last calls and the server's stderr; saves repro-<seed>.txt."""
    entries = list(fuzzer.history)
    if failure.keys:   # a restart difference: the calls that named the keys concerned
        entries = sorted({e[0]: e for k in failure.keys for e in fuzzer.by_key.get(k, ())}.values())
    print("\n=== seed %d: %s\n%s" % (seed, failure.kind, failure.detail))
    print("--- last %d calls (connection, arguments):" % len(entries))
    for _, conn, call in entries:
        print(printable([conn] + call))
    print("--- server stderr (tail):\n" + server.stderr_tail())
    os.makedirs(out_dir, exist_ok=True)
    path = os.path.join(out_dir, "repro-%d.txt" % seed)
    with open(path, "w") as f:
        for _, conn, call in entries:
            f.write(json.dumps([conn] + [a.decode("latin-1") for a in call]) + "\n")
    print("--- reproducer: %s" % path)


def summary(seed, fuzzer, result, elapsed):
    gen = getattr(fuzzer, "gen", None)
    print("seed %d: %s; %d calls in %.0f s (%.0f/s)" % (seed, result, fuzzer.seq, elapsed, fuzzer.seq / max(elapsed, 1e-9)))
    print("  replies: " + ", ".join("%s %d" % kv for kv in fuzzer.kinds.most_common()))
    print("  errors:  " + ", ".join("%s %d" % kv for kv in fuzzer.errors.most_common()))
    if gen is not None:
        never = sorted(n for n in gen.specs if n not in gen.generated)
        print("  commands generated: %d of %d; never: %s" % (len(gen.generated), len(gen.specs), " ".join(never) or "-"))
        failing = sorted(n for n in gen.generated if n not in fuzzer.succeeded and not gen.specs[n].subscribe)
        print("  generated but never answered without an error: %s" % (" ".join(failing) or "-"))
        for desc, count in gen.steered.items():
            print("  not sent (known bug, --include-known sends them): %d calls: %s" % (count, desc))
    for ms, *suspects in sorted(fuzzer.stalls, reverse=True)[:20]:
        print("  STALL %d ms, in one of: %s" % (ms, "  ".join(suspects)))
    if hasattr(fuzzer, "keys_compared"):
        print("  restart: %d keys compared" % fuzzer.keys_compared)


def run_seed(binary, seed, seconds, max_ops, out_dir):
    """A fresh server and data directory for one seed; True when nothing was found."""
    with tempfile.TemporaryDirectory(prefix="command-fuzz-") as work:
        server = Server(binary, work)
        server.start()
        fuzzer = Fuzzer(server, seed, time.monotonic() + seconds, max_ops)
        start, result = time.monotonic(), "ok"
        try:
            fuzzer.run()
        except Failure as f:
            result = "FAIL (%s)" % f.kind
            report(seed, f, fuzzer, server, out_dir)
        finally:
            if server.alive():
                server.proc.kill()
                server.proc.wait()
        summary(seed, fuzzer, result, time.monotonic() - start)
        return result == "ok"


def replay(binary, path):
    """Sends a reproducer's calls in order (one reply each; pub/sub with a PING marker; the
    blocking connection without waiting), printing each reply, then runs the restart check."""
    calls = [json.loads(line) for line in open(path) if line.strip()]
    with tempfile.TemporaryDirectory(prefix="command-fuzz-") as work:
        server = Server(binary, work)
        server.start()
        fuzzer = Fuzzer(server, 0, 0, 0)
        fuzzer.gen = Generator(fuzzer.rng, load_specs(fuzzer.conn("setup")), fuzzer.client_ids)
        try:
            for conn, *args in calls:
                args = [a.encode("latin-1") for a in args]
                if conn == "blk":
                    fuzzer.conn("blk").send([args])
                elif conn == "ps":
                    fuzzer.sync("ps", [args])
                else:
                    start = time.monotonic()
                    c = fuzzer.conn(conn)
                    c.send([args])
                    value = c.read()[1]
                    ms = (time.monotonic() - start) * 1000
                    print(("%s %.0f ms -> %r" % (printable([conn] + args), ms, value))[:300])
                fuzzer.check_alive()
            fuzzer.restart_check()
            print("replay: no failure")
        except (TimeoutError, ConnectionError, OSError) as exc:
            f = fuzzer.diagnose(exc)
            print("replay: %s: %s\n%s" % (f.kind, f.detail, server.stderr_tail()))
        except Failure as f:
            print("replay: %s: %s\n%s" % (f.kind, f.detail, server.stderr_tail()))
        finally:
            if server.alive():
                server.proc.kill()


def main():
    global INCLUDE_KNOWN
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("pylond")
    p.add_argument("--seed", type=int)
    p.add_argument("--seeds", help="a file of seeds, one per line (# comments)")
    p.add_argument("--seconds", type=float, default=60, help="total, shared equally by the seeds")
    p.add_argument("--ops", type=int, default=10 ** 12, help="at most this many calls per seed")
    p.add_argument("--out", default="command-fuzz-out", help="where repro-<seed>.txt goes")
    p.add_argument("--replay", help="a reproducer file to send instead of fuzzing")
    p.add_argument("--include-known", action="store_true", help="also send the known bugs' calls")
    args = p.parse_args()
    INCLUDE_KNOWN = args.include_known
    binary = os.path.abspath(args.pylond)
    if args.replay:
        return replay(binary, args.replay)
    if args.seeds:
        seeds = [int(line.split("#")[0]) for line in open(args.seeds) if line.split("#")[0].strip()]
    else:
        seeds = [args.seed if args.seed is not None else random.randrange(1 << 31)]
    failed = [s for s in seeds if not run_seed(binary, s, args.seconds / len(seeds), args.ops, args.out)]
    print("%d seeds, %d failed%s" % (len(seeds), len(failed), (": " + " ".join(map(str, failed))) if failed else ""))
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
