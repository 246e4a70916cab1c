#!/usr/bin/python3
"""Resharding under write load: a fourth node joins three, then leaves again.

Three pylond nodes serve keys of several types (strings, counters, queues with messages in
flight and dead letters, Bloom filters); a fourth is started outside the membership. While two
writers keep writing (new keys, and increments of counters they count) - one in Python that
follows redirections as cluster clients do, and ioredis's Cluster client in a node process - the
membership of all four is written to every node's configuration file with a higher epoch and
CLUSTER RELOAD is sent to each, one after another in a shuffled order. Once no slot is in
transition anywhere:

- every node reports the same slot map, and the slots that moved are about 1/4 (all to the
  newcomer);
- every key is on the node that owns its slot, and on no other (the DBSIZEs add up);
- every acknowledged write is there: each key written with its value, each counter equal to the
  increments acknowledged, each queue with its ready, in-flight and dead messages, each filter
  with its items;
- clients blocked on keys of a slot that moved were answered -MOVED, and clients subscribed to
  shard channels of such a slot were unsubscribed (sunsubscribe); the others were still served.

Then the membership goes back to the first three (the fourth sends everything away and is left
empty), and the same is checked.

    /usr/bin/python3 tests/compat/cluster_reshard_test.py <path-to-pylond>
"""

import json
import logging
import os
import random
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import servers  # noqa: E402
from cluster_common import (RawClient, Tally, eq, info_fields, key_slot,  # noqa: E402
                            set_membership, slot_owners, wait_settled)

import redis  # noqa: E402
from redis.cluster import ClusterNode, RedisCluster  # noqa: E402

NAME = "cluster_reshard_test"
STRINGS = 20000
QUEUES = 40
FILTERS = 20
COUNTERS = 50


def cluster_client(node):
    return RedisCluster(startup_nodes=[ClusterNode(node.host, node.port)],
                        decode_responses=True, cluster_error_retry_attempts=10)


class Redirected:
    """A client that follows Redis Cluster's redirections the way cluster clients do: -MOVED
    updates its slot map, -ASK sends ASKING and the command once to the node named, -TRYAGAIN
    waits a little. (redis-py 4.3.4's RedisCluster, Debian's, cannot follow -ASK to a node that
    is not in its slot map yet, a new node's case: it fails with "'NoneType' object has no
    attribute 'server_type'"; so the writer redirects by itself.)"""

    def __init__(self, node):
        self.host = node.host
        self.connections = {}
        self.followed = {"MOVED": 0, "ASK": 0, "TRYAGAIN": 0}
        self.slots = slot_owners(self.connection(node.port))

    def connection(self, port):
        if port not in self.connections:
            self.connections[port] = redis.Redis(host=self.host, port=port, decode_responses=True)
        return self.connections[port]

    def call(self, key, *args):
        slot = key_slot(key)
        port, asking = self.slots[slot], False
        for _ in range(200):
            c = self.connection(port)
            try:
                if asking:
                    c.execute_command("ASKING")
                return c.execute_command(*args)
            except redis.exceptions.ResponseError as e:
                words = str(e).split()
                if words[0] in self.followed:
                    self.followed[words[0]] += 1
                if words[0] == "MOVED":
                    port, asking = int(words[2].rsplit(":", 1)[1]), False
                    self.slots[slot] = port
                elif words[0] == "ASK":
                    port, asking = int(words[2].rsplit(":", 1)[1]), True
                elif words[0] == "TRYAGAIN":
                    port, asking = self.slots[slot], False
                    time.sleep(0.01)
                else:
                    raise
        raise AssertionError("%s: still redirected after 200 tries" % (args,))

    def close(self):
        for c in self.connections.values():
            c.close()


class Writer(threading.Thread):
    """Writes until stopped: new keys w:N = N and increments of ctr:M, remembering what was
    acknowledged. Any error but a redirection is a failure."""

    def __init__(self, node, before=None):
        super().__init__(daemon=True)
        self.client = Redirected(node)
        self.stop = threading.Event()
        # A later writer goes on where an earlier one stopped.
        self.written = before.written if before else 0
        self.increments = list(before.increments) if before else [0] * COUNTERS
        self.error = None

    def run(self):
        try:
            while not self.stop.is_set():
                n = self.written
                self.client.call("w:%d" % n, "SET", "w:%d" % n, str(n))
                self.written += 1
                self.client.call("ctr:%d" % (n % COUNTERS), "INCR", "ctr:%d" % (n % COUNTERS))
                self.increments[n % COUNTERS] += 1
        except Exception as e:  # noqa: BLE001 - reported by the main thread
            self.error = e
        finally:
            self.client.close()


class NodeWriter:
    """The same load from ioredis's Cluster client (ioredis_cluster_writer.js, in a node
    process): io:N = N and increments of ioctr:M, until stopped; it reports what was
    acknowledged."""

    SCRIPT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "ioredis_cluster_writer.js")

    def __init__(self, node, before=None):
        self.written = before.written if before else 0
        self.increments = list(before.increments) if before else [0] * COUNTERS
        self.proc = subprocess.Popen(
            ["node", self.SCRIPT, str(node.port), str(self.written),
             ",".join(map(str, self.increments))],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    def finish(self):
        out, err = self.proc.communicate(input="", timeout=60)
        try:
            report = json.loads(out.strip().splitlines()[-1])
        except (ValueError, IndexError):
            raise AssertionError("ioredis writer: no report\n%s%s" % (out, err))
        if report["error"] or self.proc.returncode != 0:
            raise AssertionError("ioredis writer: %s" % (report["error"] or err))
        self.written, self.increments = report["written"], report["increments"]

    def check(self, rc):
        pipe = rc.pipeline()
        for n in range(self.written):
            pipe.get("io:%d" % n)
        eq(pipe.execute(), [str(n) for n in range(self.written)], "ioredis's keys")
        for m in range(COUNTERS):
            pipe.get("ioctr:%d" % m)
        eq([int(v or 0) for v in pipe.execute()], self.increments, "ioredis's counters")


def load(rc):
    """The keys that exist before any resharding; returns the queues' expected states."""
    pipe = rc.pipeline()
    for i in range(STRINGS):
        pipe.set("k:%d" % i, "v%d" % i + "." * 300)
    pipe.execute()
    for i in range(FILTERS):
        rc.execute_command("BF.MADD", "bf:%d" % i, *["item%d" % j for j in range(50)])
    states = {}
    for i in range(QUEUES):
        q = "q:%d" % i
        rc.execute_command("Q.CONFIG", q, "MAXDELIVER", "1", "LEASE", "600000")
        for j in range(6):
            rc.execute_command("Q.PUSH", q, "m%d" % j, "PRIORITY", str(j))
        rc.execute_command("Q.POP", q, "COUNT", "2")              # two in flight...
        dead = rc.execute_command("Q.POP", q)[0][0]
        rc.execute_command("Q.NACK", q, dead)                     # ...and one dead letter
        states[q] = queue_state(rc, q)
        eq((states[q]["ready"], states[q]["inflight"], states[q]["dead"]), (3, 2, 1),
           "queue %s before" % q)
    return states


def queue_state(rc, q):
    info = rc.execute_command("Q.INFO", q)
    info = dict(zip(info[0::2], info[1::2])) if isinstance(info, list) else info
    return {k: info[k] for k in ("ready", "inflight", "dead", "pushed", "delivered",
                                 "dead_lettered")}


def reshard(nodes, members, epoch, writer):
    """New membership on every node, reloaded in a shuffled order while the writer writes."""
    ports = [n.port for n in members]
    for node in nodes:
        set_membership(node, ports, epoch)
    order = nodes[:]
    random.shuffle(order)
    for node in order:
        r = redis.Redis(host=node.host, port=node.port, decode_responses=True)
        eq(r.execute_command("CLUSTER", "RELOAD"), "OK", "CLUSTER RELOAD on %d" % node.port)
        r.close()
        time.sleep(0.1)
    settled = wait_settled(nodes)
    time.sleep(0.3)  # a little more writing on the new map
    return settled


def check(nodes, members, before, writer, queues):
    """The checks of the module's docstring; returns (slots moved, keys per node)."""
    direct = [redis.Redis(host=n.host, port=n.port, decode_responses=True) for n in nodes]
    maps = [slot_owners(c) for c in direct]
    for m in maps[1:]:
        eq(m, maps[0], "slot maps agree")
    after = maps[0]
    eq(sorted(set(after.values())), sorted(n.port for n in members), "owners are the members")
    moved = [s for s in range(16384) if before[s] != after[s]]
    # Keys: each on its slot's owner only.
    seen = {}
    for node, c in zip(nodes, direct):
        for key in c.scan_iter(count=1000):
            if key in seen:
                raise AssertionError("%s on %d and %d" % (key, seen[key], node.port))
            seen[key] = node.port
            if after[key_slot(key)] != node.port:
                raise AssertionError("%s (slot %d) on %d, owner %d" % (
                    key, key_slot(key), node.port, after[key_slot(key)]))
    eq(sum(c.dbsize() for c in direct), len(seen), "DBSIZEs add up to the distinct keys")
    # Every acknowledged write.
    rc = cluster_client(members[0])
    pipe = rc.pipeline()
    for i in range(STRINGS):
        pipe.get("k:%d" % i)
    eq(pipe.execute(), ["v%d" % i + "." * 300 for i in range(STRINGS)], "loaded strings")
    for n in range(writer.written):
        pipe.get("w:%d" % n)
    eq(pipe.execute(), [str(n) for n in range(writer.written)], "written keys")
    for m in range(COUNTERS):
        pipe.get("ctr:%d" % m)
    eq([int(v or 0) for v in pipe.execute()], writer.increments, "counters")
    for q, state in queues.items():
        eq(queue_state(rc, q), state, "queue %s" % q)
    for i in range(FILTERS):
        eq(rc.execute_command("BF.MEXISTS", "bf:%d" % i, *["item%d" % j for j in range(50)]),
           [1] * 50, "filter bf:%d" % i)
    rc.close()
    per_node = {n.port: c.dbsize() for n, c in zip(nodes, direct)}
    for c in direct:
        c.close()
    return len(moved), per_node, [after[s] for s in moved]


class BlockedPops:
    """Clients blocked (Q.POP ... BLOCK 0) on empty queues across the slots. After a resharding,
    those whose queue's slot moved must have been answered -MOVED to the new owner; the others
    still wait, and get a message pushed to them."""

    def __init__(self, nodes, count=40):
        owners = slot_owners(redis.Redis(host=nodes[0].host, port=nodes[0].port))
        by_port = {n.port: n for n in nodes}
        self.waiting = []
        for i in range(count):
            key = "blockq:%d" % i
            node = by_port[owners[key_slot(key)]]
            client = RawClient(node.host, node.port)
            client.sock.sendall(b"*4\r\n$5\r\nQ.POP\r\n$%d\r\n%s\r\n$5\r\nBLOCK\r\n$1\r\n0\r\n"
                                % (len(key), key.encode()))
            self.waiting.append((key, client))

    def check(self, nodes, rc):
        """Returns how many were redirected."""
        after = slot_owners(redis.Redis(host=nodes[0].host, port=nodes[0].port))
        redirected = 0
        for key, client in self.waiting:
            owner = after[key_slot(key)]
            client.sock.settimeout(0.2)
            try:
                reply = client.reply()
            except (OSError, ConnectionError):
                reply = None  # still blocked
            client.sock.settimeout(10)
            if reply is not None:
                eq(reply, b"-MOVED %d 127.0.0.1:%d\r\n" % (key_slot(key), owner),
                   "blocked Q.POP on %s" % key)
                redirected += 1
            else:
                rc.execute_command("Q.PUSH", key, "wake")
                if not client.reply().startswith(b"*1\r\n*3\r\n"):
                    raise AssertionError("blocked Q.POP on %s not served" % key)
            client.close()
        return redirected


class ShardSubscribers:
    """A client subscribed (SSUBSCRIBE) at its owner to each of several shard channels. After a
    resharding, those whose channel's slot moved must have been told (sunsubscribe, as Redis
    Cluster does); the others still get what is published there."""

    def __init__(self, nodes, count=40):
        owners = slot_owners(redis.Redis(host=nodes[0].host, port=nodes[0].port))
        by_port = {n.port: n for n in nodes}
        self.subscribed = []
        for i in range(count):
            channel = "news:%d" % i
            node = by_port[owners[key_slot(channel)]]
            client = RawClient(node.host, node.port)
            eq(client.call("SSUBSCRIBE", channel),
               b"*3\r\n$10\r\nssubscribe\r\n$%d\r\n%s\r\n:1\r\n" % (len(channel),
                                                                       channel.encode()),
               "SSUBSCRIBE %s" % channel)
            self.subscribed.append((channel, node.port, client))

    def check(self, nodes):
        """Returns how many were unsubscribed."""
        after = slot_owners(redis.Redis(host=nodes[0].host, port=nodes[0].port))
        told = 0
        for channel, port, client in self.subscribed:
            if after[key_slot(channel)] != port:
                eq(client.reply(), b"*3\r\n$12\r\nsunsubscribe\r\n$%d\r\n%s\r\n:0\r\n"
                   % (len(channel), channel.encode()), "sunsubscribe of %s" % channel)
                told += 1
            else:
                owner = redis.Redis(host=nodes[0].host, port=port)
                eq(owner.execute_command("SPUBLISH", channel, "still"), 1, "SPUBLISH " + channel)
                owner.close()
                eq(client.reply(), b"*3\r\n$8\r\nsmessage\r\n$%d\r\n%s\r\n$5\r\nstill\r\n"
                   % (len(channel), channel.encode()), "message on %s" % channel)
            client.close()
        return told


class Run:
    """What the phases share: the nodes, the queues' expected states, the writers so far."""

    def __init__(self, nodes, queues):
        self.nodes, self.queues = nodes, queues
        self.writer = self.node_writer = None


def phase(run, members, epoch):
    """One resharding to `members` under the writers' load, checked; returns its summary."""
    nodes, newcomer = run.nodes, run.nodes[3]
    before = slot_owners(redis.Redis(host=nodes[0].host, port=nodes[0].port))
    blocked = BlockedPops(nodes)
    shard = ShardSubscribers(nodes)
    writer = run.writer = Writer(nodes[0], run.writer)
    node_writer = run.node_writer = NodeWriter(nodes[1], run.node_writer)
    writer.start()
    time.sleep(0.2)
    seconds = reshard(nodes, members, epoch, writer)
    writer.stop.set()
    writer.join(timeout=30)
    node_writer.finish()
    if writer.error:
        raise AssertionError("writer: %r" % writer.error)
    moved, per_node, targets = check(nodes, members, before, writer, run.queues)
    rc = cluster_client(members[0])
    node_writer.check(rc)
    redirected = blocked.check(nodes, rc)
    rc.close()
    told = shard.check(nodes)
    if redirected == 0 or told == 0:
        raise AssertionError("no blocked client or subscriber was on a slot that moved")
    if newcomer in members:
        eq(set(targets), {newcomer.port}, "slots moved only to the newcomer")
    else:
        eq(per_node[newcomer.port], 0, "keys left on the node that left")
    share = moved / 16384
    if not 0.15 < share < 0.35:
        raise AssertionError("%d slots moved (%.1f%%): not about 1/4" % (moved, 100 * share))
    sent = sum(int(info_fields(redis.Redis(host=n.host, port=n.port, decode_responses=True),
                               "cluster")["cluster_keys_sent"]) for n in nodes)
    return ("%d slots moved (%.1f%% of 16384, ideal 25%%), settled %.1fs after the last reload, "
            "%d keys sent so far, %d keys written so far, the writer followed %s, ioredis wrote "
            "%d keys so far, %d of %d blocked clients redirected, %d of %d shard subscribers "
            "unsubscribed, keys per node %s"
            % (moved, 100 * share, seconds, sent, writer.written, writer.client.followed,
               node_writer.written, redirected, len(blocked.waiting), told,
               len(shard.subscribed), per_node))


def main():
    pylond = servers.pylond_from_argv(NAME)
    # redis-py logs every -MOVED it follows with a traceback; during a resharding they are
    # expected, and the writers report any error they do not recover from.
    logging.getLogger("redis.cluster").setLevel(logging.CRITICAL)
    random.seed(int(os.environ.get("PYLON_TEST_SEED", "11")))
    tally = Tally(NAME)
    with servers.Servers() as running:
        nodes = [running.start(n) for n in servers.make_cluster(pylond, 4, members=3, epoch=1)]
        rc = cluster_client(nodes[0])
        queues = tally.run("load", load, rc)
        rc.close()
        if queues is not None:
            run = Run(nodes, queues)
            # The second phase goes on from the first's state: it runs only if that passed.
            if tally.run("join", phase, run, nodes, 2) is not None:
                tally.run("leave", phase, run, nodes[:3], 3)
    return tally.finish(running.problems)


if __name__ == "__main__":
    sys.exit(main())
