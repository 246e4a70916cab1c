#!/usr/bin/python3
"""redis-py (Debian's python3-redis 4.3) against pylond: the calls an application makes.

    /usr/bin/python3 tests/compat/redis_py_test.py <path-to-pylond>
    PYLON_TEST_TARGET=redis /usr/bin/python3 tests/compat/redis_py_test.py   (against redis-server)

Every test runs with warnings recorded; any warning (DeprecationWarning, ResourceWarning ...)
fails the run. RESP3 is skipped: redis-py 4.3 speaks RESP2 only.
"""

import os
import shutil
import sys
import tempfile
import threading
import time
import traceback
import warnings

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import servers  # noqa: E402

import redis  # noqa: E402

NAME = "redis_py_test"
PASSWORD = "s3cret"
TESTS = []


def test(fn):
    TESTS.append(fn)
    return fn


class Skip(Exception):
    pass


def eq(actual, expected, what=""):
    if actual != expected:
        raise AssertionError("%s: expected %r, got %r" % (what or "value", expected, actual))


def raises(exc_type, fn, *args, contains=""):
    try:
        fn(*args)
    except exc_type as e:
        if contains not in str(e):
            raise AssertionError("%s raised, but %r is not in %r" % (exc_type.__name__, contains,
                                                                      str(e)))
        return e
    raise AssertionError("expected %s" % exc_type.__name__)


class Env:
    """The servers, and clients that are closed after each test."""

    def __init__(self, target, auth, unix_path):
        self.target, self.auth, self.unix_path = target, auth, unix_path
        self.clients = []

    def client(self, server=None, **kw):
        server = server or self.target
        kw.setdefault("decode_responses", True)
        kw.setdefault("socket_timeout", 10)
        r = redis.Redis(host=server.host, port=server.port, **kw)
        self.clients.append(r)
        return r

    def close_clients(self):
        for r in self.clients:
            r.close()
            r.connection_pool.disconnect()
        self.clients = []


@test
def ping_echo(env):
    r = env.client()
    eq(r.ping(), True, "PING")
    eq(r.echo("hello"), "hello", "ECHO")
    eq(r.echo(""), "", "ECHO empty")
    rb = env.client(decode_responses=False)
    eq(rb.echo(b"\x00\xff\r\nbin"), b"\x00\xff\r\nbin", "ECHO binary")
    eq(rb.echo(b"x" * 1_000_000), b"x" * 1_000_000, "ECHO 1 MB")


@test
def client_name_and_id(env):
    r = env.client()
    eq(r.client_getname(), None, "CLIENT GETNAME before SETNAME")
    eq(r.client_setname("py-test"), True, "CLIENT SETNAME")
    eq(r.client_getname(), "py-test", "CLIENT GETNAME")
    cid = r.client_id()
    if not isinstance(cid, int) or cid <= 0:
        raise AssertionError("CLIENT ID: %r" % cid)
    info = r.client_info()
    eq(info["id"], cid, "CLIENT INFO id")
    eq(info["name"], "py-test", "CLIENT INFO name")
    eq(info["cmd"], "client|info", "CLIENT INFO cmd")
    mine = [c for c in r.client_list() if int(c["id"]) == cid]
    eq(len(mine), 1, "CLIENT LIST has this connection")
    eq(mine[0]["name"], "py-test", "CLIENT LIST name")
    raises(redis.ResponseError, r.client_setname, "has space", contains="cannot contain spaces")
    named = env.client(client_name="from-pool")
    eq(named.client_getname(), "from-pool", "client_name= (CLIENT SETNAME on connect)")


@test
def client_kill(env):
    r = env.client()
    victim = env.client()
    victim.client_setname("victim")
    vid = victim.client_id()
    eq(r.client_kill_filter(_id=vid), 1, "CLIENT KILL ID")
    eq(r.client_kill_filter(_id=vid), 0, "CLIENT KILL ID again")
    raises(redis.ResponseError, r.client_kill, "127.0.0.1:1", contains="No such client")
    eq(victim.ping(), True, "killed client reconnects")
    eq(victim.client_getname(), None, "new connection has no name")


@test
def info(env):
    r = env.client()
    info = r.info()
    for section_key in ("redis_version", "connected_clients", "used_memory", "loading",
                        "total_connections_received", "cluster_enabled"):
        if section_key not in info:
            raise AssertionError("INFO lacks %s" % section_key)
    eq(info["loading"], 0, "INFO loading")
    eq(r.info("persistence")["loading"], 0, "INFO persistence loading")
    server = r.info("server")
    if not str(server.get("redis_version", "")).strip():
        raise AssertionError("INFO server: no redis_version")
    eq(server.get("tcp_port"), env.target.port, "INFO server tcp_port")
    if r.info("clients")["connected_clients"] < 1:
        raise AssertionError("INFO clients: connected_clients < 1")
    eq(r.info("keyspace"), {}, "INFO keyspace of an empty server")
    eq(r.info("bogus"), {}, "INFO of an unknown section")
    r.ping()
    stats = r.info("commandstats")
    if "cmdstat_ping" not in stats or stats["cmdstat_ping"]["calls"] < 1:
        raise AssertionError("INFO commandstats: no cmdstat_ping: %r" % stats)


@test
def config(env):
    r = env.client()
    eq(r.config_get("maxclients"), {"maxclients": "10000"}, "CONFIG GET maxclients")
    eq(r.config_get("nosuchconfig*"), {}, "CONFIG GET non-matching")
    eq(r.config_get("port"), {"port": str(env.target.port)}, "CONFIG GET port")
    eq(r.config_set("timeout", 0), True, "CONFIG SET timeout")
    eq(r.config_get("timeout"), {"timeout": "0"}, "CONFIG GET timeout")
    raises(redis.ResponseError, r.config_set, "nosuchconfig", "1", contains="Unknown option")
    raises(redis.ResponseError, r.config_set, "maxclients", "abc",
           contains="argument couldn't be parsed into an integer")
    eq(r.config_resetstat(), True, "CONFIG RESETSTAT")


@test
def server_commands(env):
    r = env.client()
    eq(r.dbsize(), 0, "DBSIZE")
    secs, usecs = r.time()
    if secs < 1_600_000_000 or not 0 <= usecs < 1_000_000:
        raise AssertionError("TIME: %r" % ((secs, usecs),))
    eq(r.flushall(), True, "FLUSHALL")
    eq(r.flushall(asynchronous=True), True, "FLUSHALL ASYNC")
    eq(r.flushdb(), True, "FLUSHDB")
    eq(r.execute_command("SELECT", 0), True, "SELECT 0")
    raises(redis.ResponseError, r.execute_command, "SELECT", 1, contains="DB index is out of range")
    if r.command_count() < 10:
        raise AssertionError("COMMAND COUNT < 10")
    table = r.command()
    eq(table["ping"]["arity"], -1, "COMMAND: ping arity")
    eq(table["echo"]["arity"], 2, "COMMAND: echo arity")


@test
def errors(env):
    r = env.client()
    raises(redis.ResponseError, r.execute_command, "FOO", "a",
           contains="unknown command 'FOO', with args beginning with: 'a' ")
    raises(redis.ResponseError, r.execute_command, "ECHO",
           contains="wrong number of arguments for 'echo' command")
    raises(redis.ResponseError, r.execute_command, "CLIENT", "FOO",
           contains="unknown subcommand 'FOO'. Try CLIENT HELP.")
    eq(r.ping(), True, "the connection still works after errors")
    db1 = env.client(db=1)
    raises(redis.ResponseError, db1.ping, contains="DB index is out of range")


@test
def pipeline_transaction(env):
    r = env.client()
    r.client_setname("tx")
    with r.pipeline(transaction=True) as pipe:
        pipe.ping().echo("a").client_getname().echo("b")
        eq(pipe.execute(), [True, "a", "tx", "b"], "MULTI/EXEC pipeline")
    with r.pipeline(transaction=True) as pipe:
        pipe.echo("x").execute_command("FOO")
        raises(redis.ResponseError, pipe.execute, contains="unknown command 'FOO'")
    with r.pipeline(transaction=True) as pipe:
        pipe.watch("k1", "k2")  # WATCH, then immediate mode until multi()
        eq(pipe.echo("immediate"), "immediate", "command between WATCH and MULTI")
        pipe.multi()
        pipe.ping().echo("watched")
        eq(pipe.execute(), [True, "watched"], "WATCH + MULTI/EXEC")
    eq(r.echo("after"), "after", "connection usable after transactions")


@test
def pipeline_plain(env):
    r = env.client()
    with r.pipeline(transaction=False) as pipe:
        for i in range(1000):
            pipe.echo(str(i))
        pipe.ping().client_getname()
        got = pipe.execute()
    eq(got[:1000], [str(i) for i in range(1000)], "1000 pipelined ECHOs")
    eq(got[1000:], [True, None], "PING, CLIENT GETNAME in the pipeline")
    with r.pipeline(transaction=False) as pipe:
        pipe.echo("ok").execute_command("FOO").ping()
        got = pipe.execute(raise_on_error=False)
    eq(got[0], "ok", "pipeline: reply before the error")
    if not isinstance(got[1], redis.ResponseError):
        raise AssertionError("pipeline: expected an error reply, got %r" % (got[1],))
    eq(got[2], True, "pipeline: reply after the error")


@test
def auth(env):
    raises(redis.AuthenticationError, env.client(env.auth).ping, contains="Authentication required")
    eq(env.client(env.auth, password=PASSWORD).ping(), True, "password=")
    eq(env.client(env.auth, username="default", password=PASSWORD).ping(), True,
       "username=default password=")
    # redis-py 4.3 raises a plain ResponseError for WRONGPASS
    raises(redis.RedisError, env.client(env.auth, password="wrong").ping,
           contains="WRONGPASS invalid username-password pair or user is disabled.")
    r = env.client(env.auth)
    raises(redis.RedisError, r.auth, "wrong", contains="WRONGPASS")
    eq(r.auth(PASSWORD), True, "AUTH after connecting")
    raises(redis.ResponseError, env.client().auth, "whatever",
           contains="called without any password configured for the default user")


@test
def quit_reconnects(env):
    r = env.client()
    eq(r.quit(), True, "QUIT")
    # Wait (bounded) until the server has closed the connection, as it must after QUIT's +OK:
    # otherwise the next command can race the close and meet a reset, with Redis as well.
    conn = r.connection_pool._available_connections[0]
    conn._sock.settimeout(10)
    eq(conn._sock.recv(1), b"", "server closes the connection after QUIT")
    eq(r.ping(), True, "reconnect after QUIT")
    eq(r.execute_command("RESET"), "RESET", "RESET")


@test
def unix_socket(env):
    r = redis.Redis(unix_socket_path=env.unix_path, decode_responses=True, socket_timeout=10)
    env.clients.append(r)
    eq(r.ping(), True, "PING over the unix socket")
    eq(r.config_get("unixsocket"), {"unixsocket": env.unix_path}, "CONFIG GET unixsocket")


@test
def resp3(env):
    raise Skip("python3-redis 4.3 has no RESP3 (protocol=3 came in redis-py 5)")


def wait_message(p, timeout=5.0):
    """The next message of a PubSub (subscribe confirmations included), or fail."""
    m = p.get_message(timeout=timeout)
    if m is None:
        raise AssertionError("no pub/sub message within %.0fs" % timeout)
    return m


@test
def pubsub_get_message(env):
    r = env.client()
    p = r.pubsub()
    p.subscribe("news", "sport")
    eq(wait_message(p), {"type": "subscribe", "pattern": None, "channel": "news", "data": 1},
       "first subscribe confirmation")
    eq(wait_message(p)["data"], 2, "second subscribe confirmation's count")
    p.psubscribe("n*")
    eq(wait_message(p), {"type": "psubscribe", "pattern": None, "channel": "n*", "data": 3},
       "psubscribe confirmation")
    eq(r.publish("news", "hello"), 2, "PUBLISH: the channel and the pattern")
    eq(wait_message(p), {"type": "message", "pattern": None, "channel": "news", "data": "hello"},
       "the message")
    eq(wait_message(p), {"type": "pmessage", "pattern": "n*", "channel": "news", "data": "hello"},
       "the pattern's message")
    eq(r.pubsub_numsub("news", "sport", "none"), [("news", 1), ("sport", 1), ("none", 0)],
       "PUBSUB NUMSUB")
    eq(r.pubsub_numpat(), 1, "PUBSUB NUMPAT")
    eq(sorted(r.pubsub_channels()), ["news", "sport"], "PUBSUB CHANNELS")
    p.ping()  # in the subscribed state: a ["pong", ""] frame
    eq(wait_message(p), {"type": "pong", "pattern": None, "channel": None, "data": ""}, "PING")
    p.unsubscribe()
    p.punsubscribe()
    seen = sorted((wait_message(p)["type"], wait_message(p)["type"], wait_message(p)["type"]))
    eq(seen, ["punsubscribe", "unsubscribe", "unsubscribe"], "unsubscribe-all confirmations")
    eq(r.publish("news", "nobody"), 0, "PUBLISH after unsubscribing")
    p.close()


@test
def pubsub_handlers_and_thread(env):
    r = env.client()
    got = []
    p = r.pubsub(ignore_subscribe_messages=True)
    p.psubscribe(**{"ev:*": lambda m: got.append((m["channel"], m["data"]))})
    p.subscribe(**{"plain": lambda m: got.append((m["channel"], m["data"]))})
    thread = p.run_in_thread(sleep_time=0.01, daemon=True)
    try:
        # Wait until both subscriptions are in place (the thread sends them).
        for _ in range(500):
            if r.pubsub_numpat() == 1 and r.pubsub_numsub("plain") == [("plain", 1)]:
                break
            time.sleep(0.01)
        eq(r.publish("ev:login", "u1"), 1, "PUBLISH to the pattern")
        eq(r.publish("plain", "p1"), 1, "PUBLISH to the channel")
        eq(r.publish("other", "x"), 0, "PUBLISH to nobody")
        for _ in range(500):
            if len(got) >= 2:
                break
            time.sleep(0.01)
    finally:
        thread.stop()
        thread.join(timeout=5)
        p.close()
    eq(got, [("ev:login", "u1"), ("plain", "p1")], "the handlers' calls")


@test
def queue_workers(env):
    """Workers in threads block on Q.POP through redis-py; every job is served exactly once and
    acked; a job that is never acked stays in flight with its delivery counted."""
    if servers.TARGET == "redis":
        raise Skip("queues are Pylon's")
    producer = env.client()
    done, errors = [], []

    def worker(name):
        r = env.client()
        try:
            while True:
                got = r.execute_command("Q.POP", "jobs", "BLOCK", "2000", "LEASE", "60000")
                if got is None:
                    return  # two seconds with nothing: the run is over
                for msg_id, payload, deliveries in got:
                    done.append((payload, name, deliveries))
                    eq(r.execute_command("Q.ACK", "jobs", msg_id), 1, "Q.ACK of " + msg_id)
        except Exception as e:  # reported by the main thread
            errors.append(e)

    threads = [threading.Thread(target=worker, args=("w%d" % i,), daemon=True) for i in range(4)]
    for t in threads:
        t.start()
    pipe = producer.pipeline(transaction=False)
    for i in range(200):
        pipe.execute_command("Q.PUSH", "jobs", "job-%d" % i)
    ids = pipe.execute()
    eq(ids, [str(i) for i in range(1, 201)], "generated ids")
    for t in threads:
        t.join(timeout=30)
    eq(errors, [], "worker errors")
    eq(sorted(p for p, _, _ in done), sorted("job-%d" % i for i in range(200)), "jobs served")
    eq({d for _, _, d in done}, {1}, "deliveries")
    info = producer.execute_command("Q.INFO", "jobs")
    fields = dict(zip(info[::2], info[1::2]))
    eq((fields["acked"], fields["inflight"], fields["ready"]), (200, 0, 0), "Q.INFO after the run")
    eq(producer.type("jobs"), "queue", "TYPE")
    producer.execute_command("Q.PUSH", "jobs", "kept", "ID", "k1")
    eq(producer.execute_command("Q.POP", "jobs"), [["k1", "kept", 1]], "a pop never acked")
    eq(producer.execute_command("Q.INFO", "jobs")[5], 1, "in flight")
    raises(redis.ResponseError, producer.execute_command, "Q.POP", "jobs", "COUNT", "0",
           contains="COUNT must be positive")


@test
def bloom_client(env):
    """redis-py's RedisBloom client (r.bf()) works unchanged: its commands, their parsed replies
    (BF.INFO into an object), SCANDUMP/LOADCHUNK, and RedisBloom's errors as ResponseError."""
    if servers.TARGET == "redis":
        raise Skip("redis-server has no BF.* without the RedisBloom module")
    r = env.client()
    bf = r.bf()
    eq(bf.create("seen", 0.001, 1000), True, "BF.RESERVE")
    eq(bf.add("seen", "a"), 1, "BF.ADD")
    eq(bf.madd("seen", "a", "b", "c"), [0, 1, 1], "BF.MADD")
    eq(bf.exists("seen", "b"), 1, "BF.EXISTS")
    eq(bf.mexists("seen", "a", "zz"), [1, 0], "BF.MEXISTS")
    eq(bf.insert("new", ["x", "y"], capacity=50, error=0.01, expansion=4), [1, 1], "BF.INSERT")
    eq(r.execute_command("BF.CARD", "seen"), 3, "BF.CARD (redis-py 4.3 has no bf().card)")
    info = bf.info("seen")
    eq((info.capacity, info.filterNum, info.insertedNum, info.expansionRate), (1000, 1, 3, 2),
       "BF.INFO")
    copy = env.client().bf()
    it = 0
    while True:
        it, data = bf.scandump("seen", it)
        if it == 0:
            break
        copy.loadchunk("copy", it, data)
    eq(bf.mexists("copy", "a", "b", "c", "zz"), [1, 1, 1, 0], "after SCANDUMP / LOADCHUNK")
    raises(redis.ResponseError, bf.create, "seen", 0.01, 10, contains="item exists")
    raises(redis.ResponseError, bf.create, "bad", 2, 10, contains="error rate range")
    bf.create("tiny", 0.01, 2, noScale=True)
    got = bf.madd("tiny", "p", "q", "r")
    eq(got[:2], [1, 1], "BF.MADD into a non-scaling filter of 2")
    eq(isinstance(got[2], redis.ResponseError) and "non scaling filter is full" in str(got[2]),
       True, "the third item: %r" % (got[2],))
    eq(r.type("seen"), "MBbloom--", "TYPE")


@test
def gateway_chain(env):
    """docs/commands.md's gateway chain with redis-py's pipelines: RL.ALLOW, SEM.ACQUIRE and
    CB.ALLOW in one round trip, CB.RECORD and SEM.RELEASE in another; a failing upstream trips
    the breaker (CONSECUTIVE 3), after which calls are refused before reaching it."""
    if servers.TARGET == "redis":
        raise Skip("RL.*, SEM.* and CB.* are Pylon's")
    r = env.client()
    eq(r.execute_command("CB.CONFIG", "cb:payments", "CONSECUTIVE", "3"), "OK", "CB.CONFIG")
    calls = []

    def handle(user, upstream):
        p = r.pipeline(transaction=False)
        p.execute_command("RL.ALLOW", "rl:" + user, "LIMIT", 100, "PERIOD", 60000)
        p.execute_command("SEM.ACQUIRE", "sem:payments", "LIMIT", 50, "LEASE", 5000)
        p.execute_command("CB.ALLOW", "cb:payments")
        rate, token, breaker = p.execute()
        if not rate[0] or token is None or not breaker[0]:
            if token is not None:
                r.execute_command("SEM.RELEASE", "sem:payments", token)
            return 429 if not rate[0] else 503
        calls.append(user)
        ok = upstream()
        p = r.pipeline(transaction=False)
        p.execute_command("CB.RECORD", "cb:payments", "SUCCESS" if ok else "FAILURE",
                          "LATENCY", 3)
        p.execute_command("SEM.RELEASE", "sem:payments", token)
        eq(p.execute()[1], 1, "SEM.RELEASE of the slot")
        return 200 if ok else 502

    eq([handle("u1", lambda: True) for _ in range(2)], [200, 200], "healthy upstream")
    eq([handle("u2", lambda: False) for _ in range(3)], [502, 502, 502], "failing upstream")
    eq(handle("u3", lambda: True), 503, "the breaker is open")
    eq(len(calls), 5, "calls that reached the upstream")
    state = r.execute_command("CB.STATE", "cb:payments")
    eq(dict(zip(state[::2], state[1::2]))["state"], "OPEN", "CB.STATE")
    info = r.execute_command("SEM.INFO", "sem:payments")
    eq(dict(zip(info[::2], info[1::2]))["holders"], 0, "every slot given back")


@test
def shutdown(env):
    r = env.client()
    r.shutdown()  # redis-py returns when the connection closes
    raises(redis.ConnectionError, env.client().ping)


def main():
    pylond = servers.pylond_from_argv(NAME)
    passed = failed = skipped = 0
    sock_dir = tempfile.mkdtemp(prefix="pylon-py-")
    unix_path = os.path.join(sock_dir, "pylond.sock")
    group = servers.Servers()
    try:
        with group:
            env = Env(group.start(servers.make_target(pylond, [("unixsocket", unix_path)])),
                      group.start(servers.make_target(pylond, [("requirepass", PASSWORD)],
                                                      name="%s(auth)" % servers.TARGET)),
                      unix_path)
            for fn in TESTS:
                with warnings.catch_warnings(record=True) as caught:
                    warnings.simplefilter("always")
                    try:
                        fn(env)
                        env.close_clients()
                        if caught:
                            raise AssertionError("warnings: %s" % "; ".join(
                                "%s: %s" % (w.category.__name__, w.message) for w in caught))
                        passed += 1
                    except Skip as e:
                        skipped += 1
                        print("skip %s: %s" % (fn.__name__, e))
                    except Exception as e:
                        failed += 1
                        print("FAIL %s: %s: %s" % (fn.__name__, type(e).__name__, e))
                        if not isinstance(e, AssertionError):
                            traceback.print_exc(limit=3)
                    finally:
                        env.close_clients()
    except servers.ServerError as e:
        print("%s: could not start servers: %s" % (NAME, e))
        failed += 1
    finally:
        shutil.rmtree(sock_dir, ignore_errors=True)
    for problem in group.problems:
        print("%s: %s" % (NAME, problem))
        failed += 1
    print("%s: %d passed, %d failed, %d skipped" % (NAME, passed, failed, skipped))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
