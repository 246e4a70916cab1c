"""Pub/sub, frame for frame against redis-server: several connections subscribe (RESP2 and
RESP3, channels, patterns, shard channels), others publish, and every frame each one receives
is compared, with the errors of the subscribed state, bare unsubscribes, RESET, PUBSUB's
introspection and a subscriber that disconnects.

    /usr/bin/python3 tests/compat/pubsub_differential_test.py <path-to-pylond> [--show]
    PYLON_TEST_TARGET=redis /usr/bin/python3 tests/compat/pubsub_differential_test.py

Where Redis's order is its hash table's (the frames of UNSUBSCRIBE without arguments, the
pmessages of several matching patterns, PUBSUB CHANNELS), the frames are compared as a set.
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import differential  # noqa: E402
import servers  # noqa: E402
from differential import cmd, listen, mask_help, mask_hello, mask_sorted, raw  # noqa: E402

NAME = "pubsub_differential_test"


def seq(conn, *commands, replies=None, **kw):
    """Several commands in one write; replies defaults to one per command."""
    return raw(conn, b"".join(servers.resp_command(*c) for c in commands),
               replies=len(commands) if replies is None else replies,
               label="%s: %s" % (conn, " | ".join(" ".join(c) for c in commands))[:100], **kw)


def quiet(conn):
    """Nothing more arrives on conn (no stray or duplicate delivery)."""
    return raw(conn, b"", replies=0, silent=True, label="%s: (nothing more)" % conn)


BIG = "x" * 3000  # above the size from which pylond shares one encoded frame

STEPS = [
    # --- wrong arity and bad subcommands
    seq("p", ("SUBSCRIBE",), ("PSUBSCRIBE",), ("SSUBSCRIBE",), ("PUBLISH",), ("PUBLISH", "a"),
        ("PUBLISH", "a", "b", "c"), ("SPUBLISH", "a"), ("PUBSUB",), ("PUBSUB", "NUMPAT", "x"),
        ("PUBSUB", "NOSUCH"), ("PUBSUB", "CHANNELS", "a", "b"),
        ("PUBSUB", "SHARDCHANNELS", "a", "b")),
    cmd("p", "PUBSUB", "HELP", mask=mask_help),

    # --- nobody listens yet
    seq("p", ("PUBLISH", "news", "nobody"), ("SPUBLISH", "news", "nobody"),
        ("PUBSUB", "NUMSUB", "news", "sport"), ("PUBSUB", "NUMPAT"), ("PUBSUB", "CHANNELS"),
        ("PUBSUB", "SHARDCHANNELS"), ("PUBSUB", "SHARDNUMSUB", "news"), ("PUBSUB", "NUMSUB")),

    # --- RESP2 subscribers: counts per frame, a repeated channel, patterns
    cmd("s1", "SUBSCRIBE", "news", "sport", replies=2),
    cmd("s1", "SUBSCRIBE", "news"),
    cmd("s2", "PSUBSCRIBE", "n*", "*o*", "h[ae]llo", replies=3),
    cmd("s2", "SUBSCRIBE", "sport"),
    # --- a RESP3 subscriber: push frames, and any command still works
    cmd("s3", "HELLO", "3", mask=mask_hello),
    cmd("s3", "SUBSCRIBE", "news"),
    cmd("s3", "PSUBSCRIBE", "ne?s"),
    seq("s3", ("SET", "k", "v"), ("GET", "k"), ("PING",), ("PING", "hi")),

    # --- publishing: the count, then what each subscriber got
    cmd("p", "PUBLISH", "news", "hello"),
    listen("s1", 1),
    listen("s2", 1),  # n* (*o* does not match "news")
    listen("s3", 2),  # the channel first, then the pattern
    cmd("p", "PUBLISH", "sport", "goal"),
    listen("s1", 1),
    listen("s2", 2),  # the channel, then *o*
    cmd("p", "PUBLISH", "hallo", "welt"),
    listen("s2", 2, unordered=True),  # *o* and h[ae]llo
    quiet("s1"),
    cmd("p", "PUBLISH", "news", BIG),  # a large message, shared between subscribers
    listen("s1", 1),
    listen("s2", 1),
    listen("s3", 2),
    cmd("p", "PUBLISH", "news", ""),  # an empty message
    listen("s1", 1),
    listen("s2", 1),
    listen("s3", 2),
    cmd("p", "PUBLISH", b"b\x00o\r\n", b"pay\r\nload\x00"),  # binary-safe both ways
    listen("s2", 1),  # *o*
    quiet("s3"),

    # --- introspection with subscribers
    cmd("p", "PUBSUB", "CHANNELS", mask=mask_sorted),
    cmd("p", "PUBSUB", "CHANNELS", "n*", mask=mask_sorted),
    cmd("p", "PUBSUB", "CHANNELS", "nomatch*"),
    seq("p", ("PUBSUB", "NUMSUB", "news", "sport", "none"), ("PUBSUB", "NUMPAT")),

    # --- the RESP2 subscribed state: only (P|S)(UN)SUBSCRIBE, PING, QUIT, RESET
    seq("s1", ("GET", "k"), ("SET", "k", "v"), ("PUBLISH", "news", "x"), ("MULTI",),
        ("HELLO", "3"), ("PUBSUB", "NUMPAT"), ("CLIENT", "ID")),
    seq("s1", ("PING",), ("PING", "hello")),
    raw("s1", b"PING\r\n"),  # inline
    raw("s1", b"GET k\r\n"),

    # --- unsubscribing: named, unknown, bare (every channel; then none left)
    cmd("s1", "UNSUBSCRIBE", "sport", "never", replies=2),
    cmd("s1", "UNSUBSCRIBE", replies=1),  # news, the last one
    cmd("s1", "UNSUBSCRIBE"),  # nothing left: a null channel and 0
    cmd("s1", "GET", "k"),  # no longer in the subscribed state
    cmd("s2", "PUNSUBSCRIBE", "n*"),
    cmd("s2", "UNSUBSCRIBE", "sport"),  # patterns remain: still subscribed
    cmd("s2", "GET", "k"),
    cmd("s2", "PUNSUBSCRIBE", replies=2, unordered=True),
    cmd("s2", "PUNSUBSCRIBE"),
    cmd("s2", "GET", "k"),

    # --- shard channels: their own count, smessage frames, no pattern delivery
    cmd("sh", "SSUBSCRIBE", "orders", "{u1}cart", replies=2),
    cmd("sh", "SUBSCRIBE", "orders"),  # a plain channel of the same name, counted apart
    cmd("p", "SPUBLISH", "orders", "o1"),
    listen("sh", 1),
    cmd("p", "PUBLISH", "orders", "o2"),
    listen("sh", 1),
    cmd("s3", "PSUBSCRIBE", "ord*"),
    cmd("p", "SPUBLISH", "orders", "o3"),  # patterns never see shard messages
    listen("sh", 1),
    quiet("s3"),
    seq("p", ("PUBSUB", "SHARDNUMSUB", "orders", "{u1}cart", "none"),
        ("PUBSUB", "SHARDCHANNELS", "orders"), ("PUBSUB", "SHARDCHANNELS", "nomatch")),
    cmd("p", "PUBSUB", "SHARDCHANNELS", mask=mask_sorted),
    cmd("sh", "GET", "k"),  # shard subscriptions put RESP2 in the subscribed state too
    cmd("sh", "SUNSUBSCRIBE", "orders"),
    cmd("sh", "SUNSUBSCRIBE", replies=1),
    cmd("sh", "SUNSUBSCRIBE"),
    cmd("sh", "UNSUBSCRIBE"),
    cmd("sh", "GET", "k"),

    # --- RESP3: bare unsubscribes, then RESET leaves the subscribed state silently
    cmd("s3", "UNSUBSCRIBE", replies=1),
    cmd("s3", "PUNSUBSCRIBE", replies=2, unordered=True),
    cmd("s3", "UNSUBSCRIBE"),
    cmd("r", "SUBSCRIBE", "a", "b", replies=2),
    cmd("r", "PSUBSCRIBE", "a*"),
    cmd("r", "RESET"),
    cmd("p", "PUBLISH", "a", "after reset"),
    cmd("r", "GET", "k"),
    quiet("r"),

    # --- SUBSCRIBE inside MULTI (RESP2): queued, then the frames inside EXEC's array
    seq("m", ("MULTI",), ("SUBSCRIBE", "q"), ("EXEC",)),
    cmd("m", "GET", "k"),
    cmd("p", "PUBLISH", "q", "queued"),
    listen("m", 1),

    # --- a subscriber that disconnects is gone from every channel and pattern
    cmd("gone", "SUBSCRIBE", "news", "other", replies=2),
    cmd("gone", "PSUBSCRIBE", "o*"),
    cmd("p", "PUBLISH", "other", "one"),
    raw("gone", b"", replies=2, close=False, label="gone: (reads 2 pushed frames)"),
    raw("gone", b"QUIT\r\n", replies=1, close=True),
    seq("p", ("PUBLISH", "other", "two"), ("PUBSUB", "NUMSUB", "news", "other"),
        ("PUBSUB", "NUMPAT")),
    cmd("p", "PUBSUB", "CHANNELS", mask=mask_sorted),
]


if __name__ == "__main__":
    sys.exit(differential.run(NAME, STEPS))
