"""django-redis (Debian python3-django-redis) as Django's cache on pylond, configured in-process
(django.conf.settings.configure: no project). Values are pickled strings; incr/decr run a Lua
script with EVAL (EXISTS, then INCRBY) and, when the script fails with an error reply, quietly
fall back to a TTL + GET + SET that is not atomic; its lock is redis-py's Lock (EVALSHA).

Checked: set/get/delete and the many-key forms; ttl of a key with a timeout, without one, and of
a missing key; incr/decr, and ValueError on a missing key; 4 threads incrementing one counter
lose no increment, and every incr went through EVAL without a failed call (INFO commandstats:
the fallback was never taken); the lock refuses a second owner until it is released.

    /usr/bin/python3 tests/apps/django_redis_app_test.py <path-to-pylond>
    PYLON_TEST_TARGET=redis /usr/bin/python3 tests/apps/django_redis_app_test.py
"""

import os
import sys
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import app_harness  # noqa: E402

import django  # noqa: E402
import redis  # noqa: E402
from django.conf import settings  # noqa: E402

NAME = "django_redis_app_test"
THREADS = 4
INCRS_PER_THREAD = 50
LOCK_SECONDS = 10


def eval_stats(conn):
    stats = conn.info("commandstats").get("cmdstat_eval", {})
    return stats.get("calls", 0), stats.get("failed_calls", 0)


def check_values(cache, conn, problems):
    value = {"name": "pylon", "sizes": [1, 2, 3]}
    cache.set("values:one", value, timeout=60)
    if cache.get("values:one") != value:
        problems.append("get returned %r, set %r" % (cache.get("values:one"), value))
    if not cache.delete("values:one") or cache.get("values:one", "gone") != "gone":
        problems.append("delete did not remove the value")
    many = {"values:a": 1, "values:b": "two", "values:c": [3]}
    cache.set_many(many, timeout=60)
    if cache.get_many(list(many) + ["values:none"]) != many:
        problems.append("get_many returned %r" % cache.get_many(list(many)))
    if not cache.add("values:new", 1) or cache.add("values:new", 2) or cache.get("values:new") != 1:
        problems.append("add did not keep the first value only")
    cache.set("values:timed", 1, timeout=100)
    cache.set("values:forever", 1, timeout=None)
    ttls = (cache.ttl("values:timed"), cache.ttl("values:forever"), cache.ttl("values:none"))
    if not (ttls[0] is not None and 98 <= ttls[0] <= 100) or ttls[1:] != (None, 0):
        problems.append("ttl of a 100 s key, a key without timeout and a missing key: %r "
                        "(expected about 100, None, 0)" % (ttls,))
    if conn.ttl(cache.make_key("values:timed")) != ttls[0]:
        problems.append("ttl disagrees with the server's TTL of the key")


def check_incr(cache, conn, problems):
    calls_before, failed_before = eval_stats(conn)
    cache.set("counter", 10)
    results = [cache.incr("counter"), cache.incr("counter", 5), cache.decr("counter", 3)]
    if results != [11, 16, 13]:
        problems.append("incr, incr by 5, decr by 3 from 10 gave %r" % results)
    try:
        cache.incr("counter:missing")
        problems.append("incr of a missing key succeeded")
    except ValueError:
        pass
    incrs = len(results) + 1
    errors = []

    def increment():
        try:
            for _ in range(INCRS_PER_THREAD):
                cache.incr("counter")
        except Exception as e:
            errors.append("%s: %s" % (type(e).__name__, e))

    threads = [threading.Thread(target=increment) for _ in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    incrs += THREADS * INCRS_PER_THREAD
    problems.extend("an incrementing thread: %s" % e for e in errors)
    if cache.get("counter") != 13 + THREADS * INCRS_PER_THREAD:
        problems.append("%d threads x %d incr from 13 left %r" % (THREADS, INCRS_PER_THREAD,
                                                                 cache.get("counter")))
    calls, failed = eval_stats(conn)
    if calls - calls_before != incrs or failed != failed_before:
        problems.append("%d incr/decr made %d EVAL calls, %d failed: some took the non-atomic "
                        "fallback" % (incrs, calls - calls_before, failed - failed_before))


def check_lock(cache, problems):
    first = cache.lock("lock", timeout=LOCK_SECONDS)
    second = cache.lock("lock", timeout=LOCK_SECONDS)
    if not first.acquire(blocking=False):
        return problems.append("a free lock could not be acquired")
    if second.acquire(blocking=False):
        problems.append("a held lock was acquired by a second owner")
    first.release()
    if not second.acquire(blocking=False):
        problems.append("a released lock could not be acquired")
    else:
        second.release()
    with cache.lock("lock", timeout=LOCK_SECONDS):
        if cache.lock("lock").acquire(blocking=False):
            problems.append("a lock held in a with block was acquired by a second owner")
    if cache.has_key("lock"):
        problems.append("the with block left the lock held")


def run(server):
    settings.configure(CACHES={"default": {
        "BACKEND": "django_redis.cache.RedisCache",
        "LOCATION": "redis://%s:%d/0" % (server.host, server.port),
        "OPTIONS": {"CLIENT_CLASS": "django_redis.client.DefaultClient"},
    }})
    django.setup()
    from django.core.cache import cache

    conn = redis.Redis(host=server.host, port=server.port)
    problems = []
    check_values(cache, conn, problems)
    check_incr(cache, conn, problems)
    check_lock(cache, problems)
    return problems


if __name__ == "__main__":
    sys.exit(app_harness.main(NAME, "django-redis", ["EVAL"] + app_harness.REDIS_PY_SCRIPTS, run,
                              "set/get/delete, ttl, atomic incr through EVAL, lock"))
