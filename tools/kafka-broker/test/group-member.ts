/**
 * One consumer-group member in its own process, for the rebalance test: prints its
 * assignment on every rebalance and each value it consumes, as JSON lines.
 *   node -r @swc-node/register group-member.ts <brokers> <topic> <group>
 */
import { Kafka, logLevel } from 'kafkajs';

async function main(): Promise<void> {
  const [brokers, topic, groupId] = process.argv.slice(2) as [string, string, string];
  const kafka = new Kafka({ clientId: `member-${process.pid}`, brokers: [brokers], logLevel: logLevel.NOTHING });
  const consumer = kafka.consumer({ groupId, sessionTimeout: 6000, rebalanceTimeout: 8000, heartbeatInterval: 500, maxWaitTimeInMs: 200 });
  consumer.on(consumer.events.GROUP_JOIN, (event) => {
    const assigned = (event.payload.memberAssignment[topic] ?? []).slice().sort((a, b) => a - b);
    process.stdout.write(`${JSON.stringify({ assigned })}\n`);
  });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ message }) => {
      process.stdout.write(`${JSON.stringify({ value: message.value?.toString() })}\n`);
    },
  });
}

main().catch((error: unknown) => {
  process.stderr.write(`member failed: ${String(error)}\n`);
  process.exit(1);
});
