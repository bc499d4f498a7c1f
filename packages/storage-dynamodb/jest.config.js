const path = require('node:path');

module.exports = {
  ...require('../../jest.preset.js'),
  displayName: 'storage-dynamodb',
  rootDir: __dirname,
  // One moto_server per jest run for the *.int.spec.ts tests (process.env.MOTO_ENDPOINT).
  globalSetup: path.join(__dirname, '../../tools/moto/jest-global-setup.js'),
  globalTeardown: path.join(__dirname, '../../tools/moto/jest-global-teardown.js'),
};
