#!/usr/bin/env node
// ioredis (pinned in package.json; `npm ci` in tests/compat) against pylond.
//
//   node tests/compat/ioredis_test.js <path-to-pylond>
//   PYLON_TEST_TARGET=redis node tests/compat/ioredis_test.js      (against redis-server)
//
// ioredis 6 connects with HELLO 3 (RESP3) by default, sends CLIENT SETINFO, then runs its ready
// check (INFO, looking for loading:0). Both RESP3 and RESP2 clients are exercised. Any 'error'
// event that a test did not ask for, any console warning and any process warning fails the run.
'use strict';

const fs = require('node:fs');
const path = require('node:path');
let Redis;
try {
  Redis = require('ioredis');
} catch (e) {
  console.log(`ioredis_test: cannot load ioredis (${e.code}): run \`npm ci\` in ${__dirname}`);
  console.log('ioredis_test: 0 passed, 1 failed');
  process.exit(1);
}

const NAME = 'ioredis_test';
const PASSWORD = 's3cret';
const TEST_TIMEOUT_MS = 20000;
const TARGET = process.env.PYLON_TEST_TARGET || 'pylond';

// --- unexpected errors and warnings are failures, recorded here and reported per test
let unexpected = [];
for (const level of ['warn', 'error']) {
  const original = console[level].bind(console);
  console[level] = (...args) => {
    unexpected.push(`console.${level}: ${args.join(' ')}`);
    original(...args);
  };
}
process.on('warning', (w) => unexpected.push(`process warning: ${w.name}: ${w.message}`));

// --- servers, through the shared helper (servers.js, which runs servers.py serve)
const { startServer, stopServer } = require('./servers');

// --- tiny test runner
const tests = [];
const test = (name, fn) => tests.push({ name, fn });
class Skip extends Error {}

function eq(actual, expected, what) {
  const a = JSON.stringify(actual);
  const e = JSON.stringify(expected);
  if (a !== e) throw new Error(`${what}: expected ${e}, got ${a}`);
}

async function rejects(promise, contains, what) {
  try {
    await promise;
  } catch (e) {
    if (!String(e.message).includes(contains)) throw new Error(`${what}: error "${e.message}" lacks "${contains}"`);
    return e;
  }
  throw new Error(`${what}: expected an error containing "${contains}"`);
}

let env; // { target, auth }
let clients = [];

// A connected client; resolves on 'ready' (after HELLO, CLIENT SETINFO and the INFO ready check).
function connect(server, options = {}) {
  const client = new Redis({
    host: '127.0.0.1', port: server.port, lazyConnect: true, retryStrategy: null,
    maxRetriesPerRequest: 0, ...options,
  });
  client.on('error', (e) => unexpected.push(`'error' event: ${e.message}`));
  clients.push(client);
  return client.connect().then(() => client);
}

test('connect (RESP3 default), ping, echo', async () => {
  const r = await connect(env.target);
  eq(r.status, 'ready', 'status');
  eq(await r.ping(), 'PONG', 'PING');
  eq(await r.ping('msg'), 'msg', 'PING msg');
  eq(await r.echo('hello'), 'hello', 'ECHO');
  eq((await r.echoBuffer(Buffer.from([0, 255, 13, 10]))).toJSON().data, [0, 255, 13, 10], 'ECHO binary');
  const big = 'x'.repeat(1 << 20);
  eq((await r.echo(big)).length, big.length, 'ECHO 1 MB');
  eq(await r.call('hello', '3').then((h) => h.includes('proto')), true, 'HELLO 3 via call');
});

test('client setname/getname/id/info/list (RESP3)', async () => {
  const r = await connect(env.target);
  eq(await r.client('GETNAME'), null, 'CLIENT GETNAME (RESP3 null)');
  eq(await r.call('client', 'setname', 'io-test'), 'OK', 'CLIENT SETNAME via call');
  eq(await r.client('GETNAME'), 'io-test', 'CLIENT GETNAME');
  const id = await r.client('ID');
  if (!Number.isInteger(id) || id <= 0) throw new Error(`CLIENT ID: ${id}`);
  const info = String(await r.client('INFO'));
  if (!info.includes(`id=${id} `) || !info.includes('name=io-test') || !info.includes('resp=3')) {
    throw new Error(`CLIENT INFO: ${info}`);
  }
  const list = String(await r.client('LIST'));
  if (!list.includes('name=io-test')) throw new Error(`CLIENT LIST lacks this client: ${list}`);
  await rejects(r.client('SETNAME', 'a b'), 'Client names cannot contain spaces', 'SETNAME with a space');
});

test('connectionName option (CLIENT SETNAME on connect)', async () => {
  const r = await connect(env.target, { connectionName: 'named-on-connect' });
  eq(await r.client('GETNAME'), 'named-on-connect', 'CLIENT GETNAME');
});

test('CLIENT SETINFO (sent by ioredis on connect)', async () => {
  if (TARGET === 'redis') throw new Skip('redis-server 7.0 has no CLIENT SETINFO (7.2+)');
  const r = await connect(env.target);
  eq(await r.client('SETINFO', 'LIB-NAME', 'pylon-test'), 'OK', 'CLIENT SETINFO LIB-NAME');
  eq(await r.client('SETINFO', 'LIB-VER', '1.2.3'), 'OK', 'CLIENT SETINFO LIB-VER');
});

test('info, config get (map in RESP3, legacy shape), dbsize, time', async () => {
  const r = await connect(env.target);
  const info = await r.info();
  if (!/\r\nloading:0\r\n/.test(info) || !/redis_version:/.test(info)) throw new Error('INFO lacks loading:0 / redis_version');
  if (!(await r.info('persistence')).includes('loading:0')) throw new Error('INFO persistence lacks loading:0');
  eq(await r.config('GET', 'maxclients'), ['maxclients', '10000'], 'CONFIG GET maxclients');
  eq(await r.config('GET', 'nosuchconfig*'), [], 'CONFIG GET non-matching');
  eq(await r.config('SET', 'timeout', '0'), 'OK', 'CONFIG SET timeout 0');
  eq(await r.dbsize(), 0, 'DBSIZE');
  const [secs, usecs] = await r.time();
  if (!(Number(secs) > 1.6e9) || !(Number(usecs) < 1e6)) throw new Error(`TIME: ${secs} ${usecs}`);
});

test('RESP2 client (protocol: 2)', async () => {
  const r = await connect(env.target, { protocol: 2 });
  eq(await r.ping(), 'PONG', 'PING');
  eq(await r.echo('two'), 'two', 'ECHO');
  eq(await r.client('GETNAME'), null, 'CLIENT GETNAME');
  if (!String(await r.client('INFO')).includes('resp=2')) throw new Error('CLIENT INFO: not resp=2');
  eq(await r.config('GET', 'maxclients'), ['maxclients', '10000'], 'CONFIG GET');
});

for (const protocol of [3, 2]) {
  test(`pipeline and multi/exec (RESP${protocol})`, async () => {
    const r = await connect(env.target, { protocol, connectionName: 'tx' });
    eq(await r.pipeline().ping().echo('a').client('GETNAME').exec(),
      [[null, 'PONG'], [null, 'a'], [null, 'tx']], 'pipeline');
    eq(await r.multi().ping().echo('b').client('GETNAME').exec(),
      [[null, 'PONG'], [null, 'b'], [null, 'tx']], 'MULTI/EXEC');
    await rejects(r.multi().echo('x').call('foo').exec(), 'EXECABORT', 'MULTI with an unknown command');
    eq(await r.watch('k'), 'OK', 'WATCH');
    eq(await r.multi().ping().exec(), [[null, 'PONG']], 'WATCH + MULTI/EXEC');
    eq(await r.unwatch(), 'OK', 'UNWATCH');
    const many = r.pipeline();
    for (let i = 0; i < 1000; i++) many.echo(String(i));
    const replies = await many.exec();
    eq(replies.map(([, v]) => v), Array.from({ length: 1000 }, (_, i) => String(i)), '1000 pipelined ECHOs');
    eq(await r.echo('after'), 'after', 'connection usable afterwards');
  });
}

test('errors: unknown command, wrong arity', async () => {
  const r = await connect(env.target);
  await rejects(r.call('foo', 'a', 'b'), "ERR unknown command 'foo', with args beginning with: 'a' 'b' ", 'unknown command');
  await rejects(r.call('echo'), "ERR wrong number of arguments for 'echo' command", 'wrong arity');
  await rejects(r.select(1), 'ERR DB index is out of range', 'SELECT 1');
  eq(await r.ping(), 'PONG', 'still usable');
});

for (const protocol of [3, 2]) {
  test(`requirepass: password option (RESP${protocol})`, async () => {
    const r = await connect(env.auth, { password: PASSWORD, protocol });
    eq(await r.ping(), 'PONG', 'PING after AUTH');
    const u = await connect(env.auth, { username: 'default', password: PASSWORD, protocol });
    eq(await u.echo('u'), 'u', 'ECHO after AUTH default');
  });
}

test('requirepass: wrong or missing password fails to connect', async () => {
  for (const options of [{ password: 'wrong' }, { password: 'wrong', protocol: 2 }, {}]) {
    const client = new Redis({
      host: '127.0.0.1', port: env.auth.port, lazyConnect: true, retryStrategy: null,
      maxRetriesPerRequest: 0, ...options,
    });
    const errors = [];
    client.on('error', (e) => errors.push(e.message)); // expected here
    clients.push(client);
    const e = await rejects(client.connect(), '', `connect with ${JSON.stringify(options)}`);
    const seen = [e.message, ...errors].join(' | ');
    if (!/WRONGPASS|NOAUTH/.test(seen)) throw new Error(`${JSON.stringify(options)}: unexpected errors: ${seen}`);
  }
});

// Resolves with the first `count` events `name` emits on `emitter`, as arrays of their arguments.
function nextEvents(emitter, name, count) {
  return new Promise((resolve) => {
    const seen = [];
    const on = (...args) => {
      seen.push(args);
      if (seen.length === count) {
        emitter.off(name, on);
        resolve(seen);
      }
    };
    emitter.on(name, on);
  });
}

for (const protocol of [3, 2]) {
  test(`subscriber mode (RESP${protocol}): message, pmessage, smessage events`, async () => {
    const sub = await connect(env.target, { protocol });
    const pub = await connect(env.target);
    eq(await sub.subscribe('news', 'sport'), 2, 'SUBSCRIBE: the count');
    eq(await sub.psubscribe('ev:*'), 3, 'PSUBSCRIBE: the count');
    eq(await sub.ssubscribe('orders'), 1, 'SSUBSCRIBE: its own count');
    const messages = nextEvents(sub, 'message', 2);
    const pmessages = nextEvents(sub, 'pmessage', 1);
    const smessages = nextEvents(sub, 'smessage', 1);
    const big = 'b'.repeat(5000); // a shared frame
    eq(await pub.publish('news', 'hello'), 1, 'PUBLISH news');
    eq(await pub.publish('sport', big), 1, 'PUBLISH sport (5000 bytes)');
    eq(await pub.publish('ev:login', 'u1'), 1, 'PUBLISH ev:login');
    eq(await pub.spublish('orders', 'o1'), 1, 'SPUBLISH orders');
    eq(await messages, [['news', 'hello'], ['sport', big]], "'message' events");
    eq(await pmessages, [['ev:*', 'ev:login', 'u1']], "'pmessage' event");
    eq(await smessages, [['orders', 'o1']], "'smessage' event");
    eq(await pub.pubsub('NUMSUB', 'news', 'none'), ['news', 1, 'none', 0], 'PUBSUB NUMSUB');
    // Named: ioredis's argument-less unsubscribe() waits forever, against redis-server too.
    eq(await sub.unsubscribe('news', 'sport'), 1, 'UNSUBSCRIBE: the pattern remains');
    eq(await sub.punsubscribe('ev:*'), 0, 'PUNSUBSCRIBE');
    eq(await sub.sunsubscribe('orders'), 0, 'SUNSUBSCRIBE');
    eq(await pub.publish('news', 'nobody'), 0, 'PUBLISH after unsubscribing');
    eq(await sub.ping(), 'PONG', 'PING out of subscriber mode');
  });
}

test('quit', async () => {
  const r = await connect(env.target);
  const ended = new Promise((res) => r.once('end', res));
  eq(await r.quit(), 'OK', 'QUIT');
  await ended;
  eq(r.status, 'end', 'status after QUIT');
});

// --- main
function withTimeout(promise, ms, what) {
  let timer;
  return Promise.race([
    promise,
    new Promise((_, rej) => { timer = setTimeout(() => rej(new Error(`${what}: timed out after ${ms} ms`)), ms); }),
  ]).finally(() => clearTimeout(timer));
}

async function main() {
  const pylond = path.resolve(process.argv[2] || 'none');
  if (TARGET !== 'redis') {
    try { fs.accessSync(pylond, fs.constants.X_OK); } catch {
      console.log(`${NAME}: pylond binary not found or not executable: ${process.argv[2] || ''}\n` +
        `usage: node ${NAME}.js <path-to-pylond>   (or PYLON_TEST_TARGET=redis to test redis-server)`);
      return 2;
    }
  }
  let passed = 0;
  let failed = 0;
  let skipped = 0;
  const servers = [];
  try {
    env = {
      target: await startServer(pylond, TARGET),
      auth: await startServer(pylond, `${TARGET}(auth)`, ['requirepass', PASSWORD]),
    };
    servers.push(env.target, env.auth);
  } catch (e) {
    console.log(`${NAME}: ${e.message}`);
    for (const s of servers) await stopServer(s).catch(() => {});
    console.log(`${NAME}: 0 passed, 1 failed`);
    return 1;
  }
  for (const { name, fn } of tests) {
    unexpected = [];
    try {
      await withTimeout(fn(), TEST_TIMEOUT_MS, name);
      await new Promise((res) => setImmediate(res)); // let late 'error' events arrive
      if (unexpected.length) throw new Error(unexpected.join('; '));
      passed++;
    } catch (e) {
      if (e instanceof Skip) {
        skipped++;
        console.log(`skip ${name}: ${e.message}`);
      } else {
        failed++;
        console.log(`FAIL ${name}: ${e.message}`);
      }
    } finally {
      for (const c of clients) c.disconnect();
      clients = [];
    }
  }
  for (const s of [env.auth, env.target]) {
    try { await stopServer(s); } catch (e) { failed++; console.log(`${NAME}: ${e.message}`); }
  }
  console.log(`${NAME}: ${passed} passed, ${failed} failed, ${skipped} skipped`);
  return failed ? 1 : 0;
}

main().then((code) => { process.exitCode = code; }, (e) => {
  console.log(`${NAME}: ${e.stack}`);
  process.exitCode = 1;
});
