/**
 * The flowline CLI as a child process against a real registry, gateway, executor and session
 * service (own databases, free ports, the development broker): what it prints, what it
 * changes, what it refuses and the exit codes scripts rely on.
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { verifyToken } from '@flowline/auth';
import { createEnvelope } from '@flowline/messaging';
import { DOMAIN_EVENT_TYPE, Topics } from '@flowline/contracts';
import { startServiceForTest, TEST_SECRET, testToken, type RunningService } from '@flowline/service-testing';
import { SERVICE_START_TIMEOUT_MS, testKafkaBrokers, testPrefix, waitFor } from '@flowline/testing';

const SHIM = path.resolve(__dirname, '../bin/flowline.js');

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

const waiting = (lastname: string) => `schemaVersion: 1
name: CLI wait
uniqueName: cli-wait
category: workflow
primaryEntity: contact
triggers:
  - on: create
steps:
  - id: three-days
    type: waitTimeout
    duration: P3D
  - id: mark
    type: updateRecord
    set:
      jobtitle: '${lastname}'
`;

const marking = (text: string) => `schemaVersion: 1
name: CLI mark
uniqueName: cli-mark
category: workflow
primaryEntity: account
triggers:
  - on: create
steps:
  - id: mark
    type: updateRecord
    set:
      description: '${text}'
`;

// Line 9 holds the step whose type the language does not know.
const invalid = `schemaVersion: 1
name: CLI broken
uniqueName: cli-broken
category: workflow
primaryEntity: account
triggers:
  - on: create
steps:
  - id: nothing
    type: notAStep
`;

describe('the flowline CLI against the real services', () => {
  let registry: RunningService;
  let gateway: RunningService;
  let executor: RunningService;
  let sessions: RunningService;
  let prefix = '';
  let work = '';
  let env: Record<string, string> = {};

  beforeAll(async () => {
    prefix = `${testPrefix('cli')}.`;
    const shared = { KAFKA_TOPIC_PREFIX: prefix };
    registry = await startServiceForTest('apps/process-registry/src/main.ts', shared);
    gateway = await startServiceForTest('apps/event-gateway/src/main.ts', { ...shared, REGISTRY_ADDRESS: registry.grpcAddress });
    const downstream = { ...shared, REGISTRY_ADDRESS: registry.grpcAddress, GATEWAY_ADDRESS: gateway.grpcAddress };
    [executor, sessions] = await Promise.all([
      startServiceForTest('apps/async-executor/src/main.ts', { ...downstream, WORKER_POLL_MS: '100' }),
      startServiceForTest('apps/session-service/src/main.ts', downstream),
    ]);
    work = mkdtempSync(path.join(tmpdir(), 'flowline-cli-'));
    env = {
      PATH: process.env['PATH'] ?? '',
      HOME: work, // no config file of the machine's user
      FLOWLINE_TOKEN: testToken(['admin'], 'cli-admin'),
      FLOWLINE_REGISTRY_URL: registry.httpUrl,
      FLOWLINE_REGISTRY_GRPC: registry.grpcAddress,
      FLOWLINE_GATEWAY_URL: gateway.httpUrl,
      FLOWLINE_GATEWAY_GRPC: gateway.grpcAddress,
      FLOWLINE_EXECUTOR_URL: executor.httpUrl,
      FLOWLINE_EXECUTOR_GRPC: executor.grpcAddress,
      FLOWLINE_SESSIONS_URL: sessions.httpUrl,
      FLOWLINE_SESSIONS_GRPC: sessions.grpcAddress,
      KAFKA_BROKERS: testKafkaBrokers(),
      KAFKA_TOPIC_PREFIX: prefix,
    };
  }, SERVICE_START_TIMEOUT_MS * 2);
  afterAll(async () => {
    for (const service of [sessions, executor, gateway, registry]) await service?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  /** Runs `flowline ARGS` in the work folder (stdin closed: not a terminal). */
  const flowline = (args: string[], extraEnv: Record<string, string | undefined> = {}): Promise<Run> =>
    new Promise((resolve, reject) => {
      const merged: Record<string, string> = { ...env };
      for (const [key, value] of Object.entries(extraEnv)) {
        if (value === undefined) delete merged[key];
        else merged[key] = value;
      }
      const child = spawn(process.execPath, [SHIM, ...args], { cwd: work, env: merged, stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      child.on('error', reject);
      child.on('close', (code) => resolve({ code, stdout, stderr }));
    });
  const json = async <T>(args: string[]): Promise<T> => {
    const run = await flowline(['--json', ...args]);
    if (run.code !== 0) throw new Error(`flowline ${args.join(' ')} exited ${run.code}: ${run.stderr}${run.stdout}`);
    return JSON.parse(run.stdout) as T;
  };
  const folder = (name: string, files: Record<string, string>) => {
    const dir = path.join(work, name);
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    for (const [file, text] of Object.entries(files)) writeFileSync(path.join(dir, file), text);
    return dir;
  };

  it('mints a development token only with AUTH_JWT_SECRET, and says so plainly without it', async () => {
    const minted = await flowline(['token', '--role', 'operator', '--subject', 'olga'], { AUTH_JWT_SECRET: TEST_SECRET });
    expect(minted.code).toBe(0);
    expect(verifyToken(TEST_SECRET, minted.stdout.trim())).toMatchObject({ subject: 'olga', roles: ['operator'] });
    const refused = await flowline(['token', '--role', 'admin']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('AUTH_JWT_SECRET is not set');
    expect(refused.stdout).toBe('');
    const badRole = await flowline(['token', '--role', 'superuser'], { AUTH_JWT_SECRET: TEST_SECRET });
    expect(badRole.code).toBe(2);
    expect(badRole.stderr).toContain('--role expected one of');
  });

  it('validates every file with errors at their paths and lines, and deploys only what changed', async () => {
    // The survey dialog takes options from a query: its version's hash covers what the metadata resolved.
    const survey = readFileSync(path.resolve(__dirname, '../../../examples/customer-survey.dialog.yaml'), 'utf8');
    const good = folder('defs', {
      'wait.workflow.yaml': waiting('first'),
      'mark.workflow.yaml': marking('seen'),
      'survey.dialog.yaml': survey,
    });
    const valid = await flowline(['defs', 'validate', good]);
    expect(valid.code).toBe(0);
    expect(valid.stdout).toContain('3 of 3 file(s) valid');

    const broken = folder('broken', { 'wait.workflow.yaml': waiting('first'), 'broken.workflow.yaml': invalid });
    const refused = await flowline(['defs', 'validate', broken]);
    expect(refused.code).toBe(1);
    expect(refused.stdout).toMatch(/invalid {2}\S*broken\.workflow\.yaml:(9|10) {2}\$\.steps\[0\]/);
    expect(refused.stdout).toContain('1 of 2 file(s) valid');
    // Deploying an invalid folder changes nothing.
    const notDeployed = await flowline(['defs', 'deploy', broken]);
    expect(notDeployed.code).toBe(1);
    expect(notDeployed.stdout).toContain('nothing was deployed');
    expect((await json<{ definitions: unknown[] }>(['defs', 'list'])).definitions).toEqual([]);

    const first = await json<{ changed: number; changes: Array<{ uniqueName: string; change: string; version: number }> }>([
      'defs',
      'deploy',
      good,
    ]);
    expect(first.changed).toBe(3);
    expect(first.changes).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ uniqueName: 'cli-wait', change: 'created', version: 1 }),
        expect.objectContaining({ uniqueName: 'cli-mark', change: 'created', version: 1 }),
      ]),
    );
    const again = await flowline(['defs', 'deploy', good]);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('nothing changed');

    writeFileSync(path.join(good, 'mark.workflow.yaml'), marking('seen by the CLI'));
    const changed = await json<{ changed: number; changes: Array<{ uniqueName: string; change: string; version: number }> }>([
      'defs',
      'deploy',
      good,
    ]);
    expect(changed.changed).toBe(1);
    expect(changed.changes).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ uniqueName: 'cli-mark', change: 'updated', version: 2 }),
        expect.objectContaining({ uniqueName: 'cli-wait', change: 'unchanged', version: 1 }),
        expect.objectContaining({ uniqueName: 'customer-survey', change: 'unchanged', version: 1 }),
      ]),
    );
    const versions = await json<Array<{ version: number; deactivatedOn: string }>>(['defs', 'versions', 'cli-mark']);
    expect(versions.map((v) => v.version)).toEqual([2, 1]);
    expect(versions[1]!.deactivatedOn).not.toBe('');
    const listed = await flowline(['defs', 'list', '--state', 'activated']);
    expect(listed.stdout).toMatch(/cli-mark\s+CLI mark\s+workflow\s+account\s+Activated\s+2\s+2/);

    // A Draft of an unchanged file is activated again by deploy; export writes the document.
    const deactivated = await flowline(['defs', 'deactivate', 'cli-mark']);
    expect(deactivated.stdout).toContain('cli-mark deactivated');
    const redeployed = await json<{ changes: Array<{ uniqueName: string; change: string; version: number }> }>(['defs', 'deploy', good]);
    expect(redeployed.changes).toEqual(
      expect.arrayContaining([expect.objectContaining({ uniqueName: 'cli-mark', change: 'activated', version: 3 })]),
    );
    expect(await json<{ state: number; activeVersion: number }>(['defs', 'get', 'cli-mark'])).toMatchObject({ state: 1, activeVersion: 3 });
    const exported = path.join(work, 'export.yaml');
    expect((await flowline(['defs', 'export', 'cli-mark', '--out', exported])).code).toBe(0);
    expect(readFileSync(exported, 'utf8')).toContain('seen by the CLI');
    const twice = await flowline(['defs', 'activate', 'cli-mark']);
    expect(twice.code).toBe(1);
    expect(twice.stderr).toContain('already Activated');
  });

  it('reports every service ready with its queue depth, and exits 3 when one cannot be reached', async () => {
    const status = await json<{
      ready: boolean;
      services: Array<{ service: string; ready: boolean; version?: string; readyQueueDepth?: number }>;
    }>(['status']);
    expect(status.ready).toBe(true);
    expect(status.services.map((s) => s.service)).toEqual(['process-registry', 'event-gateway', 'async-executor', 'session-service']);
    expect(status.services.find((s) => s.service === 'async-executor')!.readyQueueDepth).toEqual(expect.any(Number));
    const down = await flowline(['status'], { FLOWLINE_SESSIONS_URL: 'http://127.0.0.1:9' });
    expect(down.code).toBe(3);
    expect(down.stdout).toMatch(/session-service\s+http:\/\/127\.0\.0\.1:9\s+unreachable/);
    expect(down.stderr).toContain('FLOWLINE_SESSIONS_URL');
    const grpcDown = await flowline(['defs', 'list'], { FLOWLINE_REGISTRY_GRPC: '127.0.0.1:9' });
    expect(grpcDown.code).toBe(3);
    expect(grpcDown.stderr).toContain('process-registry cannot be reached at 127.0.0.1:9');
  });

  it('creates, reads and queries records, and refuses a bad token with exit 4', async () => {
    const lastname = `Cli${randomUUID().slice(0, 8)}`;
    const created = await json<{ id: string; version: number; record: Record<string, unknown> }>([
      'records',
      'create',
      'contact',
      JSON.stringify({ lastname, firstname: 'Ada' }),
    ]);
    expect(created.record).toMatchObject({ lastname, firstname: 'Ada' });
    const read = await json<{ record: Record<string, unknown> }>(['records', 'get', 'contact', created.id]);
    expect(read.record).toMatchObject({ lastname });
    const updated = await json<{ version: number; record: Record<string, unknown> }>([
      'records',
      'update',
      'contact',
      created.id,
      '{"firstname": "Grace"}',
      '--if-version',
      String(created.version),
    ]);
    expect(updated.record).toMatchObject({ firstname: 'Grace' });
    const stale = await flowline([
      'records',
      'update',
      'contact',
      created.id,
      '{"firstname": "Old"}',
      '--if-version',
      String(created.version),
    ]);
    expect(stale.code).toBe(1);
    const found = await json<{ records: Array<Record<string, unknown>>; totalCount: number }>([
      'records',
      'query',
      'contact',
      '--where',
      `lastname=${lastname}`,
    ]);
    expect(found.totalCount).toBe(1);
    expect(found.records[0]).toMatchObject({ firstname: 'Grace' });
    const table = await flowline(['records', 'query', 'contact', '--where', `lastname=${lastname}`, '--columns', 'lastname,firstname']);
    expect(table.stdout).toMatch(new RegExp(`lastname\\s+firstname\\n${lastname}\\s+Grace`));

    const forged = await flowline(['records', 'get', 'contact', created.id], { FLOWLINE_TOKEN: 'not-a-token' });
    expect(forged.code).toBe(4);
    expect(forged.stderr).toContain('--token');
    const badJson = await flowline(['records', 'create', 'contact', '{oops']);
    expect(badJson.code).toBe(2);
  });

  it('lists, reads and cancels jobs; --all-matching counts, asks, then runs a bulk job', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 3; i++)
      ids.push((await json<{ id: string }>(['records', 'create', 'contact', JSON.stringify({ lastname: `Waiter${i}` })])).id);
    // The contact of the records test started one too: wait for these three, count them all.
    const listing = await waitFor(
      async () => {
        const page = await json<{ operations: Array<{ id: string; regardingId: string }> }>([
          'jobs',
          'list',
          '--name',
          'cli-wait',
          '--state',
          'suspended',
        ]);
        return ids.every((id) => page.operations.some((o) => o.regardingId === id)) ? page : undefined;
      },
      { timeoutMs: 60_000, what: 'three cli-wait jobs to be Suspended' },
    );
    const suspended = listing.operations.length;
    const one = listing.operations[0]!;
    const detail = await json<{ operation: { id: string; stateName: string }; steps: Array<{ stepId: string }> }>(['jobs', 'get', one.id]);
    expect(detail.operation.stateName).toBe('Suspended');
    expect(detail.steps.map((s) => s.stepId)).toContain('three-days');
    const canceled = await flowline(['jobs', 'cancel', one.id]);
    expect(canceled.code).toBe(0);
    expect(canceled.stdout).toContain('Completed (Canceled)');
    const twice = await flowline(['jobs', 'cancel', one.id]);
    expect(twice.code).toBe(1);
    expect(twice.stderr).toContain('cannot cancel');
    const noId = await flowline(['jobs', 'cancel']);
    expect(noId.code).toBe(2);

    const filter = ['--name', 'cli-wait', '--state', 'suspended'];
    const dry = await json<{ matching: number; byState: Record<string, number> }>([
      'jobs',
      'cancel',
      '--all-matching',
      ...filter,
      '--dry-run',
    ]);
    expect(dry).toMatchObject({ matching: suspended - 1, byState: { suspended: suspended - 1 } });
    const unconfirmed = await flowline(['jobs', 'cancel', '--all-matching', ...filter]);
    expect(unconfirmed.code).toBe(1);
    expect(unconfirmed.stderr).toContain('add --yes');
    expect((await json<{ operations: unknown[] }>(['jobs', 'list', ...filter])).operations).toHaveLength(suspended - 1);
    const bulk = await json<{ applied: number; refused: number; total: number; operation: { operationType: number; statusName: string } }>([
      'jobs',
      'cancel',
      '--all-matching',
      ...filter,
      '--yes',
    ]);
    expect(bulk).toMatchObject({
      applied: suspended - 1,
      refused: 0,
      total: suspended - 1,
      operation: { operationType: 13, statusName: 'Succeeded' },
    });
    expect((await json<{ operations: unknown[] }>(['jobs', 'list', ...filter])).operations).toHaveLength(0);
    const none = await flowline(['jobs', 'cancel', '--all-matching', ...filter, '--yes']);
    expect(none.code).toBe(0);
    expect(none.stdout).toContain('0 job(s) match');
  });

  it('checks a domain event against the envelope before producing it, and the gateway applies it', async () => {
    const recordId = randomUUID();
    const name = `Evented ${recordId.slice(0, 8)}`;
    const eventFile = path.join(work, 'event.json');
    writeFileSync(
      eventFile,
      JSON.stringify({ message: 'Create', entity: 'account', recordId, target: { name }, initiatingUserId: 'crm-user' }),
    );
    const sent = await flowline(['events', 'send', eventFile]);
    expect(sent.code).toBe(0);
    expect(sent.stdout).toContain(`sent Create account:${recordId} to ${prefix}${Topics.domainEvents}`);
    const record = await waitFor(
      async () => {
        const run = await flowline(['--json', 'records', 'get', 'account', recordId]);
        return run.code === 0 ? (JSON.parse(run.stdout) as { record: Record<string, unknown> }) : undefined;
      },
      { timeoutMs: 60_000, what: 'the account the event created' },
    );
    expect(record.record).toMatchObject({ name });

    const badFile = path.join(work, 'bad-event.json');
    writeFileSync(
      badFile,
      JSON.stringify({ message: 'Create', entity: 'account', recordId: 'not-a-uuid', target: {}, initiatingUserId: 'crm-user' }),
    );
    const refused = await flowline(['events', 'send', badFile]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('payload.recordId: expected the record id, a UUID');
    expect(refused.stderr).toContain('nothing was sent');
  });

  it('lists dead letters and replays one, refusing a second replay without --force', async () => {
    const key = `contact:${randomUUID()}`;
    const malformed = createEnvelope({
      type: DOMAIN_EVENT_TYPE,
      schemaVersion: 1,
      source: 'crm',
      correlationId: `cli-${randomUUID()}`,
      depth: 1,
      payload: { message: 'Create', entity: 'contact', recordId: 'not-a-uuid', target: { lastname: 'Dead' }, initiatingUserId: 'crm-user' },
    });
    const kafka = new Kafka({ clientId: 'cli-test', brokers: [testKafkaBrokers()], logLevel: logLevel.NOTHING });
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic: `${prefix}${Topics.domainEvents}`, messages: [{ key, value: JSON.stringify(malformed) }] });
    await producer.disconnect();

    const letters = await waitFor(
      async () => {
        const page = await json<{ deadLetters: Array<{ id: string; key: string; reasonCode: string }> }>(['dlq', 'list', '--key', key]);
        return page.deadLetters.length > 0 ? page.deadLetters : undefined;
      },
      { timeoutMs: 60_000, what: 'the dead letter to be kept' },
    );
    expect(letters[0]).toMatchObject({ key, reasonCode: 'INVALID_PAYLOAD' });
    const table = await flowline(['dlq', 'list', '--key', key]);
    expect(table.stdout).toMatch(new RegExp(`${letters[0]!.id}\\s+pending\\s+${Topics.domainEvents.replace(/\./g, '\\.')}`));
    const replayed = await json<{ status: string; replayCount: number }>(['dlq', 'replay', letters[0]!.id]);
    expect(replayed).toMatchObject({ status: 'replayed', replayCount: 1 });
    const again = await flowline(['dlq', 'replay', letters[0]!.id]);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('force');
    const notAllowed = await flowline(['dlq', 'list'], { FLOWLINE_TOKEN: testToken(['user'], 'ursula') });
    expect(notAllowed.code).toBe(4);
    expect(notAllowed.stderr).toContain('role');
    const detail = await json<{ audit: Array<{ action: string; actor: string }> }>(['dlq', 'get', letters[0]!.id]);
    expect(detail.audit).toEqual(expect.arrayContaining([expect.objectContaining({ action: 'replayed', actor: 'cli-admin' })]));
  });

  it('acts on one job at a time, applies relative updates, discards a dead letter, reads sessions and imports definitions', async () => {
    // A job waiting three days: postpone and resume are allowed, pause (a running job only) and retry (a failed one only) are refused with the state.
    const contact = (await json<{ id: string }>(['records', 'create', 'contact', JSON.stringify({ lastname: 'Single' })])).id;
    const job = await waitFor(
      async () =>
        (
          await json<{ operations: Array<{ id: string; regardingId: string }> }>([
            'jobs',
            'list',
            '--record',
            contact,
            '--state',
            'suspended',
          ])
        ).operations[0],
      { timeoutMs: 60_000, what: 'the cli-wait job of the contact to wait' },
    );
    const until = new Date(Date.now() + 7 * 24 * 3600_000).toISOString();
    const postponed = await flowline(['jobs', 'postpone', job.id, '--until', until]);
    expect(postponed.code).toBe(0);
    expect(Date.parse((await json<{ operation: { postponeUntil: string } }>(['jobs', 'get', job.id])).operation.postponeUntil)).toBe(
      Date.parse(until),
    );
    const paused = await flowline(['jobs', 'pause', job.id]);
    expect(paused.code).toBe(1);
    expect(paused.stderr).toContain('cannot pause');
    const retried = await flowline(['jobs', 'retry', job.id]);
    expect(retried.code).toBe(1);
    expect(retried.stderr).toMatch(/cannot retry/);
    const resumed = await flowline(['jobs', 'resume', job.id]);
    expect(resumed.code).toBe(0);
    // Resumed, it runs again and waits again (its three days are not over).
    await waitFor(
      async () => {
        const { operation } = await json<{ operation: { stateName: string; postponeUntil: string } }>(['jobs', 'get', job.id]);
        return operation.stateName === 'Suspended' && Date.parse(operation.postponeUntil) < Date.parse(until) ? operation : undefined;
      },
      { timeoutMs: 60_000, what: 'the resumed job to wait again' },
    );

    // Relative updates: two increments on one record, neither lost.
    const account = await json<{ id: string; version: number }>([
      'records',
      'create',
      'account',
      JSON.stringify({ name: 'Counted', numberofemployees: 10 }),
    ]);
    const increment = JSON.stringify({ numberofemployees: { op: 'increment', value: 5 } });
    await json(['records', 'update', 'account', account.id, '{}', '--operations', increment]);
    const twice = await json<{ record: Record<string, unknown> }>([
      'records',
      'update',
      'account',
      account.id,
      '{}',
      '--operations',
      increment,
    ]);
    expect(twice.record['numberofemployees']).toBe(20);

    // A dead letter discarded: kept, marked, audited, and no longer replayable.
    const key = `contact:${randomUUID()}`;
    const kafka = new Kafka({ clientId: 'cli-test', brokers: [testKafkaBrokers()], logLevel: logLevel.NOTHING });
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic: `${prefix}${Topics.domainEvents}`, messages: [{ key, value: '{"not": "an envelope"}' }] });
    await producer.disconnect();
    const letter = await waitFor(
      async () => (await json<{ deadLetters: Array<{ id: string }> }>(['dlq', 'list', '--key', key])).deadLetters[0],
      { timeoutMs: 60_000, what: 'the dead letter to be kept' },
    );
    const discarded = await flowline(['dlq', 'discard', letter.id]);
    expect(discarded.code).toBe(0);
    const kept = await json<{ status: string; audit: Array<{ action: string; actor: string }> }>(['dlq', 'get', letter.id]);
    expect(kept.status).toBe('discarded');
    expect(kept.audit).toEqual(expect.arrayContaining([expect.objectContaining({ action: 'discarded', actor: 'cli-admin' })]));
    expect((await flowline(['dlq', 'replay', letter.id])).code).toBe(1);

    // A dialog session started over REST is listed and read.
    const started = await fetch(`${sessions.httpUrl}/api/v1/sessions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${env['FLOWLINE_TOKEN']}` },
      body: JSON.stringify({ dialog: 'customer-survey', entity: 'contact', recordId: contact }),
    });
    expect(started.status).toBe(201);
    const sessionId = ((await started.json()) as { session: { id: string } }).session.id;
    const listed = await json<{ sessions: Array<{ id: string }> }>([
      'sessions',
      'list',
      '--dialog',
      'customer-survey',
      '--record',
      contact,
    ]);
    expect(listed.sessions.map((one) => one.id)).toEqual([sessionId]);
    expect(await json<{ view: { session: { id: string; recordId: string } } }>(['sessions', 'get', sessionId])).toMatchObject({
      view: { session: { id: sessionId, recordId: contact } },
    });
    expect((await flowline(['sessions', 'get', randomUUID()])).code).toBe(1);

    // An export imported under another name, activated.
    const exported = path.join(work, 'to-import.yaml');
    expect((await flowline(['defs', 'export', 'cli-mark', '--out', exported])).code).toBe(0);
    writeFileSync(
      exported,
      readFileSync(exported, 'utf8')
        .replace(/cli-mark/g, 'cli-imported')
        .replace(/CLI mark/g, 'CLI imported'),
    );
    const imported = await flowline(['defs', 'import', exported, '--activate']);
    expect(imported.code).toBe(0);
    expect(imported.stdout).toMatch(/cli-imported\s+Activated\s+1/);
    expect((await flowline(['defs', 'import', path.join(work, 'no-such-file.yaml')])).code).toBe(2);
  });

  it('answers usage errors with exit 2 and help with exit 0', async () => {
    const unknown = await flowline(['jobs', 'list', '--bogus']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("unknown option '--bogus'");
    const help = await flowline(['defs', 'deploy', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Usage: flowline defs deploy');
    const sessionsList = await flowline(['sessions', 'list']);
    expect(sessionsList.code).toBe(0);
  });
});
