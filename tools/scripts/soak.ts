/**
 * `npm run soak`: the chaos scenario for longer (libs/service-testing/src/chaos): accounts stream
 * in while executors, the gateway, the registry, Kafka and PostgreSQL are SIGKILLed and started
 * again at random moments; then it checks every workflow succeeded exactly once with exact
 * counters and reports the faults, the drain time and any problem.
 *
 *   npm run soak -- [--records 500] [--minutes 5] [--kafka dev|apache] [--executors 2] [--seed N]
 */
import { runChaos } from '@flowline/service-testing';

function parse(argv: string[]) {
  const options = { records: 500, minutes: 5, kafka: 'dev' as 'dev' | 'apache', executors: 2, seed: undefined as number | undefined };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]!;
    const value = argv[++i];
    const number = () => {
      const parsed = Number(value);
      if (!Number.isFinite(parsed) || parsed <= 0) throw new Error(`${flag} expects a positive number, got '${value ?? ''}'`);
      return parsed;
    };
    if (flag === '--records') options.records = number();
    else if (flag === '--minutes') options.minutes = number();
    else if (flag === '--executors') options.executors = number();
    else if (flag === '--seed') options.seed = number();
    else if (flag === '--kafka' && (value === 'dev' || value === 'apache')) options.kafka = value;
    else throw new Error(`unknown option '${flag}': use --records N --minutes M --kafka dev|apache --executors N --seed N`);
  }
  return options;
}

async function main(): Promise<void> {
  const options = parse(process.argv.slice(2));
  const startedAt = Date.now();
  const report = await runChaos({
    records: options.records,
    durationMs: options.minutes * 60_000,
    kafka: options.kafka,
    executors: options.executors,
    drainTimeoutMs: 600_000,
    ...(options.seed ? { seed: options.seed } : {}),
    log: (line) => console.log(line),
  });
  const byVictim = new Map<string, number>();
  for (const fault of report.faults) {
    const kind = fault.victim.replace(/-\d+$/, '');
    byVictim.set(kind, (byVictim.get(kind) ?? 0) + 1);
  }
  console.log(`\nSoak: ${report.records} workflows of 4 counter steps and a timer, ${options.executors} executors, Kafka: ${options.kafka}`);
  console.log(`  duration           ${((Date.now() - startedAt) / 1000).toFixed(0)} s`);
  console.log(`  faults (SIGKILL)   ${report.faults.length}: ${[...byVictim].map(([victim, n]) => `${victim} ${n}`).join(', ')}`);
  console.log(`  exits by itself    ${JSON.stringify(report.crashes)}`);
  console.log(`  drained after the last fault in ${(report.drainMs / 1000).toFixed(1)} s`);
  console.log(`  problems           ${report.problems.length === 0 ? 'none' : report.problems.length}`);
  for (const problem of report.problems.slice(0, 50)) console.log(`    ${problem}`);
  process.exit(report.problems.length === 0 ? 0 : 1);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
