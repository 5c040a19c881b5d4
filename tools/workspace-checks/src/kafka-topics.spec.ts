/**
 * deploy/k8s/base/kafka-topics.yaml is generated from libs/contracts by
 * tools/scripts/write-kafka-topics.ts and must not go stale. The script runs as a process, as
 * `npm run deploy:topics` and CI run it (tools/scripts is no project a test may import).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { TopicSpecs } from '@flowline/contracts';
import { REPO_ROOT } from './deploy/k8s';

const TOPICS_FILE = 'deploy/k8s/base/kafka-topics.yaml';

function runScript(...args: string[]) {
  const result = spawnSync(process.execPath, ['-r', '@swc-node/register', 'tools/scripts/write-kafka-topics.ts', ...args], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('deploy/k8s/base/kafka-topics.yaml', () => {
  let scratch: string;
  beforeAll(() => (scratch = mkdtempSync(path.join(tmpdir(), 'kafka-topics-'))));
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  it('is what npm run deploy:topics writes from the contracts and the base ConfigMap (run it after changing either)', () => {
    expect(runScript('--check')).toEqual({ status: 0, stdout: `${TOPICS_FILE} is up to date\n`, stderr: '' });
    expect(runScript('--stdout').stdout).toBe(readFileSync(path.join(REPO_ROOT, TOPICS_FILE), 'utf8'));
  }, 60_000);

  it('fails the check when the file differs from the contracts', () => {
    const stale = path.join(scratch, 'kafka-topics.yaml');
    writeFileSync(stale, readFileSync(path.join(REPO_ROOT, TOPICS_FILE), 'utf8').replace('partitions: 6', 'partitions: 12'));
    const result = runScript('--check', '--file', stale);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('is stale: run npm run deploy:topics');
  }, 60_000);

  it('holds one KafkaTopic per topic of the contracts, named with the prefix, under valid Kubernetes names', () => {
    const documents = parseAllDocuments(runScript('--stdout', '--prefix', 'Team_A.').stdout).map(
      (d) => d.toJS() as { kind: string; metadata: { name: string }; spec: { topicName: string; partitions: number } },
    );
    expect(documents.map((d) => d.kind)).toEqual(TopicSpecs.map(() => 'KafkaTopic'));
    expect(documents.map((d) => [d.spec.topicName, d.spec.partitions])).toEqual(
      TopicSpecs.map((spec) => [`Team_A.${spec.name}`, spec.partitions]),
    );
    for (const { metadata } of documents) expect(metadata.name).toMatch(/^team-a\.[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/);
  }, 60_000);
});
