const path = require('node:path');
const integration = require('../../tools/jest/integration.js');

module.exports = integration(require('./jest.config.js'), {
  displayName: 'hostfactory integration',
  // A moto_server per integration test file (see the environment for why).
  testEnvironment: path.join(__dirname, '../../tools/jest/fresh-moto-environment.js'),
  // End-to-end tests spawn the real scripts (a node process per call).
  testTimeout: 120_000,
});
