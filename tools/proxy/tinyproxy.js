'use strict';
// Starts Debian's tinyproxy (a real forward proxy) on a free loopback port, in the foreground,
// with its own config and log in a temp dir; for the proxy tests. Stop it by its PID with stop().
//
//   const proxy = await startTinyproxy();  // { url, port, pid, requests(), stop() }
//
// `requests()` reads tinyproxy's log: every request it forwarded (`GET http://...`, or
// `CONNECT host:443` for https), in order. Needs `tinyproxy` on PATH (apt-get install -y tinyproxy).

const { spawn } = require('node:child_process');
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');
const { findExecutable } = require('../find-executable');
const { freePort, stoppable } = require('../loopback');

const START_TIMEOUT_MS = 10_000;

/** Full path of `tinyproxy` (PATH, then /usr/bin and /usr/sbin), or undefined. */
function findTinyproxy() {
  return findExecutable('tinyproxy', ['/usr/bin', '/usr/sbin']);
}

function canConnect(port) {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function startTinyproxy() {
  const binary = findTinyproxy();
  if (!binary) throw new Error('tinyproxy is not installed: apt-get install -y tinyproxy');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tinyproxy-'));
  const port = await freePort();
  const log = path.join(dir, 'tinyproxy.log');
  const config = path.join(dir, 'tinyproxy.conf');
  fs.writeFileSync(
    config,
    [
      'Listen 127.0.0.1',
      `Port ${port}`,
      'Timeout 60',
      `LogFile "${log}"`,
      'LogLevel Connect',
      'MaxClients 200',
      'Allow 127.0.0.1',
      // Forwarded requests carry `Via: 1.1 tinyproxy`, so the server behind can tell them apart.
      'DisableViaHeader No',
      'ConnectPort 443',
      '',
    ].join('\n'),
  );
  const child = spawn(binary, ['-d', '-c', config], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk) => {
    stderr = (stderr + chunk.toString()).slice(-2000);
  });
  const { exited, stop } = stoppable(child);
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (!(await canConnect(port))) {
    if (exited()) throw new Error(`tinyproxy exited before it listened: ${stderr.trim()}`);
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`tinyproxy did not listen on 127.0.0.1:${port} within ${START_TIMEOUT_MS / 1000} s: ${stderr.trim()}`);
    }
    await sleep(50);
  }
  const requests = () => {
    let text = '';
    try {
      text = fs.readFileSync(log, 'utf8');
    } catch {
      return [];
    }
    return [...text.matchAll(/Request \(file descriptor \d+\): (\S+ \S+)/g)].map((match) => match[1]);
  };
  return { url: `http://127.0.0.1:${port}`, port, pid: child.pid, requests, stop };
}

module.exports = { startTinyproxy, findTinyproxy };
