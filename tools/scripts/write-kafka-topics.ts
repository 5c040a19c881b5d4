/**
 * Writes deploy/k8s/base/kafka-topics.yaml from the topics of libs/contracts (npm run deploy:topics).
 *   node -r @swc-node/register tools/scripts/write-kafka-topics.ts [--check]
 * --check writes nothing and exits 1 when the committed file differs from what it would write.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { parse } from 'yaml';
import { BASE_CONFIGMAP_FILE, KAFKA_TOPICS_FILE, renderKafkaTopics, topicPrefixOf } from './kafka-topics';

const root = path.resolve(__dirname, '../..');
const file = path.join(root, KAFKA_TOPICS_FILE);
const expected = renderKafkaTopics(topicPrefixOf(readFileSync(path.join(root, BASE_CONFIGMAP_FILE), 'utf8'), parse));

if (process.argv.includes('--check')) {
  const current = existsSync(file) ? readFileSync(file, 'utf8') : '';
  if (current !== expected) {
    console.error(`${KAFKA_TOPICS_FILE} is stale: run npm run deploy:topics`);
    process.exit(1);
  }
  console.log(`${KAFKA_TOPICS_FILE} is up to date`);
} else {
  writeFileSync(file, expected);
  console.log(`wrote ${file}`);
}
