// Adds up the Jest results every project wrote to test-output/jest/*.json and prints one
// closing line for the whole suite, e.g. "tests: 120 passed, 0 failed, 0 skipped", plus the
// projects whose runs failed, ran no test, or wrote no results at all, and each failed test with
// the first line of its failure.
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { failedTests } = require('./jest-failures');

const root = path.resolve(__dirname, '../..');
const dir = path.join(root, 'test-output/jest');
const files = fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f.endsWith('.json')) : [];
let expected = [];
try {
  const out = execFileSync(
    process.execPath,
    [require.resolve('nx/bin/nx', { paths: [root] }), 'show', 'projects', '--with-target', 'test', '--json'],
    { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] },
  );
  expected = JSON.parse(out);
} catch {
  expected = [];
}
let passed = 0;
let failed = 0;
let skipped = 0;
const problems = [];
const failures = [];
for (const file of files.sort()) {
  const project = file.replace(/\.json$/, '');
  let result;
  try {
    result = JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8'));
  } catch (error) {
    problems.push(`${project}: unreadable results (${error.message})`);
    continue;
  }
  passed += result.numPassedTests;
  failed += result.numFailedTests;
  skipped += result.numPendingTests + result.numTodoTests;
  if (result.numTotalTests === 0) problems.push(`${project}: ran no test`);
  if (result.numRuntimeErrorTestSuites > 0) problems.push(`${project}: ${result.numRuntimeErrorTestSuites} test file(s) could not run`);
  for (const test of failedTests(result)) failures.push(`${project}: ${test.file}: ${test.name}\n      ${test.firstLine}`);
  if (!result.success && result.numFailedTests === 0) problems.push(`${project}: the run failed outside any test (see its output above)`);
}
for (const project of expected) {
  if (!files.includes(`${project}.json`)) problems.push(`${project}: wrote no results (it found no test, or Jest could not start)`);
}
console.log(`\nTest summary over ${files.length} of ${expected.length || files.length} projects:`);
for (const problem of problems) console.log(`  ${problem}`);
if (failures.length > 0) console.log(`failed tests:\n${failures.map((failure) => `  ${failure}`).join('\n')}`);
console.log(`tests: ${passed} passed, ${failed} failed, ${skipped} skipped`);
