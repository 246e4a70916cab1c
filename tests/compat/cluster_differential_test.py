#!/usr/bin/python3
"""Differential test of cluster mode: a one-node Redis Cluster (redis-server, cluster-enabled, all
16384 slots added) and a one-node pylond cluster (cluster-nodes naming itself) answer the same
session: key slots, CROSSSLOT in commands and transactions, SELECT, ASKING/READONLY/READWRITE,
the CLUSTER subcommands' replies and error texts, HELLO and INFO in cluster mode. Replies are
compared byte for byte (differential.py), ids, ports and counters masked.

    /usr/bin/python3 cluster_differential_test.py <path-to-pylond> [--show]
"""

import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import differential  # noqa: E402
import servers  # noqa: E402
from differential import (arity, cmd, mask_each, mask_hello, mask_help, mask_sorted,  # noqa: E402
                          mask_text, masked)

import redis  # noqa: E402

NAME = "cluster_differential_test"


def mask_node(f):
    """[host, port, id, {metadata}] of CLUSTER SLOTS: the host, port and id masked (a Redis node
    that has met no other does not know its own address and shows "")."""
    t, p = f
    if t != "*" or not p or len(p) < 3:
        return f
    return (t, [masked("host"), masked("port"), masked("id")] + p[3:])


mask_slots = mask_each(lambda r: (r[0], r[1][:2] + [mask_node(r[1][2])]) if r[0] == "*" else r)


def mask_id(f):
    return masked("40 hex" if f[0] == "$" and len(f[1] or b"") == 40 else "not an id")


# CLUSTER INFO: Redis's fields, in Redis's order, with the values that describe one node owning
# every slot compared and the others (epochs, message counters) masked; fields pylond adds are
# left out.
INFO_FIELDS = ["cluster_state", "cluster_slots_assigned", "cluster_slots_ok",
               "cluster_slots_pfail", "cluster_slots_fail", "cluster_known_nodes",
               "cluster_size"]
mask_cluster_info = mask_text(lambda s: "".join(
    line + "\r\n" for line in s.split("\r\n") if line.split(":")[0] in INFO_FIELDS))

# CLUSTER NODES: "<id> <ip:port@cport[,hostname]> <flags> <master> <ping> <pong> <epoch> <link>
# <slots>": the flags, master, link state and slots compared.
mask_cluster_nodes = mask_text(lambda s: "".join(
    " ".join([w[2], w[3], w[7]] + w[8:]) + "\n" for w in (l.split(" ") for l in s.split("\n") if l)))

mask_info_cluster = mask_text(lambda s: "".join(
    line + "\r\n" for line in s.split("\r\n") if line.startswith("cluster_enabled")))
mask_redis_mode = mask_text(lambda s: "".join(
    line + "\r\n" for line in s.split("\r\n") if line.startswith("redis_mode")))

STEPS = [
    # Key slots, by Redis Cluster's examples and hash-tag rules.
    cmd("c", "CLUSTER", "KEYSLOT", "foo"),
    cmd("c", "CLUSTER", "KEYSLOT", "{user1000}.following"),
    cmd("c", "CLUSTER", "KEYSLOT", "{}x"),
    cmd("c", "CLUSTER", "KEYSLOT", "a{b}{c}"),
    cmd("c", "CLUSTER", "KEYSLOT", ""),
    arity("c", "CLUSTER", "KEYSLOT"),
    # Keys in one slot run; keys across slots do not.
    cmd("c", "MSET", "{t}a", "1", "{t}b", "2"),
    cmd("c", "MGET", "{t}a", "{t}b"),
    cmd("c", "MSET", "a", "1", "b", "2"),
    cmd("c", "MGET", "a", "b"),
    cmd("c", "DEL", "{t}a", "b"),
    cmd("c", "RENAME", "{t}a", "other"),
    cmd("c", "EXISTS", "{t}a", "{t}b", "{t}c"),
    # A transaction across slots is refused while queueing, then aborted.
    cmd("c", "MULTI"),
    cmd("c", "SET", "{t}a", "x"),
    cmd("c", "SET", "b", "y"),
    cmd("c", "EXEC"),
    cmd("c", "MULTI"),
    cmd("c", "SET", "{t}a", "x"),
    cmd("c", "GET", "{t}b"),
    cmd("c", "EXEC"),
    cmd("c", "WATCH", "a", "b"),
    # SELECT, and the cluster connection commands.
    cmd("c", "SELECT", "1"),
    cmd("c", "SELECT", "0"),
    cmd("c", "SELECT", "x"),
    cmd("c", "ASKING"),
    cmd("c", "READONLY"),
    cmd("c", "READWRITE"),
    arity("c", "ASKING", "x"),
    # CLUSTER subcommands.
    cmd("c", "CLUSTER", "COUNTKEYSINSLOT", "11652"),  # {t}'s slot... counted whatever it is
    cmd("c", "CLUSTER", "COUNTKEYSINSLOT", "-1"),
    cmd("c", "CLUSTER", "COUNTKEYSINSLOT", "16384"),
    cmd("c", "CLUSTER", "COUNTKEYSINSLOT", "x"),
    arity("c", "CLUSTER", "COUNTKEYSINSLOT"),
    cmd("c", "SET", "{s}1", "v"),
    cmd("c", "SET", "{s}2", "v"),
    cmd("c", "CLUSTER", "KEYSLOT", "{s}"),
    cmd("c", "CLUSTER", "GETKEYSINSLOT", "8963", "10", mask=mask_sorted),  # {s}'s slot
    cmd("c", "CLUSTER", "GETKEYSINSLOT", "8963", "1", mask=lambda f: masked(
        "one key" if f[0] == "*" and len(f[1]) == 1 else "other")),
    cmd("c", "CLUSTER", "GETKEYSINSLOT", "8963", "0"),
    cmd("c", "CLUSTER", "GETKEYSINSLOT", "8963", "-1"),
    cmd("c", "CLUSTER", "GETKEYSINSLOT", "16384", "1"),
    cmd("c", "CLUSTER", "GETKEYSINSLOT", "x", "1"),
    cmd("c", "CLUSTER", "GETKEYSINSLOT", "0", "x"),
    cmd("c", "CLUSTER", "MYID", mask=mask_id),
    cmd("c", "CLUSTER", "SLOTS", mask=mask_slots),
    cmd("c", "CLUSTER", "INFO", mask=mask_cluster_info),
    cmd("c", "CLUSTER", "NODES", mask=mask_cluster_nodes),
    cmd("c", "CLUSTER", "NOPE"),
    cmd("c", "CLUSTER", "HELP", mask=mask_help),
    # HELLO and INFO in cluster mode, RESP2 and RESP3.
    cmd("c", "HELLO", "2", mask=mask_hello),
    cmd("c", "INFO", "cluster", mask=mask_info_cluster),
    cmd("c", "INFO", "server", mask=mask_redis_mode),
    cmd("c3", "HELLO", "3", mask=mask_hello),
    cmd("c3", "CLUSTER", "SLOTS", mask=mask_slots),
    cmd("c3", "CLUSTER", "INFO", mask=mask_cluster_info),
    cmd("c3", "MSET", "a", "1", "b", "2"),
]


def prepare(reference, target):
    """Redis Cluster: one node, every slot added, until it says cluster_state:ok."""
    r = redis.Redis(host=reference.host, port=reference.port, decode_responses=True)
    r.execute_command("CLUSTER", "ADDSLOTSRANGE", "0", "16383")
    deadline = time.monotonic() + 20
    while "cluster_state:ok" not in r.execute_command("CLUSTER", "INFO"):
        if time.monotonic() > deadline:
            raise AssertionError("redis-server: cluster_state not ok after 20 s")
        time.sleep(0.05)
    r.close()


if __name__ == "__main__":
    sys.exit(differential.run(
        NAME, STEPS, prepare=prepare,
        # The bus port is set: Redis's default, port + 10000, fails for a free port above 55535.
        ref_directives=[("cluster-enabled", "yes"), ("cluster-config-file", "nodes.conf"),
                        ("cluster-port", str(servers.free_port()))],
        target_directives=[("cluster-enabled", "yes"), ("cluster-nodes", "127.0.0.1:$PORT")]))
