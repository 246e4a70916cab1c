#!/usr/bin/env node
// A writer for cluster_reshard_test.py: ioredis's Cluster client (tests/compat/node_modules)
// writes io:N = N and increments ioctr:(N % COUNTERS) through the cluster, one after another,
// following -MOVED, -ASK and -TRYAGAIN by itself, until its standard input closes; then it
// prints what was acknowledged as one JSON line: {"first", "written", "increments"} (or with
// "error" when a command failed for good) and exits.
//
//   node ioredis_cluster_writer.js <port of a node> <first N> <increments so far, comma-separated>
'use strict';

const Redis = require('ioredis');

const [port, first, before] = process.argv.slice(2);
const increments = before.split(',').map(Number);
const cluster = new Redis.Cluster([{ host: '127.0.0.1', port: Number(port) }], {
  retryDelayOnTryAgain: 10,
  retryDelayOnMoved: 0,
  maxRedirections: 200,
  slotsRefreshTimeout: 2000,
});
// ioredis sends ASKING before an -ASK retry without awaiting it (cluster/index.js: `redis.asking()`).
// When the client drops that node's connection at the same moment (a slots refresh from a node
// still at the old epoch), that one promise rejects with "Connection is closed" and nobody
// observes it, which would end this process. The command itself is retried by ioredis
// (retryDelayOnFailover) and awaited below, so its outcome still counts; only that internal
// rejection is let go, and any other unobserved rejection still ends the writer.
process.on('unhandledRejection', (e) => {
  if (e instanceof Error && e.message === 'Connection is closed.') {
    process.stderr.write(`ioredis_cluster_writer: ignored an unobserved ${e.message}\n`);
    return;
  }
  throw e;
});
let stop = false;
process.stdin.on('end', () => { stop = true; });
process.stdin.resume();

let written = Number(first);
(async () => {
  let error = null;
  try {
    while (!stop) {
      const n = written;
      await cluster.set(`io:${n}`, String(n));
      written++;
      await cluster.incr(`ioctr:${n % increments.length}`);
      increments[n % increments.length]++;
    }
  } catch (e) {
    error = String(e);
  }
  console.log(JSON.stringify({ first: Number(first), written, increments, error }));
  cluster.disconnect();
  process.exit(error ? 1 : 0);
})();
