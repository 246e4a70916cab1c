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
