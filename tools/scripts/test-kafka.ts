/**
 * `npm run test:kafka`: the Kafka-facing suites against one real broker. Starts Apache Kafka
 * (tools/apache-kafka, the pinned 4.x release) once, unless KAFKA_BROKERS names a broker already
 * running, runs each suite's project with Jest one after the other, writes each project's
 * results to test-output/jest-kafka/<project>.json and prints one closing summary line.
 *
 *   npm run test:kafka                      # every Kafka-facing suite on Apache Kafka
 *   npm run test:kafka -- --broker dev      # the same suites on the development broker
 *   npm run test:kafka -- async-executor    # only the suites of one project
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { startApacheKafka } from '@flowline/apache-kafka';
import { startBroker } from '@flowline/kafka-broker';
import { freePort } from '@flowline/dev-infra';

/** The suites that talk to Kafka, by project: what a real broker must carry. */
export const KAFKA_SUITES: Record<string, { config: string; files: string[] }> = {
  'broker-conformance': { config: 'tools/broker-conformance/jest.config.js', files: ['tools/broker-conformance/src'] },
  messaging: {
    config: 'libs/messaging/jest.config.js',
    files: [
      'libs/messaging/src/consumer/consumer-runner.integration-spec.ts',
      'libs/messaging/src/outbox/outbox-relay.integration-spec.ts',
    ],
  },
  'event-gateway': {
    config: 'apps/event-gateway/jest.config.js',
    files: ['apps/event-gateway/src/domain-events/domain-events.integration-spec.ts'],
  },
  'async-executor': {
    config: 'apps/async-executor/jest.config.js',
    files: [
      'apps/async-executor/src/dispatcher/dispatcher.integration-spec.ts',
      // One end-to-end chain: registry, gateway and executor as processes, through Kafka.
      'apps/async-executor/src/worker/worker.integration-spec.ts',
      'apps/async-executor/src/worker/crash.integration-spec.ts',
      'apps/async-executor/src/worker/scaling.integration-spec.ts',
      'apps/async-executor/src/tracing.integration-spec.ts',
      // Every part, Apache Kafka included, SIGKILLed and restarted while workflows run.
      'apps/async-executor/src/worker/chaos.integration-spec.ts',
    ],
  },
};

function parse(argv: string[]): { broker: 'apache' | 'dev'; projects: string[] } {
  let broker: 'apache' | 'dev' = 'apache';
  const projects: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--broker') {
      const value = argv[++i];
      if (value !== 'apache' && value !== 'dev') throw new Error(`--broker is apache or dev, not '${value ?? ''}'`);
      broker = value;
    } else if (arg in KAFKA_SUITES) projects.push(arg);
    else
      throw new Error(`unknown argument '${arg}': give --broker apache|dev and project names from ${Object.keys(KAFKA_SUITES).join(', ')}`);
  }
  return { broker, projects: projects.length > 0 ? projects : Object.keys(KAFKA_SUITES) };
}

async function main(): Promise<number> {
  const root = path.resolve(__dirname, '../..');
  const { broker, projects } = parse(process.argv.slice(2));
  const out = path.join(root, 'test-output/jest-kafka');
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });

  let brokers = process.env['KAFKA_BROKERS'];
  let description = `the broker at ${brokers}`;
  let stop: () => Promise<void> = async () => undefined;
  // The kind of Kafka this script started: suites that start a Kafka of their own (the chaos rig,
  // which kills and restarts it) start the same kind. A broker named by KAFKA_BROKERS is of no
  // known kind, and those suites use the development broker.
  let kind: 'apache' | 'dev' | undefined;
  if (!brokers) {
    kind = broker;
    if (broker === 'apache') {
      const dataDir = mkdtempSync(path.join(tmpdir(), 'flowline-test-kafka-'));
      const running = await startApacheKafka({
        port: await freePort(),
        controllerPort: await freePort(),
        dataDir,
        defaultPartitions: 3,
        output: (line) => process.stdout.write(`[apache-kafka] ${line}\n`),
      });
      brokers = running.brokers;
      description = `Apache Kafka ${running.version} (KRaft, pid ${running.pid})`;
      stop = async () => {
        await running.close();
        rmSync(dataDir, { recursive: true, force: true });
      };
    } else {
      const running = await startBroker({ logLevel: 'silent', defaultPartitions: 3, port: await freePort() });
      brokers = running.brokers;
      description = 'the Kafka development broker';
      stop = () => running.close();
    }
  }
  process.stdout.write(`\n== Kafka-facing suites on ${description} at ${brokers}\n`);

  let passed = 0;
  let failed = 0;
  let skipped = 0;
  const problems: string[] = [];
  try {
    for (const project of projects) {
      const suite = KAFKA_SUITES[project]!;
      const report = path.join(out, `${project}.json`);
      process.stdout.write(`\n== ${project} on ${description}\n`);
      const run = spawnSync(
        process.execPath,
        [
          require.resolve('jest/bin/jest', { paths: [root] }),
          '--config',
          suite.config,
          '--runInBand',
          '--json',
          `--outputFile=${report}`,
          ...suite.files,
        ],
        { cwd: root, stdio: 'inherit', env: { ...process.env, KAFKA_BROKERS: brokers, ...(kind ? { FLOWLINE_TEST_KAFKA: kind } : {}) } },
      );
      try {
        const result = JSON.parse(readFileSync(report, 'utf8')) as {
          numPassedTests: number;
          numFailedTests: number;
          numPendingTests: number;
          numTotalTests: number;
          numRuntimeErrorTestSuites: number;
        };
        passed += result.numPassedTests;
        failed += result.numFailedTests;
        skipped += result.numPendingTests;
        if (result.numTotalTests === 0) problems.push(`${project}: ran no test`);
        if (result.numRuntimeErrorTestSuites > 0)
          problems.push(`${project}: ${result.numRuntimeErrorTestSuites} test file(s) could not run`);
      } catch {
        problems.push(`${project}: wrote no results (Jest exited ${run.status ?? run.signal})`);
      }
      if (run.status !== 0) problems.push(`${project}: Jest exited ${run.status ?? run.signal}`);
    }
  } finally {
    await stop();
  }
  process.stdout.write(`\nKafka-facing suites on ${description}:\n`);
  for (const problem of problems) process.stdout.write(`  ${problem}\n`);
  process.stdout.write(`kafka: ${passed} passed, ${failed} failed, ${skipped} skipped\n`);
  return problems.length === 0 && failed === 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`test:kafka could not run: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
