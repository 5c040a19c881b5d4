/**
 * `npm run stop -- --data DIR`: stops a Flowline left running from a data folder (default the
 * launcher's, .data or FLOWLINE_DATA_DIR). It reads what the launcher recorded there
 * (flowline-run.json) and the embedded PostgreSQL's postmaster.pid, then:
 *   1. asks a launcher that still runs to stop (SIGTERM), which stops everything in order;
 *   2. stops services still running (SIGTERM, SIGKILL after the grace period);
 *   3. stops PostgreSQL with a fast shutdown (SIGINT, then SIGQUIT, then SIGKILL).
 * It says what it stopped, and is a no-op when nothing runs.
 */
import { existsSync, readFileSync, rmSync } from 'node:fs';
import * as path from 'node:path';
import { isAlive, isRunningAs, stopProcesses } from './processes';
import { readRunState, runStatePath, stillRunning, type RecordedProcess } from './run-state';

export interface StopIo {
  write(text: string): void;
}

export interface StopOptions {
  /** How long the launcher may take to stop everything itself. */
  launcherGraceMs?: number;
  serviceGraceMs?: number;
}

export interface StopReport {
  stopped: string[];
  /** Processes that would not end. */
  survivors: string[];
}

/** The pid in <data>/postgres/postmaster.pid when that server still runs on this folder. */
async function runningPostmaster(dataDir: string): Promise<RecordedProcess | undefined> {
  const pgData = path.join(dataDir, 'postgres');
  const pidFile = path.join(pgData, 'postmaster.pid');
  if (!existsSync(pidFile)) return undefined;
  const pid = Number(readFileSync(pidFile, 'utf8').split('\n')[0]);
  if (!(await isRunningAs(pid, 'postgres'))) return undefined;
  return { name: 'PostgreSQL', kind: 'postgres', pid, marker: 'postgres' };
}

const described = (recorded: RecordedProcess) =>
  recorded.kind === 'launcher' ? `the launcher (pid ${recorded.pid})` : `${recorded.name} (pid ${recorded.pid})`;

export async function stopFlowline(dataDir: string, io: StopIo, options: StopOptions = {}): Promise<StopReport> {
  const launcherGraceMs = options.launcherGraceMs ?? 60_000;
  const serviceGraceMs = options.serviceGraceMs ?? 20_000;
  const state = readRunState(dataDir);
  const recorded = state ? await stillRunning(state) : [];
  const postmaster = await runningPostmaster(dataDir);
  const stopped: string[] = [];
  const survivors: string[] = [];
  const settle = (group: RecordedProcess[], left: number[]) => {
    for (const item of group) (left.includes(item.pid) ? survivors : stopped).push(described(item));
  };

  const launcher = recorded.find((item) => item.kind === 'launcher');
  if (launcher) {
    io.write(`Asking the launcher (pid ${launcher.pid}) to stop Flowline...\n`);
    // It stops its services, the broker and PostgreSQL itself, in order.
    const left = await stopProcesses(
      [launcher.pid],
      [
        { signal: 'SIGTERM', waitMs: launcherGraceMs },
        { signal: 'SIGKILL', waitMs: 5_000 },
      ],
    );
    settle([launcher], left);
  }
  // What the launcher left (or what outlived a launcher that was killed).
  const services = recorded.filter((item) => item.kind === 'service' && isAlive(item.pid));
  if (services.length > 0) {
    io.write(`Stopping ${services.map(described).join(', ')}...\n`);
    const left = await stopProcesses(
      services.map((item) => item.pid),
      [
        { signal: 'SIGTERM', waitMs: serviceGraceMs },
        { signal: 'SIGKILL', waitMs: 5_000 },
      ],
    );
    settle(services, left);
  } else if (launcher) {
    stopped.push(...recorded.filter((item) => item.kind === 'service').map(described));
  }
  const server = (await runningPostmaster(dataDir)) ?? undefined;
  if (server) {
    io.write(`Stopping PostgreSQL (pid ${server.pid}, data in ${path.join(dataDir, 'postgres')})...\n`);
    // pg_ctl stop -m fast does the same: SIGINT, then wait for the postmaster to exit.
    const left = await stopProcesses(
      [server.pid],
      [
        { signal: 'SIGINT', waitMs: 30_000 },
        { signal: 'SIGQUIT', waitMs: 10_000 },
        { signal: 'SIGKILL', waitMs: 5_000 },
      ],
    );
    settle([server], left);
  } else if (postmaster) {
    stopped.push(described(postmaster));
  }
  const guards = recorded.filter((item) => item.kind === 'postgres-guard' && isAlive(item.pid));
  if (guards.length > 0)
    settle(
      guards,
      await stopProcesses(
        guards.map((item) => item.pid),
        [{ signal: 'SIGKILL', waitMs: 5_000 }],
      ),
    );

  if (survivors.length === 0) rmSync(runStatePath(dataDir), { force: true });
  if (stopped.length === 0 && survivors.length === 0) {
    io.write(`Nothing of Flowline runs from ${dataDir}.\n`);
  } else {
    if (stopped.length > 0) io.write(`Stopped ${stopped.join(', ')}.\n`);
    if (survivors.length > 0) io.write(`Could not stop ${survivors.join(', ')}: kill them by hand.\n`);
  }
  return { stopped, survivors };
}
