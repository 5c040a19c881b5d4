const { jestConfig } = require('../../jest.preset');

module.exports = jestConfig(__dirname, {
  globalSetup: '<rootDir>/../../tools/dev-infra/src/jest/global-setup.ts',
  globalTeardown: '<rootDir>/../../tools/dev-infra/src/jest/global-teardown.ts',
  testTimeout: 300000,
});
