#!/usr/bin/env node
// BullMQ (npm, pinned in tests/compat/package.json; `npm ci` there) on pylond: a Queue adds 10
// jobs, a Worker runs them all, and every job is completed with its return value, as the Queue
// reads it back from the server. BullMQ does nearly everything in Lua scripts (ioredis EVALSHA,
// EVAL on -NOSCRIPT) over hashes, lists, sorted sets and sets, and records every state change
// in an events stream (XADD, XTRIM); its worker waits on a marker key with BZPOPMIN.
//
// The commands BullMQ needs are read from the installed BullMQ's own scripts, plus the few its
// JavaScript sends directly. When the target lacks some, the test is reported skipped (exit 77,
// ctest's SKIP_RETURN_CODE) naming them, and runs unchanged once the target has them.
//
//   node tests/apps/bullmq_app_test.js <path-to-pylond>
//   PYLON_TEST_TARGET=redis node tests/apps/bullmq_app_test.js
'use strict';

const fs = require('node:fs');
const path = require('node:path');
const { createRequire } = require('node:module');

const NAME = 'bullmq_app_test';
const COMPAT = path.join(__dirname, '..', 'compat');
const JOBS = 10;
const WAIT_MS = 60000;
const SKIPPED = 77;
const TARGET = process.env.PYLON_TEST_TARGET || 'pylond';
// What BullMQ's JavaScript sends itself, outside its scripts (classes/*.js): scripts run with
// EVALSHA and, on -NOSCRIPT, EVAL; the connection's version check (INFO) and name; the worker's
// wait for new jobs.
const CLIENT_COMMANDS = ['EVALSHA', 'EVAL', 'INFO', 'CLIENT|SETNAME', 'BZPOPMIN'];

const compatRequire = createRequire(path.join(COMPAT, 'package.json'));
const { startServer, stopServer } = require(path.join(COMPAT, 'servers'));
let bullmq;
let Redis;
try {
  bullmq = compatRequire('bullmq');
  Redis = compatRequire('ioredis');
} catch (e) {
  console.log(`${NAME}: cannot load bullmq/ioredis (${e.code}): run \`npm ci\` in ${COMPAT}`);
  process.exit(1);
}

// The commands BullMQ's Lua scripts call (rcall("XADD", ...), redis.call('DEL', ...)).
function scriptCommands() {
  const dir = path.join(path.dirname(compatRequire.resolve('bullmq')), 'commands');
  const files = fs.readdirSync(dir).filter((f) => f.endsWith('.lua')).map((f) => path.join(dir, f))
    .concat(fs.readdirSync(path.join(dir, 'includes')).map((f) => path.join(dir, 'includes', f)));
  const names = new Set();
  for (const file of files) {
    const text = fs.readFileSync(file, 'utf8');
    for (const m of text.matchAll(/\b(?:rcall|redis\.p?call)\(\s*["']([A-Za-z]+)["']/g)) {
      names.add(m[1].toUpperCase());
    }
  }
  if (names.size === 0) throw new Error(`no command found in BullMQ's scripts under ${dir}`);
  return [...names].sort();
}

async function missingCommands(port) {
  const names = [...new Set([...CLIENT_COMMANDS, ...scriptCommands()])];
  const conn = new Redis({ host: '127.0.0.1', port, lazyConnect: true });
  try {
    await conn.connect();
    const infos = await conn.call('COMMAND', 'INFO', ...names);
    return names.filter((_, i) => infos[i] === null);
  } finally {
    conn.disconnect();
  }
}

function expectedReturn(n) {
  return { n, square: n * n };
}

async function run(port) {
  const connection = { host: '127.0.0.1', port };
  const problems = [];
  const queue = new bullmq.Queue('pylon-test', { connection });
  const completed = new Map();
  let allDone;
  const done = new Promise((resolve) => { allDone = resolve; });
  const worker = new bullmq.Worker('pylon-test', async (job) => expectedReturn(job.data.n),
    { connection, concurrency: 2 });
  worker.on('completed', (job, value) => {
    completed.set(job.id, value);
    if (completed.size === JOBS) allDone();
  });
  worker.on('failed', (job, err) => problems.push(`job ${job && job.id} failed: ${err.message}`));
  worker.on('error', (err) => problems.push(`worker error: ${err.message}`));
  queue.on('error', (err) => problems.push(`queue error: ${err.message}`));
  let timer;
  try {
    const jobs = await queue.addBulk(
      Array.from({ length: JOBS }, (_, n) => ({ name: `square-${n}`, data: { n } })));
    const timeout = new Promise((resolve) => { timer = setTimeout(resolve, WAIT_MS); });
    await Promise.race([done, timeout]);
    if (completed.size !== JOBS) {
      problems.push(`the worker completed ${completed.size} of ${JOBS} jobs within ${WAIT_MS} ms`);
    }
    const counts = await queue.getJobCounts('completed', 'failed', 'active', 'wait', 'delayed');
    const want = { completed: JOBS, failed: 0, active: 0, wait: 0, delayed: 0 };
    if (JSON.stringify(counts) !== JSON.stringify(want)) {
      problems.push(`job counts ${JSON.stringify(counts)}, expected ${JSON.stringify(want)}`);
    }
    for (const added of jobs) {
      const job = await queue.getJob(added.id);
      const want1 = JSON.stringify(expectedReturn(added.data.n));
      const state = job && await job.getState();
      if (!job || state !== 'completed' || JSON.stringify(job.returnvalue) !== want1) {
        problems.push(`job ${added.id} (${added.name}): state ${state}, return value ` +
          `${JSON.stringify(job && job.returnvalue)}, expected ${want1}`);
      }
    }
  } catch (e) {
    problems.push(`${e.name}: ${e.message}`);
  } finally {
    clearTimeout(timer);
    await worker.close();
    await queue.close();
  }
  return problems;
}

async function main() {
  const pylond = path.resolve(process.argv[2] || 'none');
  if (TARGET !== 'redis' && !fs.existsSync(pylond)) {
    console.log(`${NAME}: pylond binary not found: ${process.argv[2] || ''}\n` +
      `usage: node ${NAME}.js <path-to-pylond>   (or PYLON_TEST_TARGET=redis for redis-server)`);
    return 2;
  }
  let server;
  let problems = [];
  let missing = [];
  try {
    server = await startServer(pylond, NAME);
    missing = await missingCommands(server.port);
    if (!missing.length) problems = await run(server.port);
  } catch (e) {
    problems.push(`${e.name}: ${e.message}`);
  }
  if (server) await stopServer(server).catch((e) => problems.push(e.message));
  if (missing.length && !problems.length) {
    console.log(`${NAME}: skipped: BullMQ needs ${missing.map((m) => m.replace('|', ' ')).join(', ')}, ` +
      'which the target does not have yet');
    return SKIPPED;
  }
  for (const p of problems) console.log(`${NAME}: ${p}`);
  console.log(`${NAME}: ${problems.length ? 'FAILED' : `${JOBS} jobs added by a Queue, run by a Worker, ` +
    'each completed with its return value'}`);
  return problems.length ? 1 : 0;
}

main().then((code) => { process.exitCode = code; }, (e) => {
  console.log(`${NAME}: ${e.stack}`);
  process.exitCode = 1;
});
