#!/usr/bin/python3
"""Cluster mode with the cluster clients people use: three pylond nodes, redis-py's RedisCluster
(Debian's python3-redis 4.3) and redis-cli -c write and read keys of several types, and every
key must sit on the node the slot map names.

    /usr/bin/python3 tests/compat/cluster_test.py <path-to-pylond>

The Node cluster client (ioredis's Cluster) has its own script, ioredis_cluster_test.js.
"""

import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import servers  # noqa: E402
from cluster_common import Tally, eq, key_slot, slot_owners  # noqa: E402

import redis  # noqa: E402
from redis.cluster import ClusterNode, RedisCluster  # noqa: E402

NAME = "cluster_test"
KEYS = 10000


def check_placement(nodes, keys):
    """Every key on the node CLUSTER SLOTS names for its slot, and nowhere else."""
    plain = {n.port: redis.Redis(host=n.host, port=n.port, decode_responses=True) for n in nodes}
    try:
        owners = slot_owners(next(iter(plain.values())))
        eq(len(owners), 16384, "slots covered by CLUSTER SLOTS")
        for other in plain.values():
            eq(slot_owners(other), owners, "every node's CLUSTER SLOTS")
        for key in keys:
            slot = key_slot(key)
            eq(plain[owners[slot]].execute_command("CLUSTER", "KEYSLOT", key), slot,
               "CLUSTER KEYSLOT " + key)
        by_port = {}
        for key in keys:
            by_port.setdefault(owners[key_slot(key)], []).append(key)
        for port, client in plain.items():
            mine = by_port.get(port, [])
            pipe = client.pipeline(transaction=False)
            for key in mine:
                pipe.exists(key)
            found = pipe.execute() if mine else []
            missing = [key for key, present in zip(mine, found) if not present]
            eq(missing, [], "keys missing on their owner %d" % port)
            eq(client.dbsize(), len(mine), "keys on node %d (none elsewhere)" % port)
        return {port: len(by_port.get(port, [])) for port in plain}
    finally:
        for client in plain.values():
            client.close()


def redis_py_cluster(nodes):
    rc = RedisCluster(startup_nodes=[ClusterNode(n.host, n.port) for n in nodes],
                      decode_responses=True)
    try:
        eq(len(rc.get_nodes()), 3, "nodes redis-py discovered")
        keys = []
        for i in range(KEYS):
            kind = i % 5
            key = "py:%d" % i
            if kind == 0:
                rc.set(key, "v%d" % i)
            elif kind == 1:
                rc.incrby(key, i)
            elif kind == 2:
                rc.execute_command("Q.PUSH", key, "job-%d" % i)
            elif kind == 3:
                rc.execute_command("BF.ADD", key, "item-%d" % i)
            else:
                key = "{user%d}:limit:%d" % (i % 100, i)  # hash tags: 20 keys per slot
                # One call each: the state lives until its token refills (a minute).
                rc.execute_command("RL.ALLOW", key, "LIMIT", 10, "PERIOD", 600000)
            keys.append(key)
        for i in range(0, KEYS, 5):
            eq(rc.get("py:%d" % i), "v%d" % i, "GET py:%d" % i)
            eq(rc.get("py:%d" % (i + 1)), str(i + 1), "GET py:%d" % (i + 1))
            eq(rc.type("py:%d" % (i + 2)), "queue", "TYPE py:%d" % (i + 2))
            eq(rc.execute_command("BF.EXISTS", "py:%d" % (i + 3), "item-%d" % (i + 3)), 1,
               "BF.EXISTS py:%d" % (i + 3))
        # Keys sharing a hash tag may go in one multi-key command; others may not.
        eq(rc.mset({"{tag}a": "1", "{tag}b": "2"}), True, "MSET over a hash tag")
        eq(rc.mget("{tag}a", "{tag}b"), ["1", "2"], "MGET over a hash tag")
        keys += ["{tag}a", "{tag}b"]
        return keys
    finally:
        rc.close()


def redis_cli_cluster(nodes):
    """redis-cli -c follows -MOVED: KEYS keys of three types (strings, queues, Bloom filters)
    written and read through the first node, whoever owns them."""
    first = nodes[0]
    writes = {0: ("SET cli:%d v%d", "OK"), 1: ("Q.PUSH cli:%d m%d ID only", "only"),
              2: ("BF.ADD cli:%d item%d", "1")}
    reads = {0: ("GET cli:%d", "v%d"), 1: ("Q.LEN cli:%d", "1"),
             2: ("BF.EXISTS cli:%d item%d", "1")}
    script, expected = "", []
    for table in (writes, reads):
        for i in range(KEYS):
            command, reply = table[i % 3]
            script += (command % ((i, i) if command.count("%d") == 2 else (i,))) + "\n"
            expected.append(reply % i if "%d" in reply else reply)
    out = subprocess.run(["redis-cli", "-c", "-h", first.host, "-p", str(first.port)],
                         input=script, capture_output=True, text=True, timeout=120, check=True)
    # redis-cli -c announces each redirection it follows on a line of its own.
    lines = [line for line in out.stdout.splitlines()
             if line.strip() and not line.startswith("-> Redirected to slot")]
    eq(lines[:KEYS], expected[:KEYS], "redis-cli -c writes")
    eq(lines[KEYS:], expected[KEYS:], "redis-cli -c reads")
    # Without -c, the redirection itself is what the client sees.
    moved = subprocess.run(["redis-cli", "-h", first.host, "-p", str(first.port), "GET", "foo"],
                           capture_output=True, text=True, timeout=20).stdout
    owner_port = slot_owners(redis.Redis(host=first.host, port=first.port))[key_slot("foo")]
    if owner_port != first.port:
        eq(moved.strip(), "MOVED %d %s:%d" % (key_slot("foo"), first.host, owner_port),
           "redis-cli without -c")
    return ["cli:%d" % i for i in range(KEYS)]


def errors(nodes):
    """What Redis Cluster answers, answered the same way."""
    first = nodes[0]
    r = redis.Redis(host=first.host, port=first.port, decode_responses=True)
    try:
        owners = slot_owners(r)
        mine = next(k for k in ("a%d" % i for i in range(1000))
                    if owners[key_slot(k)] == first.port)
        other = next(k for k in ("a%d" % i for i in range(1000))
                     if owners[key_slot(k)] != first.port)
        for command, expected in [
                (("MSET", mine, "1", other, "2"), "Keys in request don't hash to the same slot"),
                (("GET", other), "MOVED %d" % key_slot(other)),
                (("SPUBLISH", other, "m"), "MOVED %d" % key_slot(other)),
                (("SELECT", "1"), "SELECT is not allowed in cluster mode"),
                (("CLUSTER", "COUNTKEYSINSLOT", "16384"), "Invalid slot"),
                (("CLUSTER", "GETKEYSINSLOT", "0", "-1"), "Invalid slot or number of keys")]:
            try:
                r.execute_command(*command)
                raise AssertionError("%s: no error" % (command,))
            except redis.exceptions.ResponseError as e:
                if expected not in str(e):
                    raise AssertionError("%s: %r not in %r" % (command, expected, str(e)))
            except redis.exceptions.RedisClusterException as e:  # CROSSSLOT, as redis-py names it
                if "CROSSSLOT" not in str(e) and expected not in str(e):
                    raise
        eq(r.execute_command("ASKING"), True, "ASKING")
        eq(r.execute_command("READONLY"), True, "READONLY")
        info = r.execute_command("CLUSTER", "INFO")
        if "cluster_state:ok" not in info or "cluster_known_nodes:3" not in info:
            raise AssertionError("CLUSTER INFO: %r" % info)
        hello = r.execute_command("HELLO", "2")
        eq(dict(zip(hello[0::2], hello[1::2]))["mode"], "cluster", "HELLO mode")
    finally:
        r.close()


def scripts(nodes):
    """EVAL in cluster mode: the declared keys route the call, and a script keeps to its node."""
    first = nodes[0]
    r = redis.Redis(host=first.host, port=first.port, decode_responses=True)
    rc = RedisCluster(startup_nodes=[ClusterNode(n.host, n.port) for n in nodes],
                      decode_responses=True)
    try:
        owners = slot_owners(r)
        candidates = ["s%d" % i for i in range(1000)]
        mine = next(k for k in candidates if owners[key_slot(k)] == first.port)
        mine2 = next(k for k in candidates
                     if owners[key_slot(k)] == first.port and key_slot(k) != key_slot(mine))
        other = next(k for k in candidates if owners[key_slot(k)] != first.port)
        write = "redis.call('set', KEYS[1], ARGV[1]) return redis.call('get', KEYS[1])"
        eq(r.eval(write, 1, mine, "v"), "v", "EVAL of a key of this node")
        # The cluster client routes EVAL by its first key, to whichever node owns it.
        for i in range(20):
            eq(rc.eval(write, 1, "rc:%d" % i, str(i)), str(i), "RedisCluster EVAL rc:%d" % i)
        for args, expected in [
                ((write, 1, other, "v"), "MOVED %d" % key_slot(other)),
                (("return 1", 2, mine, mine2), "Keys in request don't hash to the same slot"),
                (("return redis.call('get', ARGV[1])", 1, mine, other),
                 "Script attempted to access a non local key in a cluster node"),
                # A script that declares flags keeps to its keys' slot (one without, as
                # Redis 7.0's compatibility mode, may reach any slot of its node).
                (("#!lua\nreturn redis.call('get', ARGV[1])", 1, mine2, mine),
                 "Script attempted to access keys that do not hash to the same slot"),
                (("#!lua flags=no-cluster\nreturn 1", 0),
                 "Can not run script on cluster, 'no-cluster' flag is set.")]:
            try:
                r.eval(*args)
                raise AssertionError("EVAL %r: no error" % (args,))
            except redis.exceptions.ResponseError as e:
                if expected not in str(e):
                    raise AssertionError("EVAL %r: %r not in %r" % (args, expected, str(e)))
        eq(r.eval("return redis.call('get', ARGV[1])", 1, mine2, mine), "v", "no shebang")
        # allow-cross-slot-keys lets a script reach other slots of its own node.
        eq(r.eval("#!lua flags=allow-cross-slot-keys\nreturn redis.call('get', ARGV[1])", 1,
                  mine2, mine), "v", "allow-cross-slot-keys")
        return [mine] + ["rc:%d" % i for i in range(20)]
    finally:
        r.close()
        rc.close()


def main():
    pylond = servers.pylond_from_argv(NAME)
    tally = Tally(NAME)
    with servers.Servers() as running:
        nodes = [running.start(n) for n in servers.make_cluster(pylond, 3)]
        keys = []
        for name, fn in [("redis_py_cluster", redis_py_cluster),
                         ("redis_cli_cluster", redis_cli_cluster), ("errors", errors),
                         ("scripts", scripts)]:
            keys += tally.run(name, fn, nodes) or []
        tally.run("placement", lambda: "%d keys, per node %s" % (
            len(set(keys)), check_placement(nodes, sorted(set(keys)))))
    return tally.finish(running.problems)


if __name__ == "__main__":
    sys.exit(main())
