/**
 * An outbox relay in its own process, for the crash test: relays the outbox of one schema
 * until it is killed. Its producer sends slowly (one batch of one row at a time) so that a
 * SIGKILL lands between sending and marking rows published.
 *   node -r @swc-node/register relay-process.ts <databaseUrl> <schema> <brokers> <topicPrefix>
 */
import { DataSource } from 'typeorm';
import { createKafka, EnvelopeProducer, OutboxRelay, TopicNames } from '../src';

async function main(): Promise<void> {
  const [url, schema, brokers, prefix] = process.argv.slice(2) as [string, string, string, string];
  const dataSource = new DataSource({ type: 'postgres', url, schema });
  await dataSource.initialize();
  const producer = new EnvelopeProducer(createKafka({ brokers: [brokers], clientId: `relay-${process.pid}` }));
  await producer.connect();
  const quiet = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };
  const relay = new OutboxRelay({
    dataSource,
    schema,
    databaseUrl: url,
    producer,
    topicNames: new TopicNames(prefix),
    log: quiet,
    batchSize: 1,
    pollIntervalMs: 20,
  });
  relay.start();
  process.stdout.write('relaying\n');
}

main().catch((error: unknown) => {
  process.stderr.write(`relay failed: ${String(error)}\n`);
  process.exit(1);
});
