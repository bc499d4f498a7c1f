'use strict';
// Debian's Prometheus parts for the metrics tests: `promtool check metrics` over a metrics text,
// and a real prometheus-pushgateway on a free loopback port (stopped by its PID).
// Needs the packages `prometheus` (promtool) and `prometheus-pushgateway`.

const { spawn, spawnSync } = require('node:child_process');
const http = require('node:http');
const { findExecutable } = require('../find-executable');
const { freePort, stoppable } = require('../loopback');

const EXTRA_DIRS = ['/usr/bin', '/usr/sbin'];

/** `promtool check metrics` over `text`: { ok, output } (its complaints, if any). */
function promtoolCheck(text) {
  const promtool = findExecutable('promtool', EXTRA_DIRS);
  if (!promtool) throw new Error('promtool is not installed: apt-get install -y prometheus');
  const result = spawnSync(promtool, ['check', 'metrics'], { input: text, encoding: 'utf8', timeout: 30_000 });
  return { ok: result.status === 0, output: `${result.stdout}${result.stderr}`.trim() };
}

function get(url) {
  return new Promise((resolve, reject) => {
    const request = http.get(url, { timeout: 2000 }, (response) => {
      let body = '';
      response.on('data', (chunk) => (body += chunk));
      response.on('end', () => resolve({ status: response.statusCode, body }));
    });
    request.on('timeout', () => request.destroy(new Error('timeout')));
    request.on('error', reject);
  });
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Starts prometheus-pushgateway on 127.0.0.1 (no persistence); resolves once it answers. */
async function startPushgateway() {
  const binary = findExecutable('prometheus-pushgateway', EXTRA_DIRS) || findExecutable('pushgateway', EXTRA_DIRS);
  if (!binary) throw new Error('prometheus-pushgateway is not installed: apt-get install -y prometheus-pushgateway');
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child = spawn(binary, [`--web.listen-address=127.0.0.1:${port}`, '--persistence.file='], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk) => {
    stderr = (stderr + chunk.toString()).slice(-2000);
  });
  const { exited, stop } = stoppable(child);
  const deadline = Date.now() + 15_000;
  for (;;) {
    if (exited()) throw new Error(`prometheus-pushgateway exited: ${stderr.trim()}`);
    try {
      if ((await get(`${url}/-/ready`)).status === 200) break;
    } catch {
      // not up yet
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`prometheus-pushgateway did not answer on ${url}: ${stderr.trim()}`);
    }
    await sleep(100);
  }
  return { url, port, pid: child.pid, metrics: async () => (await get(`${url}/metrics`)).body, stop };
}

module.exports = { promtoolCheck, startPushgateway };
