const path = require('node:path');
const integration = require('../../tools/jest/integration.js');

module.exports = integration(require('./jest.config.js'), {
  displayName: 'aws-asg integration',
  // One moto_server per jest run (process.env.MOTO_ENDPOINT).
  globalSetup: path.join(__dirname, '../../tools/moto/jest-global-setup.js'),
  globalTeardown: path.join(__dirname, '../../tools/moto/jest-global-teardown.js'),
});
