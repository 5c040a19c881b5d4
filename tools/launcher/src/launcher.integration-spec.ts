import { readdirSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import * as path from 'node:path';
import { Client } from 'pg';
import { Webhook } from 'standardwebhooks';
import { verifyToken } from '@flowline/auth';
import { ALL_SERVICES } from '@flowline/contracts';
import { freePortForTests, waitFor } from '@flowline/testing';
import { launcherEnvironment, pidsIn, startLauncher, untilReady } from './launcher-test-support';

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** How many example definitions npm start loads: every examples/*.yaml. */
const EXAMPLES = readdirSync(path.resolve(__dirname, '../../../examples')).filter((file) => file.endsWith('.yaml')).length;

describe('npm start (the launcher)', () => {
  let dataRoot: string;
  let env: Record<string, string>;

  beforeAll(async () => {
    ({ dataRoot, env } = await launcherEnvironment());
  });
  afterAll(async () => {
    await rm(dataRoot, { recursive: true, force: true });
  });

  it('brings every service to ready, prints where, and Ctrl-C leaves no process behind', async () => {
    const launch = startLauncher(env);
    await untilReady(launch);
    const output = launch.output();
    for (const service of ALL_SERVICES) {
      const url = `http://127.0.0.1:${env[`${service.envPrefix}_HTTP_PORT`]}`;
      expect(output).toMatch(new RegExp(`${service.name}\\s+${url.replace(/\./g, '\\.')}`));
      expect((await fetch(`${url}/health/ready`)).status).toBe(200);
    }
    expect(output).toContain(`postgres://postgres:***@127.0.0.1:${env['FLOWLINE_PG_PORT']}/flowline`);
    expect(output).toMatch(new RegExp(`kafka\\s+127\\.0\\.0\\.1:${env['FLOWLINE_KAFKA_PORT']}\\s+development broker`));
    expect(output).toContain(`Example definitions: ${EXAMPLES} loaded and activated, 0 already there`);
    expect(output).toContain(`order-intake: POST http://127.0.0.1:${env['EVENT_GATEWAY_HTTP_PORT']}/api/v1/hooks/order-intake`);
    // The operator console, built by the launcher when missing, served by the session service.
    const sessionsUrl = `http://127.0.0.1:${env['SESSION_SERVICE_HTTP_PORT']}`;
    expect(output).toContain(`Operator console: ${sessionsUrl}/console/`);
    const consolePage = await fetch(`${sessionsUrl}/console/`);
    expect(consolePage.status).toBe(200);
    expect(await consolePage.text()).toContain('<div id="root">');
    const token = output.match(/Admin token .*\n {2}(\S+)/)?.[1];
    expect(token).toBeDefined();
    expect((await readFile(path.join(env['FLOWLINE_DATA_DIR']!, 'admin-token'), 'utf8')).trim()).toBe(token);
    const secret = (await readFile(path.join(env['FLOWLINE_DATA_DIR']!, 'auth-secret'), 'utf8')).trim();
    expect(verifyToken(secret, token!)).toMatchObject({ subject: 'admin', roles: ['admin'] });
    // Services call each other with their own keys, not the shared secret.
    for (const service of ALL_SERVICES) {
      expect(output).toContain(`tokens signed with its own key '${service.name}' (SERVICE_KEY)`);
      expect(await readFile(path.join(env['FLOWLINE_DATA_DIR']!, 'service-keys', `${service.name}.private.jwk`), 'utf8')).toContain('"d"');
    }
    // The example webhook answers with the development secret npm start made for it.
    const gatewayUrl = `http://127.0.0.1:${env['EVENT_GATEWAY_HTTP_PORT']}`;
    const hookSecret = (await readFile(path.join(env['FLOWLINE_DATA_DIR']!, 'webhook-secrets', 'order-intake'), 'utf8')).trim();
    const account = (await (
      await fetch(`${gatewayUrl}/api/v1/records/account`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token!}`, 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'Contoso' }),
      })
    ).json()) as { id: string };
    const body = JSON.stringify({ accountid: account.id, orderNumber: 'SO-1001', total: 250 });
    const at = new Date();
    const hook = await fetch(`${gatewayUrl}/api/v1/hooks/order-intake?wait=20s`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'webhook-id': 'msg_launcher',
        'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
        'webhook-signature': new Webhook(hookSecret, { format: 'raw' }).sign('msg_launcher', at, body),
      },
      body,
    });
    expect(await hook.json()).toMatchObject({ status: 'succeeded', outputs: { confirm: { id: expect.any(String) } } });
    const postgresPid = Number((await readFile(path.join(env['FLOWLINE_DATA_DIR']!, 'postgres', 'postmaster.pid'), 'utf8')).split('\n')[0]);
    expect(isAlive(postgresPid)).toBe(true);
    const servicePids = pidsIn(output).filter((pid) => pid !== postgresPid);
    expect(servicePids).toHaveLength(ALL_SERVICES.length);

    launch.child.kill('SIGINT');
    expect(await launch.exited).toBe(0);
    expect(launch.output()).toContain('Flowline stopped.');
    for (const pid of [...servicePids, postgresPid]) expect(isAlive(pid)).toBe(false);
  });

  it('a second start comes up on the same data, here with two executors and traces written to files', async () => {
    // Its own data folder and ports, and its own first start: it relies on no other test.
    const own = await launcherEnvironment();
    const env = own.env;
    const first = startLauncher(env);
    await untilReady(first);
    first.child.kill('SIGINT');
    expect(await first.exited).toBe(0);
    const launch = startLauncher(env, ['--executors', '2', '--traces']);
    try {
      await untilReady(launch);
      expect(launch.output()).toContain(`Example definitions: 0 loaded and activated, ${EXAMPLES} already there`);
      const replicaPort = Number(env['ASYNC_EXECUTOR_HTTP_PORT']) + 100;
      expect(launch.output()).toMatch(new RegExp(`async-executor-2\\s+http://127\\.0\\.0\\.1:${replicaPort}`));
      expect((await fetch(`http://127.0.0.1:${replicaPort}/health/ready`)).status).toBe(200);
      expect(launch.output()).toContain(`Traces: OTLP JSON in ${path.join(env['FLOWLINE_DATA_DIR']!, 'traces')}`);
      await waitFor(
        async () =>
          (await readFile(path.join(env['FLOWLINE_DATA_DIR']!, 'traces', 'async-executor-2.jsonl'), 'utf8').catch(() => '')).includes(
            'resourceSpans',
          ),
        { timeoutMs: 20_000, what: 'the second executor to write spans' },
      );
      const client = new Client({ connectionString: `postgres://postgres:postgres@127.0.0.1:${env['FLOWLINE_PG_PORT']}/flowline` });
      await client.connect();
      try {
        for (const service of ALL_SERVICES) {
          const { rows } = await client.query(`SELECT count(*)::int AS runs FROM "${service.schema}".service_instance`);
          // One row from the first run, one from this one (two for the two executors).
          expect(rows[0].runs).toBe(service.name === 'async-executor' ? 3 : 2);
        }
      } finally {
        await client.end();
      }
    } finally {
      launch.child.kill('SIGINT');
      expect(await launch.exited).toBe(0);
      await rm(own.dataRoot, { recursive: true, force: true });
    }
  });

  it('runs the whole system on a real Apache Kafka with --kafka apache, and Ctrl-C stops the broker too', async () => {
    const own = await launcherEnvironment();
    const launch = startLauncher(own.env, ['--kafka', 'apache']);
    try {
      await untilReady(launch);
      const output = launch.output();
      const kafkaPid = Number(output.match(/kafka\s+127\.0\.0\.1:\d+\s+Apache Kafka [\d.]+ \(KRaft\), data in \S+, pid (\d+)/)?.[1]);
      expect(kafkaPid).toBeGreaterThan(0);
      expect(isAlive(kafkaPid)).toBe(true);
      // A record change reaches the executor through Apache Kafka: the onboarding example starts on it.
      const token = output.match(/Admin token .*\n {2}(\S+)/)![1]!;
      const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
      const gateway = `http://127.0.0.1:${own.env['EVENT_GATEWAY_HTTP_PORT']}`;
      const executor = `http://127.0.0.1:${own.env['ASYNC_EXECUTOR_HTTP_PORT']}`;
      const created = (await (
        await fetch(`${gateway}/api/v1/records/account`, { method: 'POST', headers, body: JSON.stringify({ name: 'On Apache Kafka' }) })
      ).json()) as { id: string };
      await waitFor(
        async () => {
          const listed = (await (await fetch(`${executor}/api/v1/operations?recordId=${created.id}`, { headers })).json()) as {
            operations?: unknown[];
          };
          return (listed.operations?.length ?? 0) > 0;
        },
        { timeoutMs: 60_000, what: 'an operation for the new account' },
      );
      launch.child.kill('SIGINT');
      expect(await launch.exited).toBe(0);
      expect(launch.output()).toContain(`Apache Kafka (pid ${kafkaPid})`);
      expect(isAlive(kafkaPid)).toBe(false);
    } finally {
      launch.child.kill('SIGKILL');
      await rm(own.dataRoot, { recursive: true, force: true });
    }
  });

  it('reports a service that dies with its last log lines and keeps the others running', async () => {
    const launch = startLauncher(env);
    try {
      await untilReady(launch);
      const gatewayPid = Number(launch.output().match(/event-gateway\s+http\S+\s+gRPC \S+, schema gateway, pid (\d+)/)![1]);
      process.kill(gatewayPid, 'SIGKILL');
      await waitFor(() => launch.output().includes('event-gateway stopped unexpectedly (killed by SIGKILL). Its last log lines:'), {
        what: 'the report of the dead service',
      });
      expect(launch.output()).toMatch(/Its last log lines:\n {2}\{.*event-gateway/);
      const registryUrl = `http://127.0.0.1:${env['PROCESS_REGISTRY_HTTP_PORT']}`;
      expect((await fetch(`${registryUrl}/health/ready`)).status).toBe(200);
    } finally {
      launch.child.kill('SIGINT');
      expect(await launch.exited).toBe(0);
    }
  });

  it('refuses to start when the PostgreSQL port is taken, saying what to do', async () => {
    const blocker: Server = createServer();
    const port = await freePortForTests();
    await new Promise<void>((resolve) => blocker.listen(port, '127.0.0.1', resolve));
    try {
      const launch = startLauncher({ ...env, FLOWLINE_PG_PORT: String(port) });
      expect(await launch.exited).toBe(1);
      expect(launch.output()).toContain(`port ${port} for the embedded PostgreSQL (FLOWLINE_PG_PORT) is held by pid ${process.pid} (`);
      expect(launch.output()).toContain(`stop it ('kill ${process.pid}') or set FLOWLINE_PG_PORT to a free port`);
    } finally {
      blocker.close();
    }
  });

  it('names a bad port setting and exits', async () => {
    const launch = startLauncher({ ...env, EVENT_GATEWAY_HTTP_PORT: 'abc' });
    expect(await launch.exited).toBe(2);
    expect(launch.output().trim()).toBe("EVENT_GATEWAY_HTTP_PORT must be a port number between 1 and 65535, got 'abc'");
  });
});
