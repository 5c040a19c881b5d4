/**
 * The module boundaries are enforced by lint, not hoped for: these tests lint small probe
 * sources placed inside real projects and expect the boundary rule to refuse them.
 */
import { execFileSync } from 'node:child_process';
import * as path from 'node:path';

const REPO_ROOT = path.resolve(__dirname, '../../..');
const PROBE = path.join(REPO_ROOT, 'tools/workspace-checks/lint-probe.js');

function boundaryErrors(filePath: string, code: string): string[] {
  return JSON.parse(execFileSync(process.execPath, [PROBE, filePath], { cwd: REPO_ROOT, input: code, encoding: 'utf8' })) as string[];
}

beforeAll(() => {
  // The rule reads Nx's project graph; make sure it exists even when Jest runs outside Nx.
  execFileSync(process.execPath, [require.resolve('nx/bin/nx'), 'show', 'projects'], { cwd: REPO_ROOT, stdio: 'ignore' });
}, 60_000);

describe('module boundaries', () => {
  it('refuse an app importing another app', async () => {
    const errors = boundaryErrors(
      'apps/event-gateway/src/probe.ts',
      "import { SERVICE } from '../../process-registry/src/config';\nexport const probe = SERVICE;\n",
    );
    expect(errors).toEqual(['Projects cannot be imported by a relative or absolute path, and must begin with a npm scope']);
  });

  it('refuse infrastructure in a pure library', async () => {
    const errors = boundaryErrors(
      'libs/process-model/src/probe.ts',
      "import { DataSource } from 'typeorm';\nimport { createLogger } from '@flowline/observability';\nexport const probe = [DataSource, createLogger];\n",
    );
    expect(errors).toEqual([
      'A project tagged with "kind:pure" is not allowed to import "typeorm"',
      'A project tagged with "kind:pure" can only depend on libs tagged with "kind:pure"',
    ]);
  });

  it('refuse an app importing a development tool', async () => {
    const errors = boundaryErrors(
      'apps/async-executor/src/probe.ts',
      "import { startEmbeddedPostgres } from '@flowline/dev-infra';\nexport const probe = startEmbeddedPostgres;\n",
    );
    expect(errors).toEqual(['A project tagged with "type:app" can only depend on libs tagged with "type:lib"']);
  });

  it('allow an app to use shared libraries through their alias', async () => {
    const errors = boundaryErrors(
      'apps/session-service/src/probe.ts',
      "import { Topics } from '@flowline/contracts';\nimport { loadConfig } from '@flowline/service-kit';\nexport const probe = [Topics, loadConfig];\n",
    );
    expect(errors).toEqual([]);
  });
});
