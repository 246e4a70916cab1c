"""Sidekiq (Debian ruby-sidekiq) on pylond: 10 jobs are pushed by a Ruby client (one of them
through the scheduled set), a Sidekiq process runs them, and all 10 results are recorded.
Sidekiq pushes with LPUSH and SADD in MULTI, fetches with BRPOP, schedules in a sorted set
(ZADD, ZRANGEBYSCORE, ZREM) and keeps its process heartbeats in hashes and sets.

    /usr/bin/python3 tests/apps/sidekiq_app_test.py <path-to-pylond>
    PYLON_TEST_TARGET=redis /usr/bin/python3 tests/apps/sidekiq_app_test.py
"""

import os
import signal
import subprocess
import sys
import tempfile
import time

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(here, "..", "compat"))
import servers  # noqa: E402

import redis  # noqa: E402

NAME = "sidekiq_app_test"
JOBS = 10
WAIT_SECONDS = 60


def run(server, log):
    url = "redis://%s:%d/0" % (server.host, server.port)
    env = dict(os.environ, PYLON_APP_URL=url)
    app = os.path.join(here, "sidekiq_app.rb")
    problems = []
    push = subprocess.run(["ruby", app, str(JOBS)], env=env, stdout=log, stderr=subprocess.STDOUT,
                          timeout=60)
    if push.returncode != 0:
        return ["the client could not push the jobs (exit %d)" % push.returncode]
    # -t 5: a shutdown waits at most 5 s for running jobs. The scheduler moves the scheduled
    # job on its first poll, soon after start-up.
    worker = subprocess.Popen(["sidekiq", "-r", app, "-c", "2", "-t", "5"], env=env, stdout=log,
                              stderr=subprocess.STDOUT)
    conn = redis.Redis(host=server.host, port=server.port)
    try:
        deadline = time.monotonic() + WAIT_SECONDS
        while conn.llen("pylon:results") < JOBS and time.monotonic() < deadline:
            if worker.poll() is not None:
                problems.append("sidekiq exited with status %d" % worker.returncode)
                break
            time.sleep(0.2)
        got = sorted(x.decode() for x in conn.lrange("pylon:results", 0, -1))
        want = sorted("%d:%d" % (i, i * i) for i in range(JOBS))
        if got != want:
            problems.append("results %r, expected %r" % (got, want))
    except Exception as e:
        problems.append("%s: %s" % (type(e).__name__, e))
    finally:
        if worker.poll() is None:
            worker.send_signal(signal.SIGTERM)
            try:
                worker.wait(timeout=30)
            except subprocess.TimeoutExpired:
                worker.kill()
                worker.wait()
                problems.append("sidekiq did not stop within 30 s of SIGTERM")
    return problems


def main():
    pylond = servers.pylond_from_argv(NAME)
    log = tempfile.NamedTemporaryFile(prefix="pylon-sidekiq-", suffix=".log", delete=False)
    with servers.Servers() as group:
        try:
            server = group.start(servers.make_target(pylond, name=NAME))
            problems = run(server, log)
        except servers.ServerError as e:
            problems = ["could not start the server: %s" % e]
    problems += group.problems
    log.close()
    if problems:
        with open(log.name, errors="replace") as f:
            print("--- sidekiq log (last lines) ---\n" + "".join(f.readlines()[-25:]))
    os.unlink(log.name)
    for p in problems:
        print("%s: %s" % (NAME, p))
    print("%s: %s" % (NAME, "FAILED" if problems else "%d jobs run by sidekiq" % JOBS))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
