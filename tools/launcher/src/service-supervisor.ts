/**
 * Runs each service as a child process: prefixes and colours its output, keeps its last log
 * lines, waits for its readiness endpoint (answered by this very child, not by another process
 * on the port), reports it when it dies, and stops it with SIGTERM (then SIGKILL after the
 * grace period). Each child holds a pipe from the launcher (launcher-tether.ts) and shuts down
 * when it closes, so it ends with the launcher however the launcher ends.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import type { Socket } from 'node:net';
import * as path from 'node:path';
import { nodeFlagsOf } from '@flowline/contracts';
import { colourFor, renderLogLine } from './output';
import type { ServicePlan } from './settings';

const TAIL_LINES = 20;
/** The child's file descriptor of the pipe it watches (stdio index 3). */
const TETHER_FD = 3;
const TETHER_MODULE = path.join(__dirname, 'launcher-tether.ts');

export interface SupervisedService {
  readonly plan: ServicePlan;
  readonly child: ChildProcess;
  readonly httpUrl: string;
  /** The entry point it runs, also the marker of its command line. */
  readonly mainPath: string;
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
    // The service's heap limit, as its image runs it (libs/contracts' service descriptors).
    const child = spawn(process.execPath, [...nodeFlagsOf(plan.descriptor), '-r', '@swc-node/register', '-r', TETHER_MODULE, mainPath], {
      cwd: repoRoot,
      env: {
        ...env,
        HOST: host,
        HTTP_PORT: String(plan.httpPort),
        GRPC_PORT: String(plan.grpcPort),
        ...plan.env,
        FLOWLINE_LAUNCHER_FD: String(TETHER_FD),
      },
      // Own process group: a terminal's Ctrl-C reaches the launcher, which stops services in order.
      detached: true,
      // fd 3: the tether. The launcher never writes to it; its closing tells the child the launcher is gone.
      stdio: ['ignore', 'pipe', 'pipe', 'pipe'],
    });
    (child.stdio[TETHER_FD] as Socket | null)?.unref();
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
      mainPath,
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

  /**
   * Stops every running service, newest first, SIGKILL after the grace period (or at once after
   * killNow()). Returns the services it stopped, as `name (pid N)`.
   */
  async stopAll(graceMs: number): Promise<string[]> {
    this.stopping = true;
    const running = [...this.services].reverse().filter((service) => this.isRunning(service));
    for (const service of running) service.child.kill('SIGTERM');
    const deadline = setTimeout(() => this.killNow(`did not stop within ${graceMs} ms`), graceMs);
    await Promise.all(this.services.map((service) => service.exited));
    clearTimeout(deadline);
    return running.map((service) => `${service.plan.label} (pid ${service.child.pid ?? '?'})`);
  }

  /** SIGKILL to every service still running, and to anything it spawned (its process group). */
  killNow(reason: string): void {
    this.stopping = true;
    for (const service of this.services) {
      if (!this.isRunning(service)) continue;
      this.options.write(`${service.plan.label} ${reason}, killing it\n`);
      try {
        process.kill(-(service.child.pid ?? 0), 'SIGKILL');
      } catch {
        service.child.kill('SIGKILL');
      }
    }
  }
}

/**
 * Polls `/health/ready` until this service's own process answers 200, the process exits, the
 * deadline passes or `signal` aborts. An answer from another pid means another process holds
 * the port (our child cannot bind it): that is an error, never "ready".
 */
export async function waitUntilReady(service: SupervisedService, timeoutMs: number, signal?: AbortSignal): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    signal?.throwIfAborted();
    if (service.exitCode !== undefined) {
      throw new Error(`${service.plan.label} exited (${describeExit(service)}) before it was ready`);
    }
    let answer: { status: number; pid: unknown } | undefined;
    try {
      const response = await fetch(`${service.httpUrl}/health/ready`, { signal: AbortSignal.timeout(2_000) });
      const body = (await response.json().catch(() => ({}))) as { pid?: unknown };
      answer = { status: response.status, pid: body.pid };
    } catch {
      // Not listening yet.
    }
    if (answer && service.exitCode === undefined && answer.pid !== service.child.pid) {
      throw new Error(
        `${service.httpUrl}/health/ready is answered by ${typeof answer.pid === 'number' ? `pid ${answer.pid}` : 'another program'}, not by the ${service.plan.label} this launcher started (pid ${service.child.pid ?? '?'}): another process holds the port`,
      );
    }
    if (answer?.status === 200) return;
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
