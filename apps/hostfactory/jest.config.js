const path = require('node:path');

module.exports = {
  ...require('../../jest.preset.js'),
  displayName: 'hostfactory',
  rootDir: __dirname,
  // Builds the bundle the scripts run when its sources changed.
  globalSetup: path.join(__dirname, '../../tools/jest/app-global-setup.js'),
  // Some unit tests spawn node processes (the logger's rotation across processes).
  testTimeout: 30_000,
};
