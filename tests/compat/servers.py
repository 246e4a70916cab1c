"""Starting and stopping pylond / redis-server for the compatibility tests and the benchmark.

One implementation for every language: Python scripts import it; the shell scripts (servers.sh)
and the Node test run it as a helper process:

    /usr/bin/python3 servers.py serve [--reference] [--cpu N] PYLOND [directive value ...]

which starts one server on a free loopback port, prints "PORT <n>" once it answers PING, and
stops it on SIGTERM/SIGINT (or when its parent dies). Its exit status is 0 only if the server
stopped cleanly (SIGTERM -> exit code 0);

    /usr/bin/python3 servers.py serve-cluster COUNT PYLOND

does the same for COUNT pylond nodes in cluster mode, printing "PORTS <n> ...".

Environment:
    PYLON_TEST_TARGET=redis   start redis-server where pylond is expected (to validate the tests
                              against real Redis while pylond is not there yet); default: pylond
    PYLON_TEST_START_TIMEOUT  seconds to wait for a server to answer PING (default 20)
    PYLON_TEST_KEEP=1         keep the temporary directories (configs, logs)
"""

import errno
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

HOST = "127.0.0.1"
TARGET = os.environ.get("PYLON_TEST_TARGET", "pylond")
START_TIMEOUT = float(os.environ.get("PYLON_TEST_START_TIMEOUT", "20"))
STOP_TIMEOUT = 20.0
KEEP = os.environ.get("PYLON_TEST_KEEP") == "1"

# redis-server only: make it a closer model of pylond (one database, no persistence).
REDIS_ONLY_DIRECTIVES = [("save", ""), ("appendonly", "no"), ("databases", "1"),
                         ("daemonize", "no")]


class ServerError(Exception):
    pass


def resp_command(*args):
    """Encodes one command as a RESP multibulk (str args are UTF-8 encoded)."""
    out = [b"*%d\r\n" % len(args)]
    for a in args:
        if isinstance(a, str):
            a = a.encode()
        elif isinstance(a, int):
            a = str(a).encode()
        out.append(b"$%d\r\n%s\r\n" % (len(a), a))
    return b"".join(out)


def free_port():
    """A loopback port nobody listens on right now (bind port 0, let the kernel choose)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def port_in_use(port):
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        try:
            s.bind((HOST, port))
        except OSError as e:
            return e.errno == errno.EADDRINUSE
    return False


def quote_conf(value):
    """A redis.conf value: quoted when empty or holding spaces/quotes."""
    if value and not any(c in value for c in ' \t"\'\\'):
        return value
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def default_pylond():
    return os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "build",
                        "release", "daemon", "pylond")


class Server:
    """One server process on a free loopback port, configured by a temporary config file.

    kind is "pylond" or "redis"; name is used in messages ("pylond", "redis", "redis(auth)").
    """

    def __init__(self, kind, binary, directives=(), name=None, cpu=None, port=None):
        self.kind = kind
        self.binary = binary
        self.directives = list(directives)
        self.name = name or kind
        self.cpu = cpu
        self.host = HOST
        self.fixed_port = port  # a cluster's nodes must know each other's ports beforehand
        self.port = None
        self.proc = None
        self.dir = None
        self.logfile = None

    def start(self):
        self.dir = tempfile.mkdtemp(prefix="pylon-compat-%s-" % self.name.replace("(", "-")
                                    .replace(")", ""))
        self.logfile = os.path.join(self.dir, "server.log")
        for attempt in range(5):
            self.port = self.fixed_port or free_port()
            self._spawn()
            try:
                self._wait_ready()
                return self
            except ServerError:
                exited = self.proc.poll() is not None
                if exited and port_in_use(self.port) and attempt < 4 and not self.fixed_port:
                    continue  # someone took the port between our probe and the bind: retry
                raise
        raise ServerError("%s: could not find a free port" % self.name)

    def write_conf(self):
        """Writes the configuration file from the directives; returns its path."""
        conf = [("port", str(self.port)), ("bind", HOST), ("logfile", self.logfile)]
        if self.kind == "redis":
            conf += REDIS_ONLY_DIRECTIVES + [("dir", self.dir)]
        conf += [(key, value.replace("$PORT", str(self.port))) for key, value in self.directives]
        conf_path = os.path.join(self.dir, "server.conf")
        with open(conf_path, "w") as f:
            for key, value in conf:
                f.write("%s %s\n" % (key, quote_conf(value)))
        return conf_path

    def _spawn(self):
        argv = [self.binary, self.write_conf()]
        if self.cpu is not None:
            argv = ["taskset", "-c", str(self.cpu)] + argv
        self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL,
                                     stdout=open(os.path.join(self.dir, "stdout.log"), "wb"),
                                     stderr=subprocess.STDOUT, cwd=self.dir)

    def _wait_ready(self):
        """Retries connect + PING until the server answers (+PONG, or -NOAUTH with requirepass)."""
        deadline = time.monotonic() + START_TIMEOUT
        delay = 0.01
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise ServerError("%s exited with status %s while starting on port %d\n%s"
                                  % (self.name, self.proc.returncode, self.port, self.log_tail()))
            try:
                with socket.create_connection((HOST, self.port), timeout=1.0) as s:
                    s.sendall(resp_command("PING"))
                    first = s.recv(1)
                    if first in (b"+", b"-"):
                        return
            except OSError:
                pass
            time.sleep(delay)
            delay = min(delay * 2, 0.2)
        raise ServerError("%s did not answer PING on port %d within %.0fs\n%s"
                          % (self.name, self.port, START_TIMEOUT, self.log_tail()))

    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def stop(self):
        """SIGTERM, then wait. Returns None if it exited with status 0, else a message."""
        if self.proc is None:
            return None
        problem = None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            rc = self.proc.wait(timeout=STOP_TIMEOUT)
            if rc != 0:
                problem = "%s exited with status %d (expected 0)\n%s" % (self.name, rc,
                                                                         self.log_tail())
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            problem = "%s did not exit within %.0fs of SIGTERM (killed)\n%s" % (
                self.name, STOP_TIMEOUT, self.log_tail())
        self.proc = None
        if self.dir and not KEEP:
            shutil.rmtree(self.dir, ignore_errors=True)
        return problem

    def log_tail(self, lines=20):
        text = ""
        for path in (self.logfile, os.path.join(self.dir or "", "stdout.log")):
            try:
                with open(path, errors="replace") as f:
                    text += "".join(f.readlines()[-lines:])
            except OSError:
                pass
        return "--- %s log (last lines) ---\n%s" % (self.name, text or "(empty)\n")


def make_target(pylond, directives=(), name=None, cpu=None, port=None):
    """The server under test: pylond, or redis-server when PYLON_TEST_TARGET=redis."""
    if TARGET == "redis":
        return Server("redis", "redis-server", directives, name or "target(redis)", cpu, port)
    if TARGET != "pylond":
        raise ServerError("PYLON_TEST_TARGET must be 'pylond' or 'redis', not %r" % TARGET)
    return Server("pylond", pylond, directives, name or "pylond", cpu, port)


def make_reference(directives=(), name=None, cpu=None, port=None):
    """The reference: always redis-server."""
    return Server("redis", "redis-server", directives, name or "redis", cpu, port)


def make_cluster(pylond, count, directives=(), members=None, epoch=0):
    """count pylond nodes in cluster mode on free loopback ports, not started. Each is given the
    membership (cluster-nodes) of the first `members` nodes (all by default): the others start
    outside it, as nodes about to join. The ports are chosen before any node starts: a node
    taking one in between is unlikely, and start() then fails clearly."""
    ports = []
    while len(ports) < count:
        port = free_port()
        if port not in ports:
            ports.append(port)
    names = " ".join("%s:%d" % (HOST, p) for p in ports[:members or count])
    return [Server("pylond", pylond,
                   [("cluster-enabled", "yes"), ("cluster-nodes", names),
                    ("cluster-epoch", str(epoch))] + list(directives),
                   "node%d" % (i + 1), port=p)
            for i, p in enumerate(ports)]


def pylond_from_argv(script):
    """argv[1] is the pylond binary (required unless PYLON_TEST_TARGET=redis)."""
    path = sys.argv[1] if len(sys.argv) > 1 else default_pylond()
    if TARGET != "redis" and not os.access(path, os.X_OK):
        sys.exit("%s: pylond binary not found or not executable: %s\n"
                 "usage: %s <path-to-pylond>   (or PYLON_TEST_TARGET=redis to test redis-server)"
                 % (script, path, script))
    return os.path.abspath(path)


class Servers:
    """Context manager: starts servers, always stops them all, collects stop problems."""

    def __init__(self):
        self.servers = []
        self.problems = []

    def __enter__(self):
        return self

    def start(self, server):
        self.servers.append(server)
        return server.start()

    def __exit__(self, *exc):
        for s in reversed(self.servers):
            problem = s.stop()
            if problem:
                self.problems.append(problem)
        return False


def serve_cluster(argv):
    """servers.py serve-cluster COUNT PYLOND: COUNT nodes in cluster mode; prints "PORTS p ..."
    once every node answers, stops them all on SIGTERM (status 0 only if all stop cleanly)."""
    if len(argv) != 2 or not argv[0].isdigit():
        sys.exit("usage: servers.py serve-cluster COUNT PYLOND")
    nodes = make_cluster(argv[1], int(argv[0]))
    stop_now = []
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, lambda *_: stop_now.append(True))
    parent = os.getppid()
    problems = []
    try:
        for node in nodes:
            node.start()
        sys.stdout.write("PORTS %s\n" % " ".join(str(n.port) for n in nodes))
        sys.stdout.flush()
        while not stop_now and os.getppid() == parent and all(n.running() for n in nodes):
            time.sleep(0.1)
    except ServerError as e:
        problems.append(str(e))
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, signal.SIG_IGN)
    for node in nodes:
        problem = node.stop()
        if problem:
            problems.append(problem)
    for problem in problems:
        sys.stderr.write("servers.py: %s\n" % problem)
    return 1 if problems else 0


def serve(argv):
    """The helper-process mode used by servers.sh and the Node test (see the module doc)."""
    reference = False
    cpu = port = None
    while argv and argv[0].startswith("--"):
        opt = argv.pop(0)
        if opt == "--reference":
            reference = True
        elif opt == "--cpu":
            cpu = argv.pop(0)
        elif opt == "--port":  # fixed: a cluster's nodes must know each other's ports
            port = int(argv.pop(0))
        else:
            sys.exit("servers.py serve: unknown option %s" % opt)
    if not argv or len(argv) % 2 != 1:
        sys.exit("usage: servers.py serve [--reference] [--cpu N] [--port P] PYLOND "
                 "[directive value ...]")
    pylond, pairs = argv[0], argv[1:]
    directives = list(zip(pairs[0::2], pairs[1::2]))
    server = (make_reference(directives, cpu=cpu, port=port) if reference
              else make_target(pylond, directives, cpu=cpu, port=port))
    stop_now = []
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, lambda *_: stop_now.append(True))
    parent = os.getppid()
    try:
        server.start()
    except ServerError as e:
        server.stop()
        sys.stderr.write("servers.py: %s\n" % e)
        return 1
    sys.stdout.write("PORT %d\n" % server.port)
    sys.stdout.flush()
    while not stop_now and os.getppid() == parent:
        if not server.running():
            break  # stopped by the test itself (SHUTDOWN): report its status below
        time.sleep(0.1)
    # A SIGTERM from the parent may still arrive while this helper exits (it stopped because the
    # test sent SHUTDOWN): from here on it must not kill us, or the parent sees status 143.
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, signal.SIG_IGN)
    problem = server.stop()
    if problem:
        sys.stderr.write("servers.py: %s\n" % problem)
        return 1
    return 0


if __name__ == "__main__":
    if len(sys.argv) >= 2 and sys.argv[1] in ("serve", "serve-cluster"):
        code = (serve if sys.argv[1] == "serve" else serve_cluster)(sys.argv[2:])
        sys.stdout.flush()
        sys.stderr.flush()
        # Skip interpreter finalization, which restores the default signal actions.
        os._exit(code)
    sys.exit(__doc__)
