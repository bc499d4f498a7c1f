'use strict';
// jest globalSetup: one moto_server per jest run, exposed to the test workers as
// process.env.MOTO_ENDPOINT (set here, before the workers spawn, so they inherit it).
// The pid goes to a temp file that jest-global-teardown.js reads.
// When MOTO_ENDPOINT is already set (e.g. CI started a server), that one is used as it is.

const fs = require('node:fs');
const { startMotoServer } = require('./moto-server');
const { pidFile } = require('./pid-file');

module.exports = async function globalSetup() {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
  if (process.env.MOTO_ENDPOINT) return;
  const moto = await startMotoServer();
  process.env.MOTO_ENDPOINT = moto.endpoint;
  fs.writeFileSync(pidFile(), String(moto.pid));
  // Same process runs the teardown: keep the handle for a clean stop there.
  globalThis.__MOTO_SERVER__ = moto;
};
