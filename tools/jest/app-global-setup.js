'use strict';
// jest globalSetup of the app: bundle the command line the scripts run (esbuild, about a
// second; a child process, so jest's transform never touches the ESM build script), then start
// (or reuse, via MOTO_ENDPOINT) the moto_server of this run.
const { execFileSync } = require('node:child_process');
const path = require('node:path');
const motoSetup = require('../moto/jest-global-setup');

module.exports = async function globalSetup() {
  execFileSync(process.execPath, [path.join(__dirname, '..', 'build-app.mjs')], { stdio: ['ignore', 'ignore', 'inherit'] });
  await motoSetup();
};
