"""The `limits` rate-limiting library (Debian python3-limits) with its Redis storage
(limits.storage.RedisStorage) on pylond. Its fixed window counts with a Lua INCRBY+EXPIRE
script; its moving window keeps timestamps in a list, read and pushed by two Lua scripts (one
returns {oldest, count}, where a nil oldest empties the reply, one returns true or false); its
reset() deletes the LIMITER* keys from Lua with KEYS and DEL. All run with EVALSHA.

Checked, for the fixed and the moving window with "5/second": 5 hits pass and the 6th is
refused, test() agrees, get_window_stats counts what is left and when the window resets, a hit
of cost 3 after one of cost 3 is refused, the window opens again once its second is over; and
reset() removes every key the limiters made.

    /usr/bin/python3 tests/apps/limits_app_test.py <path-to-pylond>
    PYLON_TEST_TARGET=redis /usr/bin/python3 tests/apps/limits_app_test.py
"""

import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import app_harness  # noqa: E402

import redis  # noqa: E402
from limits import parse  # noqa: E402
from limits.storage import RedisStorage  # noqa: E402
from limits.strategies import FixedWindowRateLimiter, MovingWindowRateLimiter  # noqa: E402

NAME = "limits_app_test"
LIMIT = parse("5/second")
# Hits that take longer than this may straddle the 1 s window: the attempt says nothing and is
# made again with a fresh key (a slow machine, not a wrong answer).
CONCLUSIVE_SECONDS = 0.8
ATTEMPTS = 3


def within_window(action):
    """Runs action(key) with fresh keys until one run took less than CONCLUSIVE_SECONDS; returns
    its result, its key and its start and end times."""
    for attempt in range(ATTEMPTS):
        key = "attempt%d" % attempt
        start = time.time()
        result = action(key)
        end = time.time()
        if end - start < CONCLUSIVE_SECONDS:
            return result, key, start, end
    raise TimeoutError("%d attempts each took %.1f s or more" % (ATTEMPTS, CONCLUSIVE_SECONDS))


def check_limiter(limiter, label, problems):
    def six_hits(key):
        hits = [limiter.hit(LIMIT, label, "six", key) for _ in range(6)]
        return hits, limiter.test(LIMIT, label, "six", key), limiter.get_window_stats(
            LIMIT, label, "six", key)

    (hits, allowed, (reset, remaining)), six_key, start, end = within_window(six_hits)
    if hits != [True] * 5 + [False]:
        problems.append("%s: 6 hits answered %r, expected 5 passes then a refusal" % (label, hits))
    if allowed or remaining != 0:
        problems.append("%s: after 6 hits test() says %r and %d remain" % (label, allowed,
                                                                           remaining))
    # Whole seconds: the fixed window's reset comes from TTL, the moving window's from the
    # oldest timestamp, which the script returns as an integer (Lua number to integer reply).
    if not int(start) <= reset <= int(end) + 2:
        problems.append("%s: the window resets at %r, not within 1 s of %.3f" % (label, reset,
                                                                               start))

    def three_hits(key):
        for _ in range(3):
            limiter.hit(LIMIT, label, "three", key)
        return limiter.get_window_stats(LIMIT, label, "three", key)[1]

    remaining = within_window(three_hits)[0]
    if remaining != 2:
        problems.append("%s: after 3 of 5 hits get_window_stats says %d remain" % (label,
                                                                                 remaining))

    def costly_hits(key):
        return [limiter.hit(LIMIT, label, "cost", key, cost=3) for _ in range(2)]

    costly = within_window(costly_hits)[0]
    if costly != [True, False]:
        problems.append("%s: two hits of cost 3 answered %r" % (label, costly))

    # The window that refused the 6th hit opens again once its second is over.
    app_harness.wait_until(lambda: limiter.test(LIMIT, label, "six", six_key),
                           "%s: the window reopening" % label)
    if not limiter.hit(LIMIT, label, "six", six_key):
        problems.append("%s: a hit in the next window was refused" % label)


def run(server):
    url = "redis://%s:%d" % (server.host, server.port)
    storage = RedisStorage(url)
    problems = []
    if not storage.check():
        problems.append("the storage's health check (PING) failed")
    limiters = [FixedWindowRateLimiter(storage), MovingWindowRateLimiter(storage)]
    for limiter, label in zip(limiters, ["fixed", "moving"]):
        check_limiter(limiter, label, problems)
        limiter.hit(parse("5/minute"), label, "for reset()")  # a key that outlives the test
    conn = redis.Redis(host=server.host, port=server.port)
    made = len(conn.keys("LIMITER*"))
    deleted = storage.reset()
    if made < len(limiters) or deleted != made or conn.keys("LIMITER*"):
        problems.append("reset() deleted %d of the %d LIMITER keys, %d left"
                        % (deleted, made, len(conn.keys("LIMITER*"))))
    if app_harness.command_calls(conn, "evalsha") == 0:
        problems.append("the storage never ran a script (cmdstat_evalsha shows no call)")
    return problems


if __name__ == "__main__":
    sys.exit(app_harness.main(NAME, "the limits library's Redis storage",
                              app_harness.REDIS_PY_SCRIPTS, run,
                              "fixed and moving windows: 5/second refuses the 6th hit, "
                              "window stats, costs, reopening, reset"))
