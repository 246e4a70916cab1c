"""Celery (Debian python3-celery) on pylond, as broker and result backend: a worker process
starts, 20 tasks are sent, and each one's result comes back. Kombu keeps its queues in lists
(LPUSH/BRPOP), its bindings in sets, unacknowledged messages in a hash and a sorted set; the
backend stores results as strings and announces them over pub/sub.

Kombu's Redis transport also releases a lock with a Lua script (EVALSHA) when it restores
unacknowledged messages: on a target without scripting the test is reported skipped (exit 77,
ctest's SKIP_RETURN_CODE) with that reason, and runs as soon as the target answers EVALSHA.

    /usr/bin/python3 tests/apps/celery_app_test.py <path-to-pylond>
    PYLON_TEST_TARGET=redis /usr/bin/python3 tests/apps/celery_app_test.py
"""

import gc
import os
import signal
import subprocess
import sys
import tempfile

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, here)
sys.path.insert(0, os.path.join(here, "..", "compat"))
import servers  # noqa: E402

NAME = "celery_app_test"
RESULT_TIMEOUT = 60


SKIPPED = 77


def missing_commands(server):
    import redis
    conn = redis.Redis(host=server.host, port=server.port)
    try:
        conn.evalsha("0" * 40, 0)  # NOSCRIPT where scripting exists
        return []
    except redis.ResponseError as e:
        return ["EVALSHA"] if "unknown command" in str(e) else []
    finally:
        conn.close()


def run(server, log):
    url = "redis://%s:%d/0" % (server.host, server.port)
    env = dict(os.environ, PYLON_APP_URL=url, PYTHONPATH=here)
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "celery_app", "worker", "--pool=solo",
         "--concurrency=1", "--without-gossip", "--without-mingle", "--loglevel=INFO"],
        cwd=here, env=env, stdout=log, stderr=subprocess.STDOUT)
    problems = []
    try:
        os.environ["PYLON_APP_URL"] = url
        import celery_app
        results = [celery_app.add.delay(i, 1000) for i in range(20)]
        for i, r in enumerate(results):
            value = r.get(timeout=RESULT_TIMEOUT)
            if value != i + 1000:
                problems.append("task %d returned %r" % (i, value))
        # The results unsubscribe when collected: while the server is still there.
        del results, r
        gc.collect()
    except Exception as e:
        problems.append("%s: %s" % (type(e).__name__, e))
    finally:
        worker.send_signal(signal.SIGTERM)  # a warm shutdown
        try:
            worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()
            problems.append("the worker did not stop within 30 s of SIGTERM")
    return problems


def main():
    pylond = servers.pylond_from_argv(NAME)
    log = tempfile.NamedTemporaryFile(prefix="pylon-celery-", suffix=".log", delete=False)
    with servers.Servers() as group:
        try:
            server = group.start(servers.make_target(pylond, name=NAME))
            missing = missing_commands(server)
            problems = [] if missing else run(server, log)
        except servers.ServerError as e:
            problems, missing = ["could not start the server: %s" % e], []
    problems += group.problems
    if missing and not problems:
        os.unlink(log.name)
        print("%s: skipped: Celery's Redis transport needs %s (scripting), which the target "
              "does not have yet" % (NAME, ", ".join(missing)))
        return SKIPPED
    log.close()
    if problems:
        with open(log.name, errors="replace") as f:
            print("--- worker log (last lines) ---\n" + "".join(f.readlines()[-25:]))
    os.unlink(log.name)
    for p in problems:
        print("%s: %s" % (NAME, p))
    print("%s: %s" % (NAME, "FAILED" if problems else "20 tasks run by a worker, 20 results"))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
