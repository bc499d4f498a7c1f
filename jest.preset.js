// Shared jest settings: @swc/jest compiles TypeScript (legacy decorators + metadata) and the
// ESM-only inversify packages to CommonJS; workspace packages resolve to their sources.
const path = require('node:path');

const root = __dirname;

module.exports = {
  testEnvironment: 'node',
  transform: {
    '^.+\\.(t|j|mj)s$': [
      require.resolve('@swc/jest'),
      {
        jsc: {
          parser: { syntax: 'typescript', decorators: true },
          transform: { legacyDecorator: true, decoratorMetadata: true },
          target: 'es2022',
        },
        module: { type: 'commonjs' },
        sourceMaps: 'inline',
      },
    ],
  },
  transformIgnorePatterns: ['/node_modules/(?!(inversify|@inversifyjs)/)'],
  moduleFileExtensions: ['ts', 'js', 'mjs', 'json'],
  moduleNameMapper: {
    // Relative ESM specifiers name the emitted file (`import('./x.js')`); jest runs the TypeScript.
    '^(\\.{1,2}/.*)\\.js$': '$1',
    '^@open-hostfactory/core$': path.join(root, 'packages/core/src/index.ts'),
    '^@open-hostfactory/core/testing$': path.join(root, 'packages/core/src/testing/index.ts'),
    '^@open-hostfactory/storage-sqlite$': path.join(root, 'packages/storage-sqlite/src/index.ts'),
    '^@open-hostfactory/aws-ec2$': path.join(root, 'packages/aws-ec2/src/index.ts'),
    '^@open-hostfactory/aws-asg$': path.join(root, 'packages/aws-asg/src/index.ts'),
    '^@open-hostfactory/aws-common$': path.join(root, 'packages/aws-common/src/index.ts'),
    '^@open-hostfactory/aws-common/testing$': path.join(root, 'packages/aws-common/src/testing/index.ts'),
    '^@open-hostfactory/storage-dynamodb$': path.join(root, 'packages/storage-dynamodb/src/index.ts'),
    '^@open-hostfactory/provider-example$': path.join(root, 'packages/provider-example/src/index.ts'),
  },
  testMatch: ['<rootDir>/src/**/*.spec.ts', '<rootDir>/test/**/*.spec.ts'],
  // The unit run (the `test` target): no network, no moto_server. *.int.spec.ts files are the
  // `integration` target's (jest.int.config.js of each project, tools/jest/integration.js).
  testPathIgnorePatterns: ['/node_modules/', '\\.int\\.spec\\.ts$'],
  setupFiles: [path.join(root, 'tools/jest/env.js')],
  reporters: ['default', path.join(root, 'tools/jest/summary-reporter.js')],
};
