import { existsSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import * as path from 'node:path';
import { isPortTaken } from '@flowline/dev-infra';
import { ALL_SERVICES } from '@flowline/contracts';
import { waitFor } from '@flowline/testing';
import { launcherEnvironment, pidsIn, portsOf, runNpmStop, startLauncher, untilReady, type Launch } from './launcher-test-support';
import { isAlive } from './processes';
import { readRunState, RUN_STATE_FILE } from './run-state';

/** Ends with every launcher a test started still running (a failed assertion) killed, so no test leaves processes behind. */
const launches: Launch[] = [];
function launchWith(env: Record<string, string>): Launch {
  const launch = startLauncher(env);
  launches.push(launch);
  return launch;
}

async function portsHeld(ports: number[]): Promise<number[]> {
  const held: number[] = [];
  for (const port of ports) if (await isPortTaken(port)) held.push(port);
  return held;
}

describe('the launcher ends what it starts', () => {
  let dataRoot: string;
  let env: Record<string, string>;
  let dataDir: string;

  beforeAll(async () => {
    ({ dataRoot, env } = await launcherEnvironment());
    dataDir = env['FLOWLINE_DATA_DIR']!;
  });
  afterAll(async () => {
    for (const launch of launches) if (launch.child.exitCode === null) launch.child.kill('SIGINT');
    await Promise.all(launches.map((launch) => launch.exited));
    await runNpmStop(['--data', dataDir]);
    await rm(dataRoot, { recursive: true, force: true });
  });

  it('SIGTERM while PostgreSQL is still starting lets it come up, stops it, and exits 143', async () => {
    const launch = launchWith(env);
    await waitFor(() => launch.output().includes('Starting embedded PostgreSQL'), { timeoutMs: 60_000, what: 'the PostgreSQL start' });
    launch.child.kill('SIGTERM');
    expect(await launch.exited).toBe(143);
    const output = launch.output();
    expect(output).toContain('SIGTERM received during start-up: stopping what was started...');
    expect(output).toMatch(/Stopped (the Kafka development broker and )?PostgreSQL \(pid \d+\)\.\n/);
    expect(output).toContain('Flowline did not start: interrupted by SIGTERM.');
    expect(output).not.toMatch(/is listening on/);
    const postgresPid = Number(/PostgreSQL \(pid (\d+)\)/.exec(output)![1]);
    expect(isAlive(postgresPid)).toBe(false);
    expect(await portsHeld(portsOf(env))).toEqual([]);
  });

  it('Ctrl-C while it is still starting (services answer ready, no ready table yet) stops all it started, says so and exits non-zero', async () => {
    const launch = launchWith(env);
    // The moment of the report: a service answers ready while the launcher has not printed its table.
    await waitFor(
      async () => {
        for (const service of ALL_SERVICES) {
          const url = `http://127.0.0.1:${env[`${service.envPrefix}_HTTP_PORT`]}/health/ready`;
          const answer = await fetch(url, { signal: AbortSignal.timeout(1_000) }).catch(() => undefined);
          if (answer?.status === 200) return true;
        }
        return false;
      },
      { timeoutMs: 120_000, intervalMs: 50, what: 'a service to answer ready' },
    );
    expect(launch.output()).not.toContain('Flowline is ready.');
    const started = readRunState(dataDir)!.processes.map((recorded) => recorded.pid);
    expect(started.length).toBeGreaterThanOrEqual(ALL_SERVICES.length + 2); // PostgreSQL, its guard, the services

    launch.child.kill('SIGINT');
    expect(await launch.exited).toBe(130);
    const output = launch.output();
    expect(output).not.toContain('Flowline is ready.');
    expect(output).toContain('SIGINT received during start-up: stopping what was started...');
    for (const service of ALL_SERVICES) expect(output).toMatch(new RegExp(`Stopped .*${service.name} \\(pid \\d+\\)`));
    expect(output).toMatch(/Stopped .*, the Kafka development broker and PostgreSQL \(pid \d+\)\.\n/);
    expect(output).toContain('Flowline did not start: interrupted by SIGINT.');
    await waitFor(() => started.every((pid) => !isAlive(pid)), { timeoutMs: 30_000, what: 'every process it started to be gone' });
    expect(await portsHeld(portsOf(env))).toEqual([]);
    expect(existsSync(path.join(dataDir, RUN_STATE_FILE))).toBe(false);
  });

  it('when the launcher is SIGKILLed, the services, PostgreSQL and the broker end with it and free their ports', async () => {
    const launch = launchWith(env);
    await untilReady(launch);
    const recorded = readRunState(dataDir)!.processes;
    expect(recorded.map((item) => item.kind).sort()).toEqual(['postgres', 'postgres-guard', ...ALL_SERVICES.map(() => 'service')]);
    const pids = recorded.map((item) => item.pid);
    expect(pids.every(isAlive)).toBe(true);

    launch.child.kill('SIGKILL');
    await launch.exited;
    // A service shuts down as on SIGTERM (within its grace period); PostgreSQL with a fast shutdown.
    await waitFor(() => pids.every((pid) => !isAlive(pid)), {
      timeoutMs: 60_000,
      what: `every child to end (still alive: ${pids.filter(isAlive).join(', ')})`,
    }).catch((error: unknown) => {
      throw new Error(`${String(error)}; alive: ${pids.filter(isAlive).join(', ')}`);
    });
    await waitFor(async () => (await portsHeld(portsOf(env))).length === 0, { timeoutMs: 10_000, what: 'every port to be free' });
  });

  it('refuses to start when a port is taken, naming the port, its setting and the process that holds it, and starts nothing', async () => {
    const blocker: Server = createServer();
    const port = Number(env['EVENT_GATEWAY_GRPC_PORT']);
    await new Promise<void>((resolve) => blocker.listen(port, '127.0.0.1', resolve));
    try {
      const launch = launchWith(env);
      expect(await launch.exited).toBe(1);
      const output = launch.output();
      expect(output).toContain('Flowline cannot start: a port it needs is taken.');
      expect(output).toContain(`port ${port} for event-gateway gRPC (EVENT_GATEWAY_GRPC_PORT) is held by pid ${process.pid} (`);
      expect(output).toContain(`stop it ('kill ${process.pid}') or set EVENT_GATEWAY_GRPC_PORT to a free port`);
      expect(output).toContain('Nothing was started.');
      expect(output).not.toContain('Starting');
      // No record of a run of its own (the SIGKILLed launcher of the test before may have left its own).
      expect(readRunState(dataDir)?.launcher.pid).not.toBe(launch.child.pid);
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
  });

  it('npm run stop stops a running Flowline, then a PostgreSQL left without its launcher, and does nothing when nothing runs', async () => {
    const launch = launchWith(env);
    await untilReady(launch);
    const recorded = readRunState(dataDir)!;
    const pids = [recorded.launcher.pid, ...recorded.processes.map((item) => item.pid)];

    // A second start on the same data folder is refused while this one runs.
    const again = launchWith(env);
    expect(await again.exited).toBe(1);
    expect(again.output()).toContain(`still runs from the data folder ${dataDir}: launcher (pid ${launch.child.pid}), postgresql (pid`);
    expect(again.output()).toContain(`Stop it with 'npm run stop -- --data ${dataDir}'`);

    const first = await runNpmStop(['--data', dataDir]);
    expect(first.code).toBe(0);
    expect(first.output).toContain(`Asking the launcher (pid ${launch.child.pid}) to stop Flowline...`);
    expect(first.output).toMatch(new RegExp(`Stopped the launcher \\(pid ${launch.child.pid}\\), .*PostgreSQL \\(pid \\d+\\)\\.`));
    for (const service of ALL_SERVICES) expect(first.output).toMatch(new RegExp(`${service.name} \\(pid \\d+\\)`));
    expect(await launch.exited).toBe(0);
    expect(launch.output()).toContain('SIGTERM received: stopping Flowline...');
    expect(pids.filter(isAlive)).toEqual([]);

    // A launcher and the guard of its PostgreSQL both killed: the services end by themselves, the server runs on.
    const second = launchWith(env);
    await untilReady(second);
    const state = readRunState(dataDir)!;
    const postgresPid = state.processes.find((item) => item.kind === 'postgres')!.pid;
    const guardPid = state.processes.find((item) => item.kind === 'postgres-guard')!.pid;
    expect(pidsIn(second.output())).toContain(postgresPid);
    process.kill(guardPid, 'SIGKILL');
    second.child.kill('SIGKILL');
    await second.exited;
    expect(isAlive(postgresPid)).toBe(true);
    expect(Number((await readFile(path.join(dataDir, 'postgres', 'postmaster.pid'), 'utf8')).split('\n')[0])).toBe(postgresPid);

    const orphan = await runNpmStop(['--data', dataDir]);
    expect(orphan.code).toBe(0);
    expect(orphan.output).toContain(`Stopping PostgreSQL (pid ${postgresPid}, data in ${path.join(dataDir, 'postgres')})...`);
    expect(orphan.output).toMatch(new RegExp(`Stopped .*PostgreSQL \\(pid ${postgresPid}\\)\\.`));
    expect(isAlive(postgresPid)).toBe(false);
    expect(await portsHeld(portsOf(env))).toEqual([]);

    const nothing = await runNpmStop(['--data', dataDir]);
    expect(nothing.code).toBe(0);
    expect(nothing.output.trim()).toBe(`Nothing of Flowline runs from ${dataDir}.`);
  });
});
