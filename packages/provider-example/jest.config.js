module.exports = {
  ...require('../../jest.preset.js'),
  displayName: 'provider-example',
  rootDir: __dirname,
};
