/** deploy/k8s/base/kafka-topics.yaml is generated from libs/contracts and must not go stale. */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { parse, parseAllDocuments } from 'yaml';
import { TopicSpecs } from '@flowline/contracts';
import { BASE_CONFIGMAP_FILE, KAFKA_TOPICS_FILE, renderKafkaTopics, resourceNameOf, topicPrefixOf } from '../../scripts/kafka-topics';
import { REPO_ROOT } from './deploy/k8s';

const read = (file: string) => readFileSync(path.join(REPO_ROOT, file), 'utf8');

describe('deploy/k8s/base/kafka-topics.yaml', () => {
  it('is what npm run deploy:topics writes from the contracts and the base ConfigMap (run it after changing either)', () => {
    const expected = renderKafkaTopics(topicPrefixOf(read(BASE_CONFIGMAP_FILE), parse));
    expect(read(KAFKA_TOPICS_FILE)).toBe(expected);
  });

  it('would change with a topic of the contracts', () => {
    const more = TopicSpecs.map((spec, index) => (index === 0 ? { ...spec, partitions: spec.partitions + 6 } : spec));
    expect(renderKafkaTopics('')).not.toBe(renderKafkaTopics('', more));
    expect(renderKafkaTopics('')).not.toBe(renderKafkaTopics('staging.'));
  });

  it('names topics with the prefix, and resources with valid Kubernetes names', () => {
    const documents = parseAllDocuments(renderKafkaTopics('Team_A.')).map((d) => d.toJS() as { metadata: { name: string }; spec: { topicName: string } });
    expect(documents.map((d) => d.spec.topicName)).toEqual(TopicSpecs.map((spec) => `Team_A.${spec.name}`));
    for (const { metadata } of documents) expect(metadata.name).toMatch(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/);
    expect(resourceNameOf('Team_A.flowline.sessions.v1')).toBe('team-a.flowline.sessions.v1');
  });

  it('is checked by the script itself (--check), as CI can run it', () => {
    const result = spawnSync(process.execPath, ['-r', '@swc-node/register', 'tools/scripts/write-kafka-topics.ts', '--check'], {
      cwd: REPO_ROOT,
      encoding: 'utf8',
    });
    expect({ status: result.status, stderr: result.stderr }).toEqual({ status: 0, stderr: '' });
    expect(result.stdout).toContain('up to date');
  }, 60_000);
});
