module.exports = {
  ...require('../../jest.preset.js'),
  displayName: 'aws-asg',
  rootDir: __dirname,
};
