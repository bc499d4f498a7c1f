module.exports = {
  ...require('../../jest.preset.js'),
  displayName: 'aws-ec2',
  rootDir: __dirname,
};
