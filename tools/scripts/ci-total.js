// Adds up every Jest report a CI run wrote (test-output/jest for `npm test`, test-output/jest-kafka
// for `npm run test:kafka`) and prints the run's one closing line, e.g.
// "all: 420 passed, 0 failed, 0 skipped".
const fs = require('node:fs');
const path = require('node:path');
const { failedTests } = require('./jest-failures');

const root = path.resolve(__dirname, '../..');
let passed = 0;
let failed = 0;
let skipped = 0;
for (const dir of ['test-output/jest', 'test-output/jest-kafka']) {
  const full = path.join(root, dir);
  if (!fs.existsSync(full)) continue;
  for (const file of fs.readdirSync(full).filter((f) => f.endsWith('.json'))) {
    try {
      const result = JSON.parse(fs.readFileSync(path.join(full, file), 'utf8'));
      passed += result.numPassedTests;
      failed += result.numFailedTests;
      skipped += result.numPendingTests + result.numTodoTests;
      for (const test of failedTests(result)) console.log(`failed: ${test.file}: ${test.name}`);
    } catch {
      failed += 1;
      console.log(`${dir}/${file}: unreadable results`);
    }
  }
}
console.log(`all: ${passed} passed, ${failed} failed, ${skipped} skipped`);
