"""Redis's own answers for the cmsgpack/struct cases that the unit test checks Pylon against.

tests/unit/lua_libs_cases.txt holds one case a line: a Lua snippet (it ends in `return <text>`,
using the helpers of tests/unit/lua_libs_prelude.lua), a tab, and the text redis-server 7.0.15
returns for it. The unit test (tests/unit/lua_libs_test.cc) runs each snippet through Pylon's
libraries and expects that text, so its expectations are Redis's, not guesses. This script asks a
redis-server for them:

    /usr/bin/python3 tests/compat/lua_libs_reference.py            # compare the file with Redis
    /usr/bin/python3 tests/compat/lua_libs_reference.py --write    # fill in / refresh the answers
    ... [--port N]   use a redis-server already listening on 127.0.0.1:N instead of starting one

A line whose snippet has no answer yet (no tab) is filled in by --write. Lines starting with '#'
are comments. Exit status 0 when every answer in the file is Redis's.
"""

import argparse
import os
import socket
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import servers  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
CASES = os.path.join(HERE, "..", "unit", "lua_libs_cases.txt")
PRELUDE = os.path.join(HERE, "..", "unit", "lua_libs_prelude.lua")


def read_reply(f):
    """One RESP2 reply: a bulk string's bytes, or ("error", text) / ("other", line)."""
    line = f.readline()
    if line.startswith(b"$"):
        n = int(line[1:])
        if n < 0:
            return ("other", line)
        data = f.read(n + 2)[:-2]
        return data
    if line.startswith(b"-"):
        return ("error", line[1:].rstrip(b"\r\n"))
    return ("other", line.rstrip(b"\r\n"))


def script_for(prelude, snippet):
    # The same chunk the unit test loads: the prelude, a newline, the snippet.
    return prelude + "\n" + snippet


def ask(port, scripts):
    """EVALs each script (pipelined) and returns the replies in order."""
    with socket.create_connection(("127.0.0.1", port), timeout=60) as s:
        s.sendall(b"".join(servers.resp_command("EVAL", sc, "0") for sc in scripts))
        f = s.makefile("rb")
        return [read_reply(f) for _ in scripts]


def parse_cases(path):
    """[(line_index, snippet, answer or None)] for the case lines; every line kept for --write."""
    with open(path, encoding="utf-8") as fh:
        lines = fh.read().split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    cases = []
    for i, line in enumerate(lines):
        if not line or line.startswith("#"):
            continue
        snippet, sep, answer = line.partition("\t")
        cases.append((i, snippet, answer if sep else None))
    return lines, cases


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--write", action="store_true", help="write Redis's answers into the file")
    ap.add_argument("--port", type=int, help="a running redis-server's port")
    opts = ap.parse_args()

    with open(PRELUDE, encoding="utf-8") as fh:
        prelude = fh.read().rstrip("\n")
    lines, cases = parse_cases(CASES)

    server = None
    port = opts.port
    if port is None:
        server = servers.make_reference(name="reference(redis)").start()
        port = server.port
    try:
        replies = ask(port, [script_for(prelude, snippet) for _, snippet, _ in cases])
    finally:
        if server is not None:
            server.stop()

    wrong = 0
    for (i, snippet, answer), reply in zip(cases, replies):
        if not isinstance(reply, bytes):
            print("case %d: Redis answered %r (snippets must return a string)\n  %s"
                  % (i + 1, reply, snippet))
            wrong += 1
            continue
        text = reply.decode("utf-8")
        if "\t" in text or "\n" in text:
            print("case %d: Redis's answer has a tab or newline: %r" % (i + 1, text))
            wrong += 1
            continue
        if opts.write:
            lines[i] = snippet + "\t" + text
        elif answer != text:
            print("case %d differs\n  snippet: %s\n  file:    %s\n  redis:   %s"
                  % (i + 1, snippet, answer, text))
            wrong += 1
    if opts.write and not wrong:
        with open(CASES, "w", encoding="utf-8") as fh:
            fh.write("\n".join(lines) + "\n")
    print("%d cases, %d %s" % (len(cases), wrong, "unanswerable" if opts.write else "differ"))
    return 1 if wrong else 0


if __name__ == "__main__":
    sys.exit(main())
