'use strict';
// Starts a throw-away moto_server (the AWS mock) on a free loopback port, for tests and the demo.
//
//   const { startMotoServer } = require('./tools/moto/moto-server');
//   const moto = await startMotoServer();  // { endpoint, port, stop(), reset() }
//
// CLI: `node tools/moto/moto-server.js` prints {"endpoint": "..."} as one JSON line on stdout and
// runs until SIGTERM/SIGINT. Needs `moto_server` on PATH (pip install "moto[server]").

const { spawn } = require('node:child_process');
const http = require('node:http');
const { findExecutable } = require('../find-executable');
const { freePort } = require('../loopback');

const START_TIMEOUT_MS = 20_000;
const POLL_INTERVAL_MS = 150;

/** Full path of `moto_server` on PATH, or undefined. */
function findMotoServer() {
  return findExecutable('moto_server');
}

/** One HTTP request to the server; resolves with the status code, rejects on network errors. */
function request(method, url, timeoutMs = 2000) {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, timeout: timeoutMs }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode));
    });
    req.on('timeout', () => req.destroy(new Error(`timeout after ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end();
  });
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Starts moto_server on `host` (loopback) and a free port; resolves once `GET /moto-api/` answers.
 * @param {{ host?: string }} [options]
 * @returns {Promise<{ endpoint: string, port: number, pid: number, stop(): Promise<void>, reset(): Promise<void> }>}
 */
async function startMotoServer({ host = '127.0.0.1' } = {}) {
  const binary = findMotoServer();
  if (!binary) {
    throw new Error('moto_server is not on PATH; install it with: pip install "moto[server]"');
  }
  const port = await freePort(host);
  const endpoint = `http://${host}:${port}`;
  const child = spawn(binary, ['-H', host, '-p', String(port)], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
  });
  let stderr = '';
  child.stderr.on('data', (chunk) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  let exited = false;
  const exitPromise = new Promise((resolve) =>
    child.once('exit', () => {
      exited = true;
      resolve();
    }),
  );
  const killOnExit = () => {
    if (!exited) child.kill('SIGKILL');
  };
  process.once('exit', killOnExit);

  const stop = async () => {
    process.removeListener('exit', killOnExit);
    if (exited) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => {
      if (!exited) child.kill('SIGKILL');
    }, 3000);
    await exitPromise;
    clearTimeout(timer);
  };

  const deadline = Date.now() + START_TIMEOUT_MS;
  for (;;) {
    if (exited) {
      process.removeListener('exit', killOnExit);
      throw new Error(`moto_server exited before it answered on ${endpoint}: ${stderr.trim()}`);
    }
    try {
      const status = await request('GET', `${endpoint}/moto-api/`, 1000);
      if (status && status < 500) break;
    } catch {
      // not up yet
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`moto_server did not answer on ${endpoint} within ${START_TIMEOUT_MS / 1000} s: ${stderr.trim()}`);
    }
    await sleep(POLL_INTERVAL_MS);
  }

  const reset = async () => {
    const status = await request('POST', `${endpoint}/moto-api/reset`, 10_000);
    if (status !== 200) throw new Error(`moto reset answered HTTP ${status}`);
  };

  return { endpoint, port, pid: child.pid, stop, reset };
}

module.exports = { startMotoServer, findMotoServer };

if (require.main === module) {
  startMotoServer()
    .then((moto) => {
      process.stdout.write(`${JSON.stringify({ endpoint: moto.endpoint, port: moto.port, pid: moto.pid })}\n`);
      const shutdown = () => {
        moto.stop().then(
          () => process.exit(0),
          () => process.exit(1),
        );
      };
      process.once('SIGTERM', shutdown);
      process.once('SIGINT', shutdown);
      // Keep the event loop alive until a signal arrives.
      setInterval(() => {}, 1 << 30);
    })
    .catch((error) => {
      process.stderr.write(`${error.message}\n`);
      process.exit(1);
    });
}
