'use strict';
// What the test servers started on loopback share (moto_server, tinyproxy, prometheus-pushgateway):
// a free port, and stopping a child process by its PID.

const net = require('node:net');

/** A loopback port that was free a moment ago (listen on 0, read it, close). */
function freePort(host = '127.0.0.1') {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, host, () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/**
 * Watches a spawned child: `exited()` says whether it ended, `stop()` sends SIGTERM, then SIGKILL
 * after 3 s, and resolves once it is gone (idempotent).
 */
function stoppable(child) {
  let exited = false;
  const exitPromise = new Promise((resolve) =>
    child.once('exit', () => {
      exited = true;
      resolve();
    }),
  );
  const stop = async () => {
    if (exited) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => {
      if (!exited) child.kill('SIGKILL');
    }, 3000);
    await exitPromise;
    clearTimeout(timer);
  };
  return { exited: () => exited, stop };
}

module.exports = { freePort, stoppable };
