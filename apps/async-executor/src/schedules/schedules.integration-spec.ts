import { spawn } from 'node:child_process';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type { Role } from '@flowline/auth';
import { ProtoFiles, RegistryProto, type ExecutorProto, type PromiseClient } from '@flowline/rpc';
import type { RunningService } from '@flowline/service-testing';
import { OpenApiConformance, testToken } from '@flowline/service-testing';
import { SERVICE_START_TIMEOUT_MS, waitFor } from '@flowline/testing';
import { startChain, type Chain } from '../../test/chain';

const CLI = path.resolve(__dirname, '../../../../tools/cli/bin/flowline.js');

/** Every second, no record: a short wait (a wake-up with no primary record), then one task, its subject the run's scheduled time. */
const everySecond = `schemaVersion: 1
name: Every second
uniqueName: every-second
category: workflow
primaryEntity: account
triggers:
  - on: schedule
    every: 1s
    overlap: allow
steps:
  - id: breath
    type: waitTimeout
    duration: PT1S
  - id: note
    type: createRecord
    entity: task
    set:
      subject: 'tick {{trigger.scheduledAt}}'
`;

/** Hourly, catching up every missed hour (at most 10), on the accounts the query matches. */
const hourlyOverAccounts = `schemaVersion: 1
name: Hourly over accounts
uniqueName: hourly-accounts
category: workflow
primaryEntity: account
triggers:
  - on: schedule
    every: 1h
    overlap: allow
    catchUp: all
    query:
      entity: account
      conditions:
        - attribute: name
          operator: like
          value: 'sched-%'
steps:
  - id: done
    type: stop
    status: succeeded
`;

/**
 * Schedules fired by three executor replicas on one database, one of them killed with SIGKILL
 * while they fire: each due time starts exactly one run, none is lost, and each run carries its
 * scheduled time. A downtime is caught up per the schedule's policy; operators list, pause,
 * resume and trigger schedules over REST.
 */
describe('schedules across executor replicas', () => {
  let chain: Chain;
  const replicas: RunningService[] = [];

  beforeAll(async () => {
    chain = await startChain(
      'schedules',
      [
        { source: everySecond, format: 'yaml' },
        { source: hourlyOverAccounts, format: 'yaml' },
      ],
      { SCHEDULER_POLL_MS: '100', WORKER_POLL_MS: '100' },
    );
  }, SERVICE_START_TIMEOUT_MS);
  afterAll(async () => {
    for (const replica of replicas) await replica.stop().catch(() => undefined);
    await chain?.stop();
  });

  let conformance: OpenApiConformance | undefined;
  /** A REST call, its answer checked against the executor's OpenAPI document. */
  const api = async (method: string, url: string, roles: Role[] = ['operator']) => {
    conformance ??= await OpenApiConformance.of(chain.executor.httpUrl);
    const response = await fetch(`${chain.executor.httpUrl}${url}`, {
      method,
      headers: { authorization: `Bearer ${testToken(roles, 'olivia')}` },
    });
    const body = (await response.json()) as Record<string, unknown>;
    conformance.check(method, url, response.status, response.headers.get('content-type'), body);
    return { status: response.status, body };
  };
  const firings = async (uniqueName: string) =>
    (
      await chain.sql.query(
        `SELECT "input"->'trigger'->>'scheduledAt' AS "at", count(*)::int AS "runs" FROM "executor"."async_operation"
          WHERE "name" = $1 AND "input"->'trigger'->>'outcome' <> 'trigger-now' GROUP BY 1 ORDER BY 1`,
        [uniqueName],
      )
    ).rows as Array<{ at: string; runs: number }>;

  it('fires each due time exactly once with three replicas, one of them killed with SIGKILL, and each run carries its scheduled time', async () => {
    replicas.push(await chain.startExecutor({ SCHEDULER_POLL_MS: '100' }));
    replicas.push(await chain.startExecutor({ SCHEDULER_POLL_MS: '100' }));
    await waitFor(async () => (await firings('every-second')).length >= 6, { timeoutMs: 60_000, what: 'six firings' });
    const killed = await replicas[0]!.process.stop('SIGKILL');
    expect(killed.signal).toBe('SIGKILL');
    const before = (await firings('every-second')).length;
    await waitFor(async () => (await firings('every-second')).length >= before + 6, { timeoutMs: 60_000, what: 'six more firings' });

    const fired = await firings('every-second');
    expect(fired.every((firing) => firing.runs === 1)).toBe(true);
    // No due time lost between the first and the last: consecutive seconds.
    const seconds = fired.map((firing) => Date.parse(firing.at) / 1000);
    expect(seconds).toEqual(seconds.map((_, i) => seconds[0]! + i));
    // The runs complete, and each one's task names its scheduled time.
    const first = fired[0]!.at;
    await waitFor(
      async () =>
        (
          await chain.sql.query(
            `SELECT 1 FROM "executor"."async_operation" WHERE "name" = 'every-second' AND "input"->'trigger'->>'scheduledAt' = $1 AND "state" = 3 AND "status" = 30`,
            [first],
          )
        ).rowCount === 1,
      { timeoutMs: 60_000, what: 'the first scheduled run to succeed' },
    );
    const tasks = await chain.call('GET', `/api/v1/records/task?subject=${encodeURIComponent(`tick ${first}`)}`);
    expect(JSON.stringify(tasks)).toContain(`tick ${first}`);
  }, 240_000);

  it('catches up every missed hour of a row left behind by a long downtime (catchUp: all), one run per matching record', async () => {
    await chain.call('POST', '/api/v1/records/account', { name: 'sched-a' });
    await chain.call('POST', '/api/v1/records/account', { name: 'sched-b' });
    await chain.call('POST', '/api/v1/records/account', { name: 'other' });
    await waitFor(
      async () => (await chain.sql.query(`SELECT 1 FROM "executor"."schedule" WHERE "unique_name" = 'hourly-accounts'`)).rowCount === 1,
      {
        what: 'the hourly schedule',
      },
    );
    // As the row stands after five hours and a half with no executor running.
    const hour = Math.floor(Date.now() / 3_600_000) * 3_600_000;
    const missedFrom = new Date(hour - 5 * 3_600_000);
    await chain.sql.query(
      `UPDATE "executor"."schedule" SET "next_due_at" = $1, "next_fire_at" = $1 WHERE "unique_name" = 'hourly-accounts'`,
      [missedFrom],
    );
    await waitFor(async () => (await firings('hourly-accounts')).length >= 6, {
      timeoutMs: 30_000,
      what: 'the missed hours to be caught up',
    });
    const fired = await firings('hourly-accounts');
    expect(fired.map((firing) => firing.at)).toEqual([5, 4, 3, 2, 1, 0].map((h) => new Date(hour - h * 3_600_000).toISOString()));
    // Two accounts match the query: two runs per due time, each on its record.
    expect(fired.every((firing) => firing.runs === 2)).toBe(true);
    const regarding = await chain.sql.query(
      `SELECT DISTINCT "regarding_id" FROM "executor"."async_operation" WHERE "name" = 'hourly-accounts'`,
    );
    expect(regarding.rowCount).toBe(2);
    const { body } = await api('GET', '/api/v1/schedules');
    const schedule = (body['schedules'] as Array<Record<string, unknown>>).find((s) => s['uniqueName'] === 'hourly-accounts')!;
    expect(schedule['lastDueAt']).toBe(new Date(hour).toISOString());
    expect(schedule['nextDueAt']).toBe(new Date(hour + 3_600_000).toISOString());
  }, 120_000);

  it('lets operators list, pause, resume and trigger schedules over REST, and refuses what does not apply', async () => {
    const { status, body } = await api('GET', '/api/v1/schedules');
    expect(status).toBe(200);
    const schedule = (body['schedules'] as Array<Record<string, unknown>>).find((s) => s['uniqueName'] === 'every-second')!;
    expect(schedule).toMatchObject({ every: '1000ms', timeZone: 'UTC', overlap: 'allow', catchUp: 'latest', paused: false });
    expect(schedule['lastFiredAt']).toEqual(expect.any(String));
    const id = encodeURIComponent(String(schedule['id']));

    expect((await api('POST', `/api/v1/schedules/${id}/pause`, ['user'])).status).toBe(403);
    const paused = await api('POST', `/api/v1/schedules/${id}/pause`);
    expect(paused.status).toBe(200);
    expect(paused.body).toMatchObject({ paused: true, pausedBy: 'olivia' });
    expect((await api('POST', `/api/v1/schedules/${id}/pause`)).body).toMatchObject({ error: { code: 'SCHEDULE_PAUSED' } });

    const triggered = await api('POST', `/api/v1/schedules/${id}/trigger`);
    expect(triggered.status).toBe(200);
    expect(triggered.body['operationIds']).toHaveLength(1);
    expect((triggered.body['schedule'] as Record<string, unknown>)['lastOutcome']).toBe('trigger-now');

    const resumed = await api('POST', `/api/v1/schedules/${id}/resume`);
    expect(resumed.body).toMatchObject({ paused: false, pausedBy: null });
    expect(Date.parse(String(resumed.body['nextDueAt']))).toBeGreaterThan(Date.parse(String(paused.body['nextDueAt'] ?? 0)) - 1);
    expect((await api('GET', `/api/v1/schedules/${id}`)).body).toMatchObject({ id: schedule['id'], paused: false });
    expect((await api('GET', '/api/v1/schedules/nope:0')).status).toBe(404);
    // Every schedule route was called, each answer as the document says.
    expect(conformance!.uncovered().filter((operation) => operation.includes('/api/v1/schedules'))).toEqual([]);

    // What operators watch: firings by outcome, lag, and schedules by pause.
    const metrics = await (await fetch(`${chain.executor.httpUrl}/metrics`)).text();
    expect(metrics).toMatch(/flowline_schedule_firings_total\{outcome="trigger-now"[^}]*\} [1-9]/);
    expect(metrics).toMatch(/flowline_schedule_lag_seconds_count(\{[^}]*\})? [1-9]/);
    expect(metrics).toMatch(/flowline_schedules\{paused="false"[^}]*\} [1-9]/);
  }, 60_000);

  it('offers the same actions over gRPC and in the CLI (flowline schedules list|pause|resume|trigger)', async () => {
    const grpc = chain.executor.client<PromiseClient<ExecutorProto.ScheduleServiceClient>>(
      ProtoFiles.executor,
      'flowline.executor.v1.ScheduleService',
      ['operator'],
    );
    const { schedules } = await grpc.listSchedules({});
    const schedule = schedules.find((s) => s.uniqueName === 'every-second')!;
    expect(schedule).toMatchObject({ everyMs: '1000', overlap: 'allow', catchUp: 'latest', paused: false });
    expect(schedule.nextDueAt).not.toBe('');
    expect((await grpc.pauseSchedule({ id: schedule.id })).paused).toBe(true);
    await expect(grpc.pauseSchedule({ id: schedule.id })).rejects.toMatchObject({ code: 'SCHEDULE_PAUSED', grpcCode: 9 });
    expect((await grpc.triggerSchedule({ id: schedule.id })).operationIds).toHaveLength(1);
    expect((await grpc.resumeSchedule({ id: schedule.id })).paused).toBe(false);
    await expect(grpc.getSchedule({ id: 'nope:0' })).rejects.toMatchObject({ code: 'SCHEDULE_NOT_FOUND', grpcCode: 5 });
    const user = chain.executor.client<PromiseClient<ExecutorProto.ScheduleServiceClient>>(
      ProtoFiles.executor,
      'flowline.executor.v1.ScheduleService',
      ['user'],
    );
    await expect(user.pauseSchedule({ id: schedule.id })).rejects.toMatchObject({ grpcCode: 7 });

    const flowline = (...args: string[]) =>
      new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
        const child = spawn(process.execPath, [CLI, ...args], {
          env: {
            PATH: process.env['PATH'] ?? '',
            HOME: tmpdir(),
            FLOWLINE_TOKEN: testToken(['operator'], 'cli-operator'),
            FLOWLINE_EXECUTOR_URL: chain.executor.httpUrl,
            FLOWLINE_EXECUTOR_GRPC: chain.executor.grpcAddress,
          },
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        let stdout = '';
        let stderr = '';
        child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
        child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
        child.on('error', reject);
        child.on('close', (code) => resolve({ code, stdout, stderr }));
      });
    const listed = await flowline('schedules', 'list');
    expect(listed.code).toBe(0);
    expect(listed.stdout).toContain('every-second');
    expect(listed.stdout).toContain('hourly-accounts');
    const paused = await flowline('--json', 'schedules', 'pause', schedule.id);
    expect(paused.code).toBe(0);
    expect(JSON.parse(paused.stdout)).toMatchObject({ id: schedule.id, paused: true, pausedBy: 'cli-operator' });
    const again = await flowline('schedules', 'pause', schedule.id);
    expect(again.code).not.toBe(0);
    expect(again.stderr).toContain('is paused already');
    const triggered = await flowline('schedules', 'trigger', schedule.id);
    expect(triggered.code).toBe(0);
    expect(triggered.stdout).toContain('1 run(s) started');
    const resumed = await flowline('schedules', 'resume', schedule.id);
    expect(resumed.code).toBe(0);
    expect(resumed.stdout).toContain('resumed');
  }, 240_000);

  it('is refused on save by the registry with each bad field at its path: cron, time zone, query attribute', async () => {
    const registry = chain.registry.client<PromiseClient<RegistryProto.ProcessDefinitionServiceClient>>(
      ProtoFiles.registry,
      'flowline.registry.v1.ProcessDefinitionService',
      ['author'],
    );
    const source = `schemaVersion: 1
name: Bad schedule
uniqueName: bad-schedule
category: workflow
primaryEntity: account
triggers:
  - on: schedule
    cron: '0 0 32 * *'
    timeZone: Mars/Olympus
    query:
      entity: account
      conditions:
        - { attribute: creditlimt, operator: gt, value: 1 }
steps:
  - id: done
    type: stop
    status: succeeded
`;
    const failure = await registry
      .saveDefinition({ source, format: RegistryProto.DefinitionFormat.DEFINITION_FORMAT_YAML, id: '', expectedRowVersion: 0 })
      .catch((error: unknown) => error);
    expect(failure).toMatchObject({ grpcCode: 3, code: 'DEFINITION_INVALID' });
    expect((failure as { violations: Array<{ field: string; code: string }> }).violations.map((v) => [v.field, v.code])).toEqual([
      ['$.triggers[0].cron', 'BAD_CRON'],
      ['$.triggers[0].timeZone', 'UNKNOWN_TIME_ZONE'],
      ['$.triggers[0].query.conditions[0].attribute', 'UNKNOWN_ATTRIBUTE'],
    ]);
  }, 60_000);

  it('removes the schedule when its definition is deactivated, and starts no more runs of it', async () => {
    const registry = chain.registry.client<PromiseClient<RegistryProto.ProcessDefinitionServiceClient>>(
      ProtoFiles.registry,
      'flowline.registry.v1.ProcessDefinitionService',
      ['author'],
    );
    await registry.deactivateDefinition({ ref: { id: '', uniqueName: 'every-second' } });
    await waitFor(
      async () => (await chain.sql.query(`SELECT 1 FROM "executor"."schedule" WHERE "unique_name" = 'every-second'`)).rowCount === 0,
      { timeoutMs: 60_000, what: 'the schedule of the deactivated definition to be removed' },
    );
    const count = async () =>
      Number((await chain.sql.query(`SELECT count(*) AS "n" FROM "executor"."async_operation" WHERE "name" = 'every-second'`)).rows[0].n);
    const after = await count();
    // The other schedule goes on firing meanwhile; this one starts nothing more.
    await chain.sql.query(
      `UPDATE "executor"."schedule" SET "next_due_at" = now(), "next_fire_at" = now() WHERE "unique_name" = 'hourly-accounts'`,
    );
    await waitFor(
      async () =>
        (await chain.sql.query(`SELECT 1 FROM "executor"."schedule" WHERE "unique_name" = 'hourly-accounts' AND "next_fire_at" > now()`))
          .rowCount === 1,
      { what: 'the hourly schedule to fire again' },
    );
    expect(await count()).toBe(after);
  }, 90_000);
});

/** Every 2 s, catching up each missed due time (at most 10). */
const everyTwoSeconds = `schemaVersion: 1
name: Every two seconds
uniqueName: every-two-seconds
category: workflow
primaryEntity: account
triggers:
  - on: schedule
    every: 2s
    overlap: allow
    catchUp: all
steps:
  - id: done
    type: stop
    status: succeeded
`;

/** Every second, each run waiting 2 s: runs would overlap but for the policy. */
const overlapping = (uniqueName: string, overlap: string) => `schemaVersion: 1
name: Overlap ${overlap}
uniqueName: ${uniqueName}
category: workflow
primaryEntity: account
triggers:
  - on: schedule
    every: 1s
    overlap: ${overlap}
steps:
  - id: linger
    type: waitTimeout
    duration: PT2S
  - id: done
    type: stop
    status: succeeded
`;

/**
 * A real downtime: the only executor that fires schedules is killed with SIGKILL, and a new one
 * starts a while later. The due times that passed meanwhile are caught up (catchUp: all), each
 * once, and none is lost.
 */
describe('schedules after a downtime of every scheduler', () => {
  let chain: Chain;
  let scheduler: RunningService | undefined;
  // A short grace period, so the due times of the downtime count as missed.
  const schedulerEnv = { SCHEDULER_POLL_MS: '100', SCHEDULE_MISFIRE_GRACE_MS: '500' };

  beforeAll(async () => {
    // The chain's own executor runs the workflows but fires no schedule.
    chain = await startChain(
      'schedules-downtime',
      [
        { source: everyTwoSeconds, format: 'yaml' },
        { source: overlapping('overlap-skip', 'skip'), format: 'yaml' },
        { source: overlapping('overlap-buffer', 'bufferOne'), format: 'yaml' },
      ],
      {
        SCHEDULER_POLL_MS: '0',
        WORKER_POLL_MS: '100',
      },
    );
  }, SERVICE_START_TIMEOUT_MS);
  afterAll(async () => {
    await scheduler?.stop().catch(() => undefined);
    await chain?.stop();
  });

  const firings = async () =>
    (
      await chain.sql.query(
        `SELECT "input"->'trigger'->>'scheduledAt' AS "at", "input"->'trigger'->>'outcome' AS "outcome", count(*)::int AS "runs"
           FROM "executor"."async_operation" WHERE "name" = 'every-two-seconds' GROUP BY 1, 2 ORDER BY 1`,
      )
    ).rows as Array<{ at: string; outcome: string; runs: number }>;

  it('catches up each due time missed while no scheduler ran, exactly once', async () => {
    const first = await chain.startExecutor(schedulerEnv);
    await waitFor(async () => (await firings()).length >= 2, { timeoutMs: 60_000, what: 'two firings' });
    expect((await first.process.stop('SIGKILL')).signal).toBe('SIGKILL');
    const killedAt = Date.now();
    const before = (await firings()).length;
    // Down for at least three due times.
    await waitFor(async () => Date.now() - killedAt > 6_500, { timeoutMs: 10_000, what: 'the downtime to pass' });
    expect((await firings()).length).toBe(before);

    scheduler = await chain.startExecutor(schedulerEnv);
    await waitFor(async () => (await firings()).some((firing) => firing.outcome === 'caught-up'), {
      timeoutMs: 60_000,
      what: 'the missed due times to be caught up',
    });
    await waitFor(async () => (await firings()).some((firing) => firing.outcome === 'fired' && Date.parse(firing.at) > killedAt + 6_500), {
      timeoutMs: 60_000,
      what: 'firing on time again',
    });
    const fired = await firings();
    expect(fired.every((firing) => firing.runs === 1)).toBe(true);
    const times = fired.map((firing) => Date.parse(firing.at));
    expect(new Set(times).size).toBe(times.length);
    // Every 2 s from the first to the last, none lost (the downtime was shorter than 10 due times).
    expect(times).toEqual(times.map((_, i) => times[0]! + i * 2_000));
    expect(fired.filter((firing) => firing.outcome === 'caught-up').length).toBeGreaterThanOrEqual(3);
  }, 240_000);

  it('never runs two at once with overlap skip or bufferOne, and bufferOne starts the held-back due time when the open run ends', async () => {
    const runs = async (uniqueName: string) =>
      (
        await chain.sql.query(
          `SELECT "created_on", "completed_on", "state", "input"->'trigger'->>'outcome' AS "outcome", "input"->'trigger'->>'scheduledAt' AS "at"
             FROM "executor"."async_operation" WHERE "name" = $1 ORDER BY "sequence"`,
          [uniqueName],
        )
      ).rows as Array<{ created_on: Date; completed_on: Date | null; state: number; outcome: string; at: string }>;
    const completed = async (uniqueName: string) => (await runs(uniqueName)).filter((run) => run.state === 3).length;
    await waitFor(async () => (await completed('overlap-skip')) >= 3 && (await completed('overlap-buffer')) >= 3, {
      timeoutMs: 120_000,
      what: 'three runs of each overlapping schedule to end',
    });
    for (const name of ['overlap-skip', 'overlap-buffer']) {
      const all = await runs(name);
      // Each run starts only once the one before it has ended. Both times are their transactions' start
      // times, so a firing that began a moment before the end committed may show a few milliseconds
      // earlier; an overlapping run would start seconds earlier (each run lasts 2 s, one is due every second).
      for (let i = 1; i < all.length; i++) {
        expect(all[i - 1]!.completed_on).not.toBeNull();
        expect(all[i]!.created_on.getTime()).toBeGreaterThan(all[i - 1]!.completed_on!.getTime() - 500);
      }
      expect(new Set(all.map((run) => run.at)).size).toBe(all.length);
    }
    expect((await runs('overlap-buffer')).some((run) => run.outcome === 'buffered-fired')).toBe(true);
    expect((await runs('overlap-skip')).some((run) => run.outcome === 'buffered-fired')).toBe(false);
  }, 180_000);
});
