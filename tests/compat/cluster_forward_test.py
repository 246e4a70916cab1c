#!/usr/bin/python3
"""Cluster mode for clients that know nothing of clusters, and pub/sub across nodes:

- cluster-forward yes: a plain redis-py client on one node writes and reads keys of every slot
  (the node relays what it does not own, replies byte for byte as the owner gives them, in RESP2
  and RESP3), and each key sits on its owner;
  an owner that is stopped (SIGSTOP) or gone answers a clear -CLUSTERDOWN within
  cluster-node-timeout, no hang; once it is back, requests go through again;
- PUBLISH on one node reaches subscribers on every node (its reply counts the local ones);
  SPUBLISH goes to the shard channel's slot owner.

    /usr/bin/python3 tests/compat/cluster_forward_test.py <path-to-pylond>
"""

import os
import signal
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import servers  # noqa: E402
from cluster_common import (RawClient, Tally, eq, info_fields, key_slot,  # noqa: E402
                            slot_owners)

import redis  # noqa: E402

NAME = "cluster_forward_test"
KEYS = 3000
TIMEOUT_MS = 400


def forwarding(nodes):
    first = nodes[0]
    owners = slot_owners(redis.Redis(host=first.host, port=first.port))
    by_port = {n.port: n for n in nodes}
    r = redis.Redis(host=first.host, port=first.port, decode_responses=True)
    pipe = r.pipeline(transaction=False)  # forwarded replies keep their order
    for i in range(KEYS):
        pipe.set("fw:%d" % i, "v%d" % i)
    eq(pipe.execute(), [True] * KEYS, "pipelined SETs through node 1")
    for i in range(KEYS):
        pipe.get("fw:%d" % i)
    eq(pipe.execute(), ["v%d" % i for i in range(KEYS)], "pipelined GETs through node 1")
    r.close()
    # Replies of every shape, in RESP2 and RESP3, relayed byte for byte as the owner gives them.
    for protocol in (b"2", b"3"):
        via, direct = {}, {}
        for node in nodes:
            via[node.port] = RawClient(first.host, first.port)
            direct[node.port] = RawClient(node.host, node.port)
            via[node.port].call("HELLO", protocol)
            direct[node.port].call("HELLO", protocol)
        for i in range(60):
            key = "shape%d" % i
            port = owners[key_slot(key)]
            for client in (direct[port], via[port]):
                client.call("Q.PUSH", key, "m", "PRIORITY", "3")
            for command in [("Q.INFO", key), ("GET", key), ("Q.PEEK", key, "COUNT", "2"),
                            ("TTL", key), ("OBJECT", "ENCODING", key)]:
                eq(via[port].call(*command), direct[port].call(*command),
                   "%s via node 1, RESP%s" % (command, protocol.decode()))
        for client in list(via.values()) + list(direct.values()):
            client.close()
    # Each key is on its owner, and only there.
    for i in range(0, KEYS, 7):
        key = "fw:%d" % i
        for node in nodes:
            direct = redis.Redis(host=node.host, port=node.port, decode_responses=True)
            has = direct.execute_command("CLUSTER", "COUNTKEYSINSLOT", key_slot(key)) > 0 and \
                key in direct.execute_command("CLUSTER", "GETKEYSINSLOT", key_slot(key), 100000)
            eq(has, node.port == owners[key_slot(key)], "%s on %d" % (key, node.port))
            direct.close()
    stats = info_fields(redis.Redis(host=first.host, port=first.port, decode_responses=True),
                        "cluster")
    if int(stats["cluster_forwarded"]) < KEYS:
        raise AssertionError("cluster_forwarded %s" % stats["cluster_forwarded"])
    eq(stats["cluster_moved"], "0", "MOVED answered with forwarding on")
    # Transactions, blocking commands and subscriptions are still redirected.
    other = next(k for k in ("t%d" % i for i in range(1000))
                 if owners[key_slot(k)] != first.port)
    r = redis.Redis(host=first.host, port=first.port, decode_responses=True)
    try:
        r.execute_command("Q.POP", other, "BLOCK", "10")
        raise AssertionError("a blocking command was forwarded")
    except redis.exceptions.ResponseError as e:
        if not str(e).startswith("MOVED"):
            raise
    r.close()
    return by_port


def owner_down(nodes):
    """The owner stopped, then killed: clear errors within the timeout, then service again."""
    first, victim = nodes[0], nodes[2]
    owners = slot_owners(redis.Redis(host=first.host, port=first.port))
    key = next(k for k in ("down%d" % i for i in range(1000)) if owners[key_slot(k)] == victim.port)
    mine = next(k for k in ("up%d" % i for i in range(1000)) if owners[key_slot(k)] == first.port)
    r = redis.Redis(host=first.host, port=first.port, decode_responses=True,
                    socket_timeout=10)
    eq(r.set(key, "before"), True, "SET before")
    victim.proc.send_signal(signal.SIGSTOP)
    try:
        # A hang would end in the client's socket timeout (10 s): an error, not this one.
        try:
            r.get(key)
            raise AssertionError("GET from a stopped owner answered")
        except redis.exceptions.ResponseError as e:
            if "CLUSTERDOWN" not in str(e) or "127.0.0.1:%d" % victim.port not in str(e):
                raise AssertionError("unclear error: %s" % e)
        # The node itself still serves its own keys meanwhile.
        eq(r.set(mine, "x"), True, "a local key while another node is stopped")
    finally:
        victim.proc.send_signal(signal.SIGCONT)
    eq(r.get(key), "before", "GET once the owner is back")
    problem = victim.stop()
    if problem:
        raise AssertionError(problem)
    try:
        r.get(key)
        raise AssertionError("GET from a stopped node answered")
    except redis.exceptions.ResponseError as e:
        if "CLUSTERDOWN" not in str(e) or "connection refused" not in str(e):
            raise AssertionError("unclear error: %s" % e)
    victim.start()
    eq(r.set(key, "after"), True, "SET once the node is started again")
    eq(r.get(key), "after", "GET once the node is started again")
    r.close()


def pubsub(nodes):
    clients = [redis.Redis(host=n.host, port=n.port, decode_responses=True) for n in nodes]
    subs = [c.pubsub() for c in clients]
    for s in subs:
        s.subscribe("news")
        eq(s.parse_response(timeout=5)[0], "subscribe", "SUBSCRIBE confirmation")

    def next_message(s, i):
        message = s.parse_response(timeout=5)
        if message is None:
            raise AssertionError("no message on node %d" % (i + 1))
        return message[2]

    eq(clients[0].publish("news", "hello"), 1, "PUBLISH counts the local subscriber")
    for i, s in enumerate(subs):
        eq(next_message(s, i), "hello", "message on node %d" % (i + 1))
    # Once only: a node that sent "hello" on again would have sent it before its own "end" on
    # the same link, so each subscriber's next three messages are the three ends.
    for c in clients:
        eq(c.publish("news", "end"), 1, "PUBLISH end")
    for i, s in enumerate(subs):
        eq([next_message(s, i) for _ in clients], ["end"] * len(clients),
           "messages after hello on node %d" % (i + 1))
    # SPUBLISH goes to the shard channel's owner, relayed from any node (without forwarding it
    # is redirected: cluster_test.py).
    owner = next(n for n in nodes if n.port == slot_owners(clients[0])[key_slot("orders")])
    shard = redis.Redis(host=owner.host, port=owner.port, decode_responses=True).pubsub()
    shard.execute_command("SSUBSCRIBE", "orders")
    eq(shard.parse_response(timeout=5)[0], "ssubscribe", "SSUBSCRIBE confirmation")
    for client in clients:
        eq(client.execute_command("SPUBLISH", "orders", "x"), 1, "SPUBLISH's receivers")
    for i in range(len(clients)):
        eq(shard.parse_response(timeout=5)[:3], ["smessage", "orders", "x"], "shard message")
    shard.close()
    for s in subs:
        s.close()
    for c in clients:
        c.close()


def main():
    pylond = servers.pylond_from_argv(NAME)
    tally = Tally(NAME)
    with servers.Servers() as running:
        nodes = [running.start(n) for n in servers.make_cluster(
            pylond, 3, [("cluster-forward", "yes"), ("cluster-node-timeout", str(TIMEOUT_MS))])]
        for name, fn in [("forwarding", forwarding), ("owner_down", owner_down),
                         ("pubsub", pubsub)]:
            tally.run(name, fn, nodes)
    return tally.finish(running.problems)


if __name__ == "__main__":
    sys.exit(main())
