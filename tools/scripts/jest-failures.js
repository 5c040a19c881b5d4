// The failed tests of one Jest JSON report (`--json --outputFile`): each with its file (relative to
// the repository), its full name and the first line of its failure. Shared by jest-summary.js and
// ci-total.js.
const path = require('node:path');

const root = path.resolve(__dirname, '../..');

function failedTests(result) {
  const failed = [];
  for (const suite of result.testResults ?? []) {
    for (const test of suite.assertionResults ?? []) {
      if (test.status !== 'failed') continue;
      const firstLine =
        (test.failureMessages ?? [])
          .join('\n')
          .split('\n')
          .find((line) => line.trim()) ?? '';
      failed.push({ file: path.relative(root, suite.name), name: test.fullName, firstLine: firstLine.trim().slice(0, 300) });
    }
  }
  return failed;
}

module.exports = { failedTests };
