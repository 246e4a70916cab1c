"""RQ (Debian python3-rq) on pylond: 20 jobs and a failing one are enqueued, a burst worker runs
them all, every result comes back, and the failing job lands in the failed registry with its
exception. RQ keeps its queues in lists, its registries in sorted sets, its jobs in hashes and
its workers in sets.

On a server of version 5 or later RQ also writes each result to a stream (XADD) and reads it
back with XREVRANGE. While the target has no streams, RQ is told it talks to a Redis 4 (the
path RQ takes for one), and the test says so; results then live in the job's hash. Once the
target answers XADD, the stream path runs unchanged.

    /usr/bin/python3 tests/apps/rq_app_test.py <path-to-pylond>
    PYLON_TEST_TARGET=redis /usr/bin/python3 tests/apps/rq_app_test.py   (the same on redis-server)
"""

import os
import sys

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, here)
sys.path.insert(0, os.path.join(here, "..", "compat"))
import servers  # noqa: E402

import redis  # noqa: E402
from rq import Queue, Worker  # noqa: E402
from rq.job import JobStatus  # noqa: E402
from rq.registry import FailedJobRegistry, FinishedJobRegistry  # noqa: E402

import app_jobs  # noqa: E402

NAME = "rq_app_test"


def has_streams(conn):
    try:
        conn.execute_command("XLEN", "rq-test:no-such-stream")
        return True
    except redis.ResponseError as e:
        return "unknown command" not in str(e)


def run(server):
    conn = redis.Redis(host=server.host, port=server.port)
    if not has_streams(conn):
        print("%s: the server has no streams (XADD, XREVRANGE): results go through RQ's "
              "Redis 4 path, in the job's hash" % NAME)
        # RQ caches the server's version on the connection (rq.utils.get_version).
        setattr(conn, "__rq_redis_server_version", (4, 0, 0))
    queue = Queue("default", connection=conn)
    jobs = [queue.enqueue(app_jobs.add, i, 100) for i in range(20)]
    bad = queue.enqueue(app_jobs.fail, "on purpose")
    problems = []
    if len(queue) != 21:
        problems.append("queue holds %d jobs, not 21" % len(queue))
    worker = Worker([queue], connection=conn, name="pylon-test-worker")
    worker.work(burst=True)
    for i, job in enumerate(jobs):
        job.refresh()
        if job.get_status() != JobStatus.FINISHED or job.result != i + 100:
            problems.append("job %d: status %s, result %r" % (i, job.get_status(), job.result))
    bad.refresh()
    failed = FailedJobRegistry(queue=queue)
    if bad.get_status() != JobStatus.FAILED or bad.id not in failed.get_job_ids():
        problems.append("the failing job: status %s, failed registry %r"
                        % (bad.get_status(), failed.get_job_ids()))
    elif "on purpose" not in (bad.exc_info or ""):
        problems.append("the failing job's exception is not kept: %r" % bad.exc_info)
    finished = FinishedJobRegistry(queue=queue)
    if sorted(finished.get_job_ids()) != sorted(j.id for j in jobs):
        problems.append("finished registry holds %d jobs, not 20" % len(finished))
    if len(queue) != 0:
        problems.append("%d jobs left in the queue" % len(queue))
    return problems


def main():
    pylond = servers.pylond_from_argv(NAME)
    with servers.Servers() as group:
        try:
            server = group.start(servers.make_target(pylond, name=NAME))
            problems = run(server)
        except servers.ServerError as e:
            problems = ["could not start the server: %s" % e]
        except Exception as e:  # a client error is the finding: report it, stop the server
            problems = ["%s: %s" % (type(e).__name__, e)]
    problems += group.problems
    for p in problems:
        print("%s: %s" % (NAME, p))
    print("%s: %s" % (NAME, "FAILED" if problems else "20 jobs done, the failing one in the "
                      "failed registry"))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
