#!/usr/bin/env node
// ioredis's Cluster client (pinned in package.json; `npm ci` in tests/compat) against three
// pylond nodes in cluster mode: it discovers the nodes from CLUSTER SLOTS, writes and reads
// 10,000 keys of several types, following -MOVED where its slot table does not know better;
// then every key is checked on the node CLUSTER SLOTS names, with plain connections.
//
//   node tests/compat/ioredis_cluster_test.js <path-to-pylond>
'use strict';

const { spawn } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
let Redis;
try {
  Redis = require('ioredis');
} catch (e) {
  console.log(`ioredis_cluster_test: cannot load ioredis (${e.code}): run \`npm ci\` in ${__dirname}`);
  console.log('ioredis_cluster_test: 0 passed, 1 failed');
  process.exit(1);
}

const NAME = 'ioredis_cluster_test';
const KEYS = 10000;
const SERVERS_PY = path.join(__dirname, 'servers.py');
const PYTHON = fs.existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';

function startCluster(pylond, count) {
  return new Promise((resolve, reject) => {
    const child = spawn(PYTHON, [SERVERS_PY, 'serve-cluster', String(count), pylond],
      { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    const exited = new Promise((res) => child.on('exit', (code, signal) => res({ code, signal })));
    child.stderr.on('data', (d) => { err += d; });
    child.stdout.on('data', (d) => {
      out += d;
      const m = out.match(/^PORTS ([\d ]+)$/m);
      if (m) resolve({ ports: m[1].split(' ').map(Number), child, exited, stderr: () => err });
    });
    exited.then(({ code }) => reject(new Error(`could not start the cluster (helper exit ${code}):\n${err}`)));
  });
}

function eq(actual, expected, what) {
  const a = JSON.stringify(actual);
  const e = JSON.stringify(expected);
  if (a !== e) throw new Error(`${what}: expected ${e.slice(0, 300)}, got ${a.slice(0, 300)}`);
}

async function main() {
  const pylond = path.resolve(process.argv[2] || path.join(__dirname, '../../build/release/daemon/pylond'));
  const cluster = await startCluster(pylond, 3);
  const errors = [];
  const cc = new Redis.Cluster(cluster.ports.map((port) => ({ host: '127.0.0.1', port })),
    { redisOptions: { maxRetriesPerRequest: 2 }, clusterRetryStrategy: () => null });
  cc.on('error', (e) => errors.push(`'error' event: ${e.message}`));
  const plain = cluster.ports.map((port) => new Redis({ host: '127.0.0.1', port, lazyConnect: true }));
  let failed = 0;
  try {
    // Writes, a pipeline of a thousand at a time (ioredis groups them by node).
    const keys = [];
    for (let start = 0; start < KEYS; start += 1000) {
      const batch = [];
      for (let i = start; i < start + 1000; i++) {
        const key = `io:${i}`;
        keys.push(key);
        switch (i % 4) {
          case 0: batch.push(cc.set(key, `v${i}`)); break;
          case 1: batch.push(cc.incrby(key, i)); break;
          case 2: batch.push(cc.call('Q.PUSH', key, `job-${i}`)); break;
          default: batch.push(cc.call('BF.ADD', key, `item-${i}`)); break;
        }
      }
      await Promise.all(batch);
    }
    for (let i = 0; i < KEYS; i += 4) {
      eq(await cc.get(`io:${i}`), `v${i}`, `GET io:${i}`);
      eq(await cc.get(`io:${i + 1}`), String(i + 1), `GET io:${i + 1}`);
      eq(await cc.type(`io:${i + 2}`), 'queue', `TYPE io:${i + 2}`);
      eq(await cc.call('BF.EXISTS', `io:${i + 3}`, `item-${i + 3}`), 1, `BF.EXISTS io:${i + 3}`);
    }
    // Each key on its owner, and no node holding another's.
    for (const p of plain) await p.connect();
    const owner = new Map();
    for (const [first, last, node] of await plain[0].cluster('SLOTS')) {
      for (let s = first; s <= last; s++) owner.set(s, node[1]);
    }
    eq(owner.size, 16384, 'slots in CLUSTER SLOTS');
    const byPort = new Map(cluster.ports.map((p) => [p, []]));
    for (const key of keys) {
      const slot = await plain[0].cluster('KEYSLOT', key);
      byPort.get(owner.get(slot)).push(key);
    }
    for (const [i, port] of cluster.ports.entries()) {
      const mine = byPort.get(port);
      // One EXISTS per key: several keys in one command would span slots (-CROSSSLOT).
      const pipeline = plain[i].pipeline();
      for (const key of mine) pipeline.exists(key);
      const missing = (await pipeline.exec()).flatMap(([, n], j) => (n === 1 ? [] : [mine[j]]));
      eq(missing, [], `keys missing on their owner ${port}`);
      eq(await plain[i].dbsize(), mine.length, `keys on node ${port} (none elsewhere)`);
    }
    console.log(`${NAME}: ${KEYS} keys, per node ${cluster.ports.map((p) => byPort.get(p).length).join(' ')}`);
    if (errors.length) throw new Error(errors.join('; '));
  } catch (e) {
    failed++;
    console.log(`FAIL ${NAME}: ${e.stack}`);
  } finally {
    cc.disconnect();
    for (const p of plain) p.disconnect();
    cluster.child.kill('SIGTERM');
    const { code } = await cluster.exited;
    if (code !== 0) {
      failed++;
      console.log(`${NAME}: the nodes did not stop cleanly:\n${cluster.stderr()}`);
    }
  }
  console.log(`${NAME}: ${1 - failed} passed, ${failed} failed`);
  return failed ? 1 : 0;
}

main().then((code) => { process.exitCode = code; }, (e) => {
  console.log(`${NAME}: ${e.stack}`);
  process.exitCode = 1;
});
