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
export interface LocalWorkers {
  /** Slots free for new runs now. */
  freeSlots(): number;
  /** Makes the claim loop claim now. */
  wake(): void;
}

let local: LocalWorkers | undefined;

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
