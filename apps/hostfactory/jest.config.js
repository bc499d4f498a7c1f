const path = require('node:path');

module.exports = {
  ...require('../../jest.preset.js'),
  displayName: 'hostfactory',
  rootDir: __dirname,
  globalSetup: path.join(__dirname, '../../tools/jest/app-global-setup.js'),
  globalTeardown: path.join(__dirname, '../../tools/moto/jest-global-teardown.js'),
  // End-to-end tests spawn the real scripts (a node process per call).
  testTimeout: 120_000,
};
