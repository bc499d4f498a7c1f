'use strict';
// jest globalTeardown: stops the moto_server that jest-global-setup.js started.

const fs = require('node:fs');
const { pidFile } = require('./pid-file');

module.exports = async function globalTeardown() {
  const moto = globalThis.__MOTO_SERVER__;
  const file = pidFile();
  if (moto) {
    await moto.stop();
    globalThis.__MOTO_SERVER__ = undefined;
    delete process.env.MOTO_ENDPOINT;
  } else if (fs.existsSync(file)) {
    const pid = Number(fs.readFileSync(file, 'utf8'));
    if (Number.isInteger(pid) && pid > 0) {
      try {
        process.kill(pid, 'SIGTERM');
      } catch {
        // already gone
      }
    }
  }
  fs.rmSync(file, { force: true });
};
