'use strict';
// jest globalSetup of the app: bundle the command line the scripts run (esbuild, about a
// second; a child process, so jest's transform never touches the ESM build script). Each
// integration test file starts its own moto_server (fresh-moto-environment.js).
const { execFileSync } = require('node:child_process');
const path = require('node:path');

module.exports = async function globalSetup() {
  execFileSync(process.execPath, [path.join(__dirname, '..', 'build-app.mjs')], { stdio: ['ignore', 'ignore', 'inherit'] });
};
