/**
 * The launcher's record of what it started, kept in the data folder (<data>/flowline-run.json)
 * from the first process it starts until it has stopped them all: `npm run stop -- --data DIR`
 * reads it to stop a Flowline left running, and the next `npm start` on the same folder reads it
 * to refuse while one still runs. Each process is stored with a marker from its command line,
 * so a pid the system has since given to another program is never mistaken for ours.
 */
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { isRunningAs } from './processes';

export const RUN_STATE_FILE = 'flowline-run.json';

export type RecordedKind = 'launcher' | 'service' | 'postgres' | 'postgres-guard';

export interface RecordedProcess {
  name: string;
  kind: RecordedKind;
  pid: number;
  /** A part of the process's command line that identifies it. */
  marker: string;
}

export interface RunState {
  startedAt: string;
  checkout: string;
  launcher: RecordedProcess;
  processes: RecordedProcess[];
}

export function runStatePath(dataDir: string): string {
  return path.join(dataDir, RUN_STATE_FILE);
}

export function readRunState(dataDir: string): RunState | undefined {
  try {
    const state = JSON.parse(readFileSync(runStatePath(dataDir), 'utf8')) as RunState;
    return state.launcher && Array.isArray(state.processes) ? state : undefined;
  } catch {
    return undefined;
  }
}

/** The processes of a recorded run that still run (the launcher first). */
export async function stillRunning(state: RunState): Promise<RecordedProcess[]> {
  const running: RecordedProcess[] = [];
  for (const recorded of [state.launcher, ...state.processes]) {
    if (await isRunningAs(recorded.pid, recorded.marker)) running.push(recorded);
  }
  return running;
}

/** Written synchronously and atomically after each start, so a launcher killed a moment later leaves a true record. */
export class RunStateWriter {
  private readonly state: RunState;

  constructor(
    private readonly dataDir: string,
    checkout: string,
    launcherMarker: string,
  ) {
    this.state = {
      startedAt: new Date().toISOString(),
      checkout,
      launcher: { name: 'launcher', kind: 'launcher', pid: process.pid, marker: launcherMarker },
      processes: [],
    };
  }

  record(recorded: RecordedProcess): void {
    this.state.processes.push(recorded);
    this.save();
  }

  save(): void {
    mkdirSync(this.dataDir, { recursive: true });
    const file = runStatePath(this.dataDir);
    writeFileSync(`${file}.${process.pid}`, `${JSON.stringify(this.state, null, 2)}\n`);
    renameSync(`${file}.${process.pid}`, file);
  }

  remove(): void {
    rmSync(runStatePath(this.dataDir), { force: true });
  }
}
