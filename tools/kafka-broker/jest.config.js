const { jestConfig } = require('../../jest.preset');

module.exports = jestConfig(__dirname, { testTimeout: 60000 });
