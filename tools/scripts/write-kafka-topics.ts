/**
 * Writes deploy/k8s/base/kafka-topics.yaml from the topics of libs/contracts and the
 * KAFKA_TOPIC_PREFIX of the base ConfigMap (npm run deploy:topics).
 *   node -r @swc-node/register tools/scripts/write-kafka-topics.ts [--check] [--stdout] [--file F] [--prefix P]
 * --check   write nothing; exit 1 when the file differs from what would be written (CI, tests)
 * --stdout  print instead of writing
 * --file F  the file to write or check (default deploy/k8s/base/kafka-topics.yaml)
 * --prefix P  a topic prefix instead of the ConfigMap's, for previews and tests
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { parse } from 'yaml';
import { BASE_CONFIGMAP_FILE, KAFKA_TOPICS_FILE, renderKafkaTopics, topicPrefixOf } from './kafka-topics';

const root = path.resolve(__dirname, '../..');
const args = process.argv.slice(2);
const option = (name: string): string | undefined => {
  const index = args.indexOf(name);
  if (index < 0) return undefined;
  const value = args[index + 1];
  if (value === undefined) throw new Error(`${name} needs a value`);
  return value;
};

const file = path.resolve(root, option('--file') ?? KAFKA_TOPICS_FILE);
const prefix = option('--prefix') ?? topicPrefixOf(readFileSync(path.join(root, BASE_CONFIGMAP_FILE), 'utf8'), parse);
const expected = renderKafkaTopics(prefix);

if (args.includes('--check')) {
  const current = existsSync(file) ? readFileSync(file, 'utf8') : '';
  if (current !== expected) {
    console.error(`${path.relative(root, file)} is stale: run npm run deploy:topics`);
    process.exit(1);
  }
  console.log(`${path.relative(root, file)} is up to date`);
} else if (args.includes('--stdout')) {
  process.stdout.write(expected);
} else {
  writeFileSync(file, expected);
  console.log(`wrote ${path.relative(root, file)}`);
}
