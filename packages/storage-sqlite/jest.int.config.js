const integration = require('../../tools/jest/integration.js');

module.exports = integration(require('./jest.config.js'), { displayName: 'storage-sqlite integration' });
