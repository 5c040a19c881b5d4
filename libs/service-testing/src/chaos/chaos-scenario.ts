/**
 * The chaos scenario: a steady stream of accounts, each starting a workflow whose steps add to
 * counters on the record (+1, +10, a timer, +100, +1000, and "A", "B", "C", "D" appended), while
 * executors, the gateway, the registry, Kafka and PostgreSQL are SIGKILLed and started again at
 * random moments. Afterwards every operation must have Succeeded exactly once, every record must
 * read 1111 / "ABCD", no record may exist twice and nothing may be left Ready, Locked or
 * Suspended. Used by the chaos integration test and, longer, by `npm run soak`.
 */
import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { ProtoFiles, RegistryProto, createGrpcClient } from '@flowline/rpc';
import { testToken } from '../running-service';
import { ChaosRig, type KafkaKind, type RigService } from './chaos-rig';

export const CHAOS_DEFINITION = `schemaVersion: 1
name: Chaos counters
uniqueName: chaos-counters
category: workflow
primaryEntity: account
triggers:
  - on: create
steps:
  - id: one
    type: updateRecord
    set:
      creditlimit: { op: increment, value: 1 }
      description: { op: append, value: A }
  - id: two
    type: updateRecord
    set:
      creditlimit: { op: increment, value: 10 }
      description: { op: append, value: B }
  - id: pause
    type: waitTimeout
    duration: PT1S
  - id: three
    type: updateRecord
    set:
      creditlimit: { op: increment, value: 100 }
      description: { op: append, value: C }
  - id: four
    type: updateRecord
    set:
      creditlimit: { op: increment, value: 1000 }
      description: { op: append, value: D }
`;

export type Victim = 'executor' | 'gateway' | 'registry' | 'kafka' | 'postgres';

export interface ChaosOptions {
  records: number;
  /** How long records keep coming (they are spread evenly over it) and faults keep happening. */
  durationMs: number;
  kafka: KafkaKind;
  executors?: number;
  /** Which parts are killed; all by default. */
  victims?: Victim[];
  /** Pause between one restart and the next kill (random in this range). */
  faultEveryMs?: [number, number];
  /** How long a killed part stays down (random in this range). */
  downMs?: [number, number];
  /** How long the system gets to finish after the last fault. */
  drainTimeoutMs?: number;
  seed?: number;
  log?: (line: string) => void;
}

export interface ChaosReport {
  records: number;
  faults: Array<{ victim: string; atMs: number; downMs: number }>;
  crashes: Record<string, number>;
  /** From the last restart until every operation had completed. */
  drainMs: number;
  problems: string[];
}

/** A small seeded generator, so that a failing run can be repeated with its seed. */
function random(seed: number): () => number {
  let state = seed >>> 0 || 1;
  return () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 4294967296;
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function runChaos(options: ChaosOptions): Promise<ChaosReport> {
  const log = options.log ?? (() => undefined);
  const seed = options.seed ?? Date.now() % 100_000;
  const next = random(seed);
  const between = ([low, high]: [number, number]) => low + Math.floor(next() * (high - low));
  log(`chaos: seed ${seed}, ${options.records} records over ${options.durationMs} ms, Kafka: ${options.kafka}`);
  const rig = await ChaosRig.start({
    kafka: options.kafka,
    executors: options.executors ?? 2,
    executorEnv: { WORKER_POLL_MS: '100', LEASE_MS: '3000', WORKER_CONCURRENCY: '8', SHUTDOWN_GRACE_MS: '5000' },
    log,
  });
  const report: ChaosReport = { records: options.records, faults: [], crashes: {}, drainMs: 0, problems: [] };
  try {
    const definitions = createGrpcClient<RegistryProto.ProcessDefinitionServiceClient>(
      ProtoFiles.registry,
      'flowline.registry.v1.ProcessDefinitionService',
      { address: rig.registry.grpcAddress, token: testToken(['author']) },
    );
    const saved = await definitions.client.saveDefinition({
      source: CHAOS_DEFINITION,
      format: RegistryProto.DefinitionFormat.DEFINITION_FORMAT_YAML,
      id: '',
      expectedRowVersion: 0,
    });
    await definitions.client.activateDefinition({ ref: { id: saved.id, uniqueName: '' } });
    definitions.close();
    await rig.startRest();

    const started = Date.now();
    const names = Array.from({ length: options.records }, (_, i) => `chaos-${seed}-${i}`);
    // Records come at a steady pace; a create that fails (the gateway or its database is down)
    // is sent again with the same idempotency key, as a careful client does.
    const creating = (async () => {
      for (let i = 0; i < names.length; i++) {
        const due = started + (i * options.durationMs) / names.length;
        if (Date.now() < due) await sleep(due - Date.now());
        await createWithRetry(rig.gateway, names[i]!, randomUUID());
      }
    })();
    let lastRestart = Date.now();
    const victims = options.victims ?? ['executor', 'gateway', 'registry', 'kafka', 'postgres'];
    // Rounds in which every kind of victim is hit once, in a random order; at least one whole round
    // however slowly the parts restart (faults go on while the last runs drain).
    const round: Victim[] = [];
    let rounds = 0;
    while (Date.now() - started < options.durationMs || rounds === 0 || round.length > 0) {
      await sleep(between(options.faultEveryMs ?? [2000, 5000]));
      if (round.length === 0) round.push(...[...victims].sort(() => next() - 0.5));
      const victim = round.shift()!;
      if (round.length === 0) rounds += 1;
      const downMs = between(options.downMs ?? [500, 4000]);
      const atMs = Date.now() - started;
      const target = victim === 'executor' ? rig.executors[Math.floor(next() * rig.executors.length)]! : undefined;
      const label = target?.name ?? victim;
      log(`chaos: ${atMs} ms: SIGKILL ${label}, down for ${downMs} ms`);
      await kill(rig, victim, target);
      await sleep(downMs);
      await restart(rig, victim, target);
      lastRestart = Date.now();
      report.faults.push({ victim: label, atMs, downMs });
    }
    await creating;

    // Drain: every operation completed, within the patience given.
    const sql = new Client({ connectionString: rig.postgres.url('executor') });
    await sql.connect();
    const deadline = Date.now() + (options.drainTimeoutMs ?? 180_000);
    let open = -1;
    for (;;) {
      const counts = await sql
        .query(`SELECT count(*) FILTER (WHERE state <> 3)::int AS open, count(*)::int AS total FROM "executor"."async_operation"`)
        .catch(() => ({ rows: [{ open: -1, total: -1 }] }));
      open = counts.rows[0].open;
      if (open === 0 && counts.rows[0].total >= options.records) break;
      if (Date.now() > deadline) break;
      await sleep(500);
    }
    report.drainMs = Date.now() - lastRestart;
    const operations = (
      await sql.query(
        `SELECT regarding_id, state, status, error_code, friendly_message FROM "executor"."async_operation" WHERE name = 'chaos-counters'`,
      )
    ).rows as Array<{ regarding_id: string; state: number; status: number; error_code: string | null; friendly_message: string | null }>;
    await sql.end();

    const gatewaySql = new Client({ connectionString: rig.postgres.url('gateway') });
    await gatewaySql.connect();
    const records = (
      await gatewaySql.query(`SELECT id, attributes FROM "gateway"."record" WHERE entity = 'account' AND attributes->>'name' LIKE $1`, [
        `chaos-${seed}-%`,
      ])
    ).rows as Array<{ id: string; attributes: { name: string; creditlimit?: number; description?: string } }>;
    await gatewaySql.end();

    report.problems.push(...check(names, records, operations, open));
    for (const service of rig.services) if (service.crashes > 0) report.crashes[service.name] = service.crashes;
    return report;
  } finally {
    await rig.stop();
  }
}

function check(
  names: string[],
  records: Array<{ id: string; attributes: { name: string; creditlimit?: number; description?: string } }>,
  operations: Array<{ regarding_id: string; state: number; status: number; error_code: string | null; friendly_message: string | null }>,
  open: number,
): string[] {
  const problems: string[] = [];
  if (open !== 0) problems.push(`${open} operation(s) still not completed after the drain time`);
  const byName = new Map<string, typeof records>();
  for (const record of records) byName.set(record.attributes.name, [...(byName.get(record.attributes.name) ?? []), record]);
  for (const name of names) {
    const found = byName.get(name) ?? [];
    if (found.length !== 1) {
      problems.push(`${name}: ${found.length} records (expected exactly one)`);
      continue;
    }
    const record = found[0]!;
    if (record.attributes.creditlimit !== 1111 || record.attributes.description !== 'ABCD')
      problems.push(`${name}: creditlimit ${record.attributes.creditlimit}, description '${record.attributes.description}' (expected 1111, 'ABCD')`);
    const runs = operations.filter((operation) => operation.regarding_id === record.id);
    if (runs.length !== 1) problems.push(`${name}: ${runs.length} operations (expected exactly one)`);
    for (const run of runs)
      if (run.state !== 3 || run.status !== 30)
        problems.push(`${name}: operation ended ${run.state}/${run.status} ${run.error_code ?? ''} ${run.friendly_message ?? ''}`.trim());
  }
  return problems;
}

async function createWithRetry(gateway: RigService, name: string, idempotencyKey: string): Promise<void> {
  const deadline = Date.now() + 120_000;
  for (let attempt = 1; ; attempt++) {
    try {
      const response = await fetch(`${gateway.httpUrl}/api/v1/records/account`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${testToken(['user'], 'alice')}`,
          'content-type': 'application/json',
          'idempotency-key': idempotencyKey,
        },
        body: JSON.stringify({ name }),
        signal: AbortSignal.timeout(10_000),
      });
      if (response.status === 201 || response.status === 200) return;
      if (response.status < 500 && response.status !== 429) throw new Error(`create ${name} refused: ${response.status} ${await response.text()}`);
    } catch (error) {
      if (error instanceof Error && error.message.startsWith('create ')) throw error;
    }
    if (Date.now() > deadline) throw new Error(`create ${name} did not go through within 120 s (${attempt} attempts)`);
    await sleep(Math.min(200 * attempt, 2000));
  }
}

async function kill(rig: ChaosRig, victim: Victim, target: RigService | undefined): Promise<void> {
  switch (victim) {
    case 'executor':
      return target!.kill();
    case 'gateway':
      return rig.gateway.kill();
    case 'registry':
      return rig.registry.kill();
    case 'kafka':
      return rig.kafka.kill();
    case 'postgres':
      return rig.postgres.kill();
  }
}

async function restart(rig: ChaosRig, victim: Victim, target: RigService | undefined): Promise<void> {
  switch (victim) {
    case 'executor':
      target!.start();
      return target!.ready();
    case 'gateway':
      rig.gateway.start();
      return rig.gateway.ready();
    case 'registry':
      rig.registry.start();
      return rig.registry.ready();
    case 'kafka':
      return rig.kafka.start();
    case 'postgres':
      return rig.postgres.start();
  }
}
