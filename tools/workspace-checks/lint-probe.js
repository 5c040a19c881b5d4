// Lints one probe source as if it stood at the given path, printing the boundary rule's
// messages as JSON. Runs as its own process because ESLint loads eslint.config.mjs through
// a dynamic import, which Jest's module sandbox does not support.
//   node lint-probe.js <file path> < source
const path = require('node:path');
const { ESLint } = require('eslint');

const repoRoot = path.resolve(__dirname, '../..');
// The probes are not on disk, so lint them without type information (the boundary rule needs none).
const eslint = new ESLint({
  cwd: repoRoot,
  overrideConfig: [
    {
      files: ['**/*.ts'],
      languageOptions: { parserOptions: { projectService: false, project: null } },
      rules: { '@typescript-eslint/no-floating-promises': 'off', '@typescript-eslint/switch-exhaustiveness-check': 'off' },
    },
  ],
});

let source = '';
process.stdin.on('data', (chunk) => (source += chunk));
process.stdin.on('end', async () => {
  const [result] = await eslint.lintText(source, { filePath: path.join(repoRoot, process.argv[2]) });
  const messages = result.messages.filter((m) => m.ruleId === '@nx/enforce-module-boundaries').map((m) => m.message);
  process.stdout.write(JSON.stringify(messages));
});
