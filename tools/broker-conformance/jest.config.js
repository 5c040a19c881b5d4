const { jestConfig } = require('../../jest.preset');

// The broker is whichever the run's global setup provides: the development broker by default,
// Apache Kafka with FLOWLINE_TEST_KAFKA=apache (or any broker named by KAFKA_BROKERS).
module.exports = jestConfig(__dirname, {
  testTimeout: 120000,
  globalSetup: '<rootDir>/../../tools/dev-infra/src/jest/global-setup.ts',
  globalTeardown: '<rootDir>/../../tools/dev-infra/src/jest/global-teardown.ts',
});
