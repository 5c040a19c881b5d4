/**
 * Chaos: accounts keep coming while executors, the gateway, the registry, Kafka and PostgreSQL are
 * SIGKILLed and started again at random moments (libs/service-testing/src/chaos). Every workflow
 * must succeed exactly once with every counter exact. The seed is printed; CHAOS_SEED repeats a
 * run. The Kafka is the run's kind (FLOWLINE_TEST_KAFKA=apache for Apache Kafka).
 */
import { runChaos, type ChaosReport } from '@flowline/service-testing';

const kind =
  process.env['FLOWLINE_TEST_KAFKA'] === 'apache' || process.env['FLOWLINE_TEST_KAFKA_DESCRIPTION']?.startsWith('Apache')
    ? 'apache'
    : 'dev';

describe('chaos: every part of Flowline killed and restarted while workflows run', () => {
  it('completes every workflow exactly once with exact counters, whatever was killed', async () => {
    const lines: string[] = [];
    let report: ChaosReport | undefined;
    try {
      report = await runChaos({
        records: 60,
        durationMs: 45_000,
        kafka: kind,
        ...(process.env['CHAOS_SEED'] ? { seed: Number(process.env['CHAOS_SEED']) } : {}),
        log: (line) => lines.push(line),
      });
    } finally {
      // What happened, for the reader of a failure (the seed is the first line).
      process.stdout.write(`${lines.join('\n')}\n`);
    }
    process.stdout.write(
      `chaos: ${report.faults.length} faults (${report.faults.map((f) => f.victim).join(', ')}), drained ${report.drainMs} ms after the last; self-exits ${JSON.stringify(report.crashes)}\n`,
    );
    // Every kind of part was killed at least once: an executor, the gateway, the registry, Kafka, PostgreSQL.
    const kinds = new Set(report.faults.map((fault) => fault.victim.replace(/^async-executor-\d+$/, 'executor')));
    expect([...kinds].sort()).toEqual(['executor', 'gateway', 'kafka', 'postgres', 'registry']);
    expect(report.problems).toEqual([]);
  }, 600_000);
});
