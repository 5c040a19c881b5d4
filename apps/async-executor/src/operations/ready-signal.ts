/**
 * How the dispatcher tells the workers that operations became Ready.
 *
 * A NOTIFY reaches the workers of every replica, but PostgreSQL serializes the commits of all
 * transactions that send one: each holds the notification queue's lock through its commit, WAL
 * flush included (see libs/messaging's outbox-signal). The dispatcher's insert sent one with
 * every batch, so its commits waited for each other: that lock was the most frequent wait of the
 * executor's connections under `bench:executor`.
 *
 * So the dispatcher's insert sends none. After it commits, the workers of this process, when it
 * runs any, are woken directly. When they have no free slot for each operation made Ready (or
 * this process runs none), the other replicas' workers are told as well, by a NOTIFY of its own:
 * at most one per `intervalMs` from this process, the last one of an interval sent at its end,
 * so an idle replica hears of new work within that interval. A busy replica needs none: its claim
 * loop claims again as each run ends. A lost wake-up costs latency, never work: the workers also
 * poll (WORKER_POLL_MS).
 */
import type { Claimed } from './operation-repository';

export interface LocalWorkers {
  /** Slots free for new runs now. */
  freeSlots(): number;
  /** Makes the claim loop claim now. */
  wake(): void;
  /** Set when the workers take operations straight from the dispatcher's insert (see HandOff). */
  handOff?: HandOff;
}

/**
 * The dispatcher's hand-off to the workers of its own process. While they have free slots and no
 * backlog, the dispatcher inserts a new operation already claimed by them (Locked, this host's
 * lease, started now) in its one statement, and they start it once the statement has committed:
 * no claim statement, no wake-up, no Ready change event for an operation that never waited.
 * Slots are reserved before the statement, so the claim loop cannot fill them meanwhile. If the
 * process dies between the commit and the start, the lease expires and the sweeper makes the
 * operation Ready again, as for any run its host lost.
 */
export interface HandOff {
  /** The lease owner and length the inserted operations get, and loop protection's window. */
  readonly host: string;
  readonly leaseMs: number;
  readonly loopWindowMs: number;
  /** Reserves up to `wanted` slots; answers how many (0 while there is a backlog or the workers stop). */
  reserve(wanted: number): number;
  /** Gives back reserved slots that were not used. */
  release(count: number): void;
  /** Starts committed, claimed operations, each in a slot reserved for it. */
  start(claimed: ReadonlyArray<Claimed>): void;
}

let local: LocalWorkers | undefined;

/** This process's workers, if it runs any. */
export function localWorkers(): LocalWorkers | undefined {
  return local;
}

/** Registers this process's workers (one claim loop per process); answers the unregistration. */
export function registerLocalWorkers(workers: LocalWorkers): () => void {
  local = workers;
  return () => {
    if (local === workers) local = undefined;
  };
}

/** A NOTIFY every 100 ms at most: an idle replica learns of new work within that, and the commits barely wait. */
export const READY_NOTIFY_INTERVAL_MS = 100;

export class ReadySignal {
  private lastSent = Number.NEGATIVE_INFINITY;
  private trailing: NodeJS.Timeout | undefined;

  constructor(
    /** Sends the NOTIFY (its own autocommitted statement). */
    private readonly notify: () => Promise<void>,
    private readonly onError: (error: unknown) => void,
    private readonly intervalMs = READY_NOTIFY_INTERVAL_MS,
    private readonly now: () => number = Date.now,
  ) {}

  /** `count` operations became Ready in a transaction that has committed. */
  committed(count: number): void {
    if (count <= 0) return;
    const workers = local;
    const enoughHere = workers !== undefined && workers.freeSlots() >= count;
    workers?.wake();
    if (enoughHere) return;
    const wait = this.lastSent + this.intervalMs - this.now();
    if (wait <= 0) this.send();
    else this.trailing ??= setTimeout(() => this.send(), wait).unref();
  }

  /** No trailing NOTIFY after this (shutdown). */
  stop(): void {
    clearTimeout(this.trailing);
    this.trailing = undefined;
  }

  private send(): void {
    clearTimeout(this.trailing);
    this.trailing = undefined;
    this.lastSent = this.now();
    this.notify().catch(this.onError);
  }
}
