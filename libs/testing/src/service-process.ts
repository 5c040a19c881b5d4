/**
 * Runs a Flowline service as a real child process, the way the launcher and production do,
 * and gives tests its output, its readiness and its exit.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import { waitFor } from './wait-for';

export const REPO_ROOT = path.resolve(__dirname, '../../..');

export interface ServiceProcess {
  readonly child: ChildProcess;
  readonly output: string[];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  waitForReady(url: string, timeoutMs?: number): Promise<void>;
  stop(signal?: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/**
 * Services still running when the test process exits are killed with it: a suite whose start-up
 * hook timed out never gets to stop what it started, and those processes would otherwise
 * outlive the run (and keep a forced-exit Jest's children busy).
 */
const live = new Set<ChildProcess>();
let exitHookInstalled = false;
function track(child: ChildProcess): void {
  live.add(child);
  child.once('exit', () => live.delete(child));
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const running of live) running.kill('SIGKILL');
  });
}

export function spawnService(mainPath: string, env: Record<string, string>): ServiceProcess {
  const child = spawn(process.execPath, ['-r', '@swc-node/register', path.join(REPO_ROOT, mainPath)], {
    cwd: REPO_ROOT,
    env: {
      PATH: process.env['PATH'] ?? '',
      // Test servers (webhooks, http activities) listen on loopback, which production refuses by default;
      // tests call services far faster than a person, so the per-caller limit is lifted.
      OUTBOUND_ALLOW: 'loopback',
      RATE_LIMIT_PER_MINUTE: '0',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  track(child);
  const output: string[] = [];
  const collect = (chunk: Buffer) => output.push(...chunk.toString('utf8').split('\n').filter(Boolean));
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
  });
  let hasExited = false;
  void exited.then(() => {
    hasExited = true;
  });

  return {
    child,
    output,
    exited,
    waitForReady: async (url, timeoutMs = 60_000) => {
      await waitFor(
        async () => {
          if (hasExited) throw new Error(`the service exited before it was ready:\n${output.slice(-10).join('\n')}`);
          const response = await fetch(`${url}/health/ready`);
          return response.status === 200;
        },
        { timeoutMs, intervalMs: 100, what: `${url}/health/ready to answer 200` },
      );
    },
    stop: async (signal = 'SIGTERM') => {
      if (!hasExited) child.kill(signal);
      return exited;
    },
  };
}
