const path = require('node:path');

module.exports = {
  ...require('../../jest.preset.js'),
  displayName: 'hostfactory',
  rootDir: __dirname,
  globalSetup: path.join(__dirname, '../../tools/jest/app-global-setup.js'),
  // A moto_server per integration test file (see the environment for why).
  testEnvironment: path.join(__dirname, '../../tools/jest/fresh-moto-environment.js'),
  // End-to-end tests spawn the real scripts (a node process per call).
  testTimeout: 120_000,
};
