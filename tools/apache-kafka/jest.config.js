const { jestConfig } = require('../../jest.preset');

// Starting a JVM (and the first fetch from Maven Central) takes longer than Jest's default.
module.exports = jestConfig(__dirname, { testTimeout: 180000 });
