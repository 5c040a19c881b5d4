/** Looking at processes by pid: alive or not, their command line, and stopping them with a deadline. */
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';

const HAS_PROC = existsSync('/proc/self/stat');

/** True while the process runs; a zombie (ended, not yet reaped by its new parent) counts as ended. */
export function isAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
  } catch (error) {
    // EPERM: it exists but belongs to someone else.
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  if (!HAS_PROC) return true; // kill(0) is all we know
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

/** The command line of a process, words joined by spaces; undefined when it is gone or hidden. */
export async function commandLineOf(pid: number): Promise<string | undefined> {
  const raw = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => undefined);
  if (raw !== undefined) return raw === '' ? undefined : raw.replace(/\0+$/, '').split('\0').join(' ');
  // No /proc (macOS): ask ps.
  return new Promise((resolve) =>
    execFile('ps', ['-o', 'command=', '-p', String(pid)], (error, stdout) => resolve(error ? undefined : stdout.trim() || undefined)),
  );
}

/** True while `pid` runs and its command line contains `marker` (so a reused pid is not mistaken for ours). */
export async function isRunningAs(pid: number, marker: string): Promise<boolean> {
  if (!isAlive(pid)) return false;
  const command = await commandLineOf(pid);
  return command === undefined ? true : command.includes(marker);
}

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch {
    // Gone already.
  }
}

export async function waitForExit(pids: number[], timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (pids.some(isAlive)) {
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return true;
}

/**
 * Sends each step's signal to the pids still alive and waits up to its time, e.g. SIGTERM for
 * 20 s, then SIGKILL. Returns the pids still alive at the end (none, normally).
 */
export async function stopProcesses(pids: number[], steps: Array<{ signal: NodeJS.Signals; waitMs: number }>): Promise<number[]> {
  for (const step of steps) {
    const alive = pids.filter(isAlive);
    if (alive.length === 0) return [];
    for (const pid of alive) signal(pid, step.signal);
    await waitForExit(alive, step.waitMs);
  }
  return pids.filter(isAlive);
}
