// Starting and stopping a server from a Node test, through the shared helper process
// (servers.py serve: one server on a free port, "PORT <n>" once it answers; PYLON_TEST_TARGET
// chooses pylond or redis-server there).
'use strict';

const { spawn } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const SERVERS_PY = path.join(__dirname, 'servers.py');
const PYTHON = fs.existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';

function startServer(pylond, name, directives = []) {
  return new Promise((resolve, reject) => {
    const child = spawn(PYTHON, [SERVERS_PY, 'serve', pylond, ...directives],
      { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    const exited = new Promise((res) => child.on('exit', (code, signal) => res({ code, signal })));
    child.stderr.on('data', (d) => { err += d; });
    child.stdout.on('data', (d) => {
      out += d;
      const m = out.match(/^PORT (\d+)$/m);
      if (m) resolve({ name, port: Number(m[1]), child, exited, stderr: () => err });
    });
    exited.then(({ code }) => reject(new Error(`could not start ${name} (helper exit ${code}):\n${err}`)));
  });
}

async function stopServer(server) {
  server.child.kill('SIGTERM');
  const { code, signal } = await server.exited;
  if (code !== 0) throw new Error(`${server.name} did not stop cleanly (${code ?? signal}):\n${server.stderr()}`);
}

module.exports = { startServer, stopServer };
