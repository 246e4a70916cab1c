"""redis-py's Lock (Debian python3-redis) on pylond. The lock is taken with SET NX PX; release,
extend and reacquire are Lua scripts run with EVALSHA (SCRIPT LOAD on -NOSCRIPT) that act only
while the key still holds the caller's token.

Checked: acquire refuses a second owner; extend adds to the TTL and replace_ttl replaces it;
reacquire resets it; release frees the lock; a lock whose key now holds another token refuses
release, extend and reacquire with LockNotOwnedError and leaves the other owner's lock alone;
a thread blocked in acquire gets the lock only after its holder releases it; and two threads
taking the lock in turns never hold it at the same time.

    /usr/bin/python3 tests/apps/redis_py_lock_test.py <path-to-pylond>
    PYLON_TEST_TARGET=redis /usr/bin/python3 tests/apps/redis_py_lock_test.py
"""

import os
import sys
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import app_harness  # noqa: E402

import redis  # noqa: E402
from redis.exceptions import LockNotOwnedError  # noqa: E402

NAME = "redis_py_lock_test"
TIMEOUT = 10  # seconds: a lock's TTL, far longer than any step here takes
ROUNDS = 25  # per thread, in the contention check


def check_ttls(conn, problems):
    lock = conn.lock("lock:ttl", timeout=TIMEOUT)
    if not lock.acquire(blocking=False):
        return problems.append("a free lock could not be acquired")
    if not lock.owned() or not 0 < conn.pttl("lock:ttl") <= TIMEOUT * 1000:
        problems.append("after acquire: owned %s, PTTL %d" % (lock.owned(), conn.pttl("lock:ttl")))
    other = conn.lock("lock:ttl", timeout=TIMEOUT)
    if other.acquire(blocking=False):
        problems.append("a held lock was acquired by a second owner")
    lock.extend(5)
    if not (TIMEOUT * 1000 < conn.pttl("lock:ttl") <= (TIMEOUT + 5) * 1000):
        problems.append("extend(5) left PTTL %d, not in (%d, %d]"
                        % (conn.pttl("lock:ttl"), TIMEOUT * 1000, (TIMEOUT + 5) * 1000))
    lock.extend(3, replace_ttl=True)
    if not (0 < conn.pttl("lock:ttl") <= 3000):
        problems.append("extend(3, replace_ttl) left PTTL %d" % conn.pttl("lock:ttl"))
    lock.reacquire()
    if not (3000 < conn.pttl("lock:ttl") <= TIMEOUT * 1000):
        problems.append("reacquire() left PTTL %d, not the lock's %d s" % (conn.pttl("lock:ttl"),
                                                                            TIMEOUT))
    lock.release()
    if conn.exists("lock:ttl") or lock.locked():
        problems.append("release() left the lock's key")
    if not other.acquire(blocking=False):
        problems.append("a released lock could not be acquired again")
    else:
        other.release()


def check_not_owned(conn, problems):
    """The key now holds someone else's token (as after the first owner's TTL ran out)."""
    first = conn.lock("lock:lost", timeout=TIMEOUT)
    second = conn.lock("lock:lost", timeout=TIMEOUT)
    first.acquire(blocking=False)
    conn.delete("lock:lost")  # what the TTL running out does
    if not second.acquire(blocking=False):
        return problems.append("a lock whose key was gone could not be acquired")
    # release last: redis-py forgets the token before it asks the server.
    for action, call in (("extend", lambda: first.extend(5)), ("reacquire", first.reacquire),
                         ("release", first.release)):
        try:
            call()
            problems.append("%s by the former owner succeeded" % action)
        except LockNotOwnedError:
            pass
    if not second.owned() or conn.pttl("lock:lost") > TIMEOUT * 1000:
        problems.append("the former owner's calls changed the new owner's lock: owned %s, PTTL %d"
                        % (second.owned(), conn.pttl("lock:lost")))
    conn.delete("lock:lost")  # the new owner's TTL runs out too: nobody holds it now
    try:
        second.release()
        problems.append("releasing a lock whose key is gone succeeded")
    except LockNotOwnedError:
        pass


def check_handoff(conn, problems):
    """A thread blocked in acquire waits (retrying SET NX) until the holder releases."""
    holder = conn.lock("lock:handoff", timeout=TIMEOUT)
    holder.acquire(blocking=False)
    waiter_conn = redis.Redis(connection_pool=conn.connection_pool)
    waiter = waiter_conn.lock("lock:handoff", timeout=TIMEOUT, sleep=0.005)
    outcome = {}

    def wait_for_lock():
        outcome["acquired"] = waiter.acquire(blocking_timeout=app_harness.WAIT_SECONDS)
        outcome["holder_had_released"] = released.is_set()
        if outcome["acquired"]:  # the token is thread-local: only this thread can release
            outcome["owned"] = waiter.owned()
            waiter.release()

    released = threading.Event()
    sets_before = app_harness.command_calls(conn, "set")
    thread = threading.Thread(target=wait_for_lock)
    thread.start()
    # The waiter has tried (and been refused) a few times: the holder still holds it.
    app_harness.wait_until(lambda: app_harness.command_calls(conn, "set") >= sets_before + 3,
                           "the waiting thread's attempts")
    if "acquired" in outcome:
        problems.append("the waiting thread's acquire returned %r while the lock was held"
                        % outcome["acquired"])
    released.set()
    holder.release()
    thread.join(app_harness.WAIT_SECONDS + 5)
    expected = {"acquired": True, "holder_had_released": True, "owned": True}
    if outcome != expected:
        problems.append("the waiting thread: %r, expected %r" % (outcome, expected))
    elif conn.exists("lock:handoff"):
        problems.append("the waiting thread's release left the lock's key")


def check_contention(conn, problems):
    """Two threads, each taking the lock ROUNDS times and doing a read-modify-write under it."""
    state = {"holders": 0, "most": 0}
    guard = threading.Lock()
    errors = []
    conn.set("lock:counter", 0)

    def worker():
        try:
            for _ in range(ROUNDS):
                with conn.lock("lock:shared", timeout=TIMEOUT, sleep=0.001,
                               blocking_timeout=app_harness.WAIT_SECONDS):
                    with guard:
                        state["holders"] += 1
                        state["most"] = max(state["most"], state["holders"])
                    conn.set("lock:counter", int(conn.get("lock:counter")) + 1)
                    with guard:
                        state["holders"] -= 1
        except Exception as e:
            errors.append("%s: %s" % (type(e).__name__, e))

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    problems.extend("a contending thread: %s" % e for e in errors)
    if state["most"] != 1:
        problems.append("%d threads held the lock at once" % state["most"])
    counter = int(conn.get("lock:counter"))
    if counter != 2 * ROUNDS:
        problems.append("the counter is %d after %d locked increments" % (counter, 2 * ROUNDS))


def run(server):
    conn = redis.Redis(host=server.host, port=server.port)
    problems = []
    for check in (check_ttls, check_not_owned, check_handoff, check_contention):
        check(conn, problems)
    evalshas = app_harness.command_calls(conn, "evalsha")
    if evalshas == 0:
        problems.append("the lock never ran a script (cmdstat_evalsha shows no call)")
    return problems


if __name__ == "__main__":
    sys.exit(app_harness.main(NAME, "redis-py's Lock", app_harness.REDIS_PY_SCRIPTS, run,
                              "acquire, extend, reacquire, release, LockNotOwnedError, hand-off "
                              "and two contending threads as redis-py expects"))
