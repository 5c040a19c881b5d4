/**
 * Runs each service as a child process: prefixes and colours its output, keeps its last log
 * lines, waits for its readiness endpoint, reports it when it dies, and stops it with SIGTERM
 * (then SIGKILL after the grace period).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import { colourFor, renderLogLine } from './output';
import type { ServicePlan } from './settings';

const TAIL_LINES = 20;

export interface SupervisedService {
  readonly plan: ServicePlan;
  readonly child: ChildProcess;
  readonly httpUrl: string;
  readonly tail: string[];
  exitCode: number | null | undefined;
  exitSignal: NodeJS.Signals | null | undefined;
  readonly exited: Promise<void>;
}

export interface SupervisorOptions {
  repoRoot: string;
  host: string;
  env: Record<string, string>;
  logFormat: 'pretty' | 'json';
  write: (text: string) => void;
  useColour: boolean;
  /** Called when a service exits while the launcher is not stopping it. */
  onUnexpectedExit: (service: SupervisedService) => void;
}

export class ServiceSupervisor {
  readonly services: SupervisedService[] = [];
  private stopping = false;

  constructor(private readonly options: SupervisorOptions) {}

  start(plan: ServicePlan, index: number): SupervisedService {
    const { repoRoot, host, env, write } = this.options;
    const name = plan.label;
    const mainPath = path.join(repoRoot, 'apps', plan.descriptor.name, 'src', 'main.ts');
    const child = spawn(process.execPath, ['-r', '@swc-node/register', mainPath], {
      cwd: repoRoot,
      env: {
        ...env,
        HOST: host,
        HTTP_PORT: String(plan.httpPort),
        GRPC_PORT: String(plan.grpcPort),
        ...plan.env,
      },
      // Own process group: a terminal's Ctrl-C reaches the launcher, which stops services in order.
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const prefix = colourFor(index, this.options.useColour)(`${name.padEnd(18)}|`);
    const tail: string[] = [];
    const onData = (chunk: Buffer) => {
      for (const line of chunk.toString('utf8').split('\n')) {
        if (!line) continue;
        tail.push(line);
        if (tail.length > TAIL_LINES) tail.shift();
        const shown = this.options.logFormat === 'pretty' ? renderLogLine(line, this.options.useColour) : line;
        write(`${prefix} ${shown}\n`);
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    let resolveExited: () => void = () => undefined;
    const exited = new Promise<void>((resolve) => {
      resolveExited = resolve;
    });
    const service: SupervisedService = {
      plan,
      child,
      httpUrl: `http://${host}:${plan.httpPort}`,
      tail,
      exitCode: undefined,
      exitSignal: undefined,
      exited,
    };
    child.once('exit', (code, signal) => {
      service.exitCode = code;
      service.exitSignal = signal;
      resolveExited();
      if (!this.stopping) this.options.onUnexpectedExit(service);
    });
    this.services.push(service);
    return service;
  }

  isRunning(service: SupervisedService): boolean {
    return service.exitCode === undefined;
  }

  /** Stops every service, newest first, SIGKILL after the grace period. */
  async stopAll(graceMs: number): Promise<void> {
    this.stopping = true;
    for (const service of [...this.services].reverse()) {
      if (!this.isRunning(service)) continue;
      service.child.kill('SIGTERM');
    }
    const deadline = setTimeout(() => {
      for (const service of this.services) {
        if (!this.isRunning(service)) continue;
        this.options.write(`${service.plan.label} did not stop within ${graceMs} ms, killing it\n`);
        try {
          // The whole group: anything the service spawned goes too.
          process.kill(-(service.child.pid ?? 0), 'SIGKILL');
        } catch {
          service.child.kill('SIGKILL');
        }
      }
    }, graceMs);
    await Promise.all(this.services.map((service) => service.exited));
    clearTimeout(deadline);
  }
}

/** Polls `/health/ready` until it answers 200, the process exits, or the deadline passes. */
export async function waitUntilReady(service: SupervisedService, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (service.exitCode !== undefined) {
      throw new Error(`${service.plan.label} exited (${describeExit(service)}) before it was ready`);
    }
    try {
      const response = await fetch(`${service.httpUrl}/health/ready`, { signal: AbortSignal.timeout(2_000) });
      if (response.status === 200) return;
    } catch {
      // Not listening yet.
    }
    if (Date.now() > deadline) {
      throw new Error(`${service.plan.label} was not ready at ${service.httpUrl}/health/ready within ${timeoutMs / 1000} s`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

export function describeExit(service: SupervisedService): string {
  if (service.exitSignal) return `killed by ${service.exitSignal}`;
  return `exit code ${service.exitCode ?? 'unknown'}`;
}
