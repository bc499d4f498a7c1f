module.exports = {
  ...require('../../jest.preset.js'),
  displayName: 'hostfactory',
  rootDir: __dirname,
};
