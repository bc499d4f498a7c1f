module.exports = {
  ...require('../../jest.preset.js'),
  displayName: 'checks',
  rootDir: __dirname,
  testMatch: ['<rootDir>/**/*.spec.ts'],
};
