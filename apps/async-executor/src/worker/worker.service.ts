/**
 * The claim loop: claims Ready operations that are due in batches (FOR UPDATE SKIP LOCKED, a lease
 * with this host as owner, renewed while running; OperationRepository.claim) and hands each to the
 * run driver (RunDriver). Claims skip operations whose definition is throttled after repeated
 * failures, operations behind an unfinished one with the same dependency token, and definitions
 * already running DEFINITION_CONCURRENCY operations. New work and runs that end wake the loop
 * (LISTEN/NOTIFY; polling is the fallback). Operations the dispatcher of this process inserts
 * already claimed for free slots start without a claim (HandOff in ready-signal.ts). With a
 * backlog, slots freed one by one are gathered for a few milliseconds so that one claim fills
 * several. A claim takes up to WORKER_PREFETCH operations more than there are free slots: they
 * wait in a local queue (Locked by this host, their leases renewed like a run's), and a slot that
 * frees starts the next one at once, without waiting for a claim's round trip. Unless set, that
 * number follows the runs' pace: what this process finished in the last quarter second. The
 * sweeper brings operations back to Ready: due timers and expired leases (a dead host). On
 * SIGTERM it stops claiming, puts the queued operations back to Ready and lets runs in flight
 * reach a step boundary.
 */
import { Inject, Injectable, Logger, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { Client } from 'pg';
import { OperationRepository, type Claimed } from '../operations/operation-repository';
import { READY_CHANNEL } from '../operations/operation-store';
import { registerLocalWorkers, type HandOff } from '../operations/ready-signal';
import { backoffDelay } from './backoff';
import { describeNextAttempt } from './dependency-failures';
import { ExecutorMetrics } from './executor-metrics';
import { RunDriver } from './run-driver';
import type { RunHandle, RunLoop } from './run-handle';
import { WORKER_HOST, WORKER_OPTIONS, type WorkerOptions } from './worker-options';

/** How long freed slots are gathered into one claim while there is a backlog. */
const CLAIM_GATHER_MS = 5;
/**
 * Paced claiming ahead (WORKER_PREFETCH unset): the local queue holds as many operations as this
 * process finished in the last window, at most PACED_PREFETCH_MAX. Short runs in a backlog get
 * large claims (one claim and one end group for many); long runs get next to none, so they stay
 * Ready for other replicas (and for KEDA's Ready-depth trigger) instead of waiting here.
 */
const PACE_WINDOW_MS = 250;
const PACED_PREFETCH_MAX = 128;

@Injectable()
export class WorkerService implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('Worker');
  private stopping = false;
  private wakeIdle: (() => void) | undefined;
  private wakePending = false;
  private unregisterLocal: (() => void) | undefined;
  /** The last claim filled every free slot: more is most likely Ready. */
  private backlog = false;
  private gatheringSince: number | undefined;
  private readonly wake = (): void => {
    if (this.wakeIdle) this.wakeIdle();
    else this.wakePending = true;
  };
  private claimLoop: Promise<void> | undefined;
  private readonly running = new Map<string, RunHandle>();
  /** Claimed ahead and not started yet, in claim order (the sequence order); each with its lease renewal. */
  private readonly queued: Array<{ handle: RunHandle; renew: NodeJS.Timeout }> = [];
  /** Slots the dispatcher reserved for operations it is inserting already claimed (ready-signal.ts's HandOff). */
  private reserved = 0;
  /** Runs that have done their work and wait for their end's group commit. */
  private readonly ending = new Set<string>();
  private listener: Client | undefined;
  private lastSweep = 0;
  /** Runs finished in the current pace window and in the one before it (paced claiming ahead). */
  private pace = { since: Date.now(), now: 0, before: 0 };
  /** What the runs ask of this loop. */
  private readonly runLoop: RunLoop = {
    stopping: () => this.stopping,
    ending: (operationId) => {
      this.ending.add(operationId);
      this.pump();
      this.wake();
    },
    ended: (operationId) => this.ending.delete(operationId),
  };

  constructor(
    @Inject(WORKER_OPTIONS) private readonly options: WorkerOptions,
    @Inject(WORKER_HOST) readonly host: string,
    private readonly repository: OperationRepository,
    private readonly driver: RunDriver,
    private readonly metrics: ExecutorMetrics,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    if (this.options.concurrency === 0) return;
    this.listener = new Client({ connectionString: this.options.databaseUrl, application_name: 'async-executor-listener' });
    await this.listener.connect();
    this.listener.on('notification', () => this.wake());
    this.listener.on('error', (error) => this.logger.warn({ err: String(error) }, 'LISTEN connection lost; polling only'));
    await this.listener.query(`LISTEN ${READY_CHANNEL}`);
    // The dispatcher in this process wakes this loop directly, without a NOTIFY (ready-signal.ts).
    this.unregisterLocal = registerLocalWorkers({
      freeSlots: () => this.freeSlots(),
      wake: () => this.wake(),
      // With a per-definition limit every start is counted across replicas by the claim, so no hand-off.
      handOff: this.options.definitionConcurrency > 0 ? undefined : this.handOff(),
    });
    this.claimLoop = this.loop();
    this.logger.log({ host: this.host, concurrency: this.options.concurrency }, 'workers started');
  }

  /**
   * SIGTERM: stop claiming; runs in flight finish their current step, persist and go back to
   * Ready for another host. Runs still busy after the grace period keep their lease, which
   * expires, and another host resumes them from their last persisted point.
   */
  async beforeApplicationShutdown(): Promise<void> {
    this.stopping = true;
    this.unregisterLocal?.();
    this.wake();
    await this.claimLoop;
    await this.releaseQueued();
    const inFlight = [...this.running.values()].map((handle) => handle.done);
    if (inFlight.length > 0) {
      this.logger.log(
        { inFlight: inFlight.length, graceMs: this.options.shutdownGraceMs },
        'waiting for runs in flight to reach a step boundary',
      );
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        Promise.all(inFlight),
        // Part of the process's grace: the consumer, the relay and the database close after this.
        new Promise<void>((resolve) => (timer = setTimeout(resolve, Math.floor(this.options.shutdownGraceMs * 0.6)))),
      ]);
      clearTimeout(timer);
      if (this.running.size > 0) this.logger.warn({ stillRunning: [...this.running.keys()] }, 'grace period over: leases left to expire');
    }
    await this.listener?.end().catch(() => undefined);
  }

  /** Operations this process holds right now (for tests and diagnostics). */
  runningIds(): string[] {
    return [...this.running.keys()];
  }

  /**
   * Waits for a wake-up (a NOTIFY, a run that ended, shutdown) or the poll interval. A wake-up
   * that comes while the loop is busy claiming is kept, so the next idle returns at once.
   */
  private async idle(ms = this.options.pollMs): Promise<void> {
    if (this.wakePending) {
      this.wakePending = false;
      return;
    }
    await new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.wakeIdle = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wakeIdle = done;
    });
  }

  private async loop(): Promise<void> {
    let failures = 0;
    while (!this.stopping) {
      try {
        if (Date.now() - this.lastSweep >= Math.min(this.options.pollMs, 1000)) {
          this.lastSweep = Date.now();
          await this.sweep();
        }
        const free = this.claimRoom();
        // With a backlog, slots freed one by one are gathered for a few milliseconds, so one claim
        // fills several (a claim is a transaction; one per finished run was most of the claim cost).
        const gather = Math.max(1, Math.floor((this.options.concurrency + this.prefetch()) / 4));
        if (free > 0 && free < gather && this.backlog && Date.now() - (this.gatheringSince ??= Date.now()) < CLAIM_GATHER_MS) {
          await this.idle(CLAIM_GATHER_MS);
          continue;
        }
        this.gatheringSince = undefined;
        if (free > 0) {
          const claimed = await this.repository.claim({
            host: this.host,
            limit: free,
            definitionConcurrency: this.options.definitionConcurrency,
            leaseMs: this.options.leaseMs,
            loopWindowMs: this.options.loopWindowMs,
          });
          this.backlog = claimed.length === free;
          for (const one of claimed) this.enqueue(one);
          this.pump();
        }
        failures = 0;
      } catch (error) {
        // The database is most likely down: back off (no busy loop) and say when the next try is.
        failures += 1;
        const delay = backoffDelay(failures - 1, this.options.pollMs, this.options.dependencyRetryMaxMs);
        this.logger.error(
          { err: String(error), attempt: failures, delayMs: delay },
          `claiming failed (attempt ${failures}): ${String(error)}; next attempt ${describeNextAttempt(new Date(Date.now() + delay))}`,
        );
        // Interrupted by shutdown (or new work), so a stop does not wait out the back-off.
        await this.idle(delay);
        continue;
      }
      await this.idle();
    }
  }

  /** Runs whose end is being committed take no slot (the next claim overlaps their commit); reserved slots do. */
  private freeSlots(): number {
    return this.options.concurrency - (this.running.size - this.ending.size) - this.reserved;
  }

  /**
   * How many operations are claimed ahead at most. None with a per-definition limit: an operation
   * queued here counts against its definition's limit while it waits, so it would hold a slot
   * another replica could run in.
   */
  private prefetch(): number {
    if (this.options.definitionConcurrency > 0) return 0;
    const { prefetch } = this.options;
    return prefetch === 'paced' ? Math.min(PACED_PREFETCH_MAX, this.finishedLately()) : prefetch;
  }

  /** Runs this process finished in the last pace window (or in the current one, if more). */
  private finishedLately(): number {
    const now = Date.now();
    const elapsed = now - this.pace.since;
    if (elapsed >= PACE_WINDOW_MS) {
      // A window with nothing finished in between (idle) leaves nothing to pace by.
      this.pace = { since: now, now: 0, before: elapsed < 2 * PACE_WINDOW_MS ? this.pace.now : 0 };
    }
    return Math.max(this.pace.now, this.pace.before);
  }

  /** A run finished: counted in the current pace window. */
  private countFinished(): void {
    this.finishedLately();
    this.pace.now += 1;
  }

  /** How many operations the next claim may take: the free slots, and the local queue's room. */
  private claimRoom(): number {
    return this.freeSlots() - this.queued.length + this.prefetch();
  }

  /**
   * What the dispatcher of this process hands new operations over with. Only while the last claim
   * left slots free: with a backlog, Ready operations come first, in their order, through the claim.
   */
  private handOff(): HandOff {
    return {
      host: this.host,
      leaseMs: this.options.leaseMs,
      loopWindowMs: this.options.loopWindowMs,
      reserve: (wanted) => {
        if (this.stopping || this.backlog || this.queued.length > 0) return 0;
        const granted = Math.max(0, Math.min(Math.trunc(wanted), this.freeSlots()));
        this.reserved += granted;
        return granted;
      },
      release: (count) => {
        this.reserved = Math.max(0, this.reserved - count);
        if (count > 0) this.wake();
      },
      start: (claimed) => {
        this.reserved = Math.max(0, this.reserved - claimed.length);
        for (const one of claimed) this.start(one);
      },
    };
  }

  /** Due timers and expired leases bring operations back (each move through the transition function). */
  private async sweep(): Promise<void> {
    const due = await this.repository.dueTimers();
    const expired = await this.repository.expiredLeases();
    for (const id of due) await this.repository.wakeDue(id);
    for (const id of expired) {
      const result = await this.repository.expireLease(id);
      if (result?.moved) this.logger.warn({ operationId: id, to: result.to }, 'lease expired: its host stopped without releasing it');
    }
  }

  /** A claimed operation's handle; its lease is renewed from now on. */
  private held({ operation, recentRuns }: Claimed): { handle: RunHandle; renew: NodeJS.Timeout } {
    this.metrics.claims.inc();
    const handle: RunHandle = { operation, recentRuns, lost: false, done: Promise.resolve(), loop: this.runLoop };
    const renew = setInterval(() => void this.renew(handle), Math.max(250, Math.floor(this.options.leaseMs / 3)));
    return { handle, renew };
  }

  /** A claimed operation joins the local queue. */
  private enqueue(claimed: Claimed): void {
    this.queued.push(this.held(claimed));
    this.metrics.localQueue.set(this.queued.length);
  }

  /** Starts queued operations while slots are free (not once shutting down: those are put back). */
  private pump(): void {
    while (!this.stopping && this.queued.length > 0 && this.freeSlots() > 0) {
      const { handle, renew } = this.queued.shift()!;
      if (handle.lost) {
        // Its lease could not be renewed while it waited: another host may hold it now.
        clearInterval(renew);
        this.logger.warn({ operationId: handle.operation.id }, 'lease lost while queued: not started here');
        continue;
      }
      this.run(handle, renew);
    }
    this.metrics.localQueue.set(this.queued.length);
  }

  /** Claimed by the dispatcher's hand-off: started at once (its slots were reserved). */
  private start(claimed: Claimed): void {
    const { handle, renew } = this.held(claimed);
    this.run(handle, renew);
  }

  private run(handle: RunHandle, renew: NodeJS.Timeout): void {
    const operation = handle.operation;
    this.running.set(operation.id, handle);
    handle.done = this.driver.drive(handle).finally(() => {
      clearInterval(renew);
      this.running.delete(operation.id);
      this.countFinished();
      this.pump();
      this.wake();
    });
  }

  /** On shutdown: the operations queued here and never started go back to Ready for any host, at once. */
  private async releaseQueued(): Promise<void> {
    const queued = this.queued.splice(0);
    this.metrics.localQueue.set(0);
    if (queued.length === 0) return;
    for (const { renew } of queued) clearInterval(renew);
    // Each through the transition function, as a run released at a boundary: an operator's pause or
    // cancel that came while it waited is honoured.
    const failed: string[] = [];
    for (const { handle } of queued) {
      await this.driver.release(handle).catch((error: unknown) => failed.push(`${handle.operation.id}: ${String(error)}`));
    }
    if (failed.length > 0)
      this.logger.warn(
        { failed },
        `could not put ${failed.length} of ${queued.length} queued operations back (${failed[0]}); their leases will expire and they will run then`,
      );
    else this.logger.log({ queued: queued.length }, `${queued.length} operations claimed ahead and not started put back to Ready`);
  }

  private async renew(handle: RunHandle): Promise<void> {
    try {
      if (!(await this.repository.renewLease(handle.operation.id, this.host, this.options.leaseMs))) handle.lost = true;
    } catch (error) {
      this.logger.warn({ operationId: handle.operation.id, err: String(error) }, 'lease renewal failed');
    }
  }
}
