'use strict';
// The integration run of a project: only its *.int.spec.ts files (moto_server, real processes,
// real proxies), from its unit config (jest.config.js, which leaves them out). Used by each
// project's jest.int.config.js, the `integration` target.
module.exports = function integration(config, extra = {}) {
  return {
    ...config,
    testMatch: ['<rootDir>/src/**/*.int.spec.ts', '<rootDir>/test/**/*.int.spec.ts'],
    testPathIgnorePatterns: ['/node_modules/'],
    ...extra,
  };
};
