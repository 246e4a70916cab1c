"""What the library tests that run in-process (redis-py's Lock, django-redis, limits) share:
starting the target, asking it which of the commands a library needs it lacks, and reporting.

A library test is a function run(server) -> [problem, ...] plus the commands the library sends.
When the target lacks one of them (COMMAND INFO answers nil for it), the test is not run and is
reported skipped (exit 77, ctest's SKIP_RETURN_CODE) with the missing commands named; it runs
unchanged as soon as the target has them. Any other problem fails the test (exit 1).
"""

import os
import sys
import time

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(here, "..", "compat"))
import servers  # noqa: E402

import redis  # noqa: E402

SKIPPED = 77
WAIT_SECONDS = 20

# What the script-running helpers of redis-py send: EVALSHA first, and on -NOSCRIPT, SCRIPT LOAD
# then EVALSHA again (redis.commands.core.Script).
REDIS_PY_SCRIPTS = ["EVALSHA", "SCRIPT|LOAD"]


def missing_commands(conn, names):
    """The names (Redis 7 full names: "script|load") the server's COMMAND INFO does not know."""
    infos = conn.execute_command("COMMAND INFO", *names)
    return [name for name, info in zip(names, infos) if info is None]


def command_calls(conn, name):
    """How many times the server ran `name` (lower case), from INFO commandstats."""
    stats = conn.info("commandstats").get("cmdstat_" + name)
    return stats["calls"] if stats else 0


def wait_until(condition, what, seconds=WAIT_SECONDS):
    """Polls condition() until it is true; raises TimeoutError naming `what` after `seconds`."""
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError("%s did not happen within %d s" % (what, seconds))
        time.sleep(0.005)


def main(name, library, needs, run, success):
    """Runs run(server) on the target unless it lacks a command in `needs`; prints the problems
    and a last line (`success` when there are none); returns the exit status."""
    pylond = servers.pylond_from_argv(name)
    missing = []
    with servers.Servers() as group:
        try:
            server = group.start(servers.make_target(pylond, name=name))
            conn = redis.Redis(host=server.host, port=server.port)
            missing = missing_commands(conn, needs)
            conn.close()
            problems = [] if missing else run(server)
        except servers.ServerError as e:
            problems = ["could not start the server: %s" % e]
        except Exception as e:  # a client error is the finding: report it, stop the server
            problems = ["%s: %s" % (type(e).__name__, e)]
    problems += group.problems
    if missing and not problems:
        print("%s: skipped: %s needs %s, which the target does not have yet"
              % (name, library, ", ".join(m.upper().replace("|", " ") for m in missing)))
        return SKIPPED
    for p in problems:
        print("%s: %s" % (name, p))
    print("%s: %s" % (name, "FAILED" if problems else success))
    return 1 if problems else 0
