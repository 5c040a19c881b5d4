/**
 * Runs the launcher as a real process for the launcher's integration tests: on free,
 * non-default ports and a data folder of the test's own, with its output collected.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { chmod, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { ALL_SERVICES } from '@flowline/contracts';
import { freePortForTests, freePortSeriesForTests, REPO_ROOT, waitFor } from '@flowline/testing';
import { REPLICA_PORT_STEP } from './settings';

export interface Launch {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

export function startLauncher(env: Record<string, string>, args: string[] = []): Launch {
  const child = spawn(process.execPath, ['-r', '@swc-node/register', path.join(REPO_ROOT, 'tools/launcher/src/main.ts'), ...args], {
    cwd: REPO_ROOT,
    env: { PATH: process.env['PATH'] ?? '', NO_COLOR: '1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let text = '';
  child.stdout?.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
  child.stderr?.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, output: () => text, exited };
}

/** Runs `npm run stop -- <args>` from the checkout and returns its exit code and output. */
export function runNpmStop(args: string[]): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn('npm', ['run', '--silent', 'stop', '--', ...args], {
      cwd: REPO_ROOT,
      env: { PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? tmpdir() },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    child.once('exit', (code) => resolve({ code, output }));
  });
}

/** Waits for the ready table; on time-out the error carries the launcher's last lines, to see which service did not come up. */
export async function untilReady(launch: Launch): Promise<void> {
  await waitFor(() => launch.output().includes('Flowline is ready.'), { timeoutMs: 120_000, what: 'the ready table' }).catch(
    (error: unknown) => {
      throw new Error(`${String(error)}\nlauncher output (last 40 lines):\n${launch.output().split('\n').slice(-40).join('\n')}`);
    },
  );
}

/** A data folder of this test's own (reachable by the postgres user when tests run as root) and free ports for everything. */
export async function launcherEnvironment(): Promise<{ dataRoot: string; env: Record<string, string> }> {
  const dataRoot = await mkdtemp(path.join(tmpdir(), 'flowline-launcher-'));
  await chmod(dataRoot, 0o755);
  const env: Record<string, string> = {
    FLOWLINE_DATA_DIR: path.join(dataRoot, 'data'),
    FLOWLINE_PG_PORT: String(await freePortForTests()),
    FLOWLINE_KAFKA_PORT: String(await freePortForTests()),
    FLOWLINE_KAFKA_CONTROLLER_PORT: String(await freePortForTests()),
  };
  for (const service of ALL_SERVICES) {
    // Executor replicas listen 100 ports above the first: those ports are claimed too (three replicas).
    const replicas = service.name === 'async-executor' ? 3 : 1;
    env[`${service.envPrefix}_HTTP_PORT`] = String(await freePortSeriesForTests(replicas, REPLICA_PORT_STEP));
    env[`${service.envPrefix}_GRPC_PORT`] = String(await freePortSeriesForTests(replicas, REPLICA_PORT_STEP));
  }
  return { dataRoot, env };
}

/** Every port the environment gives the launcher. */
export function portsOf(env: Record<string, string>): number[] {
  return Object.entries(env)
    .filter(([name]) => name.endsWith('_PORT'))
    .map(([, value]) => Number(value));
}

export const pidsIn = (output: string): number[] => [...output.matchAll(/pid (\d+)/g)].map((match) => Number(match[1]));
